/**
 * Runs plans, one step at a time, behind the safety gates; then watches each applied step's
 * alerts for its verify window and moves on to the next step, or hands the incident to humans.
 *
 * One step: gates → lock → the action's plan → intent journaled → apply (step-runner.ts) →
 * result journaled → the plan moves on (here). Every step is journaled: its intent before the
 * write, its result after, so that a restart finds an intent without a result and reconciles it
 * (re-reads the target) instead of writing again. Gates, in order: paused, circuit breaker,
 * protected namespace, opt-out annotation; then, for the first step of a plan and outside dry
 * runs, blast radius, cooldown and budget; then the per-target lock. The action's own `plan()`
 * may still find nothing to do.
 *
 * This class decides what runs when; the parts live beside it: step-runner.ts and
 * gate-checks.ts (one step), step-journal.ts (intents, results, timeline), audit-trail.ts
 * (Events), pause.ts, circuits.ts, verification.ts (verify windows and verdicts), recovery.ts
 * (after a restart), step-slots.ts (how many run at once) and plan-queue.ts (when new plans
 * start).
 */
import type { WebhookPayload } from '../../alertmanager/payload';
import type { Clock } from '../../clock';
import { describeError } from '../../errors';
import type { Incident, IncidentChange } from '../../incidents/incident';
import type { IncidentStore } from '../../journal/incident-store';
import type { Journal } from '../../journal/journal';
import type { PlanRecords, PlanStatus, StoredPlan } from '../../journal/plan-records';
import type { RemediationRecords } from '../../journal/remediation-records';
import type { SilenceRecords } from '../../journal/silence-records';
import type { KubePort, ObjectRef } from '../../kube/port';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { Notifier } from '../../notify/notifier';
import { isNamedTarget } from '../../policies/planner';
import type { PolicySet } from '../../policies/policy';
import type { SourceConnection } from '../../sources/http';
import type { ModelRegistry } from '../../sources/mlflow';
import type { Action } from '../action';
import type { AttemptRecords } from '../coordination/attempts';
import type { TargetLocks } from '../coordination/locks';
import type { EscalationReason, Escalator } from '../escalation';
import { Approvals, type AnsweredApproval, type ApprovalAnswer } from './approvals';
import { DEFAULT_GITOPS_SETTINGS, ownerText, type GitOpsSettings } from '../gitops';
import {
  NotSuspendedError,
  resumeHint,
  resumeOwner,
  type SuspensionResult,
} from '../gitops-suspension';
import type { CustomResource } from '../../kube/custom-resources';
import { AuditTrail, recordEvent } from './audit-trail';
import { judgesPolicy } from './circuit';
import { CircuitStore } from './circuits';
import { GateChecks } from './gate-checks';
import { ESCALATING_SKIPS } from './gates';
import { PauseSwitch } from './pause';
import { PlanQueue } from './plan-queue';
import { Recovery } from './recovery';
import { PlanSilences } from './silences';
import {
  failure,
  stepContext,
  type RunningStep,
  type StepOutcome,
  type StepResult,
  type StepSurroundings,
} from './step';
import { StepJournal } from './step-journal';
import { StepRunner } from './step-runner';
import { StepSlots } from './step-slots';
import { findOwner } from './targets';
import { Verification } from './verification';

export interface ExecutorDeps {
  journal: Journal;
  store: IncidentStore;
  plans: PlanRecords;
  remediations: RemediationRecords;
  silences: SilenceRecords;
  actions: ReadonlyMap<string, Action>;
  policies: () => PolicySet;
  /** Asked at the end of verify windows which alerts are still active; where silences go. */
  alertmanager?: SourceConnection | undefined;
  /** Asked the queries of steps verified by PromQL. */
  prometheus?: SourceConnection | undefined;
  /** Where alerts Alertmanager no longer holds are reported resolved (see VerificationDeps). */
  confirmResolved?: (payload: WebhookPayload) => Promise<void>;
  /** Absent without Kubernetes credentials: steps are then recorded as dry runs, nothing read. */
  kube?: KubePort;
  /** Present with `kube`: the per-target locks and the attempt records, shared with other replicas. */
  locks?: TargetLocks;
  attempts?: AttemptRecords;
  notifier: Notifier;
  escalator: Escalator;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** This replica's name, for Leases, Jobs and Events. */
  instance: string;
  /** The global dry run (a flag, or no credentials). */
  dryRun: boolean;
  /** In a dry run, steps of `runsInDryRun` actions (notify) run anyway (`--dry-run-notify`). */
  dryRunNotify: boolean;
  /** Steps run at once, across plans (`--parallel-steps`). */
  parallelSteps: number;
  /** MLflow's model registry, for `restore-model` with `mlflow:`; absent when not configured. */
  modelRegistry?: ModelRegistry | undefined;
  /** How Argo CD and Flux mark what they manage; Argo CD's defaults when absent. */
  gitops?: GitOpsSettings;
  /** Told after each journaled change of the global pause. */
  onPauseChange?: (paused: boolean) => void;
}

export class Executor {
  /** Plans waiting for a target lock another plan holds: since when, and the retry timers. */
  private readonly lockWaits = new Map<number, number>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private closed = false;
  /** Aborted at `close()`: outcomes still awaited (a Job may run for minutes) are given up. */
  private readonly stopping = new AbortController();
  private readonly surroundings: StepSurroundings;
  private readonly slots: StepSlots;
  private readonly pause: PauseSwitch;
  private readonly circuits: CircuitStore;
  private readonly steps: StepJournal;
  private readonly audit: AuditTrail;
  private readonly runner: StepRunner;
  private readonly verification: Verification;
  private readonly recovery: Recovery;
  private readonly queue: PlanQueue;
  private readonly planSilences: PlanSilences;
  private readonly approvals: Approvals;

  constructor(private readonly deps: ExecutorDeps) {
    const { kube, locks, attempts } = deps;
    this.surroundings = {
      kube,
      instance: deps.instance,
      notifier: deps.notifier,
      signal: this.stopping.signal,
      modelRegistry: deps.modelRegistry,
    };
    this.slots = new StepSlots(deps);
    this.pause = new PauseSwitch(deps);
    this.circuits = new CircuitStore(deps);
    this.steps = new StepJournal(deps);
    this.audit = new AuditTrail(deps);
    this.planSilences = new PlanSilences(deps);
    const gates = new GateChecks({
      pause: this.pause,
      circuits: this.circuits,
      policies: deps.policies,
      kube,
      locks,
      attempts,
      gitops: deps.gitops ?? DEFAULT_GITOPS_SETTINGS,
    });
    this.runner = new StepRunner({
      gates,
      circuits: this.circuits,
      steps: this.steps,
      silences: this.planSilences,
      kube,
      attempts,
    });
    this.verification = new Verification({
      ...deps,
      circuits: this.circuits,
      slots: this.slots,
      runStep: (planId, index) => this.runStep(planId, index),
      planEnded: async (plan, incident, how) => {
        await this.planSilences.lift(plan, incident, how);
      },
      signal: this.stopping.signal,
    });
    this.approvals = new Approvals({
      ...deps,
      audit: this.audit,
      runStep: (planId, index) => this.runStep(planId, index),
      escalate: (plan, incident, reason, detail) =>
        this.giveUp(plan, incident, reason, detail, false),
    });
    this.queue = new PlanQueue({
      plans: deps.plans,
      slots: this.slots,
      run: (planId) => this.runStep(planId, 0),
      waitingForLock: (planId) => this.lockWaits.has(planId),
    });
    this.recovery = new Recovery({
      ...deps,
      surroundings: this.surroundings,
      audit: this.audit,
      verification: this.verification,
      slots: this.slots,
      queue: this.queue,
      steps: {
        run: (planId, index) => this.runStep(planId, index),
        finish: (running, result) => this.finish(running, result),
        giveUp: (plan, incident, reason, detail) => this.giveUp(plan, incident, reason, detail),
      },
    });
  }

  get isPaused(): boolean {
    return this.pause.isPaused;
  }

  /**
   * Lifts a GitOps suspension remediator made, for a human who fixed Git (`POST
   * /api/v1/gitops/resume`): the owner reconciles again, and an Event on it says who resumed it.
   * Refuses (NotSuspendedError) an object remediator did not suspend; KubeError when the
   * cluster says no; a dry run or no credentials changes nothing and says so.
   */
  async resumeGitOps(
    resource: CustomResource,
    namespace: string,
    name: string,
    by: string,
  ): Promise<string> {
    const { kube, logger } = this.deps;
    if (kube === undefined || this.deps.dryRun) {
      throw new NotSuspendedError(
        'remediator runs in dry-run mode here: it suspended nothing, and resumes nothing',
      );
    }
    const resumed = await resumeOwner(kube, resource, namespace, name, this.deps.clock.now());
    await recordEvent(
      kube,
      resumed.ref,
      'resume',
      'GitOpsResumed',
      `${resumed.summary} by ${by}`,
      this.deps,
    );
    logger.info('GitOps suspension lifted', { kind: resource.kind, namespace, name, by });
    return resumed.summary;
  }

  /** The global pause: plans are still made and journaled, no step runs. Survives restarts. */
  async setPaused(paused: boolean, by: string): Promise<void> {
    const now = this.deps.clock.now().getTime();
    await this.pause.set(paused, by, now);
    if (paused) return;
    // Plans the pause stopped take up where they stopped, if their alerts still fire (the gate
    // that skips already-resolved alerts says so otherwise).
    for (const { planId, step } of this.deps.remediations.plansSkippedByPause()) {
      await this.deps.journal.write(() => {
        this.deps.plans.setStatus(planId, 'running', step, now);
      });
      this.slots.spawn(() => this.runStep(planId, step));
    }
  }

  /** Runs a journaled plan from its first step, now or, when many wait, once they have run. */
  start(planId: number): void {
    this.queue.offer(planId);
  }

  /**
   * A human approves a plan awaiting approval: journaled, then its step runs behind every safety
   * gate. Throws `ApprovalConflictError` when the plan is not awaiting approval.
   */
  approve(planId: number, answer: ApprovalAnswer): Promise<AnsweredApproval> {
    return this.approvals.approve(planId, answer);
  }

  /** A human denies a plan awaiting approval: journaled, nothing written, the incident escalates. */
  deny(planId: number, answer: ApprovalAnswer): Promise<AnsweredApproval> {
    return this.approvals.deny(planId, answer);
  }

  /** Plans waiting for a human's approval, oldest first. */
  pendingApprovals(): StoredPlan[] {
    return this.approvals.pending();
  }

  /**
   * Called with every incident change: verdicts for steps under verification, approval requests
   * whose alerts resolved, resolution notices.
   */
  onIncidentChange(change: IncidentChange): void {
    const { incident, previous } = change;
    if (change.newlyResolved.length > 0) {
      this.verification.alertsResolved(incident);
      this.slots.spawn(() => this.approvals.withdrawResolved(incident));
    }
    if (
      incident.status === 'resolved' &&
      previous !== undefined &&
      previous.status !== 'resolved'
    ) {
      this.slots.spawn(() => this.deps.escalator.announceResolution(incident));
    }
  }

  /**
   * After a restart: reconciles intents left without a result, resumes verification windows, and
   * runs plans that were journaled but never started or stopped between two steps.
   */
  async recover(): Promise<void> {
    this.approvals.recover();
    await Promise.all([this.planSilences.sweep(), this.recovery.recover()]);
  }

  /** Resolves once every step started so far has finished (verification windows excepted). */
  idle(): Promise<void> {
    return this.slots.idle();
  }

  /**
   * Shutdown: no step starts from now on, verification and retry timers stop, outcomes still
   * awaited are given up. Steps in flight go on (`idle()` resolves when they are done); one that
   * has not journaled its intent yet stops before writing. Whatever did not run stays journaled
   * where it stopped, for the next start to resume.
   */
  close(): void {
    this.closed = true;
    this.slots.close();
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    this.stopping.abort();
    this.verification.close();
    this.approvals.close();
  }

  // -------------------------------------------------------------------------------------------
  // One step

  private async runStep(planId: number, index: number): Promise<void> {
    const { deps } = this;
    const plan = deps.plans.get(planId);
    const incident = plan && deps.store.get(plan.incidentId);
    if (
      plan === undefined ||
      incident === undefined ||
      !['planned', 'running'].includes(plan.status)
    )
      return;
    const step = plan.steps[index];
    if (step === undefined) {
      const acted = deps.remediations
        .forPlan(plan.id)
        .some((r) => r.status === 'applied' || r.status === 'dry_run');
      await this.giveUp(
        plan,
        incident,
        'steps_exhausted',
        acted
          ? `all ${plan.steps.length} step(s) of policy ${plan.policy} ran and its alerts still fire`
          : `none of the ${plan.steps.length} step(s) of policy ${plan.policy} could act`,
      );
      return;
    }
    const action = deps.actions.get(step.action);
    if (action === undefined) throw new Error(`no action named ${step.action}`);
    const started = performance.now();
    // A notification changes no cluster: in a dry run it is sent anyway, marked as one.
    const dryRunPlan = deps.dryRun || plan.dryRun;
    const runsAnyway = action.runsInDryRun === true && deps.dryRunNotify;
    const ctx = stepContext(
      plan,
      incident,
      index,
      { now: deps.clock.now(), dryRun: dryRunPlan && !runsAnyway, dryRunPlan },
      this.surroundings,
    );
    let running: RunningStep = { plan, incident, index, action, ctx };
    let result: StepResult;
    try {
      const found = await this.findTarget(running);
      if ('outcome' in found) result = found;
      else {
        running = found;
        const ran = await this.runner.run(running, this.approvals.needsApproval(running));
        if ('approval' in ran) {
          if (!this.closed) await this.approvals.request(running, ran.approval);
          return;
        }
        result = ran;
      }
    } catch (err) {
      // The target, a gate or the lock could not be read (the API failed after its retries).
      result = { outcome: failure(err, `checking the safety gates for ${step.action} failed`) };
    }
    // Shut down meanwhile, before the step journaled its intent: it wrote nothing, and its
    // plan stays where it was for the next start to run it again from its gates.
    if (this.closed && result.intentId === undefined) return;
    if (isLocked(result.outcome) && this.waitForLock(plan.id, index)) return;
    this.lockWaits.delete(plan.id);
    deps.metrics.remediationDuration.observe(
      { action: step.action },
      (performance.now() - started) / 1000,
    );
    await this.finish(running, result);
    if (
      result.outcome.status === 'applied' &&
      result.decision?.kind === 'act' &&
      action.awaitOutcome !== undefined
    ) {
      const intent = result.decision.intent;
      // Not a step: it only waits, for as long as the Job may run, so it takes no step slot.
      this.steps.outcome(running, intent).catch((err: unknown) => {
        deps.logger.error('recording a step outcome failed', { error: describeError(err) });
      });
    }
  }

  /**
   * A target the policy names through a pod or an HPA is found here, once per plan and before
   * any gate, so that every gate, the lock and the action see the object found. Without
   * credentials nothing is read: the step stays a dry run about "the Deployment that owns pod
   * ...". A pod that is gone or has no such owner skips the plan.
   */
  private async findTarget(step: RunningStep): Promise<RunningStep | StepResult> {
    const { plan } = step;
    const { kube } = this.deps;
    if (plan.target === undefined || isNamedTarget(plan.target) || kube === undefined) return step;
    const lookup = await findOwner(kube, plan.target);
    if ('skip' in lookup) return { outcome: { status: 'skipped', skip: lookup.skip } };
    await this.steps.targetFound(step, lookup.found, lookup.chain);
    return {
      ...step,
      plan: { ...plan, target: lookup.found },
      ctx: { ...step.ctx, target: lookup.found },
    };
  }

  /**
   * Another plan (of this replica or another) holds the target's lock: try again every second
   * until `safety.lockTimeout` has passed since the first try. Locks are held for one step, so
   * a second policy acting on the same target waits its turn instead of being dropped; a race
   * for the same policy meets the winner's cooldown on its next try.
   */
  private waitForLock(planId: number, index: number): boolean {
    const now = this.deps.clock.now().getTime();
    const since = this.lockWaits.get(planId) ?? now;
    const left = this.deps.policies().safety.lockTimeoutMs - (now - since);
    if (left <= 0 || this.closed) return false;
    this.lockWaits.set(planId, since);
    const timer = setTimeout(
      () => {
        this.retries.delete(timer);
        this.slots.spawn(() => this.runStep(planId, index));
      },
      Math.min(1000, left),
    );
    timer.unref();
    this.retries.add(timer);
    this.deps.logger.debug('waiting for the target lock', { plan: planId, step: index });
    return true;
  }

  /**
   * Journals a step's result, then moves the plan on: its audit Event, the circuit breaker, its
   * verify window or the next step, and humans when a limit stopped it.
   */
  private async finish(running: RunningStep, result: StepResult): Promise<void> {
    const { plan, incident, index, action, ctx } = running;
    const step = plan.steps[index];
    if (step === undefined) return;
    const { outcome, decision } = result;
    const now = this.deps.clock.now().getTime();
    const acted = outcome.status === 'applied' || outcome.status === 'dry_run';
    // Only a step that changes something is judged by its alerts; a notice or a diagnostic is not.
    const verifyUntil =
      acted && action.remediates && plan.trigger === 'firing' && step.verifyMs > 0
        ? now + step.verifyMs
        : undefined;
    const next = nextMove(plan, index, outcome, verifyUntil !== undefined);
    const remediationId = await this.steps.result(running, {
      name: step.action,
      result,
      now,
      verifyUntil,
      next,
    });
    if (decision?.kind === 'act' && outcome.status !== 'skipped')
      await this.audit.record(decision, step.action, outcome, ctx);
    if (result.suspensions !== undefined && decision?.kind === 'act')
      await this.announceSuspensions(running, decision.regarding, result.suspensions);
    if (outcome.status === 'failed' && action.remediates && !ctx.dryRunPlan) {
      await this.circuits.recordRun(
        plan.policy,
        judgesPolicy(outcome.reason) ? 'failure' : 'no_verdict',
      );
    }

    if (verifyUntil !== undefined)
      this.verification.schedule(remediationId, plan.id, index, verifyUntil - now);
    if (next.status === 'done' || next.status === 'skipped')
      await this.planSilences.lift(plan, incident, next.status);
    if (next.run !== undefined) this.slots.spawn(() => this.runStep(plan.id, next.run ?? 0));
    if (outcome.status === 'skipped' && ESCALATING_SKIPS.has(outcome.skip.code)) {
      await this.giveUp(
        plan,
        incident,
        outcome.skip.code as Exclude<EscalationReason, 'unresolved'>,
        outcome.skip.reason,
        false,
      );
    }
  }

  /**
   * GitOps owners suspended before a write stay suspended (lifting it after a rollback would
   * redeploy the bad version): an Event on each owner and on the workload, and humans are told
   * what was suspended and how to resume once Git is fixed. In a dry run nothing was stored, and
   * the escalation records what it would have said.
   */
  private async announceSuspensions(
    running: RunningStep,
    workload: ObjectRef | undefined,
    suspensions: readonly SuspensionResult[],
  ): Promise<void> {
    const { plan, incident, ctx } = running;
    const changed = suspensions.filter((s) => s.changed);
    if (changed.length === 0) return;
    const target =
      workload === undefined
        ? 'the target'
        : `${workload.kind} ${workload.namespace}/${workload.name}`;
    for (const suspension of changed) {
      const note = `${suspension.summary} so that it does not revert ${plan.steps[running.index]?.action ?? 'the change'} of ${target}; it stays suspended until a human resumes it: ${resumeHint(suspension.owner)}`;
      await this.audit.suspended(suspension.ref, note, ctx);
      if (workload !== undefined) await this.audit.suspended(workload, note, ctx);
    }
    const what = changed.map((s) => ownerText(s.owner)).join(' and ');
    const how = changed.map((s) => resumeHint(s.owner)).join('; ');
    const detail = `${ctx.dryRun ? 'would have suspended' : 'suspended'} ${what} before writing to ${target}, so that it does not revert the change. remediator never lifts a suspension itself (resuming now would redeploy what Git holds): fix Git first, then resume with ${how}`;
    const latest = this.deps.store.get(incident.id) ?? incident;
    await this.deps.escalator.inform(
      latest,
      'gitops_suspended',
      detail,
      this.deps.dryRun || plan.dryRun,
    );
  }

  /** Automation gives up on this plan: the plan is marked escalated and humans are told. */
  private async giveUp(
    plan: StoredPlan,
    incident: Incident,
    reason: Exclude<EscalationReason, 'unresolved'>,
    detail: string,
    markPlan = true,
  ): Promise<void> {
    if (markPlan) {
      const now = this.deps.clock.now().getTime();
      await this.deps.journal.write(() => {
        this.deps.plans.setStatus(plan.id, 'escalated', plan.currentStep, now);
      });
    }
    // Humans take over: the alerts notify again from now on, and the escalation says so.
    const lifted = await this.planSilences.lift(plan, incident, `escalated: ${reason}`);
    const silences =
      lifted.length === 0
        ? ''
        : `; the Alertmanager silence${lifted.length === 1 ? '' : 's'} of its alerts (${lifted.join(', ')}) ${lifted.length === 1 ? 'was' : 'were'} lifted, so they notify again`;
    const latest = this.deps.store.get(incident.id) ?? incident;
    await this.deps.escalator.escalate(
      latest,
      reason,
      `${detail}${silences}`,
      this.deps.dryRun || plan.dryRun,
    );
  }
}

/** What the plan does after a step: its status, the step index to record, and a step to run now. */
function nextMove(
  plan: StoredPlan,
  index: number,
  outcome: StepOutcome,
  verifying: boolean,
): { status: PlanStatus; step: number; run?: number } {
  const hasNext = index + 1 < plan.steps.length;
  if (outcome.status === 'skipped' && outcome.skip.code !== 'not_applicable') {
    return { status: outcome.skip.code === 'already_resolved' ? 'done' : 'skipped', step: index };
  }
  if (verifying) return { status: 'running', step: index };
  // Not applicable, failed, or nothing to verify (a resolved-alert plan): on to the next step.
  if (hasNext) return { status: 'running', step: index + 1, run: index + 1 };
  if (outcome.status === 'applied' || outcome.status === 'dry_run')
    return { status: 'done', step: index };
  return { status: 'running', step: index + 1, run: index + 1 };
}

function isLocked(outcome: StepOutcome): boolean {
  return outcome.status === 'skipped' && outcome.skip.code === 'locked';
}
