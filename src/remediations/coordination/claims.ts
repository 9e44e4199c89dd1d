/**
 * Once-only claims: replicas behind one Alertmanager each see an incident, and the first to
 * claim a notice (an escalation rung, a resolution notice) sends it for all of them. A claim is a
 * Lease that is created once and never taken over; `prune` deletes claims after retention.
 */
import { V1MicroTime } from '@kubernetes/client-node';
import { KubeError } from '../../kube/errors';
import type { KubePort } from '../../kube/port';
import { hash, KIND_LABEL, leaseBody, writeLease } from './leases';

export class Claims {
  constructor(
    private readonly kube: KubePort,
    private readonly namespace: string,
    private readonly instance: string,
  ) {}

  /** True for the first replica to claim `key`, false for every other, once and for all. */
  async claimOnce(key: string, now: Date): Promise<boolean> {
    const claim = leaseBody({
      name: `remediator-claim-${hash(key)}`,
      namespace: this.namespace,
      kind: 'claim',
      about: key.slice(0, 1024),
      // No holder duration: a claim is never taken over, only pruned.
      spec: {
        holderIdentity: this.instance,
        acquireTime: new V1MicroTime(now),
        renewTime: new V1MicroTime(now),
      },
    });
    // A claim already made (409) is another replica's, unless it is this very create, committed
    // by a try whose answer was lost and met again by the retry.
    return (await writeLease(this.kube, claim, false)).won;
  }

  /** Deletes claims made before `before`; resolves with how many. */
  async prune(before: Date): Promise<number> {
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
}
