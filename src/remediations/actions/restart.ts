import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { KubeError } from '../../kube/errors';
import { objectRef } from '../../kube/objects';
import type { KubePort, ObjectRef, Patch, WriteOptions } from '../../kube/port';
import type { ActionSpec } from '../../policies/action-spec';
import type { Action, ActionContext, ActionDecision, ActionResult } from '../action';
import {
  formatSeconds,
  HISTORY_ANNOTATION,
  historyWith,
  snapshotOf,
  type HistoryEntry,
} from './history';

/** `kubectl rollout restart`: a new pod template annotation, so every pod is replaced. */
const restartSpec = {
  name: 'restart',
  description:
    'Restarts the pods of a Deployment, StatefulSet or DaemonSet as `kubectl rollout restart` does: sets the `kubectl.kubernetes.io/restartedAt` annotation on the pod template with a strategic merge patch, so the controller rolls its pods. Skips a paused Deployment (as kubectl does) and a StatefulSet or DaemonSet with the `OnDelete` update strategy (kubectl would patch it, but its controller then replaces no pod).',
  targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
  remediates: true,
  writesTarget: true,
  params: { type: 'object', additionalProperties: false, properties: {} },
  rbac: [
    {
      apiGroups: ['apps'],
      resources: ['deployments', 'statefulsets', 'daemonsets'],
      verbs: ['get', 'patch'],
    },
  ],
  example: { action: 'restart', verify: '5m' },
} as const satisfies ActionSpec;

/** The pod template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** kubectl's refusal, word for word: a paused Deployment does not roll out. */
export const PAUSED_RESTART_REASON = "can't restart paused deployment (run rollout resume first)";

/** The workloads restart works on: each has a pod template its controller rolls out. */
type Workload = 'Deployment' | 'StatefulSet' | 'DaemonSet';
type WorkloadObject = V1Deployment | V1StatefulSet | V1DaemonSet;

/** What `apply()` and `reconcile()` need; journaled before the write. */
export interface RestartIntent {
  /** Absent in intents journaled when restart knew Deployments only. */
  readonly kind?: Workload;
  readonly namespace: string;
  readonly name: string;
  readonly restartedAt: string;
  /** The strategic merge patch, history annotation included. */
  readonly patch: object;
}

/** The Deployment an action is about, for the audit Event. */
export function deploymentRef(
  deployment: V1Deployment,
  namespace: string,
  name: string,
): ObjectRef {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace,
    name,
    ...(deployment.metadata?.uid ? { uid: deployment.metadata.uid } : {}),
  };
}

/**
 * The strategic merge patch of a restart: `restartedAt` on the pod template (what kubectl sends)
 * and, in the same patch, the remediator history with a snapshot of the template as it was.
 */
export function restartPatch(
  deployment: WorkloadObject,
  restartedAt: string,
  snapshot: HistoryEntry,
): object {
  return {
    metadata: { annotations: { [HISTORY_ANNOTATION]: historyWith(deployment, snapshot) } },
    spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } },
  };
}

/** The restartedAt value the pod template carries now, if any. */
export function currentRestartedAt(deployment: WorkloadObject): string | undefined {
  return deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
}

function readWorkload(kube: KubePort, kind: Workload, namespace: string, name: string) {
  switch (kind) {
    case 'Deployment':
      return kube.readDeployment(namespace, name);
    case 'StatefulSet':
      return kube.readStatefulSet(namespace, name);
    case 'DaemonSet':
      return kube.readDaemonSet(namespace, name);
  }
}

function patchWorkload(
  kube: KubePort,
  kind: Workload,
  namespace: string,
  name: string,
  patch: Patch,
  options: WriteOptions,
) {
  switch (kind) {
    case 'Deployment':
      return kube.patchDeployment(namespace, name, patch, options);
    case 'StatefulSet':
      return kube.patchStatefulSet(namespace, name, patch, options);
    case 'DaemonSet':
      return kube.patchDaemonSet(namespace, name, patch, options);
  }
}

/** Why the controller would replace no pod after the patch, if it would not. */
function wontRoll(kind: Workload, object: WorkloadObject, where: string): string | undefined {
  // Deployments can be paused; StatefulSets and DaemonSets have an update strategy instead.
  const spec: { paused?: boolean; updateStrategy?: { type?: string } } | undefined = object.spec;
  if (kind === 'Deployment') return spec?.paused === true ? PAUSED_RESTART_REASON : undefined;
  return spec?.updateStrategy?.type === 'OnDelete'
    ? `${kind} ${where} has the OnDelete update strategy: its controller replaces no pod for a new template, so a restart would change nothing (delete its pods instead)`
    : undefined;
}

async function plan(ctx: ActionContext): Promise<ActionDecision> {
  const target = ctx.target;
  if (target === undefined || target.kind === 'Pod' || target.kind === 'InferenceService')
    return { kind: 'skip', reason: 'restart needs a Deployment, StatefulSet or DaemonSet target' };
  const { kind, namespace, name } = target;
  const object = await readWorkload(ctx.kube, kind, namespace, name);
  const refusal = wontRoll(kind, object, `${namespace}/${name}`);
  if (refusal !== undefined) return { kind: 'skip', reason: refusal };
  // kubectl's value: RFC 3339 at second precision; remediator runs in UTC, so it ends in Z.
  const restartedAt = formatSeconds(ctx.now);
  if (currentRestartedAt(object) === restartedAt) {
    return { kind: 'skip', reason: `${namespace}/${name} was already restarted at ${restartedAt}` };
  }
  const intent: RestartIntent = {
    kind,
    namespace,
    name,
    restartedAt,
    patch: restartPatch(object, restartedAt, snapshotOf(object.spec?.template, 'restart', ctx.now)),
  };
  const what = kind === 'Deployment' ? '' : `${kind} `;
  return {
    kind: 'act',
    summary: `restart the pods of ${what}${namespace}/${name} (restartedAt ${restartedAt})`,
    intent: { ...intent },
    regarding: objectRef(target, object),
  };
}

async function apply(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<ActionResult> {
  const intent = raw as unknown as RestartIntent;
  const kind = intent.kind ?? 'Deployment';
  await patchWorkload(
    ctx.kube,
    kind,
    intent.namespace,
    intent.name,
    { type: 'strategic', body: intent.patch },
    { dryRun: ctx.dryRun },
  );
  const what = `${kind === 'Deployment' ? '' : `${kind} `}${intent.namespace}/${intent.name} (restartedAt ${intent.restartedAt})`;
  return {
    summary: ctx.dryRun ? `would restart ${what}` : `restarted ${what}`,
    data: { restartedAt: intent.restartedAt },
  };
}

async function reconcile(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<'done' | 'not_done' | 'unknown'> {
  const intent = raw as unknown as RestartIntent;
  try {
    const object = await readWorkload(
      ctx.kube,
      intent.kind ?? 'Deployment',
      intent.namespace,
      intent.name,
    );
    return currentRestartedAt(object) === intent.restartedAt ? 'done' : 'not_done';
  } catch (err) {
    if (err instanceof KubeError) return 'unknown';
    throw err;
  }
}

/** The `restart` action. */
export const restart: Action = { ...restartSpec, plan, apply, reconcile };
