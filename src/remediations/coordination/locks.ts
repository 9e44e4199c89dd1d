/**
 * A lock per target in a coordination.k8s.io/v1 Lease, so that two replicas (or two policies)
 * never act on one object at once. A holder that dies loses its lock once the TTL has passed;
 * expiry (`renewTime + leaseDurationSeconds`) is judged here, the server never expires a Lease.
 */
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { KubeError } from '../../kube/errors';
import type { KubePort } from '../../kube/port';
import { hash, leaseBody, writeLease, type LeaseSubject } from './leases';

/** How many released locks are remembered for the one-write fast path (a few hundred KiB). */
const MAX_RELEASED_LOCKS = 1_000;

export type LockResult =
  { readonly ok: true; release(): Promise<void> } | { readonly ok: false; readonly holder: string };

/** `remediator-lock-<hash>`: never an attempt record's name, whatever a policy is called. */
export function lockName(key: string): string {
  return `remediator-lock-${hash(key)}`;
}

export class TargetLocks {
  /** Locks this replica holds: the Lease says which replica holds one, this set which plan. */
  private readonly held = new Set<string>();
  /** Lock Leases as this replica's last release left them, by name: the next take is one write. */
  private readonly released = new Map<string, V1Lease>();

  constructor(
    private readonly kube: KubePort,
    private readonly namespace: string,
    private readonly instance: string,
  ) {}

  /** Takes the subject's lock for `ttlMs`; a holder that died loses it once that passes. */
  async lock(subject: LeaseSubject, ttlMs: number, now: Date): Promise<LockResult> {
    const name = lockName(subject.key);
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
    const body = (existing?: V1Lease) =>
      leaseBody({
        name,
        namespace: this.namespace,
        kind: 'lock',
        about: subject.key,
        existing,
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
    // same way), or create it. A 409 means someone wrote it since, or it exists: `writeLease`
    // then reads it.
    const released = this.released.get(name);
    this.released.delete(name);
    let write = await writeLease(this.kube, body(released), released !== undefined);
    if (!write.won) {
      const existing = write.current;
      if (existing !== undefined) {
        const holder = existing.spec?.holderIdentity ?? '';
        if (holder !== '' && holder !== this.instance && !expired(existing, now))
          return { ok: false, holder };
      }
      write = await writeLease(this.kube, body(existing), existing !== undefined);
      // Someone else created or took it between our read and our write.
      if (!write.won) return { ok: false, holder: 'another replica' };
    }
    const taken = write.lease;
    return { ok: true, release: () => this.release(name, taken) };
  }

  /** client-go's release: keep the object, drop the holder, make it expire at once. */
  private async release(name: string, taken: V1Lease): Promise<void> {
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
  }
}

function expired(lease: V1Lease, now: Date): boolean {
  const renewed = lease.spec?.renewTime;
  if (renewed === undefined) return true;
  const seconds = lease.spec?.leaseDurationSeconds ?? 0;
  return new Date(renewed).getTime() + seconds * 1000 <= now.getTime();
}
