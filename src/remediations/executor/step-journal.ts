/**
 * A step in the journal: its intent before the write, its result after (with its timeline entry
 * and the plan's new status, in one transaction), and the outcome of a step that finishes later
 * (a Job). An intent without a result is what a restart reconciles (recovery.ts). The result is
 * also logged and counted here, so each step leaves the same trace wherever it ended.
 */
import type { Clock } from '../../clock';
import { describeError } from '../../errors';
import { transition } from '../../incidents/incident';
import type { IncidentStore } from '../../journal/incident-store';
import type { Journal } from '../../journal/journal';
import type { PlanRecords, PlanStatus, StoredPlan } from '../../journal/plan-records';
import type { RemediationRecords, RemediationStatus } from '../../journal/remediation-records';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { RenderedTarget } from '../../policies/planner';
import type { ActionDecision } from '../action';
import { describeTarget, type RunningStep, type StepOutcome, type StepResult } from './step';

export interface StepJournalDeps {
  journal: Journal;
  store: IncidentStore;
  plans: PlanRecords;
  remediations: RemediationRecords;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}

/** A step's result, as `result()` journals it. */
export interface FinishedStep {
  /** The action named by the plan's step. */
  readonly name: string;
  readonly result: StepResult;
  readonly now: number;
  /** When its verify window closes, for a step whose alerts will judge it. */
  readonly verifyUntil: number | undefined;
  /** The plan's status and current step once this step is done. */
  readonly next: { readonly status: PlanStatus; readonly step: number };
}

export class StepJournal {
  constructor(private readonly deps: StepJournalDeps) {}

  /** Journals what the step is about to write, before it writes; resolves with its id. */
  async intent(
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

  /**
   * Journals the object found for a target the policy named through a pod or an HPA, and how it
   * was found, before the step's gates read it: the plan acts on it from here on, even after a
   * restart, when the pod it was found through may be long gone.
   */
  async targetFound(step: RunningStep, target: RenderedTarget, chain: string): Promise<void> {
    const { plan } = step;
    const now = this.deps.clock.now().getTime();
    await this.deps.store.update(
      step.incident,
      () => ({
        timeline: [
          {
            at: now,
            kind: 'target_found',
            message: `Target of policy ${plan.policy} found: ${chain}`,
            data: { plan: plan.id, target },
          },
        ],
      }),
      () => {
        this.deps.plans.setTarget(plan.id, target, now);
      },
    );
  }

  /**
   * Journals a step's result with its timeline entry and the plan's new status, then logs and
   * counts it; resolves with the step's remediation id.
   */
  async result(step: RunningStep, finished: FinishedStep): Promise<number> {
    const { deps } = this;
    const { plan, index, action } = step;
    const { dryRun } = step.ctx;
    const { name, result, now, verifyUntil, next } = finished;
    const { outcome, intentId } = result;
    const acted = outcome.status === 'applied' || outcome.status === 'dry_run';
    let remediationId = intentId ?? 0;
    await deps.store.update(
      step.incident,
      (current) => {
        const timeline = [
          {
            at: now,
            kind: 'remediation',
            message: timelineMessage(plan, index, name, outcome),
            data: { plan: plan.id, step: index, action: name, status: outcome.status },
          },
        ];
        // A dry run changes nothing, so the incident is not being resolved by it.
        if (outcome.status === 'applied' && action.remediates && current.status === 'identified') {
          const moved = transition(current, 'resolving', `${name} applied`, now);
          return { incident: moved.incident, timeline: [...timeline, moved.entry] };
        }
        return { timeline };
      },
      () => {
        const recorded = {
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
            action: name,
            ...(plan.target ? { target: plan.target } : {}),
            status: outcome.status,
            ...(recorded.reason === undefined ? {} : { reason: recorded.reason }),
            ...(recorded.summary === undefined ? {} : { summary: recorded.summary }),
            dryRun,
            at: now,
          });
          if (verifyUntil !== undefined) deps.remediations.finish(remediationId, recorded, now);
        } else {
          deps.remediations.finish(intentId, recorded, now);
        }
        deps.plans.setStatus(plan.id, next.status, next.step, now);
      },
    );

    const log = deps.logger.child({
      incident: plan.incidentId,
      plan: plan.id,
      policy: plan.policy,
      step: index,
      action: name,
    });
    log.info(`remediation step ${outcome.status}`, {
      target: plan.target,
      dryRun,
      ...(outcome.status === 'skipped'
        ? { reason: outcome.skip.code, detail: outcome.skip.reason }
        : { detail: outcome.summary }),
    });
    deps.metrics.remediations.inc({ policy: plan.policy, action: name, outcome: outcome.status });
    if (outcome.status === 'skipped')
      deps.metrics.skips.inc({ policy: plan.policy, reason: outcome.skip.code });
    return remediationId;
  }

  /**
   * Waits for the delayed outcome of an applied step (a Job) and puts it in the timeline; gives
   * up at shutdown.
   */
  async outcome(step: RunningStep, intent: Readonly<Record<string, unknown>>): Promise<void> {
    const { plan, incident, index, action, ctx } = step;
    let message: string;
    try {
      const outcome = await action.awaitOutcome?.(ctx, intent);
      if (outcome === undefined || ctx.signal?.aborted === true) return;
      message = `Step ${index + 1} ${action.name} outcome: ${outcome.summary}`;
    } catch (err) {
      message = `Step ${index + 1} ${action.name} outcome unknown: ${describeError(err)}`;
    }
    const at = this.deps.clock.now().getTime();
    await this.deps.store.update(incident, () => ({
      timeline: [
        { at, kind: 'remediation_outcome', message, data: { plan: plan.id, step: index } },
      ],
    }));
  }
}

/** `Step 1/2 scale on Deployment prod/web (policy web-errors) skipped (cooldown): ...` */
function timelineMessage(
  plan: StoredPlan,
  index: number,
  action: string,
  outcome: StepOutcome,
): string {
  const label = `Step ${index + 1}/${plan.steps.length} ${action}${describeTarget(plan)} (policy ${plan.policy})`;
  switch (outcome.status) {
    case 'skipped':
      return `${label} skipped (${outcome.skip.code}): ${outcome.skip.reason}`;
    case 'failed':
      return `${label} failed (${outcome.reason}): ${outcome.summary}`;
    default:
      return `${label}${outcome.status === 'dry_run' ? ' [dry run]' : ''}: ${outcome.summary}`;
  }
}
