import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import type { FromSchema } from 'json-schema-to-ts';
import { KubeError } from '../../kube/errors';
import type { RenderedTarget } from '../../policies/planner';
import type { ActionSpec } from '../../policies/action-spec';
import type { Action, ActionContext, ActionDecision, ActionResult } from '../action';
import {
  formatSeconds,
  HISTORY_ANNOTATION,
  historyWith,
  readHistory,
  recordedEnv,
  rolloutHistory,
  snapshotOf,
  type HistoryEntry,
} from './history';
import {
  describeInferenceService,
  inferenceServiceDone,
  planInferenceService,
  PREDICTOR_FIELDS,
  type InferenceServiceIntent,
} from './kserve';
import { currentRestartedAt, deploymentRef, PAUSED_RESTART_REASON, restartPatch } from './restart';
import { KSERVE_INFERENCE_SERVICE } from '../../kube/custom-resources';

/** Puts the serving Deployment back on its last known-good model version. */
const restoreModelSpec = {
  name: 'restore-model',
  description:
    "Sets the model version a serving Deployment uses back to the last known-good one. The version lives either in a container environment variable (`env`, in `container`, or without `container` in the one container that sets `env`; changed by a strategic merge patch on that container only) or in a ConfigMap key (`configMap`, `key`; merge-patched, then the Deployment is restarted so the pods read it). The known-good version is `version` if given, else the value in the previous ReplicaSet revision, else the last value remediator recorded on the Deployment before one of its own changes. On a KServe InferenceService (`serving.kserve.io/v1beta1`): when a canary rollout is in progress (Serverless mode: `spec.predictor.canaryTrafficPercent` below 100 and a `previousRolledoutRevision` in `status.components.predictor`), all traffic goes back to the previous revision (`canaryTrafficPercent: 0`, the rollback of KServe's canary docs); otherwise, in Serverless or RawDeployment mode, the predictor's `predictorField` under `spec.predictor.model` goes back to `version`, else to the newest value remediator recorded (annotation `remediator.dev/model-history`) before one of its own changes. Both are merge patches.",
  targetKinds: ['Deployment', 'InferenceService'],
  remediates: true,
  writesTarget: true,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      container: {
        type: 'string',
        minLength: 1,
        description:
          'Container whose environment holds the version (env mode). Default: the one container of the pod template that sets `env`; the step is skipped, naming them, when none or several do.',
      },
      env: {
        type: 'string',
        minLength: 1,
        default: 'MODEL_VERSION',
        description: 'Environment variable holding the version (env mode).',
      },
      configMap: {
        type: 'string',
        minLength: 1,
        description: 'ConfigMap holding the version (ConfigMap mode).',
      },
      key: {
        type: 'string',
        minLength: 1,
        description: 'ConfigMap key holding the version; default: the `env` name.',
      },
      version: {
        type: 'string',
        minLength: 1,
        description:
          'The known-good version, if you know it; a template may read it from the alert. On an InferenceService: the known-good value of `predictorField` (a `storageUri` such as `gs://models/heart/v41`).',
      },
      mlflow: {
        type: 'object',
        additionalProperties: false,
        required: ['model'],
        description:
          "The version lives in MLflow's model registry (`--mlflow-url`): the registered `model`'s `alias` is pointed back to the known-good version, `version` if given, else the newest version below the alias's current one whose status is READY (MLflow keeps no history of an alias; the step's result records the move), then, with `restart` (the default), the target Deployment is restarted so that its pods load the model by alias again.",
        properties: {
          model: { type: 'string', minLength: 1, description: 'The registered model name.' },
          alias: {
            type: 'string',
            minLength: 1,
            default: 'champion',
            description: 'The alias the serving Deployment loads (`models:/<model>@<alias>`).',
          },
          restart: {
            type: 'boolean',
            default: true,
            description: 'Restart the target Deployment after moving the alias.',
          },
        },
      },
      predictorField: {
        enum: PREDICTOR_FIELDS,
        description:
          'On an InferenceService without a canary rollout in progress: which field of `spec.predictor.model` holds the model version (default `storageUri`).',
      },
    },
  },
  checkParams(params) {
    if (params.configMap !== undefined && params.container !== undefined) {
      return [['', 'set `container` or `configMap`, not both']];
    }
    if (
      params.mlflow !== undefined &&
      (params.configMap !== undefined || params.container !== undefined)
    ) {
      return [['mlflow', 'set `mlflow`, or `container`/`configMap`, not both']];
    }
    return [];
  },
  needsModelRegistry: (params) => params.mlflow !== undefined,
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] },
    { apiGroups: ['serving.kserve.io'], resources: ['inferenceservices'], verbs: ['get', 'patch'] },
  ],
  example: {
    action: 'restore-model',
    params: { container: 'model', env: 'MODEL_VERSION' },
    verify: '10m',
  },
} as const satisfies ActionSpec;

export type RestoreModelParams = FromSchema<
  typeof restoreModelSpec.params,
  { keepDefaultedPropertiesOptional: true }
>;

/** What `apply()` and `reconcile()` need; journaled before the write. */
export type RestoreModelIntent =
  | InferenceServiceIntent
  | {
      readonly mode: 'mlflow';
      readonly namespace: string;
      readonly name: string;
      readonly model: string;
      readonly alias: string;
      readonly from: string;
      readonly to: string;
      readonly source: string;
      /** The Deployment's restart after the alias moved, when asked for. */
      readonly restart?: { readonly restartedAt: string; readonly patch: object };
    }
  | {
      readonly mode: 'env';
      readonly namespace: string;
      readonly name: string;
      readonly container: string;
      readonly env: string;
      /** The literal value before, absent when it came from `valueFrom`. */
      readonly from?: string;
      readonly to: string;
      /** Where the known-good version came from, in words. */
      readonly source: string;
      /** Strategic merge patch of that one env entry, history annotation included. */
      readonly patch: object;
    }
  | {
      readonly mode: 'configMap';
      readonly namespace: string;
      readonly name: string;
      readonly configMap: string;
      readonly key: string;
      /** The value before, absent when the key was unset. */
      readonly from?: string;
      readonly to: string;
      readonly source: string;
      /** Merge patch of the ConfigMap's `data`. */
      readonly configMapPatch: object;
      readonly restartedAt: string;
      /** The restart's strategic merge patch, history annotation included. */
      readonly deploymentPatch: object;
    };

type Known = { readonly version: string; readonly source: string } | undefined;

function skip(reason: string): ActionDecision {
  return { kind: 'skip', reason };
}

/**
 * The newest version recorded in remediator's history that differs from the current one: each
 * snapshot holds what was there before a change, so the newest one equal to the current value
 * (a restart, say) says nothing about the version before it.
 */
function fromHistory(
  history: readonly HistoryEntry[],
  current: string | undefined,
  read: (entry: HistoryEntry) => string | undefined,
): Known {
  let same: HistoryEntry | undefined;
  for (const entry of [...history].reverse()) {
    const value = read(entry);
    if (value === undefined) continue;
    if (value !== current) {
      return {
        version: value,
        source: `remediator history (before ${entry.action} at ${entry.at})`,
      };
    }
    same ??= entry;
  }
  // Only the current version was ever recorded: known, and already in place.
  return same === undefined || current === undefined
    ? undefined
    : { version: current, source: 'remediator history' };
}

async function plan(ctx: ActionContext): Promise<ActionDecision> {
  const target = ctx.target;
  const params = ctx.params as RestoreModelParams;
  if (target?.kind === 'InferenceService') {
    const isvc = await ctx.kube.readCustomObject(
      KSERVE_INFERENCE_SERVICE,
      target.namespace,
      target.name,
    );
    return planInferenceService({
      isvc,
      namespace: target.namespace,
      name: target.name,
      field: params.predictorField ?? 'storageUri',
      ...(params.version === undefined ? {} : { version: params.version }),
      now: ctx.now,
    });
  }
  if (target?.kind !== 'Deployment')
    return skip('restore-model needs a Deployment or InferenceService target');
  if (params.mlflow !== undefined) return planMlflow(ctx, target, params, params.mlflow);
  const env = params.env ?? restoreModelSpec.params.properties.env.default;
  const deployment = await ctx.kube.readDeployment(target.namespace, target.name);
  if (params.configMap !== undefined) {
    return planConfigMap(ctx, target, deployment, params, params.configMap, params.key ?? env);
  }
  const container = params.container ?? containerSetting(deployment, target, env);
  if (typeof container !== 'string') return skip(container.reason);
  return planEnv(ctx, target, deployment, params, container, env);
}

/**
 * The one container of the pod template that sets `env`, for a step without `container`; or why
 * there is not exactly one (a sidecar such as a proxy seldom carries the model version).
 */
function containerSetting(
  deployment: V1Deployment,
  { namespace, name }: RenderedTarget,
  env: string,
): string | { readonly reason: string } {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  const setting = containers.filter((c) => c.env?.some((e) => e.name === env) === true);
  const where = `Deployment ${namespace}/${name}`;
  const [only] = setting;
  if (only !== undefined && setting.length === 1) return only.name;
  if (setting.length === 0) {
    return {
      reason: `no container of ${where} sets ${env} (containers: ${containers.map((c) => c.name).join(', ')}), so the model version is not an env var there: set \`env\`, or \`configMap\` if the version is a ConfigMap key`,
    };
  }
  return {
    reason: `${setting.length} containers of ${where} set ${env} (${setting.map((c) => c.name).join(', ')}): set \`container\` to say which holds the model version`,
  };
}

async function planEnv(
  ctx: ActionContext,
  { namespace, name }: RenderedTarget,
  deployment: V1Deployment,
  params: RestoreModelParams,
  containerName: string,
  env: string,
): Promise<ActionDecision> {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  const container = containers.find((c) => c.name === containerName);
  // A strategic merge patch naming a container that does not exist would add one (without an
  // image, which the server refuses): never send it.
  if (container === undefined) {
    return skip(
      `Deployment ${namespace}/${name} has no container "${containerName}" (containers: ${containers.map((c) => c.name).join(', ')})`,
    );
  }
  const entry = container.env?.find((e) => e.name === env);
  if (entry === undefined) {
    return skip(
      `container "${containerName}" of ${namespace}/${name} has no env var ${env}, so the model version is not set there`,
    );
  }
  if (deployment.spec?.paused === true) {
    return skip(
      `Deployment ${namespace}/${name} is paused: a new model version would not roll out until it is resumed ('kubectl rollout resume')`,
    );
  }
  const current = entry.valueFrom == null ? entry.value : undefined;
  const known =
    given(params) ??
    (await fromPreviousRevision(ctx, deployment, containerName, env)) ??
    fromHistory(readHistory(deployment), current, (h) => recordedEnv(h, containerName, env));
  if (known === undefined) return skip(`no known-good version of ${env} recorded`);
  if (known.version === current) return skip(`already at ${current}`);

  const patch = {
    metadata: {
      annotations: {
        [HISTORY_ANNOTATION]: historyWith(
          deployment,
          snapshotOf(deployment.spec?.template, 'restore-model', ctx.now, undefined, env),
        ),
      },
    },
    spec: {
      template: {
        spec: {
          containers: [
            // valueFrom: null, or an entry that read the version from elsewhere would end up with
            // both value and valueFrom, which the server refuses.
            { name: containerName, env: [{ name: env, value: known.version, valueFrom: null }] },
          ],
        },
      },
    },
  };
  const intent: RestoreModelIntent = {
    mode: 'env',
    namespace,
    name,
    container: containerName,
    env,
    ...(current === undefined ? {} : { from: current }),
    to: known.version,
    source: known.source,
    patch,
  };
  return {
    kind: 'act',
    summary: `${describeEnv(intent)} (known-good: ${known.source})`,
    intent: { ...intent },
    regarding: deploymentRef(deployment, namespace, name),
  };
}

function given(params: RestoreModelParams): Known {
  return params.version === undefined ? undefined : { version: params.version, source: 'params' };
}

/** The literal value of the env var in the previous ReplicaSet revision's template. */
async function fromPreviousRevision(
  ctx: ActionContext,
  deployment: V1Deployment,
  containerName: string,
  env: string,
): Promise<Known> {
  const { previous } = await rolloutHistory(ctx.kube, deployment);
  const container: V1Container | undefined =
    previous?.replicaSet.spec?.template?.spec?.containers.find((c) => c.name === containerName);
  const entry = container?.env?.find((e) => e.name === env);
  if (previous === undefined || entry?.value === undefined || entry.valueFrom != null) {
    return undefined;
  }
  return { version: entry.value, source: `revision ${previous.revision}` };
}

async function planConfigMap(
  ctx: ActionContext,
  { namespace, name }: RenderedTarget,
  deployment: V1Deployment,
  params: RestoreModelParams,
  configMapName: string,
  key: string,
): Promise<ActionDecision> {
  // The pods read the new value only when they start: the restart is part of the change.
  if (deployment.spec?.paused === true) return skip(PAUSED_RESTART_REASON);
  const configMap = await ctx.kube.readConfigMap(namespace, configMapName);
  const current = configMap.data?.[key];
  const known =
    given(params) ??
    fromHistory(readHistory(deployment), current, (h) =>
      h.configMap?.name === configMapName && h.configMap.key === key
        ? h.configMap.value
        : undefined,
    );
  if (known === undefined) return skip(`no known-good version of ${key} recorded`);
  if (known.version === current) return skip(`already at ${current}`);

  const restartedAt = formatSeconds(ctx.now);
  const snapshot = snapshotOf(deployment.spec?.template, 'restore-model', ctx.now, {
    name: configMapName,
    key,
    ...(current === undefined ? {} : { value: current }),
  });
  const intent: RestoreModelIntent = {
    mode: 'configMap',
    namespace,
    name,
    configMap: configMapName,
    key,
    ...(current === undefined ? {} : { from: current }),
    to: known.version,
    source: known.source,
    configMapPatch: { data: { [key]: known.version } },
    restartedAt,
    deploymentPatch: restartPatch(deployment, restartedAt, snapshot),
  };
  return {
    kind: 'act',
    summary: `${describeConfigMap(intent)} (known-good: ${known.source})`,
    intent: { ...intent },
    regarding: deploymentRef(deployment, namespace, name),
  };
}

/**
 * The registered model's alias back to the known-good version: `version`, else the newest READY
 * version numbered below the alias's current one (registry versions count up from 1).
 */
async function planMlflow(
  ctx: ActionContext,
  { namespace, name }: RenderedTarget,
  params: RestoreModelParams,
  mlflow: NonNullable<RestoreModelParams['mlflow']>,
): Promise<ActionDecision> {
  const registry = ctx.modelRegistry;
  if (registry === undefined) return skip('no MLflow model registry configured (--mlflow-url)');
  const alias = mlflow.alias ?? 'champion';
  const restart = mlflow.restart ?? true;
  const [current, versions, deployment] = await Promise.all([
    registry.versionOfAlias(mlflow.model, alias, ctx.signal),
    params.version === undefined ? registry.versions(mlflow.model, ctx.signal) : [],
    restart ? ctx.kube.readDeployment(namespace, name) : undefined,
  ]);
  const where = `${mlflow.model}@${alias}`;
  const currentNumber = Number(current.version);
  const previous = versions
    .filter((v) => v.status === 'READY' && Number(v.version) < currentNumber)
    .sort((a, b) => Number(b.version) - Number(a.version))[0];
  const known: Known =
    given(params) ??
    (previous === undefined
      ? undefined
      : { version: previous.version, source: `the newest READY version below ${current.version}` });
  if (known === undefined)
    return skip(`${where} is at version ${current.version} and no READY version precedes it`);
  if (known.version === current.version)
    return skip(`${where} is already at version ${current.version}`);
  if (deployment?.spec?.paused === true) return skip(PAUSED_RESTART_REASON);
  const restartedAt = formatSeconds(ctx.now);
  const intent: RestoreModelIntent = {
    mode: 'mlflow',
    namespace,
    name,
    model: mlflow.model,
    alias,
    from: current.version,
    to: known.version,
    source: known.source,
    ...(deployment === undefined
      ? {}
      : {
          restart: {
            restartedAt,
            patch: restartPatch(
              deployment,
              restartedAt,
              snapshotOf(deployment.spec?.template, 'restore-model', ctx.now),
            ),
          },
        }),
  };
  return {
    kind: 'act',
    summary: `${describeMlflow(intent)} (known-good: ${known.source})`,
    intent: { ...intent },
    regarding: deploymentRef(deployment ?? {}, namespace, name),
  };
}

function describeMlflow(
  intent: Extract<RestoreModelIntent, { mode: 'mlflow' }>,
  restart = ', then restart',
): string {
  const then = intent.restart === undefined ? '' : `${restart} ${intent.namespace}/${intent.name}`;
  return `MLflow model ${intent.model} alias ${intent.alias} version ${intent.from} → ${intent.to}${then}`;
}

function describeEnv(intent: Extract<RestoreModelIntent, { mode: 'env' }>): string {
  return `${intent.namespace}/${intent.name} container ${intent.container} ${intent.env} ${intent.from ?? '(valueFrom)'} → ${intent.to}`;
}

function describeConfigMap(
  intent: Extract<RestoreModelIntent, { mode: 'configMap' }>,
  restart = ', then restart',
): string {
  return `ConfigMap ${intent.namespace}/${intent.configMap} ${intent.key} ${intent.from ?? '(unset)'} → ${intent.to}${restart} ${intent.namespace}/${intent.name}`;
}

async function apply(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<ActionResult> {
  const intent = raw as unknown as RestoreModelIntent;
  const options = { dryRun: ctx.dryRun };
  if (intent.mode === 'mlflow') {
    const registry = ctx.modelRegistry;
    if (registry === undefined)
      throw new Error('no MLflow model registry configured (--mlflow-url)');
    // The registry has no dry run: in one, the alias is left alone and only the restart is checked.
    if (!ctx.dryRun) await registry.setAlias(intent.model, intent.alias, intent.to, ctx.signal);
    if (intent.restart !== undefined) {
      await ctx.kube.patchDeployment(
        intent.namespace,
        intent.name,
        { type: 'strategic', body: intent.restart.patch },
        options,
      );
    }
    return {
      summary: ctx.dryRun
        ? `would restore ${describeMlflow(intent, ' and restart')} (MLflow has no dry run: the alias was not moved)`
        : `restored ${describeMlflow(intent, ' and restarted')}`,
      data: {
        model: intent.model,
        alias: intent.alias,
        from: intent.from,
        to: intent.to,
        source: intent.source,
        ...(intent.restart === undefined ? {} : { restartedAt: intent.restart.restartedAt }),
      },
    };
  }
  if (intent.mode === 'canary' || intent.mode === 'predictor') {
    await ctx.kube.patchCustomObject(
      KSERVE_INFERENCE_SERVICE,
      intent.namespace,
      intent.name,
      intent.patch,
      options,
    );
    return {
      summary: `${ctx.dryRun ? 'would restore' : 'restored'} ${describeInferenceService(intent)}`,
      data:
        intent.mode === 'canary'
          ? {
              canaryTrafficPercent: { from: intent.from, to: 0 },
              revision: intent.previousRevision,
            }
          : {
              field: intent.field,
              from: intent.from ?? null,
              to: intent.to,
              source: intent.source,
            },
    };
  }
  const data = { from: intent.from ?? null, to: intent.to, source: intent.source };
  if (intent.mode === 'env') {
    await ctx.kube.patchDeployment(
      intent.namespace,
      intent.name,
      { type: 'strategic', body: intent.patch },
      options,
    );
    return {
      summary: `${ctx.dryRun ? 'would restore' : 'restored'} ${describeEnv(intent)}`,
      data,
    };
  }
  await ctx.kube.patchConfigMap(intent.namespace, intent.configMap, intent.configMapPatch, options);
  await ctx.kube.patchDeployment(
    intent.namespace,
    intent.name,
    { type: 'strategic', body: intent.deploymentPatch },
    options,
  );
  return {
    summary: ctx.dryRun
      ? `would restore ${describeConfigMap(intent, ' and restart')}`
      : `restored ${describeConfigMap(intent, ' and restarted')}`,
    data: { ...data, restartedAt: intent.restartedAt },
  };
}

/** Done when the version is in place (and, in ConfigMap mode, the restart too). */
async function reconcile(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<'done' | 'not_done' | 'unknown'> {
  const intent = raw as unknown as RestoreModelIntent;
  try {
    if (intent.mode === 'mlflow') {
      if (ctx.modelRegistry === undefined) return 'unknown';
      const now = await ctx.modelRegistry.versionOfAlias(intent.model, intent.alias, ctx.signal);
      if (now.version !== intent.to) return 'not_done';
      if (intent.restart === undefined) return 'done';
      const deployment = await ctx.kube.readDeployment(intent.namespace, intent.name);
      return currentRestartedAt(deployment) === intent.restart.restartedAt ? 'done' : 'not_done';
    }
    if (intent.mode === 'canary' || intent.mode === 'predictor') {
      const isvc = await ctx.kube.readCustomObject(
        KSERVE_INFERENCE_SERVICE,
        intent.namespace,
        intent.name,
      );
      return inferenceServiceDone(isvc, intent) ? 'done' : 'not_done';
    }
    const deployment = await ctx.kube.readDeployment(intent.namespace, intent.name);
    if (intent.mode === 'env') {
      const container = deployment.spec?.template.spec?.containers.find(
        (c) => c.name === intent.container,
      );
      const entry = container?.env?.find((e) => e.name === intent.env);
      return entry?.value === intent.to && entry.valueFrom == null ? 'done' : 'not_done';
    }
    const configMap = await ctx.kube.readConfigMap(intent.namespace, intent.configMap);
    const restarted = currentRestartedAt(deployment) === intent.restartedAt;
    return configMap.data?.[intent.key] === intent.to && restarted ? 'done' : 'not_done';
  } catch (err) {
    if (err instanceof KubeError) return 'unknown';
    throw err;
  }
}

/** The `restore-model` action. */
export const restoreModel: Action = { ...restoreModelSpec, plan, apply, reconcile };
