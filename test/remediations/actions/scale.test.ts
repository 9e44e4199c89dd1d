import type { ClientNodeKube } from '../../../src/kube/adapter';
import {
  ORIGINAL_REPLICAS_ANNOTATION,
  requestedReplicas,
  scale,
} from '../../../src/remediations/actions/scale';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import { scaledObject } from '../../support/gitops/objects';
import { context, kubeFailure, planned, startKube, WEB, webDeployment } from '../support';

const SCALE = '/apis/apps/v1/namespaces/ns/deployments/web/scale';
const HPA = '/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers/web';

function hpa(
  minReplicas: number | undefined,
  maxReplicas: number,
  options: { target?: string; annotations?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: options.target === undefined ? 'web' : `${options.target}-hpa`,
      namespace: 'ns',
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: options.target ?? 'web' },
      ...(minReplicas === undefined ? {} : { minReplicas }),
      maxReplicas,
    },
  };
}

function deploymentAt(replicas: number): KubeObject {
  const deployment = webDeployment();
  deployment.spec.replicas = replicas;
  return deployment;
}

describe('requestedReplicas', () => {
  it.each([
    [4, { to: 2, max: 10 }, 2],
    [4, { by: 3, max: 10 }, 7],
    [4, { factor: 1.5, max: 10 }, 6],
    [3, { factor: 1.1, max: 10 }, 4],
    [10, { factor: 1.1, max: 20 }, 11],
    [0, { factor: 2, max: 10 }, 0],
  ])('from %i replicas with %j asks for %i (a factor rounds up)', (current, params, expected) => {
    expect(requestedReplicas(current, params)).toBe(expected);
  });
});

describe('scale', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
  });

  afterEach(async () => {
    await fake.close();
  });

  const replicas = (): number => fake.get('apps/v1', 'Deployment', 'ns', 'web').spec.replicas;
  const storedHpa = (): KubeObject =>
    fake.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'ns', 'web');

  describe('without an HPA', () => {
    it('merge-patches the scale subresource', async () => {
      const seeded = fake.seed(deploymentAt(4));
      const ctx = context(kube, { target: WEB, params: { by: 2, max: 10 } });
      const decision = await planned(scale, ctx);
      expect(decision.summary).toBe('replicas 4 → 6');
      expect(decision.regarding).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'ns',
        name: 'web',
        uid: seeded.metadata.uid,
      });
      const result = await scale.apply(ctx, decision.intent);
      expect(result.summary).toBe('scaled ns/web 4 → 6');
      expect(fake.writes()).toMatchObject([
        {
          method: 'PATCH',
          path: SCALE,
          contentType: 'application/merge-patch+json',
          body: { spec: { replicas: 6 } },
          status: 200,
        },
      ]);
      expect(replicas()).toBe(6);
    });

    it.each([
      [4, { by: 10, max: 8 }, 'replicas 4 → 8 (max 8)'],
      [4, { to: 0, max: 8 }, 'replicas 4 → 1 (min 1)'],
      [4, { to: 0, min: 0, max: 8 }, 'replicas 4 → 0'],
      [4, { factor: 3, min: 1, max: 20 }, 'replicas 4 → 12'],
    ])('keeps within min and max (from %i with %j: %s)', async (current, params, summary) => {
      fake.seed(deploymentAt(current));
      const decision = await planned(scale, context(kube, { target: WEB, params }));
      expect(decision.summary).toBe(summary);
    });

    it.each([
      [8, { by: 2, max: 8 }, 'already at 8 replicas (max 8)'],
      [4, { to: 4, max: 8 }, 'already at 4 replicas'],
      [1, { to: 0, max: 8 }, 'already at 1 replica (min 1)'],
    ])('skips when nothing would change (at %i with %j)', async (current, params, reason) => {
      fake.seed(deploymentAt(current));
      expect(await scale.plan(context(kube, { target: WEB, params }))).toEqual({
        kind: 'skip',
        reason,
      });
      expect(fake.writes()).toEqual([]);
    });

    it('ignores an HPA that targets another Deployment', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(hpa(2, 6, { target: 'worker' }));
      const ctx = context(kube, { target: WEB, params: { by: 2, max: 10 } });
      await scale.apply(ctx, (await planned(scale, ctx)).intent);
      expect(fake.writes().map((w) => w.path)).toEqual([SCALE]);
    });

    it('sends the patch with dryRun=All in a dry run and stores nothing', async () => {
      fake.seed(deploymentAt(4));
      const ctx = context(kube, { target: WEB, params: { by: 4, max: 10 }, dryRun: true });
      const result = await scale.apply(ctx, (await planned(scale, ctx)).intent);
      expect(result.summary).toBe('would scale ns/web 4 → 8');
      expect(fake.writes()).toMatchObject([
        { method: 'PATCH', path: SCALE, query: { dryRun: 'All' }, dryRun: true, status: 200 },
      ]);
      expect(replicas()).toBe(4);
    });

    it('reconciles as not done before the patch and done after it', async () => {
      fake.seed(deploymentAt(4));
      const ctx = context(kube, { target: WEB, params: { by: 2, max: 10 } });
      const { intent } = await planned(scale, ctx);
      expect(await scale.reconcile(ctx, intent)).toBe('not_done');
      await scale.apply(ctx, intent);
      expect(await scale.reconcile(ctx, intent)).toBe('done');
    });

    it('fails with a forbidden KubeError when patching deployments/scale is not allowed', async () => {
      fake.seed(deploymentAt(4));
      fake.fault({ method: 'PATCH', pathPrefix: SCALE, status: 403 });
      const ctx = context(kube, { target: WEB, params: { by: 2, max: 10 } });
      const err = await kubeFailure(scale.apply(ctx, (await planned(scale, ctx)).intent));
      expect(err.reason).toBe('forbidden');
    });

    it('fails with a not_found KubeError when the Deployment does not exist', async () => {
      const err = await kubeFailure(
        scale.plan(context(kube, { target: WEB, params: { by: 2, max: 10 } })),
      );
      expect(err.reason).toBe('not_found');
    });
  });

  describe('with an HPA targeting the Deployment', () => {
    it('raises its minReplicas (and maxReplicas) and records the original bounds', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(hpa(2, 6));
      const ctx = context(kube, { target: WEB, params: { by: 4, max: 10 } });
      const decision = await planned(scale, ctx);
      expect(decision.summary).toBe(
        'HPA ns/web minReplicas 2 → 8, maxReplicas 6 → 8 (Deployment at 4 replicas)',
      );
      expect(decision.intent).toMatchObject({
        from: { minReplicas: 2, maxReplicas: 6 },
        to: { minReplicas: 8, maxReplicas: 8 },
      });
      const result = await scale.apply(ctx, decision.intent);
      expect(result.summary).toBe(
        'raised HPA ns/web minReplicas 2 → 8, maxReplicas 6 → 8 (Deployment at 4 replicas)',
      );
      expect(fake.writes()).toMatchObject([
        {
          method: 'PATCH',
          path: HPA,
          contentType: 'application/merge-patch+json',
          status: 200,
          body: {
            metadata: {
              annotations: { [ORIGINAL_REPLICAS_ANNOTATION]: '{"minReplicas":2,"maxReplicas":6}' },
            },
            spec: { minReplicas: 8, maxReplicas: 8 },
          },
        },
      ]);
      expect(storedHpa().spec).toMatchObject({ minReplicas: 8, maxReplicas: 8 });
      expect(storedHpa().metadata.annotations).toEqual({
        [ORIGINAL_REPLICAS_ANNOTATION]: '{"minReplicas":2,"maxReplicas":6}',
      });
      // The HPA would undo a manual scale: the Deployment is left to it.
      expect(replicas()).toBe(4);
    });

    it('reads a missing minReplicas as 1 and keeps a maxReplicas that is high enough', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(hpa(undefined, 20));
      const ctx = context(kube, { target: WEB, params: { by: 2, max: 10 } });
      await scale.apply(ctx, (await planned(scale, ctx)).intent);
      expect(fake.writes()[0]?.body).toEqual({
        metadata: {
          annotations: { [ORIGINAL_REPLICAS_ANNOTATION]: '{"minReplicas":1,"maxReplicas":20}' },
        },
        spec: { minReplicas: 6 },
      });
    });

    it('keeps the original bounds already recorded by an earlier raise', async () => {
      const original = '{"minReplicas":1,"maxReplicas":4}';
      fake.seed(deploymentAt(6));
      fake.seed(hpa(6, 6, { annotations: { [ORIGINAL_REPLICAS_ANNOTATION]: original } }));
      const ctx = context(kube, { target: WEB, params: { by: 2, max: 10 } });
      await scale.apply(ctx, (await planned(scale, ctx)).intent);
      expect(fake.writes()[0]?.body).toEqual({ spec: { minReplicas: 8, maxReplicas: 8 } });
      expect(storedHpa().metadata.annotations[ORIGINAL_REPLICAS_ANNOTATION]).toBe(original);
    });

    it('skips when the HPA already keeps at least that many replicas', async () => {
      fake.seed(deploymentAt(8));
      fake.seed(hpa(8, 8));
      expect(await scale.plan(context(kube, { target: WEB, params: { by: 2, max: 8 } }))).toEqual({
        kind: 'skip',
        reason:
          'HPA ns/web already keeps at least 8 replicas (minReplicas 8, maxReplicas 8); the step asks for 8 (max 8)',
      });
    });

    it('sends the HPA patch with dryRun=All in a dry run and stores nothing', async () => {
      fake.seed(deploymentAt(4));
      const seeded = fake.seed(hpa(2, 6));
      const ctx = context(kube, { target: WEB, params: { by: 4, max: 10 }, dryRun: true });
      const result = await scale.apply(ctx, (await planned(scale, ctx)).intent);
      expect(result.summary).toBe(
        'would raise HPA ns/web minReplicas 2 → 8, maxReplicas 6 → 8 (Deployment at 4 replicas)',
      );
      expect(fake.writes()).toMatchObject([
        { method: 'PATCH', path: HPA, query: { dryRun: 'All' }, status: 200 },
      ]);
      expect(storedHpa()).toEqual(seeded);
    });

    it('reconciles as not done before the patch and done after it', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(hpa(2, 6));
      const ctx = context(kube, { target: WEB, params: { by: 4, max: 10 } });
      const { intent } = await planned(scale, ctx);
      expect(await scale.reconcile(ctx, intent)).toBe('not_done');
      await scale.apply(ctx, intent);
      expect(await scale.reconcile(ctx, intent)).toBe('done');
    });
  });

  describe('of: hpaMaxReplicas (an HPA at its maximum)', () => {
    it('raises the HPA maxReplicas, records the original bounds, and leaves minReplicas and the replicas alone', async () => {
      fake.seed(deploymentAt(6));
      fake.seed(hpa(2, 6));
      const ctx = context(kube, {
        target: WEB,
        params: { of: 'hpaMaxReplicas', factor: 1.5, max: 20 },
      });
      const decision = await planned(scale, ctx);
      expect(decision.summary).toBe('HPA ns/web maxReplicas 6 → 9');
      const result = await scale.apply(ctx, decision.intent);
      expect(result.summary).toBe('raised HPA ns/web maxReplicas 6 → 9');
      expect(fake.writes()).toMatchObject([
        {
          method: 'PATCH',
          path: HPA,
          contentType: 'application/merge-patch+json',
          body: {
            metadata: {
              annotations: {
                [ORIGINAL_REPLICAS_ANNOTATION]: JSON.stringify({ minReplicas: 2, maxReplicas: 6 }),
              },
            },
            spec: { maxReplicas: 9 },
          },
        },
      ]);
      expect(storedHpa().spec).toMatchObject({ minReplicas: 2, maxReplicas: 9 });
      expect(replicas()).toBe(6);
      expect(await scale.reconcile(ctx, decision.intent)).toBe('done');
    });

    it('never goes above max, and skips when max is reached', async () => {
      fake.seed(deploymentAt(10));
      fake.seed(hpa(2, 10));
      const up = await planned(
        scale,
        context(kube, { target: WEB, params: { of: 'hpaMaxReplicas', by: 8, max: 12 } }),
      );
      expect(up.summary).toBe('HPA ns/web maxReplicas 10 → 12 (max 12)');
      fake.seed(hpa(2, 12));
      expect(
        await scale.plan(
          context(kube, { target: WEB, params: { of: 'hpaMaxReplicas', by: 8, max: 12 } }),
        ),
      ).toEqual({
        kind: 'skip',
        reason:
          'HPA ns/web maxReplicas is already 12; the step asks for 12 (max 12) and never lowers it',
      });
    });

    it('never lowers maxReplicas', async () => {
      fake.seed(deploymentAt(10));
      fake.seed(hpa(2, 10));
      const decision = await scale.plan(
        context(kube, { target: WEB, params: { of: 'hpaMaxReplicas', to: 5, max: 12 } }),
      );
      expect(decision.kind).toBe('skip');
      expect(fake.writes()).toEqual([]);
    });

    it('skips when no HPA targets the Deployment', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(hpa(2, 6, { target: 'worker' }));
      expect(
        await scale.plan(
          context(kube, { target: WEB, params: { of: 'hpaMaxReplicas', by: 2, max: 12 } }),
        ),
      ).toEqual({
        kind: 'skip',
        reason:
          'no HorizontalPodAutoscaler targets Deployment ns/web, so there is no maxReplicas to raise',
      });
    });

    it('sends the patch with dryRun=All in a dry run and stores nothing', async () => {
      fake.seed(deploymentAt(6));
      fake.seed(hpa(2, 6));
      const ctx = context(kube, {
        target: WEB,
        params: { of: 'hpaMaxReplicas', by: 2, max: 12 },
        dryRun: true,
      });
      const result = await scale.apply(ctx, (await planned(scale, ctx)).intent);
      expect(result.summary).toBe('would raise HPA ns/web maxReplicas 6 → 8');
      expect(fake.writes()).toMatchObject([{ path: HPA, query: { dryRun: 'All' } }]);
      expect(storedHpa().spec.maxReplicas).toBe(6);
    });
  });

  describe('with a KEDA ScaledObject targeting the Deployment', () => {
    const SO = '/apis/keda.sh/v1alpha1/namespaces/ns/scaledobjects/web';
    const storedSo = (): KubeObject => fake.get('keda.sh/v1alpha1', 'ScaledObject', 'ns', 'web');
    /** KEDA's own HPA for the ScaledObject, which a raise must leave alone. */
    const kedaHpa = (): KubeObject => ({
      ...hpa(2, 6),
      metadata: { name: 'keda-hpa-web', namespace: 'ns' },
    });

    it('raises its minReplicaCount, not the replicas nor KEDA’s HPA, and records the previous value', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(scaledObject('ns', 'web', 'web', { min: 2, max: 20 }));
      fake.seed(kedaHpa());
      const ctx = context(kube, { target: WEB, params: { by: 4, max: 10 } });
      const decision = await planned(scale, ctx);
      expect(decision.summary).toBe(
        'ScaledObject ns/web minReplicaCount 2 → 8 (Deployment at 4 replicas)',
      );
      const result = await scale.apply(ctx, decision.intent);
      expect(result).toEqual({
        summary: 'raised ScaledObject ns/web minReplicaCount 2 → 8',
        data: { scaledObject: 'web', field: 'minReplicaCount', from: 2, to: 8 },
      });
      expect(fake.writes()).toMatchObject([
        {
          method: 'PATCH',
          path: SO,
          contentType: 'application/merge-patch+json',
          status: 200,
          body: {
            metadata: {
              annotations: {
                [ORIGINAL_REPLICAS_ANNOTATION]: '{"minReplicaCount":2,"maxReplicaCount":20}',
              },
            },
            spec: { minReplicaCount: 8 },
          },
        },
      ]);
      expect(storedSo().spec).toMatchObject({ minReplicaCount: 8, maxReplicaCount: 20 });
      expect(replicas()).toBe(4);
      expect(await scale.reconcile(ctx, decision.intent)).toBe('done');
    });

    it('never raises minReplicaCount above maxReplicaCount (100 when unset)', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(scaledObject('ns', 'web', 'web', { max: 6 }));
      const ctx = context(kube, { target: WEB, params: { by: 4, max: 10 } });
      const decision = await planned(scale, ctx);
      expect(decision.summary).toBe(
        'ScaledObject ns/web minReplicaCount 0 → 6 (its maxReplicaCount 6) (Deployment at 4 replicas)',
      );
      fake.seed(scaledObject('ns', 'api', 'api'));
      fake.seed({ ...deploymentAt(90), metadata: { ...webDeployment().metadata, name: 'api' } });
      const api = await planned(
        scale,
        context(kube, { target: { ...WEB, name: 'api' }, params: { factor: 2, max: 500 } }),
      );
      expect(api.summary).toBe(
        'ScaledObject ns/api minReplicaCount 0 → 100 (its maxReplicaCount 100) (Deployment at 90 replicas)',
      );
    });

    it('skips when the ScaledObject already keeps at least that many replicas', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(scaledObject('ns', 'web', 'web', { min: 8, max: 8 }));
      expect(await scale.plan(context(kube, { target: WEB, params: { by: 4, max: 10 } }))).toEqual({
        kind: 'skip',
        reason:
          'ScaledObject ns/web already keeps at least 8 replicas (minReplicaCount 8, maxReplicaCount 8); the step asks for 8',
      });
    });

    it('raises maxReplicaCount with of: hpaMaxReplicas', async () => {
      fake.seed(deploymentAt(6));
      fake.seed(scaledObject('ns', 'web', 'web', { min: 2, max: 6 }));
      const ctx = context(kube, {
        target: WEB,
        params: { of: 'hpaMaxReplicas', factor: 1.5, max: 20 },
      });
      await scale.apply(ctx, (await planned(scale, ctx)).intent);
      expect(storedSo().spec).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 9 });
    });

    it('ignores a ScaledObject of another Deployment, and a namespace without KEDA', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(scaledObject('ns', 'worker', 'worker', { min: 1 }));
      const ctx = context(kube, { target: WEB, params: { by: 1, max: 10 } });
      expect((await planned(scale, ctx)).summary).toBe('replicas 4 → 5');
      // A cluster without KEDA answers the list with 404: scaled as before.
      fake.fault({ method: 'GET', pathPrefix: '/apis/keda.sh/', status: 404 });
      expect((await planned(scale, ctx)).summary).toBe('replicas 4 → 5');
    });

    it('sends the patch with dryRun=All in a dry run and stores nothing', async () => {
      fake.seed(deploymentAt(4));
      fake.seed(scaledObject('ns', 'web', 'web', { min: 2 }));
      const ctx = context(kube, { target: WEB, params: { by: 4, max: 10 }, dryRun: true });
      const result = await scale.apply(ctx, (await planned(scale, ctx)).intent);
      expect(result.summary).toBe('would raise ScaledObject ns/web minReplicaCount 2 → 8');
      expect(fake.writes()).toMatchObject([{ path: SO, query: { dryRun: 'All' }, status: 200 }]);
      expect(storedSo().spec.minReplicaCount).toBe(2);
    });
  });
});
