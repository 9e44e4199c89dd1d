import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Pod } from 'kubernetes-models/v1/Pod';

import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { apiFailure, clients, PATHS, raw } from './fixtures';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const SMP = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

function configMap(immutable?: boolean): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'model-config', namespace: 'ns' },
    data: { MODEL_VERSION: 'v40', OTHER: 'x' },
    ...(immutable === undefined ? {} : { immutable }),
  };
}

function pod(name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', labels },
    spec: { nodeName: 'node1', containers: [{ name: 'model', image: 'reg/model:v40' }] },
    status: { phase: 'Running' },
  };
}

describe('ConfigMaps', () => {
  let fake: FakeKube;
  let core: ReturnType<typeof clients>['core'];

  beforeEach(async () => {
    fake = await startFakeKube();
    core = clients(fake).core;
  });

  afterEach(async () => {
    await fake.close();
  });

  it('changes one key with a merge patch and keeps the others', async () => {
    fake.seed(configMap());
    const result = await core.patchNamespacedConfigMap(
      { name: 'model-config', namespace: 'ns', body: { data: { MODEL_VERSION: 'v41' } } },
      MERGE,
    );
    expect(result.data).toEqual({ MODEL_VERSION: 'v41', OTHER: 'x' });
  });

  it('accepts a strategic merge patch and removes a key set to null', async () => {
    fake.seed(configMap());
    const result = await core.patchNamespacedConfigMap(
      { name: 'model-config', namespace: 'ns', body: { data: { OTHER: null } } },
      SMP,
    );
    expect(result.data).toEqual({ MODEL_VERSION: 'v40' });
  });

  it('refuses a data change on an immutable ConfigMap with the reference 422', async () => {
    fake.seed(configMap(true));
    const answer = await raw(fake, 'PATCH', PATHS.configMap, {
      contentType: 'application/merge-patch+json',
      body: { data: { MODEL_VERSION: 'v41' } },
    });
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ConfigMap \\"model-config\\" is invalid: data: Forbidden: field is immutable when `immutable` is set","reason":"Invalid","details":{"name":"model-config","kind":"ConfigMap","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: field is immutable when `immutable` is set","field":"data"}]},"code":422}',
    );
  });

  it('still accepts label changes on an immutable ConfigMap', async () => {
    fake.seed(configMap(true));
    const result = await core.patchNamespacedConfigMap(
      { name: 'model-config', namespace: 'ns', body: { metadata: { labels: { audited: 'yes' } } } },
      MERGE,
    );
    expect(result.metadata?.labels).toEqual({ audited: 'yes' });
  });

  it('leaves the resourceVersion unchanged when a patch writes the same value', async () => {
    const seeded = fake.seed(configMap());
    const result = await core.patchNamespacedConfigMap(
      { name: 'model-config', namespace: 'ns', body: { data: { MODEL_VERSION: 'v40' } } },
      MERGE,
    );
    expect(result.metadata?.resourceVersion).toBe(seeded.metadata.resourceVersion);
  });

  it('refuses a data key that is not a valid config key', async () => {
    fake.seed(configMap());
    const failure = await apiFailure(
      core.patchNamespacedConfigMap(
        { name: 'model-config', namespace: 'ns', body: { data: { 'a b': '1' } } },
        MERGE,
      ),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.details.causes[0].field).toBe('data[a b]');
  });
});

describe('Pods', () => {
  let fake: FakeKube;
  let core: ReturnType<typeof clients>['core'];

  beforeEach(async () => {
    fake = await startFakeKube();
    core = clients(fake).core;
    fake.seed(pod('web-1', { app: 'web' }));
    fake.seed(pod('web-2', { app: 'web' }));
    fake.seed(pod('api-1', { app: 'api' }));
  });

  afterEach(async () => {
    await fake.close();
  });

  it('lists pods by label selector and returns valid Pod shapes', async () => {
    const answer = await raw(fake, 'GET', '/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb');
    expect(answer.json.items.map((p: KubeObject) => p.metadata.name)).toEqual(['web-1', 'web-2']);
    for (const item of answer.json.items) {
      expect(() => new Pod({ apiVersion: 'v1', kind: 'Pod', ...item }).validate()).not.toThrow();
    }
  });

  it('filters pods by field selector', async () => {
    const list = await core.listNamespacedPod({
      namespace: 'ns',
      fieldSelector: 'metadata.name=api-1',
    });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['api-1']);
  });

  it('relabels a pod for quarantine with a merge patch, as kubectl label does', async () => {
    const result = await core.patchNamespacedPod(
      {
        name: 'web-1',
        namespace: 'ns',
        body: { metadata: { labels: { app: null, 'remediator.example.com/quarantine': 'true' } } },
        fieldManager: 'kubectl-label',
      },
      MERGE,
    );
    expect(result.metadata?.labels).toEqual({ 'remediator.example.com/quarantine': 'true' });
    const remaining = await core.listNamespacedPod({ namespace: 'ns', labelSelector: 'app=web' });
    expect(remaining.items.map((p) => p.metadata?.name)).toEqual(['web-2']);
  });

  it('refuses a pod spec change other than the image', async () => {
    const failure = await apiFailure(
      core.patchNamespacedPod(
        { name: 'web-1', namespace: 'ns', body: { spec: { nodeName: 'node2' } } },
        SMP,
      ),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.details.causes[0]).toMatchObject({
      reason: 'FieldValueForbidden',
      field: 'spec',
    });
  });
});

describe('Nodes', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
    fake.seed({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' }, spec: {} });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('cordons and uncordons a cluster-scoped Node with a strategic merge patch', async () => {
    const { core } = clients(fake);
    const cordoned = await core.patchNode(
      { name: 'node1', body: { spec: { unschedulable: true } } },
      SMP,
    );
    expect(cordoned.spec?.unschedulable).toBe(true);
    const uncordoned = await core.patchNode(
      { name: 'node1', body: { spec: { unschedulable: null } } },
      SMP,
    );
    expect(uncordoned.spec?.unschedulable).toBeUndefined();
    expect(fake.get('v1', 'Node', undefined, 'node1').metadata.namespace).toBeUndefined();
  });
});
