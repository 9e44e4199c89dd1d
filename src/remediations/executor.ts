import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { IncidentBook } from '../incidents/book';
import {
  alertKey,
  transition,
  type AlertState,
  type Incident,
  type IncidentChange,
} from '../incidents/incident';
import type { IncidentRecords } from '../journal/incident-records';
import type { Journal } from '../journal/journal';
import type { PlanRecords, PlanStatus, StoredPlan } from '../journal/plan-records';
import type {
  RemediationRecords,
  RemediationStatus,
  StoredRemediation,
} from '../journal/remediation-records';
import { KubeError } from '../kube/errors';
import type { KubePort, ObjectRef } from '../kube/port';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Notifier } from '../notify/notifier';
import type { RenderedTarget } from '../policies/planner';
import type { PolicySet } from '../policies/policy';
import type { Action, ActionContext, ActionDecision } from './action';
import { remediationEvent, type AuditReason } from './audit';
import { admit, CLOSED, parseCircuit, record, type Circuit } from './circuit';
import type { EscalationReason, Escalator } from './escalation';
import {
  blastRadius,
  cooldownOrBudget,
  ESCALATING_SKIPS,
  optedOut,
  protectedNamespace,
  type Skip,
} from './gates';
import { groupSubject, targetSubject, type LeaseStore, type LeaseSubject } from './leases';

export interface ExecutorDeps {
  journal: Journal;
  book: IncidentBook;
  incidents: IncidentRecords;
  plans: PlanRecords;
  remediations: RemediationRecords;
  actions: ReadonlyMap<string, Action>;
  policies: () => PolicySet;
  /** Absent without Kubernetes credentials: steps are then recorded as dry runs, nothing read. */
  kube?: KubePort;
  leases?: LeaseStore;
  notifier: Notifier;
  escalator: Escalator;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** This replica's name, for Leases, Jobs and Events. */
  instance: string;
  /** The global dry run (a flag, or no credentials). */
  dryRun: boolean;
  /** Steps run at once, across plans (`--parallel-steps`). */
  parallelSteps: number;
}

/** How one step ended, before it is journaled. */
type StepOutcome =
  | { status: 'applied' | 'dry_run'; summary: string; result?: Readonly<Record<string, unknown>> }
  | { status: 'skipped'; skip: Skip }
  | { status: 'failed'; reason: string; summary: string };

/** A step's outcome, with what the action decided and the journaled intent, when there were. */
interface Attempt {
  outcome: StepOutcome;
  decision?: ActionDecision;
  intentId?: number;
}

const PAUSED_SETTING = 'paused';

/**
 * Runs plans, one step at a time, behind the safety gates; then watches each applied step's
 * alerts for its verify window and moves on to the next step, or hands the incident to humans.
 *
 * Every step is journaled: its intent before the write, its result after, so that a restart finds
 * an intent without a result and reconciles it (re-reads the target) instead of writing again.
 * Gates, in order: paused, circuit breaker, protected namespace, opt-out annotation; then, for the
 * first step of a plan and outside dry runs, blast radius, cooldown and budget; then the
 * per-target lock. The action's own `plan()` may still find nothing to do.
 */
export class Executor {
  private readonly pending = new Map<number, { planId: number; timer: NodeJS.Timeout }>();
  /** Plans waiting for a target lock another plan holds: since when, and the retry timers. */
  private readonly lockWaits = new Map<number, number>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly circuits: Map<string, Circuit>;
  private paused: boolean;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Aborted at `close()`: outcomes still awaited (a Job may run for minutes) are given up. */
  private readonly stopping = new AbortController();

  constructor(private readonly deps: ExecutorDeps) {
    this.circuits = new Map(
      [...deps.remediations.circuits()].map(([policy, text]) => [policy, parseCircuit(text)]),
    );
    for (const [policy, circuit] of this.circuits) {
      deps.metrics.circuitOpen.set({ policy }, circuit.state === 'closed' ? 0 : 1);
    }
    this.paused = deps.remediations.getSetting(PAUSED_SETTING) === 'true';
    deps.metrics.paused.set(this.paused ? 1 : 0);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The global pause: plans are still made and journaled, no step runs. Survives restarts. */
  async setPaused(paused: boolean, by: string): Promise<void> {
    const now = this.deps.clock.now().getTime();
    await this.deps.journal.write(() => {
      this.deps.remediations.setSetting(PAUSED_SETTING, String(paused), now);
    });
    this.paused = paused;
    this.deps.metrics.paused.set(paused ? 1 : 0);
    this.deps.logger.warn(paused ? 'remediation paused' : 'remediation resumed', { by });
    if (paused) return;
    // Plans the pause stopped take up where they stopped, if their alerts still fire (the gate
    // that skips already-resolved alerts says so otherwise).
    for (const { planId, step } of this.deps.remediations.plansSkippedByPause()) {
      await this.deps.journal.write(() => {
        this.deps.plans.setStatus(planId, 'running', step, now);
      });
      this.spawn(() => this.runStep(planId, step));
    }
  }

  /** Runs a journaled plan from its first step. */
  start(planId: number): void {
    this.spawn(() => this.runStep(planId, 0));
  }

  /** Called with every incident change: verdicts for steps under verification, resolution notices. */
  onIncidentChange(change: IncidentChange): void {
    const { incident, previous } = change;
    if (change.newlyResolved.length > 0) {
      for (const [remediationId, { planId }] of this.pending) {
        const plan = this.deps.plans.get(planId);
        if (plan?.incidentId !== incident.id) continue;
        if (alertsOf(plan, incident).every((a) => a.status === 'resolved')) {
          this.settleVerification(remediationId, planId);
        }
      }
    }
    if (
      incident.status === 'resolved' &&
      previous !== undefined &&
      previous.status !== 'resolved'
    ) {
      this.spawn(() => this.deps.escalator.announceResolution(incident));
    }
  }

  /**
   * After a restart: reconciles intents left without a result, resumes verification windows, and
   * runs plans that were journaled but never started or stopped between two steps.
   */
  async recover(): Promise<void> {
    const busy = new Set<number>();
    for (const intent of this.deps.remediations.openIntents()) {
      busy.add(intent.planId);
      this.spawn(() => this.reconcile(intent));
    }
    for (const step of this.deps.remediations.pendingVerifications()) {
      busy.add(step.planId);
      this.scheduleVerification(
        step.id,
        step.planId,
        (step.verifyUntil ?? 0) - this.deps.clock.now().getTime(),
      );
    }
    for (const plan of this.deps.plans.unfinished()) {
      if (busy.has(plan.id)) continue;
      this.deps.logger.info('resuming a plan interrupted by the last run', {
        plan: plan.id,
        step: plan.currentStep,
      });
      this.spawn(() => this.runStep(plan.id, plan.status === 'planned' ? 0 : plan.currentStep));
    }
    await this.idle();
  }

  /** Resolves once every step started so far has finished (verification windows excepted). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Stops verification and retry timers; steps in flight finish. */
  close(): void {
    this.closed = true;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    this.stopping.abort();
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  // -------------------------------------------------------------------------------------------
  // One step

  private async runStep(planId: number, index: number): Promise<void> {
    const { deps } = this;
    const plan = deps.plans.get(planId);
    const incident = plan && deps.incidents.get(plan.incidentId);
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
    const ctx = this.context(plan, incident, index, deps.clock.now(), deps.dryRun || plan.dryRun);
    let attempt: Attempt;
    try {
      attempt = await this.attempt(plan, incident, index, action, ctx);
    } catch (err) {
      // A gate or the lock could not be checked (the API failed after its retries).
      attempt = { outcome: failure(err, `checking the safety gates for ${step.action} failed`) };
    }
    if (isLocked(attempt.outcome) && this.waitForLock(plan.id, index)) return;
    this.lockWaits.delete(plan.id);
    deps.metrics.remediationDuration.observe(
      { action: step.action },
      (performance.now() - started) / 1000,
    );
    await this.afterStep(plan, incident, index, action, ctx, attempt);
    if (
      attempt.outcome.status === 'applied' &&
      attempt.decision?.kind === 'act' &&
      action.awaitOutcome !== undefined
    ) {
      const intent = attempt.decision.intent;
      // Not a step: it only waits, for as long as the Job may run, so it takes no step slot.
      this.followOutcome(plan, incident, index, action, ctx, intent).catch((err: unknown) => {
        deps.logger.error('recording a step outcome failed', { error: describeError(err) });
      });
    }
  }

  /** Gates, lock, plan, intent, apply: everything one step does before its result is journaled. */
  private async attempt(
    plan: StoredPlan,
    incident: Incident,
    index: number,
    action: Action,
    ctx: ActionContext,
  ): Promise<Attempt> {
    const { deps } = this;
    const local = await this.localGates(plan, incident, ctx);
    if (local !== undefined) return { outcome: { status: 'skipped', skip: local } };
    if (deps.kube === undefined) {
      return {
        outcome: {
          status: 'dry_run',
          summary: `would run ${action.name}${describeTarget(plan)} (no Kubernetes credentials: nothing read or written)`,
        },
      };
    }
    const subject = subjectOf(plan, incident);
    // Independent reads go out together: the target's opt-out annotation, the blast radius
    // count, and the lock. Every round trip here is time between the alert and the fix.
    const [gate, unlock] = await Promise.allSettled([
      this.clusterGates(plan, index, action, subject, ctx),
      this.lock(subject, ctx.dryRun, ctx.now),
    ]);
    const release =
      unlock.status === 'fulfilled' && typeof unlock.value === 'function'
        ? unlock.value
        : undefined;
    try {
      if (gate.status === 'rejected') throw gate.reason;
      if (gate.value !== undefined) return { outcome: { status: 'skipped', skip: gate.value } };
      if (unlock.status === 'rejected') throw unlock.reason;
      if (release === undefined)
        return { outcome: { status: 'skipped', skip: unlock.value as Skip } };

      const counting = index === 0 && !ctx.dryRun && deps.leases !== undefined;
      const [record, planned] = await Promise.all([
        counting ? deps.leases?.attempts(plan.policy, subject) : undefined,
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
      if (
        counting &&
        !(await deps.leases?.recordAttempt(plan.policy, subject, ctx.now, plan.cooldownMs, {
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
      const circuitSkip = ctx.dryRun
        ? undefined
        : await this.circuitGate(plan.policy, ctx.now.getTime(), true);
      if (circuitSkip !== undefined) return { outcome: { status: 'skipped', skip: circuitSkip } };
      const intentId = await this.journalIntent(
        plan,
        index,
        action.name,
        decision,
        ctx.dryRun,
        ctx.now,
      );
      try {
        const result = await action.apply(ctx, decision.intent);
        return {
          outcome: {
            status: ctx.dryRun ? 'dry_run' : 'applied',
            summary: result.summary,
            ...(result.data ? { result: result.data } : {}),
          },
          decision,
          intentId,
        };
      } catch (err) {
        return { outcome: failure(err, `${action.name} failed`), decision, intentId };
      }
    } finally {
      // An attempt the blast radius admitted but that was not recorded no longer counts.
      deps.leases?.withdraw(plan.policy, subject, ctx.now);
      await release?.();
    }
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
        this.spawn(() => this.runStep(planId, index));
      },
      Math.min(1000, left),
    );
    timer.unref();
    this.retries.add(timer);
    this.deps.logger.debug('waiting for the target lock', { plan: planId, step: index });
    return true;
  }

  /** The gates decided without the cluster: the first that says no wins. */
  private async localGates(
    plan: StoredPlan,
    incident: Incident,
    ctx: ActionContext,
  ): Promise<Skip | undefined> {
    const alerts = alertsOf(plan, incident);
    if (
      plan.trigger === 'firing' &&
      alerts.length > 0 &&
      alerts.every((a) => a.status === 'resolved')
    ) {
      return { code: 'already_resolved', reason: 'its alerts resolved before the step could run' };
    }
    if (this.paused)
      return { code: 'paused', reason: 'remediation is paused (POST /api/v1/resume to resume)' };
    // Dry runs change nothing, so they neither open a circuit nor are stopped by one.
    const circuit = ctx.dryRun
      ? undefined
      : await this.circuitGate(plan.policy, ctx.now.getTime(), false);
    if (circuit !== undefined) return circuit;
    return protectedNamespace(plan.target, this.deps.policies().safety);
  }

  /** The gates read from the cluster: the opt-out annotation, then (first step) the blast radius. */
  private async clusterGates(
    plan: StoredPlan,
    index: number,
    action: Action,
    subject: LeaseSubject,
    ctx: ActionContext,
  ): Promise<Skip | undefined> {
    const { kube, leases } = this.deps;
    const safety = this.deps.policies().safety;
    const target = plan.target;
    if (kube === undefined || target === undefined) return undefined;
    // The blast radius counts changes; a notification or a diagnostic is not one.
    const counting = action.remediates && index === 0 && !ctx.dryRun && leases !== undefined;
    const [object, tooMany] = await Promise.all([
      action.targetKinds.length === 0
        ? undefined
        : target.kind === 'Pod'
          ? kube.readPod(target.namespace, target.name)
          : kube.readDeployment(target.namespace, target.name),
      counting
        ? leases.admit(plan.policy, subject, safety.blastRadius.windowMs, ctx.now, (counts) =>
            blastRadius(counts, target, safety),
          )
        : undefined,
    ]);
    return optedOut(object?.metadata?.annotations, safety) ?? tooMany;
  }

  /** The subject's lock, outside dry runs; resolves with its release, or the skip. */
  private async lock(
    subject: LeaseSubject,
    dryRun: boolean,
    now: Date,
  ): Promise<(() => Promise<void>) | Skip> {
    const { leases } = this.deps;
    if (dryRun || leases === undefined) return () => Promise.resolve();
    const lock = await leases.lock(subject, this.deps.policies().safety.lockTimeoutMs, now);
    if (!lock.ok) return { code: 'locked', reason: `${lock.holder} is acting on this target` };
    return () => lock.release();
  }

  private async journalIntent(
    plan: StoredPlan,
    index: number,
    action: string,
    decision: Extract<ActionDecision, { kind: 'act' }>,
    dryRun: boolean,
    now: Date,
  ): Promise<number> {
    let id = 0;
    await this.deps.journal.write(() => {
      id = this.deps.remediations.insert({
        planId: plan.id,
        incidentId: plan.incidentId,
        policy: plan.policy,
        step: index,
        action,
        ...(plan.target ? { target: plan.target } : {}),
        status: 'intent',
        summary: decision.summary,
        intent: decision.intent,
        dryRun,
        at: now.getTime(),
      });
      this.deps.plans.setStatus(plan.id, 'running', index, now.getTime());
    });
    return id;
  }

  /** Journals a step's outcome with its timeline entry, then moves the plan on. */
  private async afterStep(
    plan: StoredPlan,
    incident: Incident,
    index: number,
    action: Action,
    ctx: ActionContext,
    { outcome, decision, intentId }: Attempt,
  ): Promise<void> {
    const { deps } = this;
    const now = deps.clock.now().getTime();
    const step = plan.steps[index];
    if (step === undefined) return;
    const acted = outcome.status === 'applied' || outcome.status === 'dry_run';
    // Only a step that changes something is judged by its alerts; a notice or a diagnostic is not.
    const verifyUntil =
      acted && action.remediates && plan.trigger === 'firing' && step.verifyMs > 0
        ? now + step.verifyMs
        : undefined;
    const next = nextMove(plan, index, outcome, verifyUntil !== undefined);
    const label = `Step ${index + 1}/${plan.steps.length} ${step.action}${describeTarget(plan)} (policy ${plan.policy})`;
    const message =
      outcome.status === 'skipped'
        ? `${label} skipped (${outcome.skip.code}): ${outcome.skip.reason}`
        : outcome.status === 'failed'
          ? `${label} failed (${outcome.reason}): ${outcome.summary}`
          : `${label}${outcome.status === 'dry_run' ? ' [dry run]' : ''}: ${outcome.summary}`;

    let remediationId = intentId ?? 0;
    await deps.book.update(
      incident,
      (current) => {
        const timeline = [
          {
            at: now,
            kind: 'remediation',
            message,
            data: { plan: plan.id, step: index, action: step.action, status: outcome.status },
          },
        ];
        // A dry run changes nothing, so the incident is not being resolved by it.
        if (outcome.status === 'applied' && action.remediates && current.status === 'identified') {
          const moved = transition(current, 'resolving', `${step.action} applied`, now);
          return { incident: moved.incident, timeline: [...timeline, moved.entry] };
        }
        return { timeline };
      },
      () => {
        const result = {
          status: outcome.status as RemediationStatus,
          ...(outcome.status === 'skipped'
            ? { reason: outcome.skip.code, summary: outcome.skip.reason }
            : {}),
          ...(outcome.status === 'failed'
            ? { reason: outcome.reason, summary: outcome.summary }
            : {}),
          ...(acted
            ? { summary: outcome.summary, ...(outcome.result ? { result: outcome.result } : {}) }
            : {}),
          ...(verifyUntil === undefined ? {} : { verifyUntil }),
        };
        if (intentId === undefined) {
          remediationId = deps.remediations.insert({
            planId: plan.id,
            incidentId: plan.incidentId,
            policy: plan.policy,
            step: index,
            action: step.action,
            ...(plan.target ? { target: plan.target } : {}),
            status: outcome.status,
            ...(result.reason === undefined ? {} : { reason: result.reason }),
            ...(result.summary === undefined ? {} : { summary: result.summary }),
            dryRun: ctx.dryRun,
            at: now,
          });
          if (verifyUntil !== undefined) deps.remediations.finish(remediationId, result, now);
        } else {
          deps.remediations.finish(intentId, result, now);
        }
        deps.plans.setStatus(plan.id, next.status, next.step, now);
      },
    );

    const log = deps.logger.child({
      incident: plan.incidentId,
      plan: plan.id,
      policy: plan.policy,
      step: index,
      action: step.action,
    });
    log.info(`remediation step ${outcome.status}`, {
      target: plan.target,
      dryRun: ctx.dryRun,
      ...(outcome.status === 'skipped'
        ? { reason: outcome.skip.code, detail: outcome.skip.reason }
        : { detail: outcome.summary }),
    });
    deps.metrics.remediations.inc({
      policy: plan.policy,
      action: step.action,
      outcome: outcome.status,
    });
    if (outcome.status === 'skipped')
      deps.metrics.skips.inc({ policy: plan.policy, reason: outcome.skip.code });
    if (decision?.kind === 'act' && outcome.status !== 'skipped')
      await this.audit(decision, step.action, outcome, ctx);
    if (outcome.status === 'failed' && action.remediates && !ctx.dryRun) {
      await this.recordRun(plan.policy, 'failure');
    }

    if (verifyUntil !== undefined)
      this.scheduleVerification(remediationId, plan.id, verifyUntil - now);
    if (next.run !== undefined) this.spawn(() => this.runStep(plan.id, next.run ?? 0));
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

  /** The audit Event on the changed object; a failure to write it is logged, never fatal. */
  private async audit(
    decision: Extract<ActionDecision, { kind: 'act' }>,
    action: string,
    outcome: StepOutcome,
    ctx: ActionContext,
  ): Promise<void> {
    const { kube } = this.deps;
    if (
      kube === undefined ||
      ctx.dryRun ||
      decision.regarding === undefined ||
      outcome.status === 'skipped'
    )
      return;
    const reason: AuditReason =
      outcome.status === 'failed' ? 'RemediationFailed' : 'RemediationApplied';
    const alertnames = [...new Set(ctx.alerts.map((a) => a.labels.alertname ?? ''))].join(', ');
    const note = `${outcome.summary} (policy ${ctx.policy}, incident ${ctx.incident.id}, alerts ${alertnames})`;
    try {
      await kube.createEvent(
        decision.regarding.namespace,
        remediationEvent({
          regarding: decision.regarding,
          action,
          reason,
          note,
          instance: this.deps.instance,
          now: this.deps.clock.now(),
        }),
      );
    } catch (err) {
      this.deps.logger.warn('could not record the audit Event', {
        action,
        error: describeError(err),
      });
    }
  }

  /** Waits for a step's delayed outcome (a Job) and records it. */
  private async followOutcome(
    plan: StoredPlan,
    incident: Incident,
    index: number,
    action: Action,
    ctx: ActionContext,
    intent: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    let message: string;
    try {
      const outcome = await action.awaitOutcome?.(ctx, intent);
      if (outcome === undefined || this.closed) return;
      message = `Step ${index + 1} ${action.name} outcome: ${outcome.summary}`;
    } catch (err) {
      message = `Step ${index + 1} ${action.name} outcome unknown: ${describeError(err)}`;
    }
    const at = this.deps.clock.now().getTime();
    await this.deps.book.update(incident, () => ({
      timeline: [
        { at, kind: 'remediation_outcome', message, data: { plan: plan.id, step: index } },
      ],
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Verification

  private scheduleVerification(remediationId: number, planId: number, inMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => this.settleVerification(remediationId, planId),
      Math.max(0, inMs),
    );
    timer.unref();
    this.pending.set(remediationId, { planId, timer });
    this.deps.metrics.verificationsPending.set(this.pending.size);
  }

  /** The verdict: effective when the plan's alerts have all resolved, else the next step runs. */
  private settleVerification(remediationId: number, planId: number): void {
    const pending = this.pending.get(remediationId);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.pending.delete(remediationId);
    this.deps.metrics.verificationsPending.set(this.pending.size);
    this.spawn(async () => {
      const { deps } = this;
      const plan = deps.plans.get(planId);
      const incident = plan && deps.incidents.get(plan.incidentId);
      const step = plan && deps.remediations.forPlan(plan.id).find((r) => r.id === remediationId);
      if (plan === undefined || incident === undefined || step === undefined) return;
      const effective = alertsOf(plan, incident).every((a) => a.status === 'resolved');
      const verdict = effective ? 'effective' : 'ineffective';
      const now = deps.clock.now().getTime();
      const applied = step.finishedAt ?? now;
      const window = seconds((step.verifyUntil ?? now) - applied);
      const took = seconds(now - applied);
      const last = step.step === plan.steps.length - 1;
      await deps.book.update(
        incident,
        () => ({
          timeline: [
            {
              at: now,
              kind: 'verification',
              message: `Step ${step.step + 1} ${step.action} ${verdict}: ${effective ? `its alerts resolved ${took} after it (verify window ${window})` : `its alerts still fire after ${window}`}`,
              data: { plan: plan.id, step: step.step, verdict },
            },
          ],
        }),
        () => {
          deps.remediations.setVerification(remediationId, verdict);
          if (effective) deps.plans.setStatus(plan.id, 'effective', step.step, now);
          else if (!last) deps.plans.setStatus(plan.id, 'running', step.step + 1, now);
        },
      );
      deps.metrics.verifications.inc({ policy: plan.policy, action: step.action, result: verdict });
      if (!step.dryRun) await this.recordRun(plan.policy, effective ? 'success' : 'failure');
      if (!effective) await this.runStep(plan.id, step.step + 1);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Recovery, circuits, escalation

  /** An intent without a result: ask the action whether its change is in place. */
  private async reconcile(intent: StoredRemediation): Promise<void> {
    const { deps } = this;
    const plan = deps.plans.get(intent.planId);
    const incident = plan && deps.incidents.get(plan.incidentId);
    const action = deps.actions.get(intent.action);
    if (plan === undefined || incident === undefined || action === undefined) return;
    const ctx = this.context(plan, incident, intent.step, deps.clock.now(), intent.dryRun);
    let verdict: 'done' | 'not_done' | 'unknown' = 'unknown';
    if (deps.kube !== undefined && intent.intent !== undefined) {
      try {
        verdict = await action.reconcile(ctx, intent.intent);
      } catch (err) {
        deps.logger.warn('reconciling an interrupted step failed', {
          remediation: intent.id,
          error: describeError(err),
        });
      }
    }
    deps.logger.info('reconciled a step interrupted by the last run', {
      remediation: intent.id,
      plan: plan.id,
      action: intent.action,
      verdict,
    });
    // What the Event is about is not journaled; it is the target, as every action's plan says.
    const regarding =
      verdict !== 'unknown' && plan.target !== undefined && action.targetKinds.length > 0
        ? await this.regardingOf(plan.target)
        : undefined;
    const decision: ActionDecision = {
      kind: 'act',
      summary: intent.summary ?? intent.action,
      intent: intent.intent ?? {},
      ...(regarding === undefined ? {} : { regarding }),
    };
    if (verdict === 'done') {
      await this.afterStep(plan, incident, intent.step, action, ctx, {
        outcome: {
          status: intent.dryRun ? 'dry_run' : 'applied',
          summary: `${intent.summary ?? intent.action} (found in place after a restart)`,
        },
        decision,
        intentId: intent.id,
      });
    } else if (verdict === 'not_done' && intent.intent !== undefined) {
      // Re-read and not in place: applying now is not a blind second write.
      let outcome: StepOutcome;
      try {
        const result = await action.apply(ctx, intent.intent);
        outcome = {
          status: intent.dryRun ? 'dry_run' : 'applied',
          summary: `${result.summary} (after a restart)`,
        };
      } catch (err) {
        outcome = failure(err, `${intent.action} failed`);
      }
      await this.afterStep(plan, incident, intent.step, action, ctx, {
        outcome,
        decision,
        intentId: intent.id,
      });
    } else {
      await deps.book.update(
        incident,
        () => ({ timeline: [] }),
        () => {
          deps.remediations.finish(
            intent.id,
            {
              status: 'interrupted',
              summary: 'interrupted by a restart; whether it took effect cannot be told',
            },
            deps.clock.now().getTime(),
          );
        },
      );
      await this.giveUp(
        plan,
        incident,
        'interrupted',
        `step ${intent.step + 1} (${intent.action}) of policy ${plan.policy} was interrupted by a restart and its effect cannot be told`,
      );
    }
  }

  /** The circuit gate; `claim` takes the half-open trial when the step is about to act. */
  private async circuitGate(
    policy: string,
    now: number,
    claim: boolean,
  ): Promise<Skip | undefined> {
    const circuit = admit(
      this.circuits.get(policy) ?? CLOSED,
      now,
      this.deps.policies().safety.circuitBreaker,
    );
    if (!circuit.allowed) {
      return {
        code: 'circuit_open',
        reason: `policy ${policy} failed ${circuit.circuit.failures} times in a row; its circuit breaker is open`,
      };
    }
    if (claim) await this.saveCircuit(policy, circuit.circuit);
    return undefined;
  }

  /** The target as an audit Event's `regarding`, with its uid; undefined if it cannot be read. */
  private async regardingOf(target: RenderedTarget): Promise<ObjectRef | undefined> {
    const { kube } = this.deps;
    if (kube === undefined) return undefined;
    try {
      const object =
        target.kind === 'Pod'
          ? await kube.readPod(target.namespace, target.name)
          : await kube.readDeployment(target.namespace, target.name);
      const uid = object.metadata?.uid;
      return {
        apiVersion: target.kind === 'Pod' ? 'v1' : 'apps/v1',
        ...target,
        ...(uid === undefined ? {} : { uid }),
      };
    } catch (err) {
      if (err instanceof KubeError) return undefined;
      throw err;
    }
  }

  private async recordRun(policy: string, outcome: 'success' | 'failure'): Promise<void> {
    const config = this.deps.policies().safety.circuitBreaker;
    const before = this.circuits.get(policy) ?? CLOSED;
    const after = record(before, outcome, this.deps.clock.now().getTime(), config);
    await this.saveCircuit(policy, after);
    if (after.state === 'open' && before.state !== 'open') {
      this.deps.logger.warn('circuit breaker opened', { policy, failures: after.failures });
    }
  }

  private async saveCircuit(policy: string, circuit: Circuit): Promise<void> {
    if (JSON.stringify(this.circuits.get(policy) ?? CLOSED) === JSON.stringify(circuit)) return;
    this.circuits.set(policy, circuit);
    this.deps.metrics.circuitOpen.set({ policy }, circuit.state === 'closed' ? 0 : 1);
    await this.deps.journal.write(() => {
      this.deps.remediations.saveCircuit(policy, JSON.stringify(circuit));
    });
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
    const latest = this.deps.incidents.get(incident.id) ?? incident;
    await this.deps.escalator.escalate(latest, reason, detail, this.deps.dryRun || plan.dryRun);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private context(
    plan: StoredPlan,
    incident: Incident,
    index: number,
    now: Date,
    dryRun: boolean,
  ): ActionContext {
    const kube = this.deps.kube;
    return {
      kube: kube ?? NO_CLUSTER,
      ...(plan.target ? { target: plan.target } : {}),
      params: plan.steps[index]?.params ?? {},
      dryRun,
      now,
      alerts: alertsOf(plan, incident),
      incident,
      policy: plan.policy,
      planId: plan.id,
      step: index,
      instance: this.deps.instance,
      notifier: this.deps.notifier,
      signal: this.stopping.signal,
    };
  }

  /** Runs a task with bounded concurrency; its failure is logged, never thrown at the caller. */
  private spawn(task: () => Promise<void>): void {
    const run = async (): Promise<void> => {
      if (this.active >= this.deps.parallelSteps)
        await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.active++;
      try {
        await task();
      } catch (err) {
        this.deps.logger.error('remediation task failed', { error: describeError(err) });
      } finally {
        this.active--;
        this.waiting.shift()?.();
      }
    };
    const promise = run();
    this.inFlight.add(promise);
    this.deps.metrics.stepsInFlight.set(this.inFlight.size);
    void promise.finally(() => {
      this.inFlight.delete(promise);
      this.deps.metrics.stepsInFlight.set(this.inFlight.size);
    });
  }
}

/** Stands in for the cluster without credentials; `attempt` never lets an action reach it. */
const NO_CLUSTER: KubePort = new Proxy({} as KubePort, {
  get: () => () =>
    Promise.reject(new KubeError('unavailable', 'no Kubernetes credentials', { status: 0 })),
});

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

/** What the plan's lock and attempt record are about: its target, or its incident's group. */
function subjectOf(plan: StoredPlan, incident: Incident): LeaseSubject {
  return plan.target === undefined ? groupSubject(incident.groupKey) : targetSubject(plan.target);
}

/** `0.3s`, `4.5s`, `300s`: whole seconds once the tenths stop mattering. */
function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

function isLocked(outcome: StepOutcome): boolean {
  return outcome.status === 'skipped' && outcome.skip.code === 'locked';
}

function failure(err: unknown, what: string): Extract<StepOutcome, { status: 'failed' }> {
  if (err instanceof KubeError)
    return { status: 'failed', reason: err.reason, summary: err.message };
  return { status: 'failed', reason: 'error', summary: `${what}: ${describeError(err)}` };
}

/** The plan's alert instances as the incident now knows them. */
function alertsOf(plan: StoredPlan, incident: Incident): AlertState[] {
  return plan.alerts.flatMap((ref) => {
    const alert = incident.alerts.get(alertKey(ref));
    return alert ? [alert] : [];
  });
}

function describeTarget(plan: StoredPlan): string {
  return plan.target === undefined
    ? ''
    : ` on ${plan.target.kind} ${plan.target.namespace}/${plan.target.name}`;
}
