import { KSERVE_INFERENCE_SERVICE, type CustomObject } from '../../kube/custom-resources';
import type { ObjectRef } from '../../kube/port';
import type { ActionDecision } from '../action';
import { formatSeconds } from './history';

/**
 * `restore-model` on a KServe InferenceService (`serving.kserve.io/v1beta1`), in two ways:
 *
 * - **A canary rollout in progress** (Serverless mode: `spec.predictor.canaryTrafficPercent`
 *   below 100, and a previous rolled-out revision in `status.components.predictor`): all traffic
 *   goes back to the previous revision by setting `canaryTrafficPercent: 0`, the rollback KServe's
 *   canary documentation gives. The new revision stays, with no traffic, for humans to examine.
 * - **Otherwise** (no canary, or RawDeployment mode, which has no traffic split): the predictor's
 *   model field (`spec.predictor.model.storageUri`, `.runtimeVersion` or `.modelFormat.version`)
 *   goes back to its last known-good value: `version` if the step gives it, else the newest
 *   value remediator recorded (annotation {@link MODEL_HISTORY_ANNOTATION}) before one of its own
 *   changes that differs from the current one.
 *
 * Pure: the action reads the object and hands it here; the answer is the decision and its patch
 * (a merge patch: a custom resource refuses strategic merge patch).
 */

/** On the InferenceService: JSON array of `{at, field, value}`, the values before each change. */
export const MODEL_HISTORY_ANNOTATION = 'remediator.dev/model-history';
const MODEL_HISTORY_LIMIT = 10;

/** The predictor fields `restore-model` can put back, under `spec.predictor.model`. */
export const PREDICTOR_FIELDS = ['storageUri', 'runtimeVersion', 'modelFormat.version'] as const;
export type PredictorField = (typeof PREDICTOR_FIELDS)[number];

export type InferenceServiceIntent =
  | {
      readonly mode: 'canary';
      readonly namespace: string;
      readonly name: string;
      readonly from: number;
      readonly previousRevision: string;
      readonly latestRevision?: string;
      readonly patch: object;
    }
  | {
      readonly mode: 'predictor';
      readonly namespace: string;
      readonly name: string;
      readonly field: PredictorField;
      readonly from?: string;
      readonly to: string;
      readonly source: string;
      readonly patch: object;
    };

interface ModelHistoryEntry {
  readonly at: string;
  readonly field: string;
  readonly value: string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readModelHistory(isvc: CustomObject): ModelHistoryEntry[] {
  const raw = isvc.metadata?.annotations?.[MODEL_HISTORY_ANNOTATION];
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (e): e is ModelHistoryEntry =>
        typeof record(e)?.at === 'string' &&
        typeof record(e)?.field === 'string' &&
        typeof record(e)?.value === 'string',
    );
  } catch {
    return [];
  }
}

/** The predictor's value of `field`, under `spec.predictor.model`. */
export function predictorValue(isvc: CustomObject, field: PredictorField): string | undefined {
  const model = record(record(isvc.spec?.predictor)?.model);
  if (field === 'modelFormat.version') return text(record(model?.modelFormat)?.version);
  return text(model?.[field]);
}

/** The canary in progress, if any: its traffic percent and the revisions it splits. */
function canaryOf(
  isvc: CustomObject,
): { percent: number; previous: string; latest?: string } | undefined {
  const percent = record(isvc.spec?.predictor)?.canaryTrafficPercent;
  if (typeof percent !== 'number' || percent >= 100) return undefined;
  const status = record(record(isvc.status?.components)?.predictor);
  const previous = text(status?.previousRolledoutRevision);
  if (previous === undefined) return undefined;
  const latest = text(status?.latestCreatedRevision);
  if (latest === previous) return undefined;
  return { percent, previous, ...(latest === undefined ? {} : { latest }) };
}

function ref(isvc: CustomObject, namespace: string, name: string): ObjectRef {
  const uid = isvc.metadata?.uid;
  return {
    apiVersion: `${KSERVE_INFERENCE_SERVICE.group}/${KSERVE_INFERENCE_SERVICE.version}`,
    kind: KSERVE_INFERENCE_SERVICE.kind,
    namespace,
    name,
    ...(uid === undefined ? {} : { uid }),
  };
}

/** The nested merge patch that sets `field` under `spec.predictor.model`. */
function fieldPatch(field: PredictorField, value: string): object {
  const model =
    field === 'modelFormat.version' ? { modelFormat: { version: value } } : { [field]: value };
  return { spec: { predictor: { model } } };
}

/** What restore-model does to an InferenceService: roll a canary back, or restore a field. */
export function planInferenceService(input: {
  readonly isvc: CustomObject;
  readonly namespace: string;
  readonly name: string;
  readonly field: PredictorField;
  readonly version?: string;
  readonly now: Date;
}): ActionDecision {
  const { isvc, namespace, name, field } = input;
  const where = `InferenceService ${namespace}/${name}`;
  const regarding = ref(isvc, namespace, name);
  const canary = canaryOf(isvc);
  if (canary !== undefined) {
    if (canary.percent === 0) {
      return {
        kind: 'skip',
        reason: `${where} already sends all traffic to its previous revision ${canary.previous} (canaryTrafficPercent 0)`,
      };
    }
    const intent: InferenceServiceIntent = {
      mode: 'canary',
      namespace,
      name,
      from: canary.percent,
      previousRevision: canary.previous,
      ...(canary.latest === undefined ? {} : { latestRevision: canary.latest }),
      patch: { spec: { predictor: { canaryTrafficPercent: 0 } } },
    };
    return {
      kind: 'act',
      summary: describeInferenceService(intent),
      intent: { ...intent },
      regarding,
    };
  }

  const current = predictorValue(isvc, field);
  const history = readModelHistory(isvc);
  let known: { version: string; source: string } | undefined =
    input.version === undefined ? undefined : { version: input.version, source: 'params' };
  if (known === undefined) {
    const entry = [...history].reverse().find((e) => e.field === field && e.value !== current);
    if (entry !== undefined)
      known = { version: entry.value, source: `remediator history (before ${entry.at})` };
  }
  if (known === undefined) {
    return {
      kind: 'skip',
      reason: `${where} has no canary rollout in progress and no known-good ${field} recorded: give \`version\``,
    };
  }
  if (known.version === current) return { kind: 'skip', reason: `${where} already at ${current}` };
  const snapshot: readonly ModelHistoryEntry[] =
    current === undefined
      ? history
      : [...history, { at: formatSeconds(input.now), field, value: current }].slice(
          -MODEL_HISTORY_LIMIT,
        );
  const intent: InferenceServiceIntent = {
    mode: 'predictor',
    namespace,
    name,
    field,
    ...(current === undefined ? {} : { from: current }),
    to: known.version,
    source: known.source,
    patch: {
      metadata: { annotations: { [MODEL_HISTORY_ANNOTATION]: JSON.stringify(snapshot) } },
      ...fieldPatch(field, known.version),
    },
  };
  return {
    kind: 'act',
    summary: `${describeInferenceService(intent)} (known-good: ${known.source})`,
    intent: { ...intent },
    regarding,
  };
}

export function describeInferenceService(intent: InferenceServiceIntent): string {
  if (intent.mode === 'canary') {
    const latest =
      intent.latestRevision === undefined ? '' : `; ${intent.latestRevision} keeps none`;
    return `InferenceService ${intent.namespace}/${intent.name} canary rolled back: all traffic to the previous revision ${intent.previousRevision} (canaryTrafficPercent ${intent.from} → 0${latest})`;
  }
  return `InferenceService ${intent.namespace}/${intent.name} predictor ${intent.field} ${intent.from ?? '(unset)'} → ${intent.to}`;
}

/** Whether the intent's change is in place on the object read back. */
export function inferenceServiceDone(isvc: CustomObject, intent: InferenceServiceIntent): boolean {
  if (intent.mode === 'canary') return record(isvc.spec?.predictor)?.canaryTrafficPercent === 0;
  return predictorValue(isvc, intent.field) === intent.to;
}
