import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { IncidentBook } from '../incidents/book';
import type { IncidentChange } from '../incidents/incident';
import type { IncidentRecords } from '../journal/incident-records';
import type { PlanRecords } from '../journal/plan-records';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { applyPlan, planChange, type PlanEntry } from './planner';
import type { PolicySet } from './policy';

/** A plan entry as journaled, ready for the executor. */
export interface PlannedEntry extends PlanEntry {
  readonly planId: number;
  readonly groupKey: string;
}

export interface PlanningStageDeps {
  book: IncidentBook;
  records: IncidentRecords;
  plans: PlanRecords;
  policies: () => PolicySet;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Receives each journaled entry (the executor's queue). */
  onPlanned?: (entry: PlannedEntry) => void;
}

/**
 * The planning stage: after an incident change is journaled, decides (with the pure `planChange`)
 * which policies act, journals the plan with its timeline entries (and Investigating → Identified),
 * marks the alert instances planned, then hands the entries on. Changes are planned one at a
 * time, in order, so "planned at most once per policy" holds without races.
 */
export class PlanningStage {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly deps: PlanningStageDeps) {}

  /** Queues a change for planning; never rejects (failures are logged; recovery replans them). */
  enqueue(
    change: Pick<IncidentChange, 'incident' | 'previous' | 'newlyFiring' | 'newlyResolved'>,
  ): Promise<void> {
    this.tail = this.tail
      .then(() => this.plan(change))
      .catch((err: unknown) => {
        this.deps.logger.error('planning failed; it will be retried at the next start', {
          incident: change.incident.id,
          error: describeError(err),
        });
      });
    return this.tail;
  }

  /** Resolves once everything queued so far is planned. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Plans what a crash left unplanned (alert states journaled, planning not). */
  recover(): Promise<void> {
    const pending = this.deps.records.unplanned();
    for (const { incident, firing, resolved } of pending) {
      this.deps.logger.info('planning alerts left unplanned by the last run', {
        incident: incident.id,
        firing: firing.length,
        resolved: resolved.length,
      });
      void this.enqueue({ incident, newlyFiring: firing, newlyResolved: resolved });
    }
    return this.tail;
  }

  private async plan(
    change: Pick<IncidentChange, 'incident' | 'previous' | 'newlyFiring' | 'newlyResolved'>,
  ): Promise<void> {
    const { deps } = this;
    const incident = change.incident;
    const plan = planChange({
      change,
      policies: deps.policies().policies,
      isPlanned: (policy, alert, trigger) => deps.plans.isPlanned(policy, alert, trigger),
    });
    const now = deps.clock.now().getTime();
    const considered = [...change.newlyFiring, ...change.newlyResolved];
    let ids: number[] = [];
    await deps.book.update(
      incident,
      (current) => applyPlan(current, plan, now),
      () => {
        ids = deps.plans.save(incident.id, plan, now);
        deps.records.markPlanned(incident.id, considered);
      },
    );

    for (const [policy, count] of plan.matches) deps.metrics.policyMatches.inc({ policy }, count);
    const log = deps.logger.child({ incident: incident.id, groupKey: incident.groupKey });
    for (const skip of plan.skips) {
      deps.metrics.skips.inc({ policy: skip.policy, reason: skip.code });
      log.info('policy skipped', {
        policy: skip.policy,
        reason: skip.reason,
        alerts: skip.alerts.length,
      });
    }
    plan.entries.forEach((entry, i) => {
      deps.metrics.plans.inc({ policy: entry.policy, action: entry.steps[0]?.action ?? '' });
      const planned: PlannedEntry = { ...entry, planId: ids[i] ?? 0, groupKey: incident.groupKey };
      log.info('remediation planned', {
        plan: planned.planId,
        policy: entry.policy,
        steps: entry.steps.map((s) => s.action),
        target: entry.target,
        alerts: entry.alerts.length,
        dryRun: entry.dryRun,
      });
      deps.onPlanned?.(planned);
    });
  }
}
