/**
 * What the three kinds of coordination Lease share: what a Lease is about (`LeaseSubject`), how
 * it is named and labelled, and reading and writing one in remediator's own namespace.
 * Cross-replica coordination follows the API contract (docs/kubernetes-api.md §6); the server
 * never expires a Lease, so expiry is judged by whoever reads it. The kinds:
 * - locks.ts: a lock per target, so that two replicas (or two policies) never act on one object
 *   at once;
 * - attempts.ts: a record per (policy, target) of the attempt times, for cooldown, budget and the
 *   cluster-wide blast radius count;
 * - claims.ts: once-only claims, so that one replica sends a notice for all of them.
 */
import { createHash } from 'node:crypto';
import type { V1Lease, V1LeaseSpec, V1ObjectMeta } from '@kubernetes/client-node';
import { KubeError } from '../../kube/errors';
import { MANAGED_BY, type KubePort } from '../../kube/port';
import type { RenderedTarget } from '../../policies/planner';

/** Which kind of Lease this is; label selectors tell the kinds apart. */
export const KIND_LABEL = 'remediator.dev/lease';
/** What the Lease is about, in words (its name is a hash). */
const SUBJECT_ANNOTATION = 'remediator.dev/target';

/**
 * What a lock and an attempt record are about: a Kubernetes target, or, for a plan without one
 * (a notification), the incident's Alertmanager group, so that replicas agree on it too.
 */
export interface LeaseSubject {
  /** `Deployment/prod/web`, or `group/<groupKey>`. */
  readonly key: string;
  /** The target's namespace, for the blast radius; empty for a group. */
  readonly namespace: string;
}

export function targetSubject(target: RenderedTarget): LeaseSubject {
  return { key: targetKey(target), namespace: target.namespace };
}

export function groupSubject(groupKey: string): LeaseSubject {
  return { key: `group/${groupKey}`, namespace: '' };
}

export function targetKey(target: RenderedTarget): string {
  return `${target.kind}/${target.namespace}/${target.name}`;
}

/** A Lease name's unique part: a DNS label however long the key is. */
export function hash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** A Lease as remediator writes it: its name and namespace always set. */
export type NamedLease = V1Lease & { metadata: V1ObjectMeta & { name: string; namespace: string } };

/**
 * A Lease of one kind in `namespace`, labelled managed-by remediator, annotated with what it is
 * about. Built over `existing` when there is one: its metadata (resourceVersion included, so the
 * write fails with a conflict if someone wrote in between), labels and annotations are kept.
 */
export function leaseBody(lease: {
  readonly name: string;
  readonly namespace: string;
  readonly kind: 'lock' | 'record' | 'claim';
  readonly about: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly spec: V1LeaseSpec;
  readonly existing?: V1Lease | undefined;
}): NamedLease {
  const { existing } = lease;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      ...(existing?.metadata ?? {}),
      name: lease.name,
      namespace: lease.namespace,
      labels: {
        ...(existing?.metadata?.labels ?? {}),
        ...MANAGED_BY,
        [KIND_LABEL]: lease.kind,
        ...lease.labels,
      },
      annotations: {
        ...(existing?.metadata?.annotations ?? {}),
        [SUBJECT_ANNOTATION]: lease.about,
        ...lease.annotations,
      },
    },
    spec: lease.spec,
  };
}

/** The Lease, or undefined when there is none. */
export async function readLease(
  kube: KubePort,
  namespace: string,
  name: string,
): Promise<V1Lease | undefined> {
  try {
    return await kube.readLease(namespace, name);
  } catch (err) {
    if (err instanceof KubeError && err.reason === 'not_found') return undefined;
    throw err;
  }
}

/** A write's outcome: the Lease as written, or, when another write got there first, as it is. */
export type LeaseWrite =
  | { readonly won: true; readonly lease: V1Lease }
  | { readonly won: false; readonly current: V1Lease | undefined };

/**
 * Replaces the Lease when `replace` (it then carries the resourceVersion it was read at), else
 * creates it. A 409 (AlreadyExists on create, Conflict on replace) is read back: it may be this
 * very write. When a try times out or its connection resets after the API server committed it,
 * the adapter's retry meets the first try and gets the 409; taking that for another replica's
 * write skipped a step, or left a notice unsent, with nobody acting. A Lease holding this
 * write's holder and times (to the microsecond) is this write; any other is someone else's.
 */
export async function writeLease(
  kube: KubePort,
  lease: NamedLease,
  replace: boolean,
): Promise<LeaseWrite> {
  const { name, namespace } = lease.metadata;
  try {
    const written = replace
      ? await kube.replaceLease(namespace, name, lease)
      : await kube.createLease(namespace, lease);
    return { won: true, lease: written };
  } catch (err) {
    if (!(err instanceof KubeError && err.reason === 'conflict')) throw err;
  }
  const current = await readLease(kube, namespace, name);
  return current !== undefined && isWrittenBy(current, lease)
    ? { won: true, lease: current }
    : { won: false, current };
}

/** Whether `stored` is what `written` wrote: the same holder and the same times. */
function isWrittenBy(stored: V1Lease, written: NamedLease): boolean {
  const spec = stored.spec;
  return (
    spec !== undefined &&
    (spec.holderIdentity ?? '') === (written.spec?.holderIdentity ?? '') &&
    sameTime(spec.acquireTime, written.spec?.acquireTime) &&
    sameTime(spec.renewTime, written.spec?.renewTime)
  );
}

function sameTime(a: Date | undefined, b: Date | undefined): boolean {
  return a === undefined || b === undefined
    ? a === b
    : new Date(a).getTime() === new Date(b).getTime();
}
