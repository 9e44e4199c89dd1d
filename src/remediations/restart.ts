import type { V1Deployment } from '@kubernetes/client-node';
import { KubeError } from '../kube/errors';
import type { ObjectRef } from '../kube/port';
import type { Action, ActionContext, ActionDecision, ActionResult, ActionSpec } from './action';
import {
  formatSeconds,
  HISTORY_ANNOTATION,
  historyWith,
  snapshotOf,
  type HistoryEntry,
} from './history';

/** `kubectl rollout restart`: a new pod template annotation, so every pod is replaced. */
export const restartSpec = {
  name: 'restart',
  description:
    "Restarts a Deployment's pods as `kubectl rollout restart` does: sets the `kubectl.kubernetes.io/restartedAt` annotation on the pod template with a strategic merge patch, so the Deployment rolls its pods. Skips a paused Deployment.",
  targetKinds: ['Deployment'],
  remediates: true,
  params: { type: 'object', additionalProperties: false, properties: {} },
  rbac: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] }],
  example: { action: 'restart', verify: '5m' },
} as const satisfies ActionSpec;

/** The pod template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** kubectl's refusal, word for word: a paused Deployment does not roll out. */
export const PAUSED_RESTART_REASON = "can't restart paused deployment (run rollout resume first)";

/** What `apply()` and `reconcile()` need; journaled before the write. */
export interface RestartIntent {
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
  deployment: V1Deployment,
  restartedAt: string,
  snapshot: HistoryEntry,
): object {
  return {
    metadata: { annotations: { [HISTORY_ANNOTATION]: historyWith(deployment, snapshot) } },
    spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } },
  };
}

/** The restartedAt value the pod template carries now, if any. */
export function currentRestartedAt(deployment: V1Deployment): string | undefined {
  return deployment.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
}

async function plan(ctx: ActionContext): Promise<ActionDecision> {
  const target = ctx.target;
  if (target?.kind !== 'Deployment')
    return { kind: 'skip', reason: 'restart needs a Deployment target' };
  const { namespace, name } = target;
  const deployment = await ctx.kube.readDeployment(namespace, name);
  if (deployment.spec?.paused === true) return { kind: 'skip', reason: PAUSED_RESTART_REASON };
  // kubectl's value: RFC 3339 at second precision; remediator runs in UTC, so it ends in Z.
  const restartedAt = formatSeconds(ctx.now);
  if (currentRestartedAt(deployment) === restartedAt) {
    return { kind: 'skip', reason: `${namespace}/${name} was already restarted at ${restartedAt}` };
  }
  const intent: RestartIntent = {
    namespace,
    name,
    restartedAt,
    patch: restartPatch(
      deployment,
      restartedAt,
      snapshotOf(deployment.spec?.template, 'restart', ctx.now),
    ),
  };
  return {
    kind: 'act',
    summary: `restart the pods of ${namespace}/${name} (restartedAt ${restartedAt})`,
    intent: { ...intent },
    regarding: deploymentRef(deployment, namespace, name),
  };
}

async function apply(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<ActionResult> {
  const intent = raw as unknown as RestartIntent;
  await ctx.kube.patchDeployment(
    intent.namespace,
    intent.name,
    { type: 'strategic', body: intent.patch },
    { dryRun: ctx.dryRun },
  );
  const what = `${intent.namespace}/${intent.name} (restartedAt ${intent.restartedAt})`;
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
    const deployment = await ctx.kube.readDeployment(intent.namespace, intent.name);
    return currentRestartedAt(deployment) === intent.restartedAt ? 'done' : 'not_done';
  } catch (err) {
    if (err instanceof KubeError) return 'unknown';
    throw err;
  }
}

/** The `restart` action. */
export const restart: Action = { ...restartSpec, plan, apply, reconcile };
