import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';

import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { apiFailure, clients, ownedReplicaSet, PATHS, raw, webDeployment } from './fixtures';

const SMP = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** The reference Deployment under another name (a plain object, as tests build bodies). */
function renamed(name: string): KubeObject {
  const body = webDeployment();
  body.metadata.name = name;
  return body;
}

function envPatch(container: string, env: object[]): object {
  return { spec: { template: { spec: { containers: [{ name: container, env }] } } } };
}

describe('Deployments through client-node', () => {
  let fake: FakeKube;
  let apps: ReturnType<typeof clients>['apps'];
  let seeded: KubeObject;

  beforeEach(async () => {
    fake = await startFakeKube();
    apps = clients(fake).apps;
    seeded = fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  const stored = (): KubeObject => fake.get('apps/v1', 'Deployment', 'ns', 'web');
  const patch = (body: unknown, options = SMP, extra: object = {}): Promise<V1Deployment> =>
    apps.patchNamespacedDeployment({ name: 'web', namespace: 'ns', body, ...extra }, options);

  it('returns objects with a valid Deployment shape', async () => {
    const answer = await raw(fake, 'GET', PATHS.deployment);
    expect(() => new Deployment(answer.json).validate()).not.toThrow();
    expect(() => new Deployment(stored()).validate()).not.toThrow();
    expect(answer.json.metadata).toMatchObject({
      name: 'web',
      namespace: 'ns',
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      resourceVersion: expect.stringMatching(/^\d+$/),
      generation: 1,
      creationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(Object.keys(answer.json)).toEqual(['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  });

  it('merges an env var by name with a strategic merge patch and leaves the rest alone', async () => {
    const result = await patch(envPatch('model', [{ name: 'MODEL_VERSION', value: 'v41' }]));
    const containers = result.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['model', 'sidecar']);
    expect(containers[0]?.image).toBe('reg/model:v40');
    expect(containers[0]?.env).toEqual([
      { name: 'MODEL_VERSION', value: 'v41' },
      { name: 'THREADS', value: '4' },
    ]);
    expect(result.metadata?.generation).toBe(2);
    expect(Number(result.metadata?.resourceVersion)).toBeGreaterThan(
      Number(seeded.metadata.resourceVersion),
    );
  });

  it('adds an env var the container lacks at the front of the list', async () => {
    const result = await patch(envPatch('model', [{ name: 'NEW_FLAG', value: '1' }]));
    expect(result.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).toEqual([
      'NEW_FLAG',
      'MODEL_VERSION',
      'THREADS',
    ]);
  });

  it('rejects a patch for a container name that matches nothing: the new container comes first without image', async () => {
    const failure = await apiFailure(
      patch(envPatch('modle', [{ name: 'MODEL_VERSION', value: 'v41' }])),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.message).toBe(
      'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
    );
    expect(stored().metadata.resourceVersion).toBe(seeded.metadata.resourceVersion);
  });

  it('rejects value next to an existing valueFrom, and accepts it once valueFrom is nulled', async () => {
    const fromConfigMap = webDeployment();
    fromConfigMap.spec.template.spec.containers[0].env = [
      {
        name: 'MODEL_VERSION',
        valueFrom: { configMapKeyRef: { name: 'model-config', key: 'MODEL_VERSION' } },
      },
    ];
    fake.seed(fromConfigMap);
    const failure = await apiFailure(
      patch(envPatch('model', [{ name: 'MODEL_VERSION', value: 'v41' }])),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.message).toBe(
      'Deployment.apps "web" is invalid: spec.template.spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
    );
    expect(failure.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "": may not be specified when `value` is not empty',
        field: 'spec.template.spec.containers[0].env[0].valueFrom',
      },
    ]);
    const fixed = await patch(
      envPatch('model', [{ name: 'MODEL_VERSION', value: 'v41', valueFrom: null }]),
    );
    expect(fixed.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: 'MODEL_VERSION', value: 'v41' },
    ]);
  });

  it('deletes an env entry marked $patch: delete', async () => {
    const result = await patch(envPatch('model', [{ name: 'THREADS', $patch: 'delete' }]));
    expect(result.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: 'MODEL_VERSION', value: 'v40' },
    ]);
  });

  it('accepts the $setElementOrder directives kubectl set env sends', async () => {
    const result = await patch({
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'model' }, { name: 'sidecar' }],
            containers: [
              {
                name: 'model',
                '$setElementOrder/env': [
                  { name: 'MODEL_VERSION' },
                  { name: 'THREADS' },
                  { name: 'EXTRA' },
                ],
                env: [
                  { name: 'MODEL_VERSION', value: 'v41' },
                  { name: 'EXTRA', value: 'x' },
                ],
              },
            ],
          },
        },
      },
    });
    expect(result.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: 'MODEL_VERSION', value: 'v41' },
      { name: 'THREADS', value: '4' },
      { name: 'EXTRA', value: 'x' },
    ]);
  });

  it('restarts with the restartedAt annotation, and a second identical restart changes nothing', async () => {
    const body = {
      spec: {
        template: {
          metadata: {
            annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-27T13:59:26Z' },
          },
        },
      },
    };
    const first = await patch(body, SMP, { fieldManager: 'kubectl-rollout' });
    expect(first.metadata?.generation).toBe(2);
    const second = await patch(body, SMP, { fieldManager: 'kubectl-rollout' });
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(second.metadata?.generation).toBe(2);
    const merge = await patch(body, MERGE);
    expect(merge.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
  });

  it('replaces the whole containers list with a merge patch, so a partial list is rejected', async () => {
    const failure = await apiFailure(
      patch(envPatch('model', [{ name: 'MODEL_VERSION', value: 'v41' }]), MERGE),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.details.causes).toEqual([
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers[0].image',
      },
    ]);
  });

  it('accepts a merge patch with the complete containers list and checks its resourceVersion', async () => {
    const current = stored();
    const containers = current.spec.template.spec.containers;
    containers[0].env[0].value = 'v41';
    const body = {
      metadata: { resourceVersion: current.metadata.resourceVersion },
      spec: { template: { spec: { containers } } },
    };
    const result = await patch(body, MERGE);
    expect(result.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['model', 'sidecar']);
    const stale = await apiFailure(patch(body, MERGE));
    expect(stale.code).toBe(409);
    expect(stale.body.message).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  // evanphx/json-patch v4 (the server's): `replace` needs the parent, not the member itself.
  it('accepts a JSON patch replacing /metadata/annotations on a Deployment without annotations', async () => {
    const result = await patch(
      [
        {
          op: 'replace',
          path: '/metadata/annotations',
          value: { 'kubernetes.io/change-cause': 'x' },
        },
      ],
      JSON_PATCH,
    );
    expect(result.metadata?.annotations).toEqual({ 'kubernetes.io/change-cause': 'x' });
  });

  it('rejects a JSON patch replacing a member whose parent is missing with the generic 422', async () => {
    const failure = await apiFailure(
      patch(
        [{ op: 'replace', path: '/metadata/annotations/kubernetes.io~1change-cause', value: 'x' }],
        JSON_PATCH,
      ),
    );
    expect(failure.code).toBe(422);
    expect(failure.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}',
    );
  });

  it('applies a JSON patch guarded with test operations', async () => {
    const result = await patch(
      [
        { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'model' },
        { op: 'test', path: '/spec/template/spec/containers/0/env/0/name', value: 'MODEL_VERSION' },
        { op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: 'v41' },
      ],
      JSON_PATCH,
    );
    expect(result.spec?.template.spec?.containers[0]?.env?.[0]?.value).toBe('v41');
  });

  it('rejects a template whose labels no longer match the selector with the real message', async () => {
    const template = stored().spec.template;
    template.metadata.labels = { app: 'other', tier: 'x' };
    const failure = await apiFailure(
      patch([{ op: 'replace', path: '/spec/template', value: template }], JSON_PATCH),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.message).toBe(
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"x"}: `selector` does not match template `labels`',
    );
  });

  it('rejects a selector change because the selector is immutable in apps/v1', async () => {
    const failure = await apiFailure(
      patch(
        {
          spec: {
            selector: { matchLabels: { app: 'web', v: '2' } },
            template: { metadata: { labels: { v: '2' } } },
          },
        },
        MERGE,
      ),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message:
          'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
        field: 'spec.selector',
      },
    ]);
  });

  it('bumps generation for spec and annotation changes but not for label changes', async () => {
    const labelled = await patch({ metadata: { labels: { team: 'ml' } } }, MERGE);
    expect(labelled.metadata?.generation).toBe(1);
    expect(labelled.metadata?.resourceVersion).not.toBe(seeded.metadata.resourceVersion);
    const annotated = await patch({ metadata: { annotations: { note: 'x' } } }, MERGE);
    expect(annotated.metadata?.generation).toBe(2);
    const scaled = await patch({ spec: { replicas: 4 } }, MERGE);
    expect(scaled.metadata?.generation).toBe(3);
  });

  it('ignores status in a main-resource patch', async () => {
    fake.setStatus('apps/v1', 'Deployment', 'ns', 'web', { replicas: 3, readyReplicas: 3 });
    const result = await patch({ status: { readyReplicas: 0 } }, MERGE);
    expect(result.status?.readyReplicas).toBe(3);
  });

  it('overwrites on a PUT without resourceVersion and refuses a stale one with 409', async () => {
    const body = stored();
    delete body.metadata.resourceVersion;
    body.spec.replicas = 6;
    const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: 'ns', body });
    expect(replaced.spec?.replicas).toBe(6);
    body.metadata.resourceVersion = seeded.metadata.resourceVersion;
    const stale = await apiFailure(
      apps.replaceNamespacedDeployment({ name: 'web', namespace: 'ns', body }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
  });

  it('stores nothing for dryRun=All but validates and returns the would-be object', async () => {
    const preview = await patch({ spec: { replicas: 9 } }, MERGE, { dryRun: 'All' });
    expect(preview.spec?.replicas).toBe(9);
    expect(preview.metadata?.generation).toBe(2);
    expect(preview.metadata?.resourceVersion).toBe(seeded.metadata.resourceVersion);
    expect(stored().spec.replicas).toBe(3);
    expect(stored().metadata.resourceVersion).toBe(seeded.metadata.resourceVersion);
    const invalid = await apiFailure(patch({ spec: { replicas: -1 } }, MERGE, { dryRun: 'All' }));
    expect(invalid.code).toBe(422);
    const created = await apps.createNamespacedDeployment({
      namespace: 'ns',
      body: renamed('preview'),
      dryRun: 'All',
    });
    expect(created.metadata?.uid).toBeDefined();
    expect(created.metadata?.resourceVersion).toBeUndefined();
    expect(fake.get('apps/v1', 'Deployment', 'ns', 'preview')).toBeUndefined();
    expect(fake.writes().map((w) => w.dryRun)).toEqual([true, true, true]);
  });

  it('runs no controller: a created Deployment gets no ReplicaSet and an empty status', async () => {
    const created = await apps.createNamespacedDeployment({
      namespace: 'ns',
      body: renamed('api'),
    });
    expect(created.metadata?.generation).toBe(1);
    expect(created.status).toEqual({});
    expect(fake.list('apps/v1', 'ReplicaSet', 'ns')).toEqual([]);
  });

  it('replays a kubectl rollout undo against seeded ReplicaSets without renumbering revisions', async () => {
    const owner = fake.seed(
      webDeployment({ annotations: { 'deployment.kubernetes.io/revision': '3' } }),
    );
    fake.seed(ownedReplicaSet(owner, 2, 'reg/model:v39'));
    fake.seed(ownedReplicaSet(owner, 3, 'reg/model:v40'));
    const list = await apps.listNamespacedReplicaSet({ namespace: 'ns', labelSelector: 'app=web' });
    const target = list.items.find(
      (rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2',
    );
    const template: KubeObject = JSON.parse(JSON.stringify(target?.spec?.template));
    delete template.metadata.labels['pod-template-hash'];
    const result = await patch(
      [
        { op: 'replace', path: '/spec/template', value: template },
        {
          op: 'replace',
          path: '/metadata/annotations',
          value: { 'deployment.kubernetes.io/revision': '3' },
        },
      ],
      JSON_PATCH,
    );
    expect(result.spec?.template.spec?.containers.map((c) => c.image)).toEqual(['reg/model:v39']);
    const revisions = fake
      .list('apps/v1', 'ReplicaSet', 'ns')
      .map((rs: KubeObject) => rs.metadata.annotations['deployment.kubernetes.io/revision']);
    expect(revisions).toEqual(['2', '3']);
  });
});
