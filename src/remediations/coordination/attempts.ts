/**
 * Attempt records: a coordination.k8s.io/v1 Lease per (policy, subject) holding the times the
 * policy started acting on it, shared by every replica. They answer the cooldown and budget gates
 * (one record) and the blast radius (every record with an attempt in the window, counted across
 * policies and replicas, plus this replica's attempts not yet listed).
 */
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { KubePort } from '../../kube/port';
import { hash, KIND_LABEL, leaseBody, readLease, writeLease, type LeaseSubject } from './leases';

const POLICY_LABEL = 'remediator.dev/policy';
const NAMESPACE_LABEL = 'remediator.dev/target-namespace';
const ATTEMPTS_ANNOTATION = 'remediator.dev/attempts';
/** Whether the record's policy changes its target (only those count in the blast radius). */
const CHANGES_LABEL = 'remediator.dev/changes';
/**
 * The record's latest attempt's second and minute since the epoch. Label selectors have no
 * ranges, but a short `in (...)` of these picks out the records with an attempt in the window,
 * so the listing grows with the attempts in the window (a few, under the blast radius's own
 * limits) instead of with every target ever acted on.
 */
const SECOND_LABEL = 'remediator.dev/attempt-second';
const MINUTE_LABEL = 'remediator.dev/attempt-minute';
/** The most buckets one selector names; a longer window lists every record that counts. */
const MAX_BUCKETS = 180;
/** Attempts older than this are dropped from a record; no budget window is longer. */
const KEEP_ATTEMPTS_MS = 7 * 24 * 3600_000;
/**
 * How old the listing of every record may be when the blast radius is counted. A storm acts on
 * many targets a second; listing every record for each of them made each step wait on a read
 * that grows with the cluster. Other replicas' attempts are seen at most this late; this
 * replica's own are counted at once.
 */
const LISTING_MAX_AGE_MS = 1_000;

/** What the Leases say about past attempts by this policy on this target. */
export interface AttemptRecord {
  /** Epoch ms of each attempt, oldest first. */
  readonly attempts: readonly number[];
}

/** An attempt record as read, with its Lease when there is one (to write over). */
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

/**
 * `remediator-attempts-<policy>-<hash>`: a policy's record for one subject, a DNS label however
 * long the target's names are (policy names are at most 63 characters).
 */
export function recordName(policy: string, key: string): string {
  return `remediator-attempts-${policy}-${hash(key)}`;
}

export class AttemptRecords {
  private listing?: Promise<RecordListing>;
  /** This replica's attempts not yet seen in a listing, by `name@time`. */
  private readonly own = new Map<string, OwnAttempt>();

  constructor(
    private readonly kube: KubePort,
    private readonly namespace: string,
    private readonly instance: string,
  ) {}

  /** The attempts recorded for this policy on this subject (with the Lease, for `record`). */
  async read(policy: string, subject: LeaseSubject): Promise<AttemptsRead> {
    const lease = await readLease(this.kube, this.namespace, recordName(policy, subject.key));
    return { attempts: readAttempts(lease), ...(lease === undefined ? {} : { lease }) };
  }

  /**
   * Records an attempt (the start of a plan's run). False when another replica recorded one
   * between our read and this write: that replica acts, this one must not.
   */
  async record(
    policy: string,
    subject: LeaseSubject,
    now: Date,
    cooldownMs: number,
    options: {
      /** The policy changes its target, so the attempt counts in the blast radius. */
      changes: boolean;
      /** The record as `read` found it, to write over instead of reading it again. */
      known?: AttemptsRead;
    },
  ): Promise<boolean> {
    const name = recordName(policy, subject.key);
    // Written over the Lease as read (its resourceVersion): a write in between is a conflict.
    const existing =
      options.known === undefined
        ? await readLease(this.kube, this.namespace, name)
        : options.known.lease;
    const attempts = [
      ...readAttempts(existing).filter((t) => now.getTime() - t < KEEP_ATTEMPTS_MS),
      now.getTime(),
    ];
    const lease = leaseBody({
      name,
      namespace: this.namespace,
      kind: 'record',
      about: subject.key,
      existing,
      labels: {
        [POLICY_LABEL]: policy,
        [NAMESPACE_LABEL]: subject.namespace,
        [CHANGES_LABEL]: String(options.changes),
        [SECOND_LABEL]: String(Math.floor(now.getTime() / 1000)),
        [MINUTE_LABEL]: String(Math.floor(now.getTime() / 60_000)),
      },
      annotations: { [ATTEMPTS_ANNOTATION]: JSON.stringify(attempts) },
      spec: {
        holderIdentity: this.instance,
        // The lease "expires" when the cooldown ends, so `kubectl get lease` shows it.
        leaseDurationSeconds: Math.max(1, Math.ceil(cooldownMs / 1000)),
        acquireTime: new V1MicroTime(existing?.spec?.acquireTime ?? now),
        renewTime: new V1MicroTime(now),
        leaseTransitions: existing?.spec?.leaseTransitions ?? 0,
      },
    });
    if (!(await writeLease(this.kube, lease, existing !== undefined)).won) return false;
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
  }

  /**
   * Attempts in the window, in the cluster and in one namespace, across every policy that
   * changes its target and every replica.
   */
  async recent(namespace: string, windowMs: number, now: Date): Promise<AttemptCounts> {
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
      const record = recordName(policy, subject.key);
      const key = `${record}@${now.getTime()}`;
      if (!this.own.has(key))
        this.own.set(key, { record, namespace: subject.namespace, at: now.getTime() });
    }
    return verdict;
  }

  /** Takes back an admitted attempt whose step stopped before recording it; else a no-op. */
  withdraw(policy: string, subject: LeaseSubject, now: Date): void {
    const key = `${recordName(policy, subject.key)}@${now.getTime()}`;
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
