import type { ClientNodeKube } from '../../../src/kube/adapter';
import { HISTORY_ANNOTATION } from '../../../src/remediations/actions/history';
import {
  PAUSED_RESTART_REASON,
  RESTARTED_AT_ANNOTATION,
} from '../../../src/remediations/actions/restart';
import { restoreModel } from '../../../src/remediations/actions/restore-model';
import { MODEL_HISTORY_ANNOTATION } from '../../../src/remediations/actions/kserve';
import type { ModelRegistry, ModelVersion } from '../../../src/sources/mlflow';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import { inferenceService } from '../../support/gitops/objects';
import {
  context,
  kubeFailure,
  NOW_SECONDS,
  planned,
  replicaSet,
  startKube,
  WEB,
  webDeployment,
  webTemplate,
} from '../support';

const DEPLOYMENT = '/apis/apps/v1/namespaces/ns/deployments/web';
const CONFIG_MAP = '/api/v1/namespaces/ns/configmaps/model-config';
const REPLICA_SETS = '/apis/apps/v1/namespaces/ns/replicasets';

const ENV_MODE = { container: 'model', env: 'MODEL_VERSION' };
const CM_MODE = { configMap: 'model-config', env: 'MODEL_VERSION' };

/** The snapshot of the v41 template that restore-model records before changing it. */
const V41_SNAPSHOT = {
  at: NOW_SECONDS,
  action: 'restore-model',
  images: { model: 'reg/model:v41', sidecar: 'reg/proxy:1.0' },
  env: { model: { MODEL_VERSION: 'v41' } },
};

function configMap(data: Record<string, string>, immutable = false): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'model-config', namespace: 'ns' },
    data,
    ...(immutable ? { immutable } : {}),
  };
}

function history(...entries: object[]): Record<string, string> {
  return { [HISTORY_ANNOTATION]: JSON.stringify(entries) };
}

describe('restore-model', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
  });

  afterEach(async () => {
    await fake.close();
  });

  const stored = (): KubeObject => fake.get('apps/v1', 'Deployment', 'ns', 'web');
  const storedEnv = (): KubeObject => stored().spec.template.spec.containers[0].env;

  describe('with the version in a container env var', () => {
    /** v41 now; revisions 1 (v39), 2 (v40) and 3 (v41). */
    function seedRevisions(options: Parameters<typeof webDeployment>[0] = {}): KubeObject {
      const deployment = fake.seed(webDeployment(options));
      fake.seed(replicaSet(deployment, 1, webTemplate('v39')));
      fake.seed(replicaSet(deployment, 2, webTemplate('v40')));
      fake.seed(replicaSet(deployment, 3, webTemplate('v41')));
      return deployment;
    }

    it('restores the value of the previous revision with a strategic merge patch of that env entry only', async () => {
      seedRevisions();
      const ctx = context(kube, { target: WEB, params: ENV_MODE });
      const decision = await planned(restoreModel, ctx);
      expect(decision.summary).toBe(
        'ns/web container model MODEL_VERSION v41 → v40 (known-good: revision 2)',
      );
      expect(decision.regarding).toMatchObject({ kind: 'Deployment', name: 'web' });
      const result = await restoreModel.apply(ctx, decision.intent);
      expect(result.summary).toBe('restored ns/web container model MODEL_VERSION v41 → v40');

      expect(fake.writes()).toMatchObject([
        {
          method: 'PATCH',
          path: DEPLOYMENT,
          contentType: 'application/strategic-merge-patch+json',
          status: 200,
          body: {
            metadata: { annotations: history(V41_SNAPSHOT) },
            spec: {
              template: {
                spec: {
                  containers: [
                    {
                      name: 'model',
                      env: [{ name: 'MODEL_VERSION', value: 'v40', valueFrom: null }],
                    },
                  ],
                },
              },
            },
          },
        },
      ]);
      const containers = stored().spec.template.spec.containers;
      // Only that entry changed: same order, same image, the sidecar untouched.
      expect(containers.map((c: KubeObject) => c.name)).toEqual(['model', 'sidecar']);
      expect(containers[0].image).toBe('reg/model:v41');
      expect(containers[0].env).toEqual([
        { name: 'MODEL_VERSION', value: 'v40' },
        { name: 'THREADS', value: '4' },
      ]);
      expect(containers[1]).toMatchObject({ name: 'sidecar', image: 'reg/proxy:1.0' });
      expect(containers[1].env).toBeUndefined();
      expect(stored().metadata.annotations[HISTORY_ANNOTATION]).toBe(
        JSON.stringify([V41_SNAPSHOT]),
      );
    });

    it('uses the version given in params without reading the rollout history', async () => {
      seedRevisions();
      const decision = await planned(
        restoreModel,
        context(kube, { target: WEB, params: { ...ENV_MODE, version: 'v38' } }),
      );
      expect(decision.intent).toMatchObject({ from: 'v41', to: 'v38', source: 'params' });
      expect(fake.requests.some((r) => r.path === REPLICA_SETS)).toBe(false);
    });

    it('falls back to the newest recorded version that differs from the current one', async () => {
      fake.seed(
        webDeployment({
          annotations: history(
            {
              ...V41_SNAPSHOT,
              at: '2024-04-01T00:00:00Z',
              env: { model: { MODEL_VERSION: 'v38' } },
            },
            {
              ...V41_SNAPSHOT,
              at: '2024-04-20T00:00:00Z',
              env: { model: { MODEL_VERSION: 'v40' } },
            },
            { ...V41_SNAPSHOT, at: '2024-04-30T00:00:00Z', action: 'restart' },
          ),
        }),
      );
      const ctx = context(kube, { target: WEB, params: ENV_MODE });
      const decision = await planned(restoreModel, ctx);
      expect(decision.intent).toMatchObject({
        from: 'v41',
        to: 'v40',
        source: 'remediator history (before restore-model at 2024-04-20T00:00:00Z)',
      });
      await restoreModel.apply(ctx, decision.intent);
      expect(storedEnv()[0]).toEqual({ name: 'MODEL_VERSION', value: 'v40' });
    });

    it('replaces an entry that read the version through valueFrom', async () => {
      const template = webTemplate('v41');
      template.spec.containers[0].env[0] = {
        name: 'MODEL_VERSION',
        valueFrom: { configMapKeyRef: { name: 'model-config', key: 'MODEL_VERSION' } },
      };
      fake.seed(webDeployment({ template }));
      const ctx = context(kube, { target: WEB, params: { ...ENV_MODE, version: 'v40' } });
      const decision = await planned(restoreModel, ctx);
      expect(decision.summary).toBe(
        'ns/web container model MODEL_VERSION (valueFrom) → v40 (known-good: params)',
      );
      await restoreModel.apply(ctx, decision.intent);
      expect(fake.writes()[0]?.status).toBe(200);
      expect(storedEnv()).toEqual([
        { name: 'MODEL_VERSION', value: 'v40' },
        { name: 'THREADS', value: '4' },
      ]);
    });

    describe('without `container`', () => {
      /** A serving container that is not named `model`, beside a sidecar. */
      const template = (version: string, sidecarEnv?: string): KubeObject => ({
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'server',
              image: `reg/model:${version}`,
              env: [{ name: 'MODEL_VERSION', value: version }],
            },
            {
              name: 'sidecar',
              image: 'reg/proxy:1.0',
              ...(sidecarEnv === undefined ? {} : { env: [{ name: sidecarEnv, value: 'x' }] }),
            },
          ],
        },
      });

      it('uses the one container that sets the env var', async () => {
        const deployment = fake.seed(webDeployment({ template: template('v41') }));
        fake.seed(replicaSet(deployment, 2, template('v40')));
        fake.seed(replicaSet(deployment, 3, template('v41')));
        const ctx = context(kube, { target: WEB, params: { env: 'MODEL_VERSION' } });
        const decision = await planned(restoreModel, ctx);
        expect(decision.summary).toBe(
          'ns/web container server MODEL_VERSION v41 → v40 (known-good: revision 2)',
        );
        await restoreModel.apply(ctx, decision.intent);
        expect(stored().spec.template.spec.containers[0].env).toEqual([
          { name: 'MODEL_VERSION', value: 'v40' },
        ]);
        expect(stored().spec.template.spec.containers.map((c: KubeObject) => c.name)).toEqual([
          'server',
          'sidecar',
        ]);
      });

      it('skips, naming the containers, when none sets it', async () => {
        fake.seed(webDeployment({ template: template('v41') }));
        expect(
          await restoreModel.plan(
            context(kube, { target: WEB, params: { env: 'MODEL_REVISION', version: 'v40' } }),
          ),
        ).toEqual({
          kind: 'skip',
          reason:
            'no container of Deployment ns/web sets MODEL_REVISION (containers: server, sidecar), so the model version is not an env var there: set `env`, or `configMap` if the version is a ConfigMap key',
        });
      });

      it('skips, naming them, when several set it', async () => {
        fake.seed(webDeployment({ template: template('v41', 'MODEL_VERSION') }));
        expect(
          await restoreModel.plan(context(kube, { target: WEB, params: { version: 'v40' } })),
        ).toEqual({
          kind: 'skip',
          reason:
            '2 containers of Deployment ns/web set MODEL_VERSION (server, sidecar): set `container` to say which holds the model version',
        });
        expect(fake.writes()).toEqual([]);
      });
    });

    it('skips a container that does not exist rather than send a patch that would add one', async () => {
      seedRevisions();
      const decision = await restoreModel.plan(
        context(kube, { target: WEB, params: { container: 'server', version: 'v40' } }),
      );
      expect(decision).toEqual({
        kind: 'skip',
        reason: 'Deployment ns/web has no container "server" (containers: model, sidecar)',
      });
      expect(fake.writes()).toEqual([]);
    });

    it('skips a container without the env var', async () => {
      seedRevisions();
      const decision = await restoreModel.plan(
        context(kube, { target: WEB, params: { container: 'sidecar', version: 'v40' } }),
      );
      expect(decision).toEqual({
        kind: 'skip',
        reason:
          'container "sidecar" of ns/web has no env var MODEL_VERSION, so the model version is not set there',
      });
    });

    it('skips when no known-good version is recorded anywhere', async () => {
      const deployment = fake.seed(webDeployment());
      fake.seed(replicaSet(deployment, 1, webTemplate('v41')));
      expect(await restoreModel.plan(context(kube, { target: WEB, params: ENV_MODE }))).toEqual({
        kind: 'skip',
        reason: 'no known-good version of MODEL_VERSION recorded',
      });
    });

    it('skips when the known-good version is the current one', async () => {
      seedRevisions();
      expect(
        await restoreModel.plan(
          context(kube, { target: WEB, params: { ...ENV_MODE, version: 'v41' } }),
        ),
      ).toEqual({ kind: 'skip', reason: 'already at v41' });
    });

    it('skips a paused Deployment, where the new version would not roll out', async () => {
      seedRevisions({ paused: true });
      const decision = await restoreModel.plan(context(kube, { target: WEB, params: ENV_MODE }));
      expect(decision).toEqual({
        kind: 'skip',
        reason:
          "Deployment ns/web is paused: a new model version would not roll out until it is resumed ('kubectl rollout resume')",
      });
    });

    it('sends the patch with dryRun=All in a dry run and stores nothing', async () => {
      seedRevisions();
      const before = stored();
      const ctx = context(kube, { target: WEB, params: ENV_MODE, dryRun: true });
      const result = await restoreModel.apply(ctx, (await planned(restoreModel, ctx)).intent);
      expect(result.summary).toBe('would restore ns/web container model MODEL_VERSION v41 → v40');
      expect(fake.writes()).toMatchObject([
        { method: 'PATCH', path: DEPLOYMENT, query: { dryRun: 'All' }, status: 200 },
      ]);
      expect(stored()).toEqual(before);
    });

    it('reconciles as not done before the patch and done after it', async () => {
      seedRevisions();
      const ctx = context(kube, { target: WEB, params: ENV_MODE });
      const { intent } = await planned(restoreModel, ctx);
      expect(await restoreModel.reconcile(ctx, intent)).toBe('not_done');
      await restoreModel.apply(ctx, intent);
      expect(await restoreModel.reconcile(ctx, intent)).toBe('done');
    });
  });

  describe('with the version in a ConfigMap', () => {
    const storedConfigMap = (): KubeObject => fake.get('v1', 'ConfigMap', 'ns', 'model-config');

    it('merge-patches the key, then restarts the Deployment, recording the old value', async () => {
      fake.seed(webDeployment());
      fake.seed(configMap({ MODEL_VERSION: 'v41', THREADS: '4' }));
      const ctx = context(kube, { target: WEB, params: { ...CM_MODE, version: 'v40' } });
      const decision = await planned(restoreModel, ctx);
      expect(decision.summary).toBe(
        'ConfigMap ns/model-config MODEL_VERSION v41 → v40, then restart ns/web (known-good: params)',
      );
      const result = await restoreModel.apply(ctx, decision.intent);
      expect(result.summary).toBe(
        'restored ConfigMap ns/model-config MODEL_VERSION v41 → v40 and restarted ns/web',
      );
      const snapshot = {
        ...V41_SNAPSHOT,
        configMap: { name: 'model-config', key: 'MODEL_VERSION', value: 'v41' },
      };
      expect(fake.writes()).toMatchObject([
        {
          method: 'PATCH',
          path: CONFIG_MAP,
          contentType: 'application/merge-patch+json',
          body: { data: { MODEL_VERSION: 'v40' } },
          status: 200,
        },
        {
          method: 'PATCH',
          path: DEPLOYMENT,
          contentType: 'application/strategic-merge-patch+json',
          status: 200,
          body: {
            metadata: { annotations: history(snapshot) },
            spec: {
              template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: NOW_SECONDS } } },
            },
          },
        },
      ]);
      expect(storedConfigMap().data).toEqual({ MODEL_VERSION: 'v40', THREADS: '4' });
      expect(stored().spec.template.metadata.annotations).toEqual({
        [RESTARTED_AT_ANNOTATION]: NOW_SECONDS,
      });
    });

    it('uses the key param, which defaults to the env name', async () => {
      fake.seed(webDeployment());
      fake.seed(configMap({ version: 'v41' }));
      const ctx = context(kube, {
        target: WEB,
        params: { ...CM_MODE, key: 'version', version: 'v40' },
      });
      await restoreModel.apply(ctx, (await planned(restoreModel, ctx)).intent);
      expect(fake.writes()[0]?.body).toEqual({ data: { version: 'v40' } });
    });

    it('takes the known-good version from the values recorded for that ConfigMap key', async () => {
      fake.seed(
        webDeployment({
          annotations: history(
            {
              ...V41_SNAPSHOT,
              configMap: { name: 'model-config', key: 'MODEL_VERSION', value: 'v39' },
            },
            {
              ...V41_SNAPSHOT,
              configMap: { name: 'other-config', key: 'MODEL_VERSION', value: 'v12' },
            },
          ),
        }),
      );
      fake.seed(configMap({ MODEL_VERSION: 'v41' }));
      const decision = await planned(restoreModel, context(kube, { target: WEB, params: CM_MODE }));
      expect(decision.intent).toMatchObject({ from: 'v41', to: 'v39' });
    });

    it('skips when no version of the key is recorded', async () => {
      fake.seed(webDeployment());
      fake.seed(configMap({ MODEL_VERSION: 'v41' }));
      expect(await restoreModel.plan(context(kube, { target: WEB, params: CM_MODE }))).toEqual({
        kind: 'skip',
        reason: 'no known-good version of MODEL_VERSION recorded',
      });
    });

    it('skips when the key already holds the version', async () => {
      fake.seed(webDeployment());
      fake.seed(configMap({ MODEL_VERSION: 'v40' }));
      expect(
        await restoreModel.plan(
          context(kube, { target: WEB, params: { ...CM_MODE, version: 'v40' } }),
        ),
      ).toEqual({ kind: 'skip', reason: 'already at v40' });
    });

    it('skips a paused Deployment, which the restart could not roll', async () => {
      fake.seed(webDeployment({ paused: true }));
      fake.seed(configMap({ MODEL_VERSION: 'v41' }));
      expect(
        await restoreModel.plan(
          context(kube, { target: WEB, params: { ...CM_MODE, version: 'v40' } }),
        ),
      ).toEqual({ kind: 'skip', reason: PAUSED_RESTART_REASON });
    });

    it('surfaces the 422 of an immutable ConfigMap as an invalid KubeError and does not restart', async () => {
      fake.seed(webDeployment());
      fake.seed(configMap({ MODEL_VERSION: 'v41' }, true));
      const ctx = context(kube, { target: WEB, params: { ...CM_MODE, version: 'v40' } });
      const err = await kubeFailure(
        restoreModel.apply(ctx, (await planned(restoreModel, ctx)).intent),
      );
      expect(err.reason).toBe('invalid');
      expect(err.status).toBe(422);
      expect(err.message).toContain('field is immutable when `immutable` is set');
      expect(fake.writes().map((w) => w.path)).toEqual([CONFIG_MAP]);
    });

    it('sends both patches with dryRun=All in a dry run and stores nothing', async () => {
      fake.seed(webDeployment());
      fake.seed(configMap({ MODEL_VERSION: 'v41' }));
      const before = stored();
      const ctx = context(kube, {
        target: WEB,
        params: { ...CM_MODE, version: 'v40' },
        dryRun: true,
      });
      const result = await restoreModel.apply(ctx, (await planned(restoreModel, ctx)).intent);
      expect(result.summary).toBe(
        'would restore ConfigMap ns/model-config MODEL_VERSION v41 → v40 and restart ns/web',
      );
      expect(fake.writes()).toMatchObject([
        { path: CONFIG_MAP, query: { dryRun: 'All' }, status: 200 },
        { path: DEPLOYMENT, query: { dryRun: 'All' }, status: 200 },
      ]);
      expect(storedConfigMap().data).toEqual({ MODEL_VERSION: 'v41' });
      expect(stored()).toEqual(before);
    });

    it('reconciles as not done until both the key and the restart are in place', async () => {
      fake.seed(webDeployment());
      fake.seed(configMap({ MODEL_VERSION: 'v41' }));
      const ctx = context(kube, { target: WEB, params: { ...CM_MODE, version: 'v40' } });
      const { intent } = await planned(restoreModel, ctx);
      expect(await restoreModel.reconcile(ctx, intent)).toBe('not_done');
      // A crash between the two writes: the key is set, the restart is not.
      fake.fault({ method: 'PATCH', pathPrefix: DEPLOYMENT, status: 403, times: 1 });
      await kubeFailure(restoreModel.apply(ctx, intent));
      expect(storedConfigMap().data).toEqual({ MODEL_VERSION: 'v40' });
      expect(await restoreModel.reconcile(ctx, intent)).toBe('not_done');
      await restoreModel.apply(ctx, intent);
      expect(await restoreModel.reconcile(ctx, intent)).toBe('done');
    });
  });

  describe('on a KServe InferenceService', () => {
    const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices/heart';
    const TARGET = { kind: 'InferenceService' as const, namespace: 'ns', name: 'heart' };
    const stored = (): KubeObject =>
      fake.get('serving.kserve.io/v1beta1', 'InferenceService', 'ns', 'heart');

    it('sends all traffic of a canary rollout back to the previous revision', async () => {
      const seeded = fake.seed(inferenceService('ns', 'heart', { canary: 20 }));
      const ctx = context(kube, { target: TARGET, params: { predictorField: 'storageUri' } });
      const decision = await planned(restoreModel, ctx);
      expect(decision.regarding).toEqual({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        namespace: 'ns',
        name: 'heart',
        uid: seeded.metadata.uid,
      });
      const result = await restoreModel.apply(ctx, decision.intent);
      expect(result).toEqual({
        summary:
          'restored InferenceService ns/heart canary rolled back: all traffic to the previous revision heart-predictor-00001 (canaryTrafficPercent 20 → 0; heart-predictor-00002 keeps none)',
        data: { canaryTrafficPercent: { from: 20, to: 0 }, revision: 'heart-predictor-00001' },
      });
      expect(fake.writes()).toMatchObject([
        {
          method: 'PATCH',
          path: ISVC,
          contentType: 'application/merge-patch+json',
          status: 200,
          body: { spec: { predictor: { canaryTrafficPercent: 0 } } },
        },
      ]);
      // The model itself is untouched: the new revision stays, without traffic, to be examined.
      expect(stored().spec.predictor).toEqual({
        canaryTrafficPercent: 0,
        model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://models/heart/v42' },
      });
      expect(await restoreModel.reconcile(ctx, decision.intent)).toBe('done');
    });

    it('skips a canary already rolled back', async () => {
      fake.seed(inferenceService('ns', 'heart', { canary: 0 }));
      expect(
        await restoreModel.plan(
          context(kube, { target: TARGET, params: { predictorField: 'storageUri' } }),
        ),
      ).toEqual({
        kind: 'skip',
        reason:
          'InferenceService ns/heart already sends all traffic to its previous revision heart-predictor-00001 (canaryTrafficPercent 0)',
      });
    });

    it('without a canary, restores storageUri to the given version and records the one it replaces', async () => {
      fake.seed(inferenceService('ns', 'heart'));
      const ctx = context(kube, {
        target: TARGET,
        params: { predictorField: 'storageUri', version: 'gs://models/heart/v41' },
      });
      const decision = await planned(restoreModel, ctx);
      expect(decision.summary).toBe(
        'InferenceService ns/heart predictor storageUri gs://models/heart/v42 → gs://models/heart/v41 (known-good: params)',
      );
      await restoreModel.apply(ctx, decision.intent);
      expect(stored().spec.predictor.model.storageUri).toBe('gs://models/heart/v41');
      expect(JSON.parse(stored().metadata.annotations[MODEL_HISTORY_ANNOTATION])).toEqual([
        { at: NOW_SECONDS, field: 'storageUri', value: 'gs://models/heart/v42' },
      ]);
      expect(fake.writes()[0]).toMatchObject({ contentType: 'application/merge-patch+json' });
    });

    it('without a version, goes back to the newest other value remediator recorded', async () => {
      const history = JSON.stringify([
        { at: '2026-11-01T00:00:00Z', field: 'storageUri', value: 'gs://models/heart/v40' },
        { at: '2026-11-20T00:00:00Z', field: 'storageUri', value: 'gs://models/heart/v41' },
        { at: '2026-11-21T00:00:00Z', field: 'runtimeVersion', value: '1.3.0' },
      ]);
      fake.seed(
        inferenceService('ns', 'heart', { annotations: { [MODEL_HISTORY_ANNOTATION]: history } }),
      );
      const decision = await planned(
        restoreModel,
        context(kube, { target: TARGET, params: { predictorField: 'storageUri' } }),
      );
      expect(decision.summary).toBe(
        'InferenceService ns/heart predictor storageUri gs://models/heart/v42 → gs://models/heart/v41 (known-good: remediator history (before 2026-11-20T00:00:00Z))',
      );
    });

    it('restores the model format version when the policy names it', async () => {
      fake.seed({
        ...inferenceService('ns', 'heart'),
        spec: { predictor: { model: { modelFormat: { name: 'sklearn', version: '1.5' } } } },
      });
      const ctx = context(kube, {
        target: TARGET,
        params: { predictorField: 'modelFormat.version', version: '1.4' },
      });
      await restoreModel.apply(ctx, (await planned(restoreModel, ctx)).intent);
      expect(stored().spec.predictor.model.modelFormat).toEqual({
        name: 'sklearn',
        version: '1.4',
      });
    });

    it('skips without a canary and without a known-good value', async () => {
      fake.seed(inferenceService('ns', 'heart'));
      expect(
        await restoreModel.plan(
          context(kube, { target: TARGET, params: { predictorField: 'storageUri' } }),
        ),
      ).toEqual({
        kind: 'skip',
        reason:
          'InferenceService ns/heart has no canary rollout in progress and no known-good storageUri recorded: give `version`',
      });
      expect(fake.writes()).toEqual([]);
    });

    it('sends the patch with dryRun=All in a dry run and stores nothing', async () => {
      fake.seed(inferenceService('ns', 'heart', { canary: 20 }));
      const ctx = context(kube, {
        target: TARGET,
        params: { predictorField: 'storageUri' },
        dryRun: true,
      });
      const result = await restoreModel.apply(ctx, (await planned(restoreModel, ctx)).intent);
      expect(result.summary).toMatch(
        /^would restore InferenceService ns\/heart canary rolled back/,
      );
      expect(fake.writes()).toMatchObject([{ path: ISVC, query: { dryRun: 'All' }, status: 200 }]);
      expect(stored().spec.predictor.canaryTrafficPercent).toBe(20);
    });
  });

  describe('with the version in an MLflow model registry', () => {
    /** A registry holding versions 5 (READY), 6 (FAILED), 7 (READY, champion), 8 (READY). */
    function registry(): ModelRegistry & { moves: string[] } {
      let champion = '7';
      const moves: string[] = [];
      const versions: ModelVersion[] = [
        { name: 'heart', version: '5', status: 'READY', aliases: [] },
        { name: 'heart', version: '6', status: 'FAILED_REGISTRATION', aliases: [] },
        { name: 'heart', version: '7', status: 'READY', aliases: [] },
        { name: 'heart', version: '8', status: 'READY', aliases: [] },
      ];
      return {
        moves,
        versionOfAlias: (model, alias) =>
          Promise.resolve({ name: model, version: champion, status: 'READY', aliases: [alias] }),
        versions: () => Promise.resolve(versions),
        setAlias: (model, alias, version) => {
          moves.push(`${model}@${alias} → ${version}`);
          champion = version;
          return Promise.resolve();
        },
      };
    }
    const MLFLOW = { mlflow: { model: 'heart', alias: 'champion', restart: true } };

    it('points the alias to the newest READY version below it, then restarts the Deployment', async () => {
      fake.seed(webDeployment());
      const models = registry();
      const ctx = { ...context(kube, { target: WEB, params: MLFLOW }), modelRegistry: models };
      const decision = await planned(restoreModel, ctx);
      expect(decision.summary).toBe(
        'MLflow model heart alias champion version 7 → 5, then restart ns/web (known-good: the newest READY version below 7)',
      );
      expect(await restoreModel.reconcile(ctx, decision.intent)).toBe('not_done');
      const result = await restoreModel.apply(ctx, decision.intent);
      expect(result.summary).toBe(
        'restored MLflow model heart alias champion version 7 → 5 and restarted ns/web',
      );
      expect(result.data).toMatchObject({ model: 'heart', alias: 'champion', from: '7', to: '5' });
      expect(models.moves).toEqual(['heart@champion → 5']);
      expect(fake.writes()).toMatchObject([
        {
          method: 'PATCH',
          path: DEPLOYMENT,
          contentType: 'application/strategic-merge-patch+json',
        },
      ]);
      expect(
        fake.get('apps/v1', 'Deployment', 'ns', 'web').spec.template.metadata.annotations[
          RESTARTED_AT_ANNOTATION
        ],
      ).toBe(NOW_SECONDS);
      expect(await restoreModel.reconcile(ctx, decision.intent)).toBe('done');
    });

    it('takes a given version, and moves only the alias without restart: false', async () => {
      fake.seed(webDeployment());
      const models = registry();
      const ctx = {
        ...context(kube, {
          target: WEB,
          params: { version: '8', mlflow: { model: 'heart', alias: 'champion', restart: false } },
        }),
        modelRegistry: models,
      };
      await restoreModel.apply(ctx, (await planned(restoreModel, ctx)).intent);
      expect(models.moves).toEqual(['heart@champion → 8']);
      expect(fake.writes()).toEqual([]);
    });

    it('leaves the alias alone in a dry run, where only the restart is checked', async () => {
      fake.seed(webDeployment());
      const models = registry();
      const ctx = {
        ...context(kube, { target: WEB, params: MLFLOW, dryRun: true }),
        modelRegistry: models,
      };
      const result = await restoreModel.apply(ctx, (await planned(restoreModel, ctx)).intent);
      expect(result.summary).toBe(
        'would restore MLflow model heart alias champion version 7 → 5 and restart ns/web (MLflow has no dry run: the alias was not moved)',
      );
      expect(models.moves).toEqual([]);
      expect(fake.writes()).toMatchObject([{ query: { dryRun: 'All' } }]);
    });

    it('skips without a registry, or without an earlier READY version', async () => {
      fake.seed(webDeployment());
      expect(await restoreModel.plan(context(kube, { target: WEB, params: MLFLOW }))).toEqual({
        kind: 'skip',
        reason: 'no MLflow model registry configured (--mlflow-url)',
      });
      const models = registry();
      await models.setAlias('heart', 'champion', '5');
      expect(
        await restoreModel.plan({
          ...context(kube, { target: WEB, params: MLFLOW }),
          modelRegistry: models,
        }),
      ).toEqual({
        kind: 'skip',
        reason: 'heart@champion is at version 5 and no READY version precedes it',
      });
    });

    it('refuses mlflow together with container or configMap', () => {
      expect(restoreModel.checkParams?.({ ...MLFLOW, container: 'model' })).toEqual([
        ['mlflow', 'set `mlflow`, or `container`/`configMap`, not both'],
      ]);
      expect(restoreModel.needsModelRegistry?.(MLFLOW)).toBe(true);
      expect(restoreModel.needsModelRegistry?.(ENV_MODE)).toBe(false);
    });
  });
});
