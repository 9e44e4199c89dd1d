import type {
  V1Container,
  V1Deployment,
  V1PodTemplateSpec,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import type { KubePort } from '../../kube/port';
import { selectorString } from './selector';

/**
 * Two histories of a Deployment. The rollout history is the ReplicaSets it controls, numbered by
 * the deployment controller (what `kubectl rollout history` shows). The remediator history is a
 * Deployment annotation where remediator records, in the same patch as every change it makes
 * (rollback, restart, restore-model), what the pod template held before: the images and env
 * values, and for a ConfigMap-held model version the previous value. `restore-model` reads it.
 */

/** The Deployment annotation holding remediator's snapshots: a JSON array, newest last. */
export const HISTORY_ANNOTATION = 'remediator.dev/history';
/** Snapshots kept; older ones are dropped. */
export const HISTORY_LIMIT = 10;
/** Set by the deployment controller on each ReplicaSet (and on the Deployment). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** The label the deployment controller adds to each ReplicaSet's template and selector. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** One snapshot of a pod template, taken before remediator changed the Deployment. */
export interface HistoryEntry {
  /** RFC 3339, second precision, UTC. */
  readonly at: string;
  /** The action that made the change. */
  readonly action: string;
  /** Container name → image (init containers included). */
  readonly images: Readonly<Record<string, string>>;
  /**
   * Container name → env var name → literal value, for the variables that look like a version
   * (see `isVersionVariable`) only: an annotation is readable by anyone who can read the
   * Deployment, so other literal values (which may be credentials) are never copied into it.
   */
  readonly env: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** For a model version held in a ConfigMap: the value before the change (absent: key unset). */
  readonly configMap?: { readonly name: string; readonly key: string; readonly value?: string };
}

/** `2024-05-01T10:00:00Z`: RFC 3339 at second precision in UTC, as `metav1.Time` is written. */
export function formatSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

function allContainers(template: V1PodTemplateSpec | undefined): V1Container[] {
  return [...(template?.spec?.initContainers ?? []), ...(template?.spec?.containers ?? [])];
}

/** `MODEL_VERSION`, `IMAGE_TAG_VERSION`, `MODEL`, `MODEL_NAME`: the variables history records. */
export function isVersionVariable(name: string): boolean {
  return /VERSION|MODEL/i.test(name);
}

/** A snapshot of `template` as it is now; `alsoRecord` names one more variable to keep. */
export function snapshotOf(
  template: V1PodTemplateSpec | undefined,
  action: string,
  at: Date,
  configMap?: HistoryEntry['configMap'],
  alsoRecord?: string,
): HistoryEntry {
  const images: Record<string, string> = {};
  const env: Record<string, Record<string, string>> = {};
  for (const container of allContainers(template)) {
    if (container.image !== undefined) images[container.name] = container.image;
    const values: Record<string, string> = {};
    for (const entry of container.env ?? []) {
      const tracked = isVersionVariable(entry.name) || entry.name === alsoRecord;
      if (tracked && entry.valueFrom == null && entry.value !== undefined)
        values[entry.name] = entry.value;
    }
    if (Object.keys(values).length > 0) env[container.name] = values;
  }
  return { at: formatSeconds(at), action, images, env, ...(configMap ? { configMap } : {}) };
}

/**
 * The snapshots recorded on a Deployment, oldest first. An annotation that is not a JSON array
 * (edited by hand) counts as empty, and entries without the expected shape are ignored: history
 * is a hint for `restore-model`, never a reason to fail.
 */
export function readHistory(deployment: Pick<V1Deployment, 'metadata'>): HistoryEntry[] {
  const text = deployment.metadata?.annotations?.[HISTORY_ANNOTATION];
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  return Array.isArray(parsed) ? parsed.filter(isHistoryEntry) : [];
}

function isHistoryEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.at === 'string' &&
    typeof entry.action === 'string' &&
    typeof entry.images === 'object' &&
    entry.images !== null &&
    typeof entry.env === 'object' &&
    entry.env !== null
  );
}

/** The annotation value with `entry` appended, keeping the newest {@link HISTORY_LIMIT}. */
export function historyWith(
  deployment: Pick<V1Deployment, 'metadata'>,
  entry: HistoryEntry,
): string {
  return JSON.stringify([...readHistory(deployment), entry].slice(-HISTORY_LIMIT));
}

/** An env var's literal value in one container of a snapshot, if it was recorded. */
export function recordedEnv(
  entry: HistoryEntry,
  container: string,
  name: string,
): string | undefined {
  const values = entry.env[container];
  return values !== undefined && Object.hasOwn(values, name) ? values[name] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Rollout history: the ReplicaSets a Deployment controls

/** A ReplicaSet with the revision it carries. */
export interface Revision {
  readonly revision: bigint;
  readonly replicaSet: V1ReplicaSet;
}

/**
 * The revision of a ReplicaSet as kubectl reads it (`deploymentutil.Revision`): the revision
 * annotation parsed like Go's `strconv.ParseInt(v, 10, 64)`; 0 when the annotation is missing;
 * `undefined` when it does not parse (kubectl then leaves that ReplicaSet out).
 */
export function revisionOf(replicaSet: V1ReplicaSet): bigint | undefined {
  const text = replicaSet.metadata?.annotations?.[REVISION_ANNOTATION];
  if (text === undefined) return 0n;
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
}

/** What `kubectl rollout undo` finds: the ReplicaSets this Deployment controls, by revision. */
export interface RolloutHistory {
  /** Controlled ReplicaSets whose revision parses, in list order. */
  readonly revisions: readonly Revision[];
  /** The highest revision (the current rollout). */
  readonly latest?: Revision;
  /** The second-highest revision (what `rollout undo` goes back to). */
  readonly previous?: Revision;
}

/**
 * Lists the ReplicaSets selected by the Deployment's selector (the string kubectl builds) and
 * keeps those it controls: an ownerReference with `controller: true` and the Deployment's uid.
 * Another owner's ReplicaSet with the same labels is ignored, whatever revision it claims.
 */
export async function rolloutHistory(
  kube: KubePort,
  deployment: V1Deployment,
): Promise<RolloutHistory> {
  const namespace = deployment.metadata?.namespace ?? '';
  const uid = deployment.metadata?.uid;
  const listed = await kube.listReplicaSets(namespace, selectorString(deployment.spec?.selector));
  const revisions: Revision[] = [];
  for (const replicaSet of listed) {
    const controlled = (replicaSet.metadata?.ownerReferences ?? []).some(
      (ref) => ref.controller === true && uid !== undefined && ref.uid === uid,
    );
    if (!controlled) continue;
    const revision = revisionOf(replicaSet);
    if (revision !== undefined) revisions.push({ revision, replicaSet });
  }
  // The same scan as kubectl's deploymentRevision: on equal revisions the first listed wins.
  let latest: Revision | undefined;
  let previous: Revision | undefined;
  for (const r of revisions) {
    if (latest === undefined || r.revision > latest.revision) {
      previous = latest;
      latest = r;
    } else if (previous === undefined || r.revision > previous.revision) {
      previous = r;
    }
  }
  return {
    revisions,
    ...(latest ? { latest } : {}),
    ...(previous ? { previous } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Template comparison

/** A JSON copy (Dates become strings, undefined fields disappear), as it would go on the wire. */
export function toJson<T extends object>(value: T): Plain<T> {
  return JSON.parse(JSON.stringify(value)) as Plain<T>;
}

/**
 * A client-node model as plain data: the same fields, no class. Bodies remediator builds are
 * plain objects (they are journaled as JSON in the intent); client-node serializes them by field
 * name, so they go on the wire exactly as a model instance would.
 */
export type Plain<T> = T extends Date
  ? Date | string
  : T extends readonly (infer U)[]
    ? Plain<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: Plain<T[K]> }
      : T;

/** Hands a plain body to the port, whose signatures name client-node's model classes. */
export function asModel<T>(body: Plain<T>): T {
  return body as unknown as T;
}

/** The template without the `pod-template-hash` label, as a plain JSON object. */
export function withoutHash(
  template: V1PodTemplateSpec | Plain<V1PodTemplateSpec> | undefined,
): Plain<V1PodTemplateSpec> {
  if (template === undefined) return {};
  const copy = toJson(template);
  const labels = copy.metadata?.labels;
  if (labels !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a label key is data
    delete labels[POD_TEMPLATE_HASH_LABEL];
  }
  return copy;
}

/**
 * kubectl's `equalIgnoreHash`: both templates equal once `pod-template-hash` is ignored, compared
 * semantically (an empty map or list equals a missing one, as apimachinery's Semantic.DeepEqual
 * treats nil and empty alike).
 */
export function equalIgnoringHash(
  a: V1PodTemplateSpec | Plain<V1PodTemplateSpec> | undefined,
  b: V1PodTemplateSpec | Plain<V1PodTemplateSpec> | undefined,
): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b));
}

function isEmpty(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && Object.keys(value).length === 0)
  );
}

function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => semanticEqual(item, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    return [...keys].every((key) => semanticEqual(left[key], right[key]));
  }
  return a === b;
}
