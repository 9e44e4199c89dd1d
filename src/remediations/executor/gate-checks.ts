/**
 * The safety gates as a step meets them, each reading what it decides on: first those decided
 * here (alerts already resolved, pause, circuit breaker, protected namespace), then those read
 * from the cluster (the target's opt-out annotation and, on a plan's first step, the blast
 * radius), and the per-target lock. The decisions themselves are gates.ts's.
 */
import type { Incident } from '../../incidents/incident';
import type { StoredPlan } from '../../journal/plan-records';
import { API_VERSIONS, readTargetObject } from '../../kube/objects';
import type { KubePort } from '../../kube/port';
import type { RenderedTarget } from '../../policies/planner';
import type { PolicySet } from '../../policies/policy';
import type { Action, ActionContext } from '../action';
import { gitopsOwnersOf, ownerText, type GitOpsSettings } from '../gitops';
import { confirmOwners, type ConfirmedOwner } from '../gitops-suspension';
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
  /** How Argo CD and Flux mark what they manage. */
  gitops: GitOpsSettings;
}

/**
 * The cluster gates passed, and GitOps controllers manage the target: if the action decides to
 * write, `skip` turns the step into a `gitops_managed` skip naming them, `suspend` suspends them
 * first. Decided after the action's plan, so that a step with nothing to do runs its course.
 */
export interface GitOpsManaged {
  readonly mode: 'skip' | 'suspend';
  readonly owners: readonly ConfirmedOwner[];
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

  /**
   * The gates read from the cluster: the opt-out annotation, then (first step) the blast radius,
   * then whether a GitOps controller manages the target (for an action that writes to it).
   */
  async cluster(
    plan: StoredPlan,
    index: number,
    action: Action,
    subject: LeaseSubject,
    ctx: ActionContext,
  ): Promise<Skip | GitOpsManaged | undefined> {
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
    const skip = optedOut(object?.metadata?.annotations, safety) ?? tooMany;
    if (skip !== undefined || object === undefined || action.writesTarget !== true) return skip;
    return this.gitops(plan, target, object, kube);
  }

  /**
   * `gitops:` for a step that writes to the target: the owners its labels and annotations name,
   * confirmed by reading them, for the step runner; `ignore` reads nothing.
   */
  private async gitops(
    plan: StoredPlan,
    target: RenderedTarget,
    object: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    },
    kube: KubePort,
  ): Promise<GitOpsManaged | undefined> {
    const mode = plan.gitops ?? 'skip';
    if (mode === 'ignore') return undefined;
    const candidates = gitopsOwnersOf(
      {
        apiVersion: API_VERSIONS[target.kind],
        kind: target.kind,
        namespace: target.namespace,
        name: target.name,
        ...(object.metadata?.labels ? { labels: object.metadata.labels } : {}),
        ...(object.metadata?.annotations ? { annotations: object.metadata.annotations } : {}),
      },
      this.deps.gitops,
    );
    if (candidates.length === 0) return undefined;
    const owners = await confirmOwners(kube, candidates);
    if (owners.length === 0) return undefined;
    return { mode, owners };
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

/** The skip of a step whose write a GitOps controller would revert, naming who manages it. */
export function gitopsSkip(
  target: { readonly kind: string; readonly namespace: string; readonly name: string },
  owners: readonly ConfirmedOwner[],
): Skip {
  const names = owners.map((o) => `${ownerText(o)} (${o.via})`).join(' and ');
  return {
    code: 'gitops_managed',
    reason: `${target.kind} ${target.namespace}/${target.name} is managed by ${names}, which would revert the change at its next sync; the policy says gitops: skip, so nothing was written. Fix it in Git, or set gitops: suspend to let remediator suspend ${owners.length === 1 ? 'it' : 'them'} and act`,
  };
}
