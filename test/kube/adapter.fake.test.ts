import { KubeConfig, V1MicroTime, type EventsV1Event, type V1Lease } from '@kubernetes/client-node';

import { ClientNodeKube } from '../../src/kube/adapter';
import { KubeError } from '../../src/kube/errors';
import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';

/**
 * The adapter against the stateful fake API server: realistic sequences where what matters is
 * what the server stored (or refused), not only what went on the wire.
 */

const DEPLOYMENT = '/apis/apps/v1/namespaces/ns/deployments/web';
const LEASE_NAME = 'remediate-ns-web';
const REVISION = 'deployment.kubernetes.io/revision';

function webDeployment(annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'ns',
      labels: { app: 'web' },
      ...(annotations === undefined ? {} : { annotations }),
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'model',
              image: 'reg/model:v3',
              env: [
                {
                  name: 'MODEL_VERSION',
                  valueFrom: { configMapKeyRef: { name: 'model-config', key: 'MODEL_VERSION' } },
                },
                { name: 'THREADS', value: '4' },
              ],
            },
            { name: 'sidecar', image: 'reg/proxy:1.0' },
          ],
        },
      },
    },
  };
}

/** A ReplicaSet as the deployment controller would have left it for an earlier revision. */
function replicaSet(
  owner: KubeObject,
  revision: number,
  image: string,
  extra: { ownerUid?: string; annotations?: Record<string, string> } = {},
): KubeObject {
  const hash = `h${revision}`;
  const labels = { app: 'web', 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'ns',
      labels,
      annotations: { [REVISION]: String(revision), ...extra.annotations },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          uid: extra.ownerUid ?? owner.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: 'model', image, env: [{ name: 'MODEL_VERSION', value: image }] }],
        },
      },
    },
  };
}

function leaseFor(holder: string, at: Date): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: LEASE_NAME, annotations: { 'remediator.example.com/action': 'rollback' } },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 600,
      acquireTime: new V1MicroTime(at.getTime()),
      renewTime: new V1MicroTime(at.getTime()),
      leaseTransitions: 0,
    },
  };
}

function auditEvent(eventTime: Date): EventsV1Event {
  return {
    metadata: { name: `web.${Date.now().toString(16)}`, namespace: 'ns' },
    eventTime,
    type: 'Normal',
    reason: 'RemediationSucceeded',
    action: 'Rollback',
    reportingController: 'remediator.example.com/auto-remediator',
    reportingInstance: 'auto-remediator-7d9f-abcde',
    regarding: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'ns',
      name: 'web',
      uid: 'u1',
    },
    note: 'Rolled back to revision 2',
  };
}

async function kubeFailure(call: Promise<unknown>): Promise<KubeError> {
  const outcome = await call.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  );
  if (!(outcome instanceof KubeError)) throw outcome;
  return outcome;
}

describe('ClientNodeKube against the fake API server', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
    const kc = new KubeConfig();
    fake.loadInto(kc);
    kube = new ClientNodeKube(kc, { retry: { baseMs: 1, capMs: 1, deadlineMs: 0 } });
  });

  afterEach(async () => {
    expect(fake.internalErrors).toEqual([]);
    await fake.close();
  });

  describe('rollback by JSON patch', () => {
    it('replaces the whole template and the annotation map with those of the older revision', async () => {
      const deployment = fake.seed(
        webDeployment({ [REVISION]: '3', 'team.example.com/owner': 'ml' }),
      );
      fake.seed(
        replicaSet(deployment, 2, 'reg/model:v2', {
          annotations: { 'kubernetes.io/change-cause': 'v2 rollout' },
        }),
      );
      fake.seed(replicaSet(deployment, 3, 'reg/model:v3'));

      const current = await kube.readDeployment('ns', 'web');
      const owned = (await kube.listReplicaSets('ns', 'app=web')).filter((rs) =>
        rs.metadata?.ownerReferences?.some(
          (o) => o.controller === true && o.uid === current.metadata?.uid,
        ),
      );
      const target = owned.find((rs) => rs.metadata?.annotations?.[REVISION] === '2');
      expect(target).toBeDefined();
      const template = structuredClone(target!.spec!.template!);
      delete template.metadata!.labels!['pod-template-hash'];
      const rolledBack = await kube.patchDeployment('ns', 'web', {
        type: 'json',
        body: [
          { op: 'replace', path: '/spec/template', value: template },
          {
            op: 'replace',
            path: '/metadata/annotations',
            value: { [REVISION]: '3', 'kubernetes.io/change-cause': 'v2 rollout' },
          },
        ],
      });

      const stored = fake.get('apps/v1', 'Deployment', 'ns', 'web');
      expect(stored.spec.template.spec.containers.map((c: KubeObject) => c.name)).toEqual([
        'model',
      ]);
      expect(stored.spec.template.spec.containers[0].image).toBe('reg/model:v2');
      expect(stored.spec.template.metadata.labels).toEqual({ app: 'web' });
      expect(stored.metadata.annotations).toEqual({
        [REVISION]: '3',
        'kubernetes.io/change-cause': 'v2 rollout',
      });
      expect(stored.metadata.generation).toBe(deployment.metadata.generation + 1);
      expect(rolledBack.metadata?.resourceVersion).toBe(stored.metadata.resourceVersion);
      const patch = fake.writes();
      expect(patch.map((w) => [w.method, w.path, w.contentType])).toEqual([
        ['PATCH', DEPLOYMENT, 'application/json-patch+json'],
      ]);
    });

    it('gets the generic 422 when a path’s parent is missing, and stores nothing', async () => {
      const deployment = fake.seed(webDeployment());
      const err = await kubeFailure(
        kube.patchDeployment('ns', 'web', {
          type: 'json',
          body: [{ op: 'replace', path: '/metadata/annotations/x', value: '2' }],
        }),
      );
      expect(err.reason).toBe('invalid');
      expect(err.details.apiReason).toBe('Invalid');
      expect(err.message).toContain(
        'the server rejected our request due to an error in our request',
      );
      expect(fake.get('apps/v1', 'Deployment', 'ns', 'web').metadata.resourceVersion).toBe(
        deployment.metadata.resourceVersion,
      );
    });

    it('lists only ReplicaSets matching the selector, without kind on the items', async () => {
      const deployment = fake.seed(webDeployment());
      fake.seed(replicaSet(deployment, 1, 'reg/model:v1'));
      fake.seed(replicaSet(deployment, 7, 'reg/model:v7', { ownerUid: 'someone-else' }));
      fake.seed({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'api-1', namespace: 'ns', labels: { app: 'api' } },
        spec: {
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: { containers: [{ name: 'c', image: 'i' }] },
          },
        },
      });

      const items = await kube.listReplicaSets('ns', 'app=web');

      expect(items.map((rs) => rs.metadata?.name).sort()).toEqual(['web-h1', 'web-h7']);
      expect(items.every((rs) => rs.kind === undefined)).toBe(true);
      expect(fake.requests.map((r) => r.query)).toEqual([{ labelSelector: 'app=web' }]);
    });
  });

  describe('model version by strategic merge patch', () => {
    const envPatch = (entry: object) => ({
      type: 'strategic' as const,
      body: { spec: { template: { spec: { containers: [{ name: 'model', env: [entry] }] } } } },
    });

    it('changes one env var, drops its valueFrom and leaves the rest of the pod alone', async () => {
      fake.seed(webDeployment());
      const before = fake.get('apps/v1', 'Deployment', 'ns', 'web');

      await kube.patchDeployment(
        'ns',
        'web',
        envPatch({ name: 'MODEL_VERSION', value: 'v41', valueFrom: null }),
      );

      const after = fake.get('apps/v1', 'Deployment', 'ns', 'web');
      const [model, sidecar] = after.spec.template.spec.containers;
      expect(model.env).toEqual([
        { name: 'MODEL_VERSION', value: 'v41' },
        { name: 'THREADS', value: '4' },
      ]);
      expect(model.image).toBe('reg/model:v3');
      expect(sidecar).toEqual(before.spec.template.spec.containers[1]);
      expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    });

    it('is refused with 422 when valueFrom is not nulled, so nothing changes', async () => {
      const seeded = fake.seed(webDeployment());
      const err = await kubeFailure(
        kube.patchDeployment('ns', 'web', envPatch({ name: 'MODEL_VERSION', value: 'v41' })),
      );
      expect(err.reason).toBe('invalid');
      expect(err.message).toContain('may not be specified when `value` is not empty');
      expect(fake.get('apps/v1', 'Deployment', 'ns', 'web').metadata.resourceVersion).toBe(
        seeded.metadata.resourceVersion,
      );
    });

    it('leaves the resourceVersion alone when a restart patch repeats the same value', async () => {
      fake.seed(webDeployment());
      const restart = {
        type: 'strategic' as const,
        body: {
          spec: {
            template: {
              metadata: {
                annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-27T13:59:26Z' },
              },
            },
          },
        },
      };
      const first = await kube.patchDeployment('ns', 'web', restart);
      const second = await kube.patchDeployment('ns', 'web', restart);
      expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
      expect(second.metadata?.generation).toBe(first.metadata?.generation);
    });
  });

  describe('scale', () => {
    it('stores nothing for a dry-run scale but answers with what would be', async () => {
      const seeded = fake.seed(webDeployment());

      const scale = await kube.patchDeploymentScale('ns', 'web', 5, { dryRun: true });

      expect(scale.spec?.replicas).toBe(5);
      const stored = fake.get('apps/v1', 'Deployment', 'ns', 'web');
      expect(stored.spec.replicas).toBe(3);
      expect(stored.metadata.resourceVersion).toBe(seeded.metadata.resourceVersion);
      expect(fake.writes().map((w) => w.dryRun)).toEqual([true]);
    });

    it('stores the new replica count for a real scale', async () => {
      fake.seed(webDeployment());
      await kube.patchDeploymentScale('ns', 'web', 5);
      expect(fake.get('apps/v1', 'Deployment', 'ns', 'web').spec.replicas).toBe(5);
      const read = await kube.readDeploymentScale('ns', 'web');
      expect(read.spec?.replicas).toBe(5);
      expect(read.status?.selector).toBe('app=web');
    });

    it('reports a Deployment that is gone as not_found', async () => {
      const err = await kubeFailure(kube.patchDeploymentScale('ns', 'web', 5));
      expect(err.reason).toBe('not_found');
      expect(err.details.apiReason).toBe('NotFound');
    });
  });

  describe('Leases', () => {
    const at = new Date('2024-05-01T10:00:00.123Z');

    it('lets one of two racing creates win; the other fails with AlreadyExists', async () => {
      const results = await Promise.allSettled([
        kube.createLease('rem', leaseFor('pod-a', at)),
        kube.createLease('rem', leaseFor('pod-b', at)),
      ]);

      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      const [winner] = won;
      const [loser] = lost;
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const err = loser?.reason as KubeError;
      expect(err).toBeInstanceOf(KubeError);
      expect(err.reason).toBe('conflict');
      expect(err.alreadyExists).toBe(true);

      const stored = await kube.readLease('rem', LEASE_NAME);
      expect(stored.spec?.holderIdentity).toBe(winner?.value.spec?.holderIdentity);
      expect(stored.spec?.renewTime).toBe('2024-05-01T10:00:00.123000Z');
    });

    it('rejects a replace that carries a stale resourceVersion with Conflict', async () => {
      await kube.createLease('rem', leaseFor('pod-a', at));
      const read = await kube.readLease('rem', LEASE_NAME);
      const renewed = await kube.replaceLease('rem', LEASE_NAME, {
        ...read,
        spec: { ...read.spec, renewTime: new V1MicroTime(at.getTime() + 1_000) },
      });
      expect(renewed.metadata?.resourceVersion).not.toBe(read.metadata?.resourceVersion);

      const err = await kubeFailure(
        kube.replaceLease('rem', LEASE_NAME, {
          ...read,
          spec: { ...read.spec, holderIdentity: 'pod-b' },
        }),
      );

      expect(err.reason).toBe('conflict');
      expect(err.details.apiReason).toBe('Conflict');
      expect(err.alreadyExists).toBe(false);
      expect((await kube.readLease('rem', LEASE_NAME)).spec?.holderIdentity).toBe('pod-a');
    });

    it('rejects a replace without resourceVersion with 422', async () => {
      await kube.createLease('rem', leaseFor('pod-a', at));
      const err = await kubeFailure(kube.replaceLease('rem', LEASE_NAME, leaseFor('pod-b', at)));
      expect(err.reason).toBe('invalid');
      expect(err.message).toContain('must be specified for an update');
    });

    it('lists Leases by label', async () => {
      const labelled = leaseFor('pod-a', at);
      labelled.metadata = {
        ...labelled.metadata,
        labels: { 'remediator.example.com/managed': 'true' },
      };
      await kube.createLease('rem', labelled);
      await kube.createLease('rem', { ...leaseFor('pod-a', at), metadata: { name: 'unrelated' } });
      const leases = await kube.listLeases('rem', 'remediator.example.com/managed=true');
      expect(leases.map((l) => l.metadata?.name)).toEqual([LEASE_NAME]);
    });
  });

  describe('audit Events', () => {
    it('accepts an Event whose eventTime is a V1MicroTime', async () => {
      const created = await kube.createEvent('ns', auditEvent(new V1MicroTime()));
      expect(created.metadata?.uid).toBeDefined();
      expect(fake.writes()[0]?.body).toMatchObject({
        eventTime: expect.stringMatching(/\.\d{6}Z$/) as unknown,
      });
    });

    it('rejects an Event whose eventTime is a plain Date with 400', async () => {
      const err = await kubeFailure(kube.createEvent('ns', auditEvent(new Date())));
      expect(err.reason).toBe('invalid');
      expect(err.status).toBe(400);
      expect(err.details.apiReason).toBe('BadRequest');
      expect(err.message).toContain('cannot be handled as a Event: parsing time');
      expect(fake.list('events.k8s.io/v1', 'Event', 'ns')).toEqual([]);
    });
  });

  describe('isolation', () => {
    it('creates the quarantine NetworkPolicy once; a second create is AlreadyExists', async () => {
      const policy = {
        metadata: { name: 'quarantine-web-ccc-x1' },
        spec: {
          podSelector: { matchLabels: { 'remediator.example.com/quarantine': 'true' } },
          policyTypes: ['Ingress', 'Egress'],
        },
      };
      await kube.createNetworkPolicy('ns', policy);
      const stored = await kube.readNetworkPolicy('ns', 'quarantine-web-ccc-x1');
      expect(stored.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
      const err = await kubeFailure(kube.createNetworkPolicy('ns', policy));
      expect(err.alreadyExists).toBe(true);
    });

    it('never relabels the Namespace for a pod named `..` from an alert: nothing is sent', async () => {
      fake.seed({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web-1', namespace: 'prod' },
        spec: { containers: [{ name: 'model', image: 'reg/model:v3' }] },
      });
      const quarantine = { metadata: { labels: { 'remediator.example.com/quarantine': 'true' } } };
      for (const [namespace, name] of [
        ['prod', '..'],
        ['..', 'kube-system'],
        ['prod', 'web-1/..'],
        ['prod', 'web-1\n'],
      ] as const) {
        const err = await kubeFailure(kube.patchPod(namespace, name, quarantine));
        expect(err.reason).toBe('invalid');
        expect(err.status).toBe(0);
      }
      expect(fake.requests).toEqual([]);
    });
  });
});
