import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { FromSchema } from 'json-schema-to-ts';
import { KubeError } from '../kube/errors';
import {
  durationSchema,
  type Action,
  type ActionContext,
  type ActionDecision,
  type ActionResult,
  type ActionSpec,
} from './action';
import {
  equalIgnoringHash,
  HISTORY_ANNOTATION,
  historyWith,
  REVISION_ANNOTATION,
  rolloutHistory,
  snapshotOf,
  withoutHash,
  type Plain,
  type Revision,
} from './history';
import { deploymentRef } from './restart';

/** `kubectl rollout undo`: back to the previous (or a given) ReplicaSet revision. */
export const rollbackSpec = {
  name: 'rollback',
  description:
    'Rolls a Deployment back exactly as `kubectl rollout undo` does: picks the previous revision among the ReplicaSets it owns (or `toRevision`), and replaces the pod template and annotations with a JSON patch. Skips a paused Deployment and one already at that template. With `onlyIfChangedWithin`, acts only when the current revision was rolled out within that window (a bad rollout), and skips otherwise so the next step can run.',
  targetKinds: ['Deployment'],
  remediates: true,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      toRevision: {
        type: 'integer',
        minimum: 1,
        description:
          'The revision (`deployment.kubernetes.io/revision`) to go back to; default: the one before the current.',
      },
      onlyIfChangedWithin: {
        ...durationSchema,
        description:
          'Act only when the current revision was created within this duration; otherwise skip (the rollout is not the likely cause).',
      },
    },
  },
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
  ],
  example: { action: 'rollback', params: { onlyIfChangedWithin: '2h' }, verify: '10m' },
} as const satisfies ActionSpec;

export type RollbackParams = FromSchema<typeof rollbackSpec.params>;

/**
 * Deployment annotations kubectl keeps from the Deployment itself rather than copying from the
 * ReplicaSet (`annotationsToSkip` in kubectl's rollback.go).
 */
export const ANNOTATIONS_TO_SKIP: readonly string[] = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
];

/** kubectl's refusal, word for word. */
export const PAUSED_ROLLBACK_REASON =
  "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again";

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  readonly op: 'add' | 'replace';
  readonly path: string;
  readonly value: unknown;
}

/** What `apply()` and `reconcile()` need; journaled before the write. */
export interface RollbackIntent {
  readonly namespace: string;
  readonly name: string;
  /** The current revision, if the Deployment controls any ReplicaSet with one. */
  readonly fromRevision?: string;
  readonly toRevision: string;
  /** Image changes in words, e.g. `model: reg/model:v41 → reg/model:v40`. */
  readonly changes: string;
  /** `[replace /spec/template, replace|add /metadata/annotations]`, as kubectl sends them. */
  readonly patch: readonly JsonPatchOp[];
}

async function plan(ctx: ActionContext): Promise<ActionDecision> {
  const target = ctx.target;
  if (target?.kind !== 'Deployment') {
    return { kind: 'skip', reason: 'rollback needs a Deployment target' };
  }
  const { namespace, name } = target;
  const params = ctx.params as RollbackParams;
  const deployment = await ctx.kube.readDeployment(namespace, name);
  const history = await rolloutHistory(ctx.kube, deployment);

  // The lookup comes first, so a missing revision is reported before a pause (as kubectl does).
  let chosen: Revision | undefined;
  if (params.toRevision === undefined) {
    chosen = history.previous;
    if (chosen === undefined) {
      return { kind: 'skip', reason: `no rollout history found for deployment "${name}"` };
    }
  } else {
    const wanted = BigInt(params.toRevision);
    chosen = history.revisions.find((r) => r.revision === wanted);
    if (chosen === undefined) {
      return {
        kind: 'skip',
        reason: `unable to find specified revision ${params.toRevision} in history`,
      };
    }
  }

  if (params.onlyIfChangedWithin !== undefined && history.latest !== undefined) {
    const tooOld = changedTooLongAgo(history.latest, params.onlyIfChangedWithin, ctx.now);
    if (tooOld !== undefined) return { kind: 'skip', reason: tooOld };
  }
  if (deployment.spec?.paused === true) return { kind: 'skip', reason: PAUSED_ROLLBACK_REASON };
  const template = chosen.replicaSet.spec?.template;
  if (equalIgnoringHash(template, deployment.spec?.template)) {
    return {
      kind: 'skip',
      reason: `skipped rollback (current template already matches revision ${chosen.revision})`,
    };
  }

  const intent: RollbackIntent = {
    namespace,
    name,
    ...(history.latest ? { fromRevision: String(history.latest.revision) } : {}),
    toRevision: String(chosen.revision),
    changes: imageChanges(deployment.spec?.template, template),
    patch: rollbackPatch(deployment, chosen, ctx.now),
  };
  return {
    kind: 'act',
    summary: `${describeRevisions(intent)} (${intent.changes})`,
    intent: { ...intent },
    regarding: deploymentRef(deployment, namespace, name),
  };
}

/**
 * kubectl's patch: the ReplicaSet's template without `pod-template-hash`, and the annotation map
 * rebuilt from the Deployment's own values for the skip list plus every other annotation of the
 * ReplicaSet (anything else on the Deployment is dropped: the whole map is replaced). The one
 * addition is remediator's history, which those rules would drop, and which would otherwise be
 * taken from the stale copy the deployment controller put on the ReplicaSet.
 */
function rollbackPatch(deployment: V1Deployment, chosen: Revision, now: Date): JsonPatchOp[] {
  const own = deployment.metadata?.annotations;
  const annotations: Record<string, string> = {};
  for (const key of ANNOTATIONS_TO_SKIP) {
    const value = own?.[key];
    if (value !== undefined) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(chosen.replicaSet.metadata?.annotations ?? {})) {
    if (!ANNOTATIONS_TO_SKIP.includes(key)) annotations[key] = value;
  }
  annotations[HISTORY_ANNOTATION] = historyWith(
    deployment,
    snapshotOf(deployment.spec?.template, 'rollback', now),
  );
  return [
    { op: 'replace', path: '/spec/template', value: withoutHash(chosen.replicaSet.spec?.template) },
    // kubectl always sends `replace`, which needs the path to exist: on a Deployment without an
    // annotations map (one the deployment controller never stamped a revision on) the server
    // answers with the generic 422. `add` creates the map there, and is otherwise the same.
    {
      op: own === undefined ? 'add' : 'replace',
      path: '/metadata/annotations',
      value: annotations,
    },
  ];
}

/** The skip reason when the current revision is older than `window`, else undefined. */
function changedTooLongAgo(latest: Revision, window: string, now: Date): string | undefined {
  const created = latest.replicaSet.metadata?.creationTimestamp;
  const createdMs = created === undefined ? NaN : new Date(created).getTime();
  const rsName = latest.replicaSet.metadata?.name ?? '?';
  if (Number.isNaN(createdMs)) {
    return `current revision ${latest.revision} (ReplicaSet ${rsName}) has no creation time, so it cannot be shown to have changed within ${window} (onlyIfChangedWithin)`;
  }
  const age = now.getTime() - createdMs;
  if (age <= durationMs(window)) return undefined;
  return `current revision ${latest.revision} (ReplicaSet ${rsName}) was created ${formatAge(age)} ago, not within ${window} (onlyIfChangedWithin): a recent rollout is not the likely cause`;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `1h30m` → 5400000; the params schema has already checked the form. */
export function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  }
  return total;
}

/** `5h 3m`, `45s`: the two largest units. */
function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor(seconds / 3_600) % 24, 'h'],
    [Math.floor(seconds / 60) % 60, 'm'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([v]) => v > 0)
    .map(([v, unit]) => `${v}${unit}`)
    .join(' ');
}

/** `model: reg/model:v41 → reg/model:v40`, or `pod template differs` when no image changes. */
function imageChanges(
  from: V1PodTemplateSpec | undefined,
  to: V1PodTemplateSpec | undefined,
): string {
  const before = new Map(
    [...(from?.spec?.initContainers ?? []), ...(from?.spec?.containers ?? [])].map((c) => [
      c.name,
      c.image,
    ]),
  );
  const changes: string[] = [];
  for (const c of [...(to?.spec?.initContainers ?? []), ...(to?.spec?.containers ?? [])]) {
    const old = before.get(c.name);
    if (old !== c.image) changes.push(`${c.name}: ${old ?? '(none)'} → ${c.image ?? '(none)'}`);
  }
  return changes.length > 0 ? changes.join(', ') : 'pod template differs, images unchanged';
}

function describeRevisions(intent: RollbackIntent): string {
  const from = intent.fromRevision === undefined ? '' : ` from revision ${intent.fromRevision}`;
  return `${intent.namespace}/${intent.name}${from} to revision ${intent.toRevision}`;
}

async function apply(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<ActionResult> {
  const intent = raw as unknown as RollbackIntent;
  await ctx.kube.patchDeployment(
    intent.namespace,
    intent.name,
    { type: 'json', body: intent.patch },
    { dryRun: ctx.dryRun },
  );
  const what = `${describeRevisions(intent)} (${intent.changes})`;
  return {
    summary: ctx.dryRun ? `would roll back ${what}` : `rolled back ${what}`,
    data: { toRevision: intent.toRevision },
  };
}

/** Done when the Deployment's template is the one the patch put there (hash label aside). */
async function reconcile(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<'done' | 'not_done' | 'unknown'> {
  const intent = raw as unknown as RollbackIntent;
  const wanted = intent.patch.find((op) => op.path === '/spec/template')?.value as
    Plain<V1PodTemplateSpec> | undefined;
  if (wanted === undefined) return 'unknown';
  try {
    const deployment = await ctx.kube.readDeployment(intent.namespace, intent.name);
    return equalIgnoringHash(wanted, deployment.spec?.template) ? 'done' : 'not_done';
  } catch (err) {
    if (err instanceof KubeError) return 'unknown';
    throw err;
  }
}

/** The `rollback` action. */
export const rollback: Action = { ...rollbackSpec, plan, apply, reconcile };
