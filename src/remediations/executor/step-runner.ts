/**
 * One step, up to its result: the gates, the target's lock, the action's plan, the cooldown and
 * budget read under the lock, the attempt recorded for the other replicas, the circuit breaker's
 * half-open trial, the intent journaled, and the write. What the result means for the plan is
 * the executor's.
 */
import type { Incident } from '../../incidents/incident';
import type { StoredPlan } from '../../journal/plan-records';
import type { KubePort } from '../../kube/port';
import type { AttemptRecords } from '../coordination/attempts';
import {
  SuspensionFailed,
  suspendOwners,
  type ConfirmedOwner,
  type SuspensionResult,
} from '../gitops-suspension';
import { groupSubject, targetSubject, type LeaseSubject } from '../coordination/leases';
import type { CircuitStore } from './circuits';
import { gitopsSkip, type GateChecks } from './gate-checks';
import type { PlanSilences } from './silences';
import { cooldownOrBudget, type Skip } from './gates';
import {
  describeParams,
  describeTarget,
  failure,
  namedTarget,
  type RunningStep,
  type StepResult,
} from './step';
import type { StepJournal } from './step-journal';

export interface StepRunnerDeps {
  gates: GateChecks;
  circuits: CircuitStore;
  steps: StepJournal;
  /** Silences the plan's alerts before its first write, when its policy asks. */
  silences?: PlanSilences;
  /** The cluster and its attempt records; absent without credentials (a dry run, nothing read). */
  kube?: KubePort | undefined;
  attempts?: AttemptRecords | undefined;
}

/** What a step that needs approval would do: the change a human is asked about. */
export interface ApprovalPreview {
  readonly approval: string;
}

export class StepRunner {
  constructor(private readonly deps: StepRunnerDeps) {}

  /**
   * Gates, lock, plan, intent, apply: everything one step does before its result is journaled.
   * With `askApproval`, it stops once the gates passed and the action planned, before anything
   * is recorded or written, and returns the change a human is asked to approve.
   */
  async run(step: RunningStep, askApproval = false): Promise<StepResult | ApprovalPreview> {
    const { deps } = this;
    const { plan, incident, index, action, ctx } = step;
    const local = await deps.gates.local(plan, incident, ctx);
    if (local !== undefined) return { outcome: { status: 'skipped', skip: local } };
    // Without credentials nothing is read: the step can only say what it was asked to do. An
    // action that needs no cluster (a notification) runs on.
    if (deps.kube === undefined && action.targetKinds.length > 0) {
      if (askApproval) {
        return {
          approval: `${action.name}${describeParams(ctx.params)}${describeTarget(plan)} (no Kubernetes credentials: the exact change is read when it runs)`,
        };
      }
      return {
        outcome: {
          status: 'dry_run',
          summary: `would run ${action.name}${describeParams(ctx.params)}${describeTarget(plan)} (no Kubernetes credentials: nothing read, so the exact change is unknown; nothing written)`,
        },
      };
    }
    // Without credentials there are no Leases, and a target named through a pod stays unfound:
    // the subject is never read then.
    const subject =
      deps.kube === undefined ? groupSubject(incident.groupKey) : subjectOf(plan, incident);
    // Independent reads go out together: the target's opt-out annotation, the blast radius
    // count, and the lock. Every round trip here is time between the alert and the fix.
    const [gate, unlock] = await Promise.allSettled([
      deps.gates.cluster(plan, index, action, subject, ctx),
      deps.gates.lock(subject, ctx.dryRunPlan, ctx.now),
    ]);
    const release =
      unlock.status === 'fulfilled' && typeof unlock.value === 'function'
        ? unlock.value
        : undefined;
    try {
      if (gate.status === 'rejected') throw gate.reason;
      if (gate.value !== undefined && 'code' in gate.value)
        return { outcome: { status: 'skipped', skip: gate.value } };
      const gitops = gate.value;
      if (unlock.status === 'rejected') throw unlock.reason;
      if (release === undefined)
        return { outcome: { status: 'skipped', skip: unlock.value as Skip } };

      const counting = index === 0 && !ctx.dryRunPlan && deps.attempts !== undefined;
      const [record, planned] = await Promise.all([
        counting ? deps.attempts?.read(plan.policy, subject) : undefined,
        action.plan(ctx).then(
          (decision) => ({ decision }),
          (err: unknown) => ({ err }),
        ),
      ]);
      // Read under the lock: another replica may have acted and released it since the plan.
      const spent =
        record && cooldownOrBudget(record, ctx.now.getTime(), plan.cooldownMs, plan.budget);
      if (spent !== undefined) return { outcome: { status: 'skipped', skip: spent } };
      if ('err' in planned)
        return { outcome: failure(planned.err, `reading for ${action.name} failed`) };
      const { decision } = planned;
      if (decision.kind === 'skip') {
        return {
          outcome: { status: 'skipped', skip: { code: 'not_applicable', reason: decision.reason } },
          decision,
        };
      }
      // The step would write, and a GitOps controller would revert it: `gitops: skip` stops here,
      // before anyone is asked to approve a write that will not happen.
      if (gitops?.mode === 'skip' && ctx.target !== undefined)
        return { outcome: { status: 'skipped', skip: gitopsSkip(ctx.target, gitops.owners) } };
      const suspendFirst = gitops?.mode === 'suspend' ? gitops.owners : undefined;
      // A human decides first: the attempt is not recorded (no cooldown starts), the lock and
      // the blast radius's admission are released below, and all are taken again on approval.
      if (askApproval) {
        const suspending =
          suspendFirst === undefined || suspendFirst.length === 0
            ? ''
            : `, after suspending ${ownersText(suspendFirst)} (managed by GitOps)`;
        return {
          approval: `${action.name}${describeTarget(plan)}: ${decision.summary}${suspending}`,
        };
      }
      // Shutting down: nothing is written from here on (an attempt recorded now would hold the
      // next start's retry in cooldown); the plan stays where it was, for the next start.
      ctx.signal?.throwIfAborted();
      if (
        counting &&
        !(await deps.attempts?.record(plan.policy, subject, ctx.now, plan.cooldownMs, {
          changes: action.remediates,
          known: record,
        }))
      ) {
        return {
          outcome: {
            status: 'skipped',
            skip: { code: 'locked', reason: 'another replica started acting on this target first' },
          },
        };
      }
      // The circuit is asked again, and a half-open trial claimed, only now that the step will
      // really act: a trial skipped by a later gate must not hold the circuit half-open forever.
      const circuitSkip = ctx.dryRunPlan
        ? undefined
        : await deps.circuits.gate(plan.policy, ctx.now.getTime(), true);
      if (circuitSkip !== undefined) return { outcome: { status: 'skipped', skip: circuitSkip } };
      await deps.silences?.before(plan, step.incident, index, ctx.dryRunPlan);
      const intentId = await deps.steps.intent(
        plan,
        index,
        action.name,
        decision,
        ctx.dryRun,
        ctx.now,
      );
      // The GitOps owners are suspended after the intent is journaled and before the write, so
      // the write is never reverted; a failed suspension fails the step with nothing written.
      let suspensions: SuspensionResult[] = [];
      if (suspendFirst !== undefined && deps.kube !== undefined) {
        try {
          suspensions = await suspendOwners(deps.kube, suspendFirst, suspensionReason(plan, ctx), {
            dryRun: ctx.dryRun,
          });
        } catch (err) {
          if (!(err instanceof SuspensionFailed)) throw err;
          // Those suspended before the failure stay so: humans must still hear about them.
          return {
            outcome: failure(err.cause, `suspending ${ownersText(suspendFirst)} failed`),
            decision,
            intentId,
            ...(err.done.length === 0 ? {} : { suspensions: err.done }),
          };
        }
      }
      const before =
        suspensions.length === 0 ? '' : `${suspensions.map((r) => r.summary).join('; ')}; then `;
      const withSuspensions = suspensions.length === 0 ? {} : { suspensions };
      try {
        const result = await action.apply(ctx, decision.intent);
        return {
          outcome: {
            status: ctx.dryRun ? 'dry_run' : 'applied',
            summary: `${before}${result.summary}`,
            ...(result.data ? { result: result.data } : {}),
          },
          decision,
          intentId,
          ...withSuspensions,
        };
      } catch (err) {
        const failed = failure(err, `${action.name} failed`);
        return {
          outcome: { ...failed, summary: `${before}${failed.summary}` },
          decision,
          intentId,
          ...withSuspensions,
        };
      }
    } finally {
      // An attempt the blast radius admitted but that was not recorded no longer counts.
      deps.attempts?.withdraw(plan.policy, subject, ctx.now);
      await release?.();
    }
  }
}

function ownersText(owners: readonly ConfirmedOwner[]): string {
  return owners.map((o) => `${o.resource.kind} ${o.namespace}/${o.name}`).join(' and ');
}

/** What the suspended object records about who suspended it. */
function suspensionReason(
  plan: StoredPlan,
  ctx: { readonly now: Date; readonly target?: { kind: string; namespace: string; name: string } },
) {
  const target =
    ctx.target === undefined ? '' : `${ctx.target.kind} ${ctx.target.namespace}/${ctx.target.name}`;
  return { incident: plan.incidentId, policy: plan.policy, target, at: ctx.now };
}

/** What the plan's lock and attempt record are about: its target, or its incident's group. */
function subjectOf(plan: StoredPlan, incident: Incident): LeaseSubject {
  const target = namedTarget(plan);
  return target === undefined ? groupSubject(incident.groupKey) : targetSubject(target);
}
