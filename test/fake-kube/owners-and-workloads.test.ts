import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { apiFailure, clients, raw } from './fixtures';

const labels = { app: 'db' };
const template = { metadata: { labels }, spec: { containers: [{ name: 'db', image: 'pg:16' }] } };

function pod(ownerReferences: object[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9f-abcde', namespace: 'ns', ownerReferences },
    spec: { containers: [{ name: 'web', image: 'web:1' }] },
  };
}

const RS_OWNER = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'web-7d9f',
  uid: '0b6f6b6e-1111-4a4a-9d9d-000000000001',
  controller: true,
  blockOwnerDeletion: true,
};

describe('ownerReferences', () => {
  let fake: FakeKube;
  beforeEach(async () => {
    fake = await startFakeKube();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('keeps them on a pod as written and serves them back', async () => {
    const { core } = clients(fake);
    await core.createNamespacedPod({ namespace: 'ns', body: pod([RS_OWNER]) as never });
    const read = await core.readNamespacedPod({ namespace: 'ns', name: 'web-7d9f-abcde' });
    expect(read.metadata?.ownerReferences).toEqual([RS_OWNER]);
  });

  it('refuses a reference without apiVersion version, kind, name or uid, without an index', async () => {
    const answer = await raw(fake, 'POST', '/api/v1/namespaces/ns/pods', {
      body: pod([{ apiVersion: 'apps/', kind: '', name: '', uid: '' }]),
      contentType: 'application/json',
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toBe(
      'Pod "web-7d9f-abcde" is invalid: [metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty, metadata.ownerReferences.kind: Invalid value: "": kind must not be empty, metadata.ownerReferences.name: Invalid value: "": name must not be empty, metadata.ownerReferences.uid: Invalid value: "": uid must not be empty]',
    );
  });

  it('refuses two controllers', async () => {
    const { core } = clients(fake);
    const second = { ...RS_OWNER, kind: 'StatefulSet', name: 'db', uid: 'u2' };
    const failure = await apiFailure(
      core.createNamespacedPod({ namespace: 'ns', body: pod([RS_OWNER, second]) as never }),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.message).toContain(
      'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/web-7d9f and StatefulSet/db',
    );
  });

  it('checks them on update too', async () => {
    fake.seed(pod([RS_OWNER]));
    const answer = await raw(fake, 'PATCH', '/api/v1/namespaces/ns/pods/web-7d9f-abcde', {
      body: { metadata: { ownerReferences: [{ ...RS_OWNER, uid: '' }] } },
      contentType: 'application/merge-patch+json',
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toContain(
      'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
    );
  });
});

describe('StatefulSets and DaemonSets', () => {
  let fake: FakeKube;
  beforeEach(async () => {
    fake = await startFakeKube();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('default a StatefulSet as the server does and take a restart patch on its template', async () => {
    const { apps } = clients(fake);
    const created = await apps.createNamespacedStatefulSet({
      namespace: 'ns',
      body: {
        metadata: { name: 'db' },
        spec: { serviceName: 'db', selector: { matchLabels: labels }, template },
      },
    });
    expect(created.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
    });
    expect(created.metadata?.generation).toBe(1);
    const patched = await raw(fake, 'PATCH', '/apis/apps/v1/namespaces/ns/statefulsets/db', {
      body: {
        spec: {
          template: {
            metadata: {
              annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' },
            },
          },
        },
      },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(patched.status).toBe(200);
    expect(patched.json.spec.template.metadata.annotations).toEqual({
      'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z',
    });
    expect(patched.json.spec.template.spec.containers[0].image).toBe('pg:16');
    expect(patched.json.metadata.generation).toBe(2);
  });

  it('refuses rollingUpdate with OnDelete and a change to a StatefulSet spec field that is fixed', async () => {
    const { apps } = clients(fake);
    const onDelete = await apiFailure(
      apps.createNamespacedStatefulSet({
        namespace: 'ns',
        body: {
          metadata: { name: 'db' },
          spec: {
            serviceName: 'db',
            selector: { matchLabels: labels },
            template,
            updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 0 } },
          },
        },
      }),
    );
    expect(onDelete.body.message).toBe(
      `StatefulSet.apps "db" is invalid: spec.updateStrategy.rollingUpdate: Forbidden: only allowed for updateStrategy 'RollingUpdate'`,
    );
    fake.seed({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'ns' },
      spec: { serviceName: 'db', selector: { matchLabels: labels }, template },
    });
    const answer = await raw(fake, 'PATCH', '/apis/apps/v1/namespaces/ns/statefulsets/db', {
      body: { spec: { serviceName: 'other' } },
      contentType: 'application/merge-patch+json',
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toContain(
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
  });

  it('default a DaemonSet, keep its selector fixed, and serve dryRun=All without storing', async () => {
    const { apps } = clients(fake);
    const created = await apps.createNamespacedDaemonSet({
      namespace: 'ns',
      body: { metadata: { name: 'agent' }, spec: { selector: { matchLabels: labels }, template } },
    });
    expect(created.spec?.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    const selector = await raw(fake, 'PATCH', '/apis/apps/v1/namespaces/ns/daemonsets/agent', {
      body: { spec: { selector: { matchLabels: { app: 'db', tier: 'x' } } } },
      contentType: 'application/merge-patch+json',
    });
    expect(selector.status).toBe(422);
    expect(selector.json.message).toContain('spec.selector: Invalid value');
    const dry = await raw(
      fake,
      'PATCH',
      '/apis/apps/v1/namespaces/ns/daemonsets/agent?dryRun=All',
      {
        body: { spec: { template: { metadata: { annotations: { a: 'b' } } } } },
        contentType: 'application/strategic-merge-patch+json',
      },
    );
    expect(dry.status).toBe(200);
    expect(
      fake.get('apps/v1', 'DaemonSet', 'ns', 'agent').spec.template.metadata.annotations,
    ).toBeUndefined();
  });
});
