/**
 * After a restart: every step journaled as an intent without a result is reconciled (its action
 * re-reads the target and says whether the change is in place) instead of written again; verify
 * windows still open are resumed; plans journaled but never started, or stopped between two
 * steps, run on. Everything is read a page at a time, as the step slots have room.
 */
import type { Clock } from '../../clock';
import { describeError } from '../../errors';
import type { Incident } from '../../incidents/incident';
import type { IncidentStore } from '../../journal/incident-store';
import type { PlanRecords, StoredPlan } from '../../journal/plan-records';
import type { RemediationRecords, StoredRemediation } from '../../journal/remediation-records';
import type { Logger } from '../../logger';
import type { Action, ActionDecision } from '../action';
import type { AuditTrail } from './audit-trail';
import {
  failure,
  namedTarget,
  stepContext,
  type RunningStep,
  type StepOutcome,
  type StepResult,
  type StepSurroundings,
} from './step';
import type { PlanQueue } from './plan-queue';
import type { StepSlots } from './step-slots';
import type { Verification } from './verification';

/** What recovery asks of the executor: the same steps, entered where the last run stopped. */
export interface StepFlow {
  /** Runs a plan's step from its gates on. */
  run(planId: number, index: number): Promise<void>;
  /** Journals a step's result and moves its plan on. */
  finish(step: RunningStep, result: StepResult): Promise<void>;
  /** Marks the plan escalated and tells humans why. */
  giveUp(
    plan: StoredPlan,
    incident: Incident,
    reason: 'interrupted',
    detail: string,
  ): Promise<void>;
}

export interface RecoveryDeps {
  store: IncidentStore;
  plans: PlanRecords;
  remediations: RemediationRecords;
  actions: ReadonlyMap<string, Action>;
  /** What steps run in; without a cluster, no intent can be reconciled: each is interrupted. */
  surroundings: StepSurroundings;
  audit: AuditTrail;
  verification: Verification;
  slots: StepSlots;
  /** Where plans never started go. */
  queue: Pick<PlanQueue, 'resume'>;
  steps: StepFlow;
  logger: Logger;
  clock: Clock;
}

/** Rows read from the journal at a time. */
const PAGE = 200;

export class Recovery {
  constructor(private readonly deps: RecoveryDeps) {}

  /**
   * Picks up every plan the last run left unfinished, reading the journal a page at a time and
   * the next page only once the step slots have room (a journal may hold thousands of
   * unfinished plans: reading them all at once, and queueing a task for each, is what ran a
   * restart out of memory); resolves once their steps have run.
   */
  async recover(): Promise<void> {
    const { deps } = this;
    const busy = new Set<number>();
    for await (const intent of this.pages((after) => deps.remediations.openIntents(after, PAGE))) {
      busy.add(intent.planId);
      deps.slots.spawn(() => this.reconcile(intent));
    }
    for await (const step of this.pages((after) =>
      deps.remediations.pendingVerifications(after, PAGE),
    )) {
      busy.add(step.planId);
      deps.verification.schedule(
        step.id,
        step.planId,
        step.step,
        (step.verifyUntil ?? 0) - deps.clock.now().getTime(),
      );
    }
    for await (const plan of this.pages((after) => deps.plans.withStatus('running', after, PAGE))) {
      if (busy.has(plan.id)) continue;
      deps.logger.info('resuming a plan interrupted by the last run', {
        plan: plan.id,
        step: plan.currentStep,
      });
      deps.slots.spawn(() => deps.steps.run(plan.id, plan.currentStep));
    }
    // Plans never started go through the queue, as new plans do.
    deps.queue.resume();
    await deps.slots.idle();
  }

  /** Rows read a page at a time, by id; the next page once the step slots have room. */
  private async *pages<T extends { readonly id: number }>(
    read: (afterId: number) => readonly T[],
  ): AsyncGenerator<T> {
    let after = 0;
    for (;;) {
      const page = read(after);
      yield* page;
      const last = page.at(-1);
      if (page.length < PAGE || last === undefined) return;
      after = last.id;
      await this.deps.slots.room();
      if (!this.deps.slots.hasRoom) return;
    }
  }

  /** An intent without a result: ask the action whether its change is in place. */
  private async reconcile(intent: StoredRemediation): Promise<void> {
    const { deps } = this;
    const plan = deps.plans.get(intent.planId);
    const incident = plan && deps.store.get(plan.incidentId);
    const action = deps.actions.get(intent.action);
    if (plan === undefined || incident === undefined || action === undefined) return;
    const ctx = stepContext(
      plan,
      incident,
      intent.step,
      { now: deps.clock.now(), dryRun: intent.dryRun, dryRunPlan: intent.dryRun || plan.dryRun },
      deps.surroundings,
    );
    let verdict: 'done' | 'not_done' | 'unknown' = 'unknown';
    if (deps.surroundings.kube !== undefined && intent.intent !== undefined) {
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
    const target = namedTarget(plan);
    const regarding =
      verdict !== 'unknown' && target !== undefined && action.targetKinds.length > 0
        ? await deps.audit.regardingOf(target)
        : undefined;
    const decision: ActionDecision = {
      kind: 'act',
      summary: intent.summary ?? intent.action,
      intent: intent.intent ?? {},
      ...(regarding === undefined ? {} : { regarding }),
    };
    const step = { plan, incident, index: intent.step, action, ctx };
    if (verdict === 'done') {
      await deps.steps.finish(step, {
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
      await deps.steps.finish(step, {
        outcome,
        decision,
        intentId: intent.id,
      });
    } else {
      await deps.store.update(
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
      await deps.steps.giveUp(
        plan,
        incident,
        'interrupted',
        `step ${intent.step + 1} (${intent.action}) of policy ${plan.policy} was interrupted by a restart and its effect cannot be told`,
      );
    }
  }
}
