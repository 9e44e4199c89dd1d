/**
 * The safety gates as a step meets them, each reading what it decides on: first those decided
 * here (alerts already resolved, pause, circuit breaker, protected namespace), then those read
 * from the cluster (the target's opt-out annotation and, on a plan's first step, the blast
 * radius), and the per-target lock. The decisions themselves are gates.ts's.
 */
import type { Incident } from '../../incidents/incident';
import type { StoredPlan } from '../../journal/plan-records';
import { readTargetObject } from '../../kube/objects';
import type { KubePort } from '../../kube/port';
import type { PolicySet } from '../../policies/policy';
import type { Action, ActionContext } from '../action';
import type { AttemptRecords } from '../coordination/attempts';
import type { LeaseSubject } from '../coordination/leases';
import type { TargetLocks } from '../coordination/locks';
import type { CircuitStore } from './circuits';
import { blastRadius, optedOut, protectedNamespace, type Skip } from './gates';
import type { PauseSwitch } from './pause';
import { alertsOf, namedTarget } from './step';

export interface GateChecksDeps {
  pause: PauseSwitch;
  circuits: CircuitStore;
  policies: () => PolicySet;
  /** The cluster, its locks and its attempt records; all absent without credentials. */
  kube?: KubePort | undefined;
  locks?: TargetLocks | undefined;
  attempts?: AttemptRecords | undefined;
}

export class GateChecks {
  constructor(private readonly deps: GateChecksDeps) {}

  /** The gates decided without the cluster: the first that says no wins. */
  async local(plan: StoredPlan, incident: Incident, ctx: ActionContext): Promise<Skip | undefined> {
    const alerts = alertsOf(plan, incident);
    if (
      plan.trigger === 'firing' &&
      alerts.length > 0 &&
      alerts.every((a) => a.status === 'resolved')
    ) {
      return { code: 'already_resolved', reason: 'its alerts resolved before the step could run' };
    }
    if (this.deps.pause.isPaused)
      return { code: 'paused', reason: 'remediation is paused (POST /api/v1/resume to resume)' };
    // Dry runs change nothing, so they neither open a circuit nor are stopped by one.
    const circuit = ctx.dryRunPlan
      ? undefined
      : await this.deps.circuits.gate(plan.policy, ctx.now.getTime(), false);
    if (circuit !== undefined) return circuit;
    return protectedNamespace(plan.target, this.deps.policies().safety);
  }

  /** The gates read from the cluster: the opt-out annotation, then (first step) the blast radius. */
  async cluster(
    plan: StoredPlan,
    index: number,
    action: Action,
    subject: LeaseSubject,
    ctx: ActionContext,
  ): Promise<Skip | undefined> {
    const { kube, attempts } = this.deps;
    const safety = this.deps.policies().safety;
    if (kube === undefined) return undefined;
    const target = namedTarget(plan);
    if (target === undefined) return undefined;
    // The blast radius counts changes; a notification or a diagnostic is not one.
    const counting = action.remediates && index === 0 && !ctx.dryRunPlan && attempts !== undefined;
    const [object, tooMany] = await Promise.all([
      action.targetKinds.length === 0 ? undefined : readTargetObject(kube, target),
      counting
        ? attempts.admit(plan.policy, subject, safety.blastRadius.windowMs, ctx.now, (counts) =>
            blastRadius(counts, target, safety),
          )
        : undefined,
    ]);
    return optedOut(object?.metadata?.annotations, safety) ?? tooMany;
  }

  /** The subject's lock, outside dry runs; resolves with its release, or the skip. */
  async lock(
    subject: LeaseSubject,
    dryRun: boolean,
    now: Date,
  ): Promise<(() => Promise<void>) | Skip> {
    const { locks } = this.deps;
    if (dryRun || locks === undefined) return () => Promise.resolve();
    const lock = await locks.lock(subject, this.deps.policies().safety.lockTimeoutMs, now);
    if (!lock.ok) return { code: 'locked', reason: `${lock.holder} is acting on this target` };
    return () => lock.release();
  }
}
