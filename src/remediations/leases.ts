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
/** Attempts older than this are dropped from a record; no budget window is longer. */
const KEEP_ATTEMPTS_MS = 7 * 24 * 3600_000;

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
    const existing = await this.read(name);
    let held: V1Lease;
    try {
      if (existing === undefined) {
        held = await this.kube.createLease(this.namespace, body());
      } else {
        const holder = existing.spec?.holderIdentity ?? '';
        if (holder !== '' && holder !== this.instance && !expired(existing, now))
          return { ok: false, holder };
        held = await this.kube.replaceLease(this.namespace, name, body(existing));
      }
    } catch (err) {
      // Someone else created or took it between our read and our write.
      if (err instanceof KubeError && err.reason === 'conflict')
        return { ok: false, holder: 'another replica' };
      throw err;
    }
    return {
      ok: true,
      release: async () => {
        // client-go's release: keep the object, drop the holder, make it expire at once.
        try {
          await this.kube.replaceLease(this.namespace, name, {
            ...held,
            spec: { ...held.spec, holderIdentity: '', leaseDurationSeconds: 1 },
          });
        } catch (err) {
          // A lost release only delays the next taker by the lock's TTL.
          if (!(err instanceof KubeError)) throw err;
        }
      },
    };
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
    known?: AttemptsRead,
  ): Promise<boolean> {
    const name = leaseName(policy, subject.key);
    // Written over the Lease as read (its resourceVersion): a write in between is a conflict.
    const existing = known === undefined ? await this.read(name) : known.lease;
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

  /** Attempts in the window, in the cluster and in one namespace, across every policy and replica. */
  async recentAttempts(
    namespace: string,
    windowMs: number,
    now: Date,
  ): Promise<{ cluster: number; namespace: number }> {
    const leases = await this.kube.listLeases(this.namespace, `${KIND_LABEL}=record`);
    let cluster = 0;
    let inNamespace = 0;
    for (const lease of leases) {
      const recent = readAttempts(lease).filter((t) => now.getTime() - t < windowMs).length;
      cluster += recent;
      if (lease.metadata?.labels?.[NAMESPACE_LABEL] === namespace) inNamespace += recent;
    }
    return { cluster, namespace: inNamespace };
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
