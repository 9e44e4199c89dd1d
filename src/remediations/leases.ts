import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { KubeError } from '../kube/errors';
import type { KubePort } from '../kube/port';
import type { RenderedTarget } from '../policies/planner';
import type { AttemptRecord } from './gates';

const MANAGED_BY = 'app.kubernetes.io/managed-by';
const KIND_LABEL = 'remediator.dev/lease';
const POLICY_LABEL = 'remediator.dev/policy';
const NAMESPACE_LABEL = 'remediator.dev/target-namespace';
const TARGET_ANNOTATION = 'remediator.dev/target';
const ATTEMPTS_ANNOTATION = 'remediator.dev/attempts';
/** On a record: whether its policy changes the target (only those count in the blast radius). */
const CHANGES_LABEL = 'remediator.dev/changes';
/**
 * On a record: its latest attempt's second and minute since the epoch. Label selectors have no
 * ranges, but a short `in (...)` of these picks out the records with an attempt in the window,
 * so the listing grows with the attempts in the window (a few, under the blast radius's own
 * limits) instead of with every target ever acted on.
 */
const SECOND_LABEL = 'remediator.dev/attempt-second';
const MINUTE_LABEL = 'remediator.dev/attempt-minute';
/** The most buckets one selector names; a longer window lists every record that counts. */
const MAX_BUCKETS = 180;
/** How many released locks are remembered for the one-write fast path (a few hundred KiB). */
const MAX_RELEASED_LOCKS = 1_000;
/** Attempts older than this are dropped from a record; no budget window is longer. */
const KEEP_ATTEMPTS_MS = 7 * 24 * 3600_000;
/**
 * How old the listing of every record may be when the blast radius is counted. A storm acts on
 * many targets a second; listing every record for each of them made each step wait on a read
 * that grows with the cluster. Other replicas' attempts are seen at most this late; this
 * replica's own are counted at once.
 */
const LISTING_MAX_AGE_MS = 1_000;

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

/** An attempt record as read, with its Lease when there is one. */
export interface AttemptsRead extends AttemptRecord {
  readonly lease?: V1Lease;
}

export interface AttemptCounts {
  readonly cluster: number;
  readonly namespace: number;
}

/** Every record that counts in the blast radius, as listed at `at`. */
interface RecordListing {
  readonly at: number;
  /** The window it was listed for. */
  readonly windowMs: number;
  readonly records: readonly { name: string; namespace: string; attempts: readonly number[] }[];
  /** `name@time` of every attempt listed. */
  readonly listed: ReadonlySet<string>;
}

/** One of this replica's attempts, admitted by the gate, then (once written) recorded. */
interface OwnAttempt {
  /** The record's Lease name. */
  readonly record: string;
  readonly namespace: string;
  readonly at: number;
  /** When its record was written (performance.now()), once it was. */
  recordedAt?: number;
}

export type LockResult =
  { readonly ok: true; release(): Promise<void> } | { readonly ok: false; readonly holder: string };

/**
 * Cross-replica coordination in coordination.k8s.io/v1 Leases in remediator's own namespace,
 * following the API contract (docs/kubernetes-api.md §6):
 * - a lock per target, so that two replicas (or two policies) never act on one object at once;
 * - a record per (policy, target) holding the attempt times, for cooldown, budget and the
 *   cluster-wide blast radius count.
 * The server never expires a Lease; expiry (`renewTime + leaseDurationSeconds`) is judged here.
 */
export class LeaseStore {
  private readonly held = new Set<string>();
  /** Lock Leases as this replica's last release left them, by name: the next take is one write. */
  private readonly released = new Map<string, V1Lease>();
  private listing?: Promise<RecordListing>;
  /** This replica's attempts not yet seen in a listing, by `name@time`. */
  private readonly own = new Map<string, OwnAttempt>();

  constructor(
    private readonly kube: KubePort,
    readonly namespace: string,
    private readonly instance: string,
  ) {}

  /** Takes the subject's lock for `ttlMs`; a holder that died loses it once that passes. */
  async lock(subject: LeaseSubject, ttlMs: number, now: Date): Promise<LockResult> {
    const name = lockName(subject.key);
    // The Lease says which replica holds the lock; this set says which of its plans does.
    if (this.held.has(name)) return { ok: false, holder: 'another plan of this replica' };
    this.held.add(name);
    try {
      const result = await this.acquire(name, subject, ttlMs, now);
      if (!result.ok) this.held.delete(name);
      return result.ok
        ? {
            ok: true,
            release: async () => {
              try {
                await result.release();
              } finally {
                this.held.delete(name);
              }
            },
          }
        : result;
    } catch (err) {
      this.held.delete(name);
      throw err;
    }
  }

  private async acquire(
    name: string,
    subject: LeaseSubject,
    ttlMs: number,
    now: Date,
  ): Promise<LockResult> {
    const body = (existing?: V1Lease): V1Lease => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...(existing?.metadata ?? {}),
        name,
        namespace: this.namespace,
        labels: {
          ...(existing?.metadata?.labels ?? {}),
          [MANAGED_BY]: 'remediator',
          [KIND_LABEL]: 'lock',
        },
        annotations: {
          ...(existing?.metadata?.annotations ?? {}),
          [TARGET_ANNOTATION]: subject.key,
        },
      },
      spec: {
        holderIdentity: this.instance,
        leaseDurationSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
        acquireTime: new V1MicroTime(now),
        renewTime: new V1MicroTime(now),
        leaseTransitions: (existing?.spec?.leaseTransitions ?? -1) + 1,
      },
    });
    // The fast path, one write instead of a read and a write: take the Lease as this replica
    // left it at its last release (client-go's leader renews from its last observed record the
    // same way), or create it. A 409 means someone wrote it since, or it exists: then read it.
    const released = this.released.get(name);
    this.released.delete(name);
    let held = await this.write(name, released === undefined ? undefined : body(released), body());
    if (held === undefined) {
      const existing = await this.read(name);
      if (existing !== undefined) {
        const holder = existing.spec?.holderIdentity ?? '';
        if (holder !== '' && holder !== this.instance && !expired(existing, now))
          return { ok: false, holder };
      }
      held = await this.write(name, existing === undefined ? undefined : body(existing), body());
      // Someone else created or took it between our read and our write.
      if (held === undefined) return { ok: false, holder: 'another replica' };
    }
    const taken = held;
    return {
      ok: true,
      release: async () => {
        // client-go's release: keep the object, drop the holder, make it expire at once.
        try {
          const left = await this.kube.replaceLease(this.namespace, name, {
            ...taken,
            spec: { ...taken.spec, holderIdentity: '', leaseDurationSeconds: 1 },
          });
          this.released.set(name, left);
          if (this.released.size > MAX_RELEASED_LOCKS) {
            const oldest = this.released.keys().next().value;
            if (oldest !== undefined) this.released.delete(oldest);
          }
        } catch (err) {
          // A lost release only delays the next taker by the lock's TTL.
          if (!(err instanceof KubeError)) throw err;
        }
      },
    };
  }

  /**
   * Replaces the Lease with `replacement` (which carries the resourceVersion it was read at), or,
   * without one, creates it as `created`. Undefined when another writer got there first.
   */
  private async write(
    name: string,
    replacement: V1Lease | undefined,
    created: V1Lease,
  ): Promise<V1Lease | undefined> {
    try {
      return replacement === undefined
        ? await this.kube.createLease(this.namespace, created)
        : await this.kube.replaceLease(this.namespace, name, replacement);
    } catch (err) {
      if (err instanceof KubeError && err.reason === 'conflict') return undefined;
      throw err;
    }
  }

  /** The attempts recorded for this policy on this subject (with the Lease, for `recordAttempt`). */
  async attempts(policy: string, subject: LeaseSubject): Promise<AttemptsRead> {
    const lease = await this.read(leaseName(policy, subject.key));
    return { attempts: readAttempts(lease), ...(lease === undefined ? {} : { lease }) };
  }

  /**
   * Records an attempt (the start of a plan's run). False when another replica recorded one
   * between our read and this write: that replica acts, this one must not.
   */
  async recordAttempt(
    policy: string,
    subject: LeaseSubject,
    now: Date,
    cooldownMs: number,
    options: {
      /** The policy changes its target, so the attempt counts in the blast radius. */
      changes: boolean;
      /** The record as `attempts` read it, to write over instead of reading it again. */
      known?: AttemptsRead;
    },
  ): Promise<boolean> {
    const name = leaseName(policy, subject.key);
    // Written over the Lease as read (its resourceVersion): a write in between is a conflict.
    const existing = options.known === undefined ? await this.read(name) : options.known.lease;
    const attempts = [
      ...readAttempts(existing).filter((t) => now.getTime() - t < KEEP_ATTEMPTS_MS),
      now.getTime(),
    ];
    const lease: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...(existing?.metadata ?? {}),
        name,
        namespace: this.namespace,
        labels: {
          ...(existing?.metadata?.labels ?? {}),
          [MANAGED_BY]: 'remediator',
          [KIND_LABEL]: 'record',
          [POLICY_LABEL]: policy,
          [NAMESPACE_LABEL]: subject.namespace,
          [CHANGES_LABEL]: String(options.changes),
          [SECOND_LABEL]: String(Math.floor(now.getTime() / 1000)),
          [MINUTE_LABEL]: String(Math.floor(now.getTime() / 60_000)),
        },
        annotations: {
          ...(existing?.metadata?.annotations ?? {}),
          [TARGET_ANNOTATION]: subject.key,
          [ATTEMPTS_ANNOTATION]: JSON.stringify(attempts),
        },
      },
      spec: {
        holderIdentity: this.instance,
        // The lease "expires" when the cooldown ends, so `kubectl get lease` shows it.
        leaseDurationSeconds: Math.max(1, Math.ceil(cooldownMs / 1000)),
        acquireTime: new V1MicroTime(existing?.spec?.acquireTime ?? now),
        renewTime: new V1MicroTime(now),
        leaseTransitions: existing?.spec?.leaseTransitions ?? 0,
      },
    };
    try {
      if (existing === undefined) await this.kube.createLease(this.namespace, lease);
      else await this.kube.replaceLease(this.namespace, name, lease);
      if (options.changes) {
        const key = `${name}@${now.getTime()}`;
        const own = this.own.get(key);
        const recordedAt = performance.now();
        if (own === undefined)
          this.own.set(key, {
            record: name,
            namespace: subject.namespace,
            at: now.getTime(),
            recordedAt,
          });
        else own.recordedAt = recordedAt;
      }
      return true;
    } catch (err) {
      if (err instanceof KubeError && err.reason === 'conflict') return false;
      throw err;
    }
  }

  /**
   * Claims `key` for this replica, once and for all: true for the first replica to ask, false
   * for every other (a notice that one replica sends for all of them). Claims are Leases with
   * no holder duration; `pruneClaims` removes them after retention.
   */
  async claimOnce(key: string, now: Date): Promise<boolean> {
    try {
      await this.kube.createLease(this.namespace, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: `remediator-claim-${hash(key)}`,
          namespace: this.namespace,
          labels: { [MANAGED_BY]: 'remediator', [KIND_LABEL]: 'claim' },
          annotations: { [TARGET_ANNOTATION]: key.slice(0, 1024) },
        },
        spec: {
          holderIdentity: this.instance,
          acquireTime: new V1MicroTime(now),
          renewTime: new V1MicroTime(now),
        },
      });
      return true;
    } catch (err) {
      if (err instanceof KubeError && err.alreadyExists) return false;
      throw err;
    }
  }

  /** Deletes claims made before `before`; resolves with how many. */
  async pruneClaims(before: Date): Promise<number> {
    let deleted = 0;
    for (const lease of await this.kube.listLeases(this.namespace, `${KIND_LABEL}=claim`)) {
      const made = lease.spec?.acquireTime;
      const name = lease.metadata?.name;
      if (name === undefined || made === undefined || new Date(made).getTime() >= before.getTime())
        continue;
      try {
        await this.kube.deleteLease(this.namespace, name);
        deleted++;
      } catch (err) {
        if (!(err instanceof KubeError && err.reason === 'not_found')) throw err;
      }
    }
    return deleted;
  }

  /**
   * Attempts in the window, in the cluster and in one namespace, across every policy that
   * changes its target and every replica.
   */
  async recentAttempts(namespace: string, windowMs: number, now: Date): Promise<AttemptCounts> {
    const listing = await this.recordListing(windowMs, now);
    return this.count(listing, namespace, windowMs, now.getTime());
  }

  /**
   * The blast-radius gate, counted and claimed in one go: when `decide` lets an attempt on
   * `subject` through, the attempt is counted from that moment, before any await, so steps
   * running side by side in this replica never all pass on the same count.
   */
  async admit<T>(
    policy: string,
    subject: LeaseSubject,
    windowMs: number,
    now: Date,
    decide: (counts: AttemptCounts) => T | undefined,
  ): Promise<T | undefined> {
    const listing = await this.recordListing(windowMs, now);
    const verdict = decide(this.count(listing, subject.namespace, windowMs, now.getTime()));
    if (verdict === undefined) {
      const record = leaseName(policy, subject.key);
      const key = `${record}@${now.getTime()}`;
      if (!this.own.has(key))
        this.own.set(key, { record, namespace: subject.namespace, at: now.getTime() });
    }
    return verdict;
  }

  /** Takes back an admitted attempt whose step stopped before recording it; else a no-op. */
  withdraw(policy: string, subject: LeaseSubject, now: Date): void {
    const key = `${leaseName(policy, subject.key)}@${now.getTime()}`;
    if (this.own.get(key)?.recordedAt === undefined) this.own.delete(key);
  }

  private count(
    listing: RecordListing,
    namespace: string,
    windowMs: number,
    now: number,
  ): AttemptCounts {
    let cluster = 0;
    let inNamespace = 0;
    const counted = new Set<string>();
    for (const record of listing.records) {
      const recent = record.attempts.filter((t) => now - t < windowMs).length;
      if (recent > 0) counted.add(record.name);
      cluster += recent;
      if (record.namespace === namespace) inNamespace += recent;
    }
    for (const [key, own] of this.own) {
      const recorded = own.recordedAt !== undefined;
      // A recorded attempt is the listing's to count once the listing was made after the record
      // was written, or lists it, or once it has left the window: forgetting it then keeps this
      // map as small as the attempts of the last second or so.
      const covered =
        listing.listed.has(key) ||
        (recorded && (listing.at > (own.recordedAt ?? Infinity) || now - own.at >= windowMs));
      if (covered || now - own.at >= KEEP_ATTEMPTS_MS) {
        if (recorded) this.own.delete(key);
        continue;
      }
      if (now - own.at >= windowMs) continue;
      // Steps still in flight on one (policy, target) count once, and not at all when the window
      // already holds an attempt on it: all but one lose to the lock or the cooldown, and counting
      // each would let two replicas (or two incidents) block each other's unrelated targets.
      // Once recorded, an attempt counts.
      if (!recorded) {
        if (counted.has(own.record)) continue;
        counted.add(own.record);
      }
      cluster++;
      if (own.namespace === namespace) inNamespace++;
    }
    return { cluster, namespace: inNamespace };
  }

  /**
   * The records with an attempt in the window, listed at most LISTING_MAX_AGE_MS ago (of real
   * time: this is about round trips, not about the clock decisions use); one listing at a time.
   * A listing made a moment ago still covers the window now: what it misses is this replica's
   * own attempts since, which `own` counts, and other replicas' of that moment.
   */
  private async recordListing(windowMs: number, now: Date): Promise<RecordListing> {
    const cached = this.listing;
    if (cached !== undefined) {
      const listing = await cached.catch(() => undefined);
      const young = listing && performance.now() - listing.at < LISTING_MAX_AGE_MS;
      if (listing?.windowMs === windowMs && young) return listing;
      if (this.listing !== cached) return this.recordListing(windowMs, now);
    }
    const startedAt = performance.now();
    const fresh = this.kube
      .listLeases(this.namespace, recentRecordSelector(windowMs, now.getTime()))
      .then((leases): RecordListing => {
        const records = leases.map((lease) => ({
          name: lease.metadata?.name ?? '',
          namespace: lease.metadata?.labels?.[NAMESPACE_LABEL] ?? '',
          attempts: readAttempts(lease),
        }));
        const listed = new Set(records.flatMap((r) => r.attempts.map((t) => `${r.name}@${t}`)));
        return { at: startedAt, windowMs, records, listed };
      });
    this.listing = fresh;
    // A failed listing is not kept: the next count lists again.
    fresh.catch(() => {
      if (this.listing === fresh) this.listing = undefined;
    });
    return fresh;
  }

  private async read(name: string): Promise<V1Lease | undefined> {
    try {
      return await this.kube.readLease(this.namespace, name);
    } catch (err) {
      if (err instanceof KubeError && err.reason === 'not_found') return undefined;
      throw err;
    }
  }
}

/**
 * The label selector for the records that count in the blast radius and whose latest attempt
 * falls in the window ending at `now`: by second for a window of a minute or less, else by
 * minute, else (a window over MAX_BUCKETS minutes) every record that counts.
 */
export function recentRecordSelector(windowMs: number, now: number): string {
  const base = `${KIND_LABEL}=record,${CHANGES_LABEL}=true`;
  const [label, size] = windowMs <= 60_000 ? [SECOND_LABEL, 1000] : [MINUTE_LABEL, 60_000];
  const first = Math.floor((now - windowMs) / size);
  const last = Math.floor(now / size);
  if (last - first + 1 > MAX_BUCKETS) return base;
  const buckets = Array.from({ length: last - first + 1 }, (_, i) => String(first + i));
  return `${base},${label} in (${buckets.join(',')})`;
}

export function targetKey(target: RenderedTarget): string {
  return `${target.kind}/${target.namespace}/${target.name}`;
}

/**
 * `remediator-attempts-<policy>-<hash>`: a policy's record for one target, a DNS label however
 * long the target's names are (policy names are at most 63 characters).
 */
export function leaseName(policy: string, key: string): string {
  return `remediator-attempts-${policy}-${hash(key)}`;
}

/** `remediator-lock-<hash>`: never a record's name, whatever a policy is called. */
export function lockName(key: string): string {
  return `remediator-lock-${hash(key)}`;
}

function hash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function expired(lease: V1Lease, now: Date): boolean {
  const renewed = lease.spec?.renewTime;
  if (renewed === undefined) return true;
  const seconds = lease.spec?.leaseDurationSeconds ?? 0;
  return new Date(renewed).getTime() + seconds * 1000 <= now.getTime();
}

function readAttempts(lease: V1Lease | undefined): number[] {
  const text = lease?.metadata?.annotations?.[ATTEMPTS_ANNOTATION];
  if (text === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed)
      ? parsed.filter((t): t is number => typeof t === 'number').sort((a, b) => a - b)
      : [];
  } catch {
    return [];
  }
}
