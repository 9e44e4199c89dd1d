import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';

import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { apiFailure, clients, PATHS, raw, webDeployment } from './fixtures';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function hpa(min: number | undefined, max: number): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'ns' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      ...(min === undefined ? {} : { minReplicas: min }),
      maxReplicas: max,
    },
  };
}

describe('the Deployment scale subresource', () => {
  let fake: FakeKube;
  let seeded: KubeObject;

  beforeEach(async () => {
    fake = await startFakeKube();
    seeded = fake.seed(webDeployment());
    fake.setStatus('apps/v1', 'Deployment', 'ns', 'web', { replicas: 3 });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('answers GET with an autoscaling/v1 Scale built from the Deployment', async () => {
    const answer = await raw(fake, 'GET', PATHS.scale);
    const current = fake.get('apps/v1', 'Deployment', 'ns', 'web');
    expect(answer.json).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: 'web',
        namespace: 'ns',
        uid: seeded.metadata.uid,
        resourceVersion: current.metadata.resourceVersion,
        creationTimestamp: seeded.metadata.creationTimestamp,
      },
      spec: { replicas: 3 },
      status: { replicas: 3, selector: 'app=web' },
    });
  });

  it('scales with a merge patch and answers with the Scale', async () => {
    const { apps } = clients(fake);
    const scale = await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: 'ns', body: { spec: { replicas: 5 } } },
      MERGE,
    );
    expect(scale.kind).toBe('Scale');
    expect(scale.spec?.replicas).toBe(5);
    const deployment = fake.get('apps/v1', 'Deployment', 'ns', 'web');
    expect(deployment.spec.replicas).toBe(5);
    expect(deployment.metadata.generation).toBe(2);
  });

  it('replaces the Scale with a resourceVersion precondition and refuses a stale one with 409', async () => {
    const { apps } = clients(fake);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'ns' });
    const body: KubeObject = JSON.parse(JSON.stringify(scale));
    body.spec.replicas = 4;
    const replaced = await apps.replaceNamespacedDeploymentScale({
      name: 'web',
      namespace: 'ns',
      body,
    });
    expect(replaced.spec?.replicas).toBe(4);
    const stale = await apiFailure(
      apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: 'ns', body }),
    );
    expect(stale.code).toBe(409);
    expect(stale.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
      code: 409,
    });
  });

  it('accepts a Scale PUT without resourceVersion unconditionally', async () => {
    const answer = await raw(fake, 'PUT', PATHS.scale, {
      contentType: 'application/json',
      body: {
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: { name: 'web', namespace: 'ns' },
        spec: { replicas: 2 },
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.spec.replicas).toBe(2);
  });

  it('refuses negative replicas with a 422 on kind Scale in group autoscaling', async () => {
    const answer = await raw(fake, 'PATCH', PATHS.scale, {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: -1 } },
    });
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Scale.autoscaling \\"web\\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0","reason":"Invalid","details":{"name":"web","group":"autoscaling","kind":"Scale","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: -1: must be greater than or equal to 0","field":"spec.replicas"}]},"code":422}',
    );
  });

  it('answers the scale of a missing Deployment with the deployments 404', async () => {
    const answer = await raw(fake, 'PATCH', PATHS.scale.replace('/web/', '/gone/'), {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 1 } },
    });
    expect(answer.status).toBe(404);
    expect(answer.json.message).toBe('deployments.apps "gone" not found');
  });

  it('leaves the resourceVersion alone when the replicas do not change', async () => {
    const before = fake.get('apps/v1', 'Deployment', 'ns', 'web').metadata.resourceVersion;
    const answer = await raw(fake, 'PATCH', PATHS.scale, {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 3 } },
    });
    expect(answer.json.metadata.resourceVersion).toBe(before);
  });
});

describe('HorizontalPodAutoscaler bounds', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
  });

  afterEach(async () => {
    await fake.close();
  });

  it('defaults minReplicas to 1 and returns a valid HPA shape', () => {
    const stored = fake.seed(hpa(undefined, 10));
    expect(stored.spec.minReplicas).toBe(1);
    expect(() => new HorizontalPodAutoscaler(stored).validate()).not.toThrow();
  });

  it('raises the bounds with a merge patch', async () => {
    fake.seed(hpa(2, 10));
    const { autoscaling } = clients(fake);
    const result = await autoscaling.patchNamespacedHorizontalPodAutoscaler(
      { name: 'web', namespace: 'ns', body: { spec: { minReplicas: 6, maxReplicas: 20 } } },
      MERGE,
    );
    expect(result.spec?.minReplicas).toBe(6);
    expect(result.spec?.maxReplicas).toBe(20);
  });

  it.each([
    [{ minReplicas: 0 }, 'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1'],
    [
      { maxReplicas: 0 },
      '[spec.maxReplicas: Invalid value: 0: must be greater than 0, spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`]',
    ],
    [
      { minReplicas: 8, maxReplicas: 5 },
      'spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`',
    ],
  ])('refuses %j with 422', async (spec, detail) => {
    fake.seed(hpa(2, 10));
    const answer = await raw(fake, 'PATCH', PATHS.hpa, {
      contentType: 'application/merge-patch+json',
      body: { spec },
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toBe(
      `HorizontalPodAutoscaler.autoscaling "web" is invalid: ${detail}`,
    );
    expect(answer.json.details.kind).toBe('HorizontalPodAutoscaler');
    expect(answer.json.details.group).toBe('autoscaling');
  });
});
