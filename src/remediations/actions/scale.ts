import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { FromSchema } from 'json-schema-to-ts';
import { KEDA_SCALED_OBJECT, type CustomObject } from '../../kube/custom-resources';
import { KubeError } from '../../kube/errors';
import type { ObjectRef } from '../../kube/port';
import type { ActionSpec } from '../../policies/action-spec';
import type { Action, ActionContext, ActionDecision, ActionResult } from '../action';

/** Scale out (or to a size) within bounds; through the HPA when one manages the Deployment. */
const scaleSpec = {
  name: 'scale',
  description:
    "Scales a Deployment to `to` replicas, by `by` more, or by a `factor`, always within `min` and `max`, on the scale subresource. When a HorizontalPodAutoscaler targets the Deployment, the HPA would undo a manual scale, so its `minReplicas` is raised instead (and `maxReplicas` if needed), and the old values are recorded. When a KEDA ScaledObject (`keda.sh/v1alpha1`) targets it, KEDA overrides manual scaling by design (and owns the HPA it made), so the ScaledObject's `minReplicaCount` is raised instead, within the bounds and never above its `maxReplicaCount` (100 when unset), and the previous value is recorded in the step's result and, at the first raise, in the ScaledObject's annotation `remediator.dev/original-replicas`. With `of: hpaMaxReplicas` it raises the ceiling of the HPA that targets the Deployment instead (for an HPA running at its maximum, kubernetes-mixin's `KubeHpaMaxedOut`): `to`, `by` or `factor` apply to the HPA's `maxReplicas`, never above `max` and never lowering it, and the HPA keeps deciding the replicas within its bounds (with a ScaledObject, its `maxReplicaCount` is raised the same way).",
  targetKinds: ['Deployment'],
  remediates: true,
  writesTarget: true,
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['max'],
    properties: {
      to: { type: 'integer', minimum: 0, description: 'Scale to exactly this many replicas.' },
      by: { type: 'integer', minimum: 1, description: 'Add this many replicas.' },
      factor: {
        type: 'number',
        exclusiveMinimum: 1,
        description: 'Multiply the replicas by this (rounded up).',
      },
      min: {
        type: 'integer',
        minimum: 0,
        default: 1,
        description: 'Never fewer replicas than this.',
      },
      max: { type: 'integer', minimum: 1, description: 'Never more replicas than this.' },
      of: {
        enum: ['replicas', 'hpaMaxReplicas'],
        description:
          "What is scaled: `replicas` (the default: the Deployment's, or the `minReplicas` of the HPA that manages it) or `hpaMaxReplicas` (the `maxReplicas` of the HPA that targets the Deployment; raised only).",
      },
    },
  },
  checkParams(params) {
    const problems: [string, string][] = [];
    const modes = ['to', 'by', 'factor'].filter((k) => params[k] !== undefined);
    if (modes.length !== 1) {
      problems.push([
        '',
        `set exactly one of to, by or factor (got ${modes.length === 0 ? 'none' : modes.join(', ')})`,
      ]);
    }
    const { min, max } = params as { min?: number; max?: number };
    if (min !== undefined && max !== undefined && min > max) {
      problems.push(['min', `min (${min}) is greater than max (${max})`]);
    }
    return problems;
  },
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch'] },
    {
      apiGroups: ['autoscaling'],
      resources: ['horizontalpodautoscalers'],
      verbs: ['list', 'patch'],
    },
    { apiGroups: ['keda.sh'], resources: ['scaledobjects'], verbs: ['get', 'list', 'patch'] },
  ],
  example: { action: 'scale', params: { by: 2, max: 10 }, verify: '5m' },
} as const satisfies ActionSpec;

export type ScaleParams = FromSchema<
  typeof scaleSpec.params,
  { keepDefaultedPropertiesOptional: true }
>;

/** HPA annotation with the bounds it had before remediator first raised them (JSON). */
export const ORIGINAL_REPLICAS_ANNOTATION = 'remediator.dev/original-replicas';

/** What `apply()` and `reconcile()` need; journaled before the write. */
export type ScaleIntent =
  | {
      readonly mode: 'replicas';
      readonly namespace: string;
      readonly name: string;
      readonly from: number;
      readonly to: number;
    }
  | {
      readonly mode: 'hpaMax';
      readonly namespace: string;
      /** The Deployment. */
      readonly name: string;
      readonly hpa: string;
      readonly from: number;
      readonly to: number;
      /** The merge patch, the original-replicas annotation included when it is new. */
      readonly patch: object;
    }
  | {
      readonly mode: 'keda';
      readonly namespace: string;
      /** The Deployment. */
      readonly name: string;
      readonly scaledObject: string;
      /** The Deployment's replicas when planned. */
      readonly replicas: number;
      /** `minReplicaCount` (`maxReplicaCount` with `of: hpaMaxReplicas`) before and after. */
      readonly field: 'minReplicaCount' | 'maxReplicaCount';
      readonly from: number;
      readonly to: number;
      /** The merge patch, the original-replicas annotation included when it is new. */
      readonly patch: object;
    }
  | {
      readonly mode: 'hpa';
      readonly namespace: string;
      /** The Deployment. */
      readonly name: string;
      readonly hpa: string;
      /** The Deployment's replicas when planned. */
      readonly replicas: number;
      readonly from: { readonly minReplicas: number; readonly maxReplicas: number };
      readonly to: { readonly minReplicas: number; readonly maxReplicas: number };
      /** The merge patch, the original-replicas annotation included when it is new. */
      readonly patch: object;
    };

/** The replicas a step asks for from `current`, before the bounds. */
export function requestedReplicas(current: number, params: ScaleParams): number {
  if (params.to !== undefined) return params.to;
  if (params.by !== undefined) return current + params.by;
  if (params.factor !== undefined) {
    // Rounded to 6 decimals first, so that 10 × 1.1 (11.000000000000002 in floating point) is 11.
    return Math.ceil(Math.round(current * params.factor * 1e6) / 1e6);
  }
  return current;
}

/** `requested` within `[min, max]`, and which bound applied, if one did. */
function clamp(requested: number, min: number, max: number): { replicas: number; bound?: string } {
  if (requested > max) return { replicas: max, bound: `max ${max}` };
  if (requested < min) return { replicas: min, bound: `min ${min}` };
  return { replicas: requested };
}

function replicasText(n: number): string {
  return n === 1 ? '1 replica' : `${n} replicas`;
}

/** The HPA that would undo a manual scale: one whose target is this Deployment. */
function hpaFor(
  hpas: readonly V2HorizontalPodAutoscaler[],
  deployment: string,
): V2HorizontalPodAutoscaler | undefined {
  return hpas
    .filter((h) => h.spec?.scaleTargetRef.kind === 'Deployment')
    .filter((h) => h.spec?.scaleTargetRef.name === deployment)
    .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1))[0];
}

async function plan(ctx: ActionContext): Promise<ActionDecision> {
  const target = ctx.target;
  if (target?.kind !== 'Deployment') {
    return { kind: 'skip', reason: 'scale needs a Deployment target' };
  }
  const { namespace, name } = target;
  const params = ctx.params as ScaleParams;
  const min = params.min ?? scaleSpec.params.properties.min.default;
  // Independent reads, one round trip: the Deployment's replicas, the HPAs and the KEDA
  // ScaledObjects beside it.
  const [scale, hpas, scaledObjects] = await Promise.all([
    ctx.kube.readDeploymentScale(namespace, name),
    ctx.kube.listHorizontalPodAutoscalers(namespace),
    listScaledObjects(ctx, namespace),
  ]);
  const current = scale.spec?.replicas ?? 0;
  const { replicas: desired, bound } = clamp(requestedReplicas(current, params), min, params.max);
  const bounds = bound === undefined ? '' : ` (${bound})`;
  // The Scale carries the Deployment's own uid, so the Event can point at the Deployment.
  const regarding: ObjectRef = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace,
    name,
    ...(scale.metadata?.uid ? { uid: scale.metadata.uid } : {}),
  };

  // KEDA owns the HPA it made (keda-hpa-<name>) and overrides manual scaling: its ScaledObject
  // is the one to raise, never its HPA.
  const scaledObject = scaledObjectFor(scaledObjects, name);
  if (scaledObject !== undefined) {
    return planKeda(namespace, name, scaledObject, current, desired, params, regarding);
  }
  const hpa = hpaFor(hpas, name);
  if (params.of === 'hpaMaxReplicas') {
    return planHpaMax(namespace, name, hpa, params, regarding);
  }
  if (hpa === undefined) {
    if (desired === current) {
      return { kind: 'skip', reason: `already at ${replicasText(current)}${bounds}` };
    }
    const intent: ScaleIntent = { mode: 'replicas', namespace, name, from: current, to: desired };
    return {
      kind: 'act',
      summary: `replicas ${current} → ${desired}${bounds}`,
      intent: { ...intent },
      regarding,
    };
  }

  // The HPA would set the replicas back on its next sync: raise its floor instead.
  const hpaName = hpa.metadata?.name ?? name;
  const from = { minReplicas: hpa.spec?.minReplicas ?? 1, maxReplicas: hpa.spec?.maxReplicas ?? 1 };
  if (desired <= from.minReplicas) {
    return {
      kind: 'skip',
      reason: `HPA ${namespace}/${hpaName} already keeps at least ${replicasText(from.minReplicas)} (minReplicas ${from.minReplicas}, maxReplicas ${from.maxReplicas}); the step asks for ${desired}${bounds}`,
    };
  }
  const to = { minReplicas: desired, maxReplicas: Math.max(from.maxReplicas, desired) };
  const recorded = hpa.metadata?.annotations?.[ORIGINAL_REPLICAS_ANNOTATION] !== undefined;
  const patch = {
    // Only the first raise records the bounds: later ones would record remediator's own values.
    ...(recorded
      ? {}
      : { metadata: { annotations: { [ORIGINAL_REPLICAS_ANNOTATION]: JSON.stringify(from) } } }),
    spec: {
      minReplicas: to.minReplicas,
      ...(to.maxReplicas === from.maxReplicas ? {} : { maxReplicas: to.maxReplicas }),
    },
  };
  const intent: ScaleIntent = {
    mode: 'hpa',
    namespace,
    name,
    hpa: hpaName,
    replicas: current,
    from,
    to,
    patch,
  };
  return { kind: 'act', summary: describeHpaChange(intent), intent: { ...intent }, regarding };
}

/** KEDA's defaults (ScaledObject spec): `minReplicaCount` 0, `maxReplicaCount` 100. */
const KEDA_DEFAULTS = { minReplicaCount: 0, maxReplicaCount: 100 } as const;

/**
 * The ScaledObjects of the namespace; none when KEDA is not installed there (its API answers
 * 404), so that a cluster without KEDA scales as before.
 */
async function listScaledObjects(ctx: ActionContext, namespace: string): Promise<CustomObject[]> {
  try {
    return await ctx.kube.listCustomObjects(KEDA_SCALED_OBJECT, namespace);
  } catch (err) {
    if (err instanceof KubeError && err.reason === 'not_found') return [];
    throw err;
  }
}

/** The ScaledObject whose target is this Deployment (kind and apiVersion default to it). */
function scaledObjectFor(
  objects: readonly CustomObject[],
  deployment: string,
): CustomObject | undefined {
  return objects
    .filter((o) => {
      const ref = o.spec?.scaleTargetRef as
        { name?: unknown; kind?: unknown; apiVersion?: unknown } | undefined;
      return (
        ref?.name === deployment &&
        (ref.kind === undefined || ref.kind === 'Deployment') &&
        (ref.apiVersion === undefined || ref.apiVersion === 'apps/v1')
      );
    })
    .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1))[0];
}

function countOf(object: CustomObject, field: keyof typeof KEDA_DEFAULTS): number {
  const value = object.spec?.[field];
  return typeof value === 'number' && Number.isInteger(value) ? value : KEDA_DEFAULTS[field];
}

/**
 * KEDA manages the Deployment: raise the ScaledObject's `minReplicaCount` to the replicas the
 * step asks for, never above its `maxReplicaCount`; with `of: hpaMaxReplicas`, raise its
 * `maxReplicaCount` instead. Only raised, never lowered.
 */
function planKeda(
  namespace: string,
  name: string,
  scaledObject: CustomObject,
  replicas: number,
  desired: number,
  params: ScaleParams,
  regarding: ObjectRef,
): ActionDecision {
  const soName = scaledObject.metadata?.name ?? name;
  const min = countOf(scaledObject, 'minReplicaCount');
  const max = countOf(scaledObject, 'maxReplicaCount');
  const what = `ScaledObject ${namespace}/${soName}`;
  let field: 'minReplicaCount' | 'maxReplicaCount';
  let from: number;
  let to: number;
  let bounds = '';
  if (params.of === 'hpaMaxReplicas') {
    field = 'maxReplicaCount';
    from = max;
    const requested = requestedReplicas(max, params);
    to = Math.min(requested, params.max);
    if (requested > params.max) bounds = ` (max ${params.max})`;
    if (to <= from) {
      return {
        kind: 'skip',
        reason: `${what} maxReplicaCount is already ${from}; the step asks for ${to}${bounds} and never lowers it`,
      };
    }
  } else {
    field = 'minReplicaCount';
    from = min;
    to = Math.min(desired, max);
    if (desired > max) bounds = ` (its maxReplicaCount ${max})`;
    if (to <= from) {
      return {
        kind: 'skip',
        reason: `${what} already keeps at least ${replicasText(from)} (minReplicaCount ${from}, maxReplicaCount ${max}); the step asks for ${desired}`,
      };
    }
  }
  const recorded = scaledObject.metadata?.annotations?.[ORIGINAL_REPLICAS_ANNOTATION] !== undefined;
  const patch = {
    ...(recorded
      ? {}
      : {
          metadata: {
            annotations: {
              [ORIGINAL_REPLICAS_ANNOTATION]: JSON.stringify({
                minReplicaCount: min,
                maxReplicaCount: max,
              }),
            },
          },
        }),
    spec: { [field]: to },
  };
  const intent: ScaleIntent = {
    mode: 'keda',
    namespace,
    name,
    scaledObject: soName,
    replicas,
    field,
    from,
    to,
    patch,
  };
  return {
    kind: 'act',
    summary: `${what} ${field} ${from} → ${to}${bounds} (Deployment at ${replicas} replicas)`,
    intent: { ...intent },
    regarding,
  };
}

/** `of: hpaMaxReplicas`: raise the ceiling of the HPA that manages the Deployment, within `max`. */
function planHpaMax(
  namespace: string,
  name: string,
  hpa: V2HorizontalPodAutoscaler | undefined,
  params: ScaleParams,
  regarding: ObjectRef,
): ActionDecision {
  if (hpa === undefined) {
    return {
      kind: 'skip',
      reason: `no HorizontalPodAutoscaler targets Deployment ${namespace}/${name}, so there is no maxReplicas to raise`,
    };
  }
  const hpaName = hpa.metadata?.name ?? name;
  const from = { minReplicas: hpa.spec?.minReplicas ?? 1, maxReplicas: hpa.spec?.maxReplicas ?? 1 };
  const requested = requestedReplicas(from.maxReplicas, params);
  const to = Math.min(requested, params.max);
  const bounds = requested > params.max ? ` (max ${params.max})` : '';
  if (to <= from.maxReplicas) {
    return {
      kind: 'skip',
      reason: `HPA ${namespace}/${hpaName} maxReplicas is already ${from.maxReplicas}; the step asks for ${to}${bounds} and never lowers it`,
    };
  }
  const recorded = hpa.metadata?.annotations?.[ORIGINAL_REPLICAS_ANNOTATION] !== undefined;
  const patch = {
    ...(recorded
      ? {}
      : { metadata: { annotations: { [ORIGINAL_REPLICAS_ANNOTATION]: JSON.stringify(from) } } }),
    spec: { maxReplicas: to },
  };
  const intent: ScaleIntent = {
    mode: 'hpaMax',
    namespace,
    name,
    hpa: hpaName,
    from: from.maxReplicas,
    to,
    patch,
  };
  return {
    kind: 'act',
    summary: `HPA ${namespace}/${hpaName} maxReplicas ${from.maxReplicas} → ${to}${bounds}`,
    intent: { ...intent },
    regarding,
  };
}

function describeHpaChange(intent: Extract<ScaleIntent, { mode: 'hpa' }>): string {
  const max =
    intent.to.maxReplicas === intent.from.maxReplicas
      ? ''
      : `, maxReplicas ${intent.from.maxReplicas} → ${intent.to.maxReplicas}`;
  return `HPA ${intent.namespace}/${intent.hpa} minReplicas ${intent.from.minReplicas} → ${intent.to.minReplicas}${max} (Deployment at ${intent.replicas} replicas)`;
}

async function apply(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<ActionResult> {
  const intent = raw as unknown as ScaleIntent;
  const options = { dryRun: ctx.dryRun };
  if (intent.mode === 'keda') {
    await ctx.kube.patchCustomObject(
      KEDA_SCALED_OBJECT,
      intent.namespace,
      intent.scaledObject,
      intent.patch,
      options,
    );
    const what = `ScaledObject ${intent.namespace}/${intent.scaledObject} ${intent.field} ${intent.from} → ${intent.to}`;
    return {
      summary: ctx.dryRun ? `would raise ${what}` : `raised ${what}`,
      data: {
        scaledObject: intent.scaledObject,
        field: intent.field,
        from: intent.from,
        to: intent.to,
      },
    };
  }
  if (intent.mode === 'hpaMax') {
    await ctx.kube.patchHorizontalPodAutoscaler(
      intent.namespace,
      intent.hpa,
      intent.patch,
      options,
    );
    const what = `HPA ${intent.namespace}/${intent.hpa} maxReplicas ${intent.from} → ${intent.to}`;
    return {
      summary: ctx.dryRun ? `would raise ${what}` : `raised ${what}`,
      data: { hpa: intent.hpa, from: intent.from, to: intent.to },
    };
  }
  if (intent.mode === 'hpa') {
    await ctx.kube.patchHorizontalPodAutoscaler(
      intent.namespace,
      intent.hpa,
      intent.patch,
      options,
    );
    const what = `raise ${describeHpaChange(intent)}`;
    return {
      summary: ctx.dryRun ? `would ${what}` : `raised ${describeHpaChange(intent)}`,
      data: { hpa: intent.hpa, from: intent.from, to: intent.to },
    };
  }
  await ctx.kube.patchDeploymentScale(intent.namespace, intent.name, intent.to, options);
  const what = `${intent.namespace}/${intent.name} ${intent.from} → ${intent.to}`;
  return {
    summary: ctx.dryRun ? `would scale ${what}` : `scaled ${what}`,
    data: { from: intent.from, to: intent.to },
  };
}

/** Done when the replicas (or the HPA's floor) are where the intent put them. */
async function reconcile(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<'done' | 'not_done' | 'unknown'> {
  const intent = raw as unknown as ScaleIntent;
  try {
    if (intent.mode === 'keda') {
      const scaledObject = await ctx.kube.readCustomObject(
        KEDA_SCALED_OBJECT,
        intent.namespace,
        intent.scaledObject,
      );
      return countOf(scaledObject, intent.field) >= intent.to ? 'done' : 'not_done';
    }
    if (intent.mode === 'hpa' || intent.mode === 'hpaMax') {
      const hpas = await ctx.kube.listHorizontalPodAutoscalers(intent.namespace);
      const hpa = hpas.find((h) => h.metadata?.name === intent.hpa);
      if (hpa === undefined) return 'unknown';
      if (intent.mode === 'hpaMax') {
        return (hpa.spec?.maxReplicas ?? 1) >= intent.to ? 'done' : 'not_done';
      }
      return (hpa.spec?.minReplicas ?? 1) >= intent.to.minReplicas ? 'done' : 'not_done';
    }
    const scale = await ctx.kube.readDeploymentScale(intent.namespace, intent.name);
    return scale.spec?.replicas === intent.to ? 'done' : 'not_done';
  } catch (err) {
    if (err instanceof KubeError) return 'unknown';
    throw err;
  }
}

/** The `scale` action. */
export const scale: Action = { ...scaleSpec, plan, apply, reconcile };
