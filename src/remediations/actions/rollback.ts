import { createHash } from 'node:crypto';
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { FromSchema } from 'json-schema-to-ts';
import { KubeError } from '../../kube/errors';
import { durationMs, durationSchema, formatElapsed } from '../../labels/durations';
import type { ActionSpec } from '../../policies/action-spec';
import type { Action, ActionContext, ActionDecision, ActionResult } from '../action';
import {
  equalIgnoringHash,
  HISTORY_ANNOTATION,
  historyWith,
  REVISION_ANNOTATION,
  rolloutHistory,
  snapshotOf,
  toJson,
  withoutHash,
  type Plain,
  type Revision,
} from './history';
import { deploymentRef } from './restart';

/** `kubectl rollout undo`: back to the previous (or a given) ReplicaSet revision. */
const rollbackSpec = {
  name: 'rollback',
  description:
    "Rolls a Deployment back exactly as `kubectl rollout undo` does: picks the previous revision among the ReplicaSets it owns (or `toRevision`), and replaces the pod template and annotations with a JSON patch, guarded by `test` operations on the Deployment's uid and generation so that one edited since the plan (for example across a restart) is not overwritten: the step fails instead (a scale in between is no edit). Skips a paused Deployment and one already at that template. With `onlyIfChangedWithin`, acts only when the current revision was rolled out within that window (a bad rollout), and skips otherwise so the next step can run. When the current revision was rolled out is read from the Deployment's `Progressing` condition if it names the current ReplicaSet (its last update time: when that rollout was created, last progressed, completed or timed out; scaling does not change it), else from the ReplicaSet's creation time. The creation time alone would be wrong after a rollout back to a template used before (a GitOps revert, a redeploy after an undo): the deployment controller then reuses the old ReplicaSet and only raises its revision.",
  targetKinds: ['Deployment'],
  remediates: true,
  writesTarget: true,
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
          'Act only when the current revision was rolled out within this duration; otherwise skip (the rollout is not the likely cause).',
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
  readonly op: 'add' | 'replace' | 'test';
  readonly path: string;
  readonly value: unknown;
}

/** What the plan read of the Deployment, to tell on apply whether it changed since. */
export interface PlannedAgainst {
  readonly uid: string;
  readonly generation: number;
  /** {@link specFingerprint} of the Deployment the plan read. */
  readonly fingerprint: string;
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
  /**
   * `[test /metadata/uid, test /metadata/generation, replace /spec/template, replace|add
   * /metadata/annotations]`: kubectl's two operations behind a guard (see {@link sendPatch}).
   */
  readonly patch: readonly JsonPatchOp[];
  /** Absent in intents journaled before the guard existed (they are sent as they are). */
  readonly planned?: PlannedAgainst;
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
    const tooOld = changedTooLongAgo(
      rolledOutAt(deployment, history.latest),
      params.onlyIfChangedWithin,
      ctx.now,
    );
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
    ...plannedAgainst(deployment),
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
    ...guard(deployment.metadata?.uid, deployment.metadata?.generation),
    { op: 'replace', path: '/spec/template', value: withoutHash(chosen.replicaSet.spec?.template) },
    // kubectl always sends `replace`, and the server's json-patch library (evanphx v4) applies it
    // to a missing member too; RFC 6902 does not, so a Deployment without an annotations map gets
    // `add`, which creates it and is otherwise the same.
    {
      op: own === undefined ? 'add' : 'replace',
      path: '/metadata/annotations',
      value: annotations,
    },
  ];
}

/**
 * The patch's precondition: the same object (uid) with the same spec and annotations
 * (generation, which the API server raises on any change to either, and not on status
 * updates). Numbers and uids only: the server compares a `test` value by its JSON text, and its
 * copy of a string with `&`, `<` or `>` is escaped differently from what a JS client sends.
 */
function guard(uid: string | undefined, generation: number | undefined): JsonPatchOp[] {
  if (uid === undefined || generation === undefined) return [];
  return [
    { op: 'test', path: '/metadata/uid', value: uid },
    { op: 'test', path: '/metadata/generation', value: generation },
  ];
}

function plannedAgainst(deployment: V1Deployment): { planned?: PlannedAgainst } {
  const { uid, generation } = deployment.metadata ?? {};
  if (uid === undefined || generation === undefined) return {};
  return { planned: { uid, generation, fingerprint: specFingerprint(deployment) } };
}

/**
 * A digest of what a rollback must not overwrite unseen: the spec (replicas aside, which the
 * patch leaves alone and an autoscaler changes at any time) and the annotations.
 */
export function specFingerprint(deployment: V1Deployment): string {
  const { replicas: _replicas, ...spec } = toJson(
    deployment.spec ?? { selector: {}, template: {} },
  );
  const annotations = deployment.metadata?.annotations ?? {};
  return createHash('sha256').update(canonicalJson({ spec, annotations })).digest('hex');
}

/** JSON with object keys sorted, so that equal data gives equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Progressing reasons the deployment controller gives a rollout to a named ReplicaSet
 * (pkg/controller/deployment/sync.go and progress.go): created, found (adopted), progressing,
 * complete, timed out.
 */
const ROLLOUT_REASONS: readonly string[] = [
  'NewReplicaSetCreated',
  'FoundNewReplicaSet',
  'ReplicaSetUpdated',
  'NewReplicaSetAvailable',
  'ProgressDeadlineExceeded',
];

/** When the current revision took effect, as well as can be told, and how it is known. */
interface RolledOut {
  readonly revision: Revision;
  readonly at: Date | undefined;
  readonly source: 'progressing' | 'created';
  readonly reason?: string;
}

/**
 * When the Deployment's current revision (the ReplicaSet `latest`) was rolled out.
 *
 * The ReplicaSet's creationTimestamp is only right for a rollout that made a new ReplicaSet. A
 * rollout back to a template used before (a GitOps revert, a redeploy after an undo) makes the
 * deployment controller reuse that template's old ReplicaSet and only raise its revision
 * annotation, so its creation time may be weeks old and a fresh bad rollout would be judged old.
 * The controller's Progressing condition names the ReplicaSet of the rollout in its message
 * (`Created new replica set "web-7d9f"`, `ReplicaSet "web-7d9f" is progressing.`, `... has
 * successfully progressed.`, `... has timed out progressing.`), and its lastUpdateTime is when
 * that rollout was created, last progressed, completed or timed out; once complete, scaling does
 * not update it. So that time is used when the condition names the current ReplicaSet. Otherwise
 * (no progress deadline, so no condition; or the controller has not yet recorded the rollout)
 * the creation time is used: the earliest the revision can have taken effect, so an unknown case
 * errs toward "not recent", and the step skips rather than rolls back.
 */
export function rolledOutAt(deployment: V1Deployment, latest: Revision): RolledOut {
  const name = latest.replicaSet.metadata?.name;
  const progressing = deployment.status?.conditions?.find((c) => c.type === 'Progressing');
  if (
    name !== undefined &&
    progressing?.lastUpdateTime !== undefined &&
    ROLLOUT_REASONS.includes(progressing.reason ?? '') &&
    (progressing.message ?? '').includes(`"${name}"`)
  ) {
    return {
      revision: latest,
      at: new Date(progressing.lastUpdateTime),
      source: 'progressing',
      reason: progressing.reason ?? '',
    };
  }
  const created = latest.replicaSet.metadata?.creationTimestamp;
  return {
    revision: latest,
    at: created === undefined ? undefined : new Date(created),
    source: 'created',
  };
}

/** The skip reason when the current revision was rolled out before `window`, else undefined. */
function changedTooLongAgo(rolledOut: RolledOut, window: string, now: Date): string | undefined {
  const { revision, at, source } = rolledOut;
  const what = `current revision ${revision.revision} (ReplicaSet ${revision.replicaSet.metadata?.name ?? '?'})`;
  const atMs = at === undefined ? NaN : at.getTime();
  if (Number.isNaN(atMs)) {
    return `${what} has no creation time, so it cannot be shown to have changed within ${window} (onlyIfChangedWithin)`;
  }
  const age = now.getTime() - atMs;
  if (age <= durationMs(window)) return undefined;
  const when =
    source === 'progressing'
      ? `was rolled out ${formatElapsed(age)} ago (Progressing: ${rolledOut.reason ?? ''})`
      : `was created ${formatElapsed(age)} ago`;
  return `${what} ${when}, not within ${window} (onlyIfChangedWithin): a recent rollout is not the likely cause`;
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
  await sendPatch(ctx, intent);
  const what = `${describeRevisions(intent)} (${intent.changes})`;
  return {
    summary: ctx.dryRun ? `would roll back ${what}` : `rolled back ${what}`,
    data: { toRevision: intent.toRevision },
  };
}

/**
 * Sends the patch computed at plan time, which may be long ago: `reconcile()` after a crash
 * re-sends it. Its `test` operations make the server refuse it (the generic 422) when the
 * Deployment is no longer the one planned against. The live object then tells why: only
 * `spec.replicas` moved (an autoscaler; the rollback does not touch it), and the patch is sent
 * again guarded by the new generation; or it was recreated, or its template, other spec fields
 * or annotations were edited, and the rollback fails rather than overwrite what someone did.
 */
async function sendPatch(ctx: ActionContext, intent: RollbackIntent): Promise<void> {
  const { namespace, name, planned } = intent;
  const send = (patch: readonly JsonPatchOp[]) =>
    ctx.kube.patchDeployment(
      namespace,
      name,
      { type: 'json', body: patch },
      { dryRun: ctx.dryRun },
    );
  try {
    await send(intent.patch);
    return;
  } catch (err) {
    if (planned === undefined || !(err instanceof KubeError) || err.status !== 422) throw err;
    const live = await ctx.kube.readDeployment(namespace, name);
    const { uid, generation } = live.metadata ?? {};
    // Still the Deployment the plan read: the 422 is about the change itself.
    if (uid === planned.uid && generation === planned.generation) throw err;
    // This very patch landed already (an earlier attempt whose answer was lost, then retried).
    if (uid === planned.uid && equalIgnoringHash(targetTemplate(intent), live.spec?.template)) {
      return;
    }
    if (uid !== planned.uid || specFingerprint(live) !== planned.fingerprint) {
      const how =
        uid === planned.uid
          ? `its spec or annotations were edited (generation ${planned.generation} → ${String(generation)})`
          : 'it was deleted and created again';
      throw new KubeError(
        'conflict',
        `roll back deployment ${namespace}/${name}: it changed since the rollback was planned (${how}); not overwriting it`,
        {
          status: err.status,
          ...(err.details.apiReason ? { apiReason: err.details.apiReason } : {}),
        },
      );
    }
    await send(guarded(intent.patch, uid, generation));
  }
}

/** The template the patch puts in place. */
function targetTemplate(intent: RollbackIntent): Plain<V1PodTemplateSpec> | undefined {
  return intent.patch.find((op) => op.path === '/spec/template')?.value as
    Plain<V1PodTemplateSpec> | undefined;
}

/** The patch with its guard replaced by one for the given uid and generation. */
function guarded(
  patch: readonly JsonPatchOp[],
  uid: string | undefined,
  generation: number | undefined,
): JsonPatchOp[] {
  return [...guard(uid, generation), ...patch.filter((op) => op.op !== 'test')];
}

/** Done when the Deployment's template is the one the patch put there (hash label aside). */
async function reconcile(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<'done' | 'not_done' | 'unknown'> {
  const intent = raw as unknown as RollbackIntent;
  const wanted = targetTemplate(intent);
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
