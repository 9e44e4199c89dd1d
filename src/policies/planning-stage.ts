import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { IncidentBook } from '../incidents/book';
import type { IncidentChange } from '../incidents/incident';
import type { IncidentRecords } from '../journal/incident-records';
import type { PlanRecords } from '../journal/plan-records';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { applyPlan, planChange, type AlertRef, type PlanEntry, type Trigger } from './planner';
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

type Change = Pick<IncidentChange, 'incident' | 'previous' | 'newlyFiring' | 'newlyResolved'>;

/**
 * The planning stage: after an incident change is journaled, decides (with the pure `planChange`)
 * which policies act, journals the plan with its timeline entries (and Investigating → Identified),
 * marks the alert instances planned, then hands the entries on.
 *
 * Changes queued during one turn of the event loop are planned together at the next: each is
 * decided at once, in order, and their writes share the journal's group commit, so planning
 * keeps up with a storm instead of waiting for one commit per change. "Planned at most once per
 * policy" holds across the batch through the instances planned but not yet committed.
 */
export class PlanningStage {
  private queue: Change[] = [];
  private scheduled = false;
  private readonly batches = new Set<Promise<void>>();
  /** `policy|fingerprint|startsAt|trigger` of entries decided but not yet committed. */
  private readonly uncommitted = new Set<string>();

  constructor(private readonly deps: PlanningStageDeps) {}

  /** Queues a change for planning (failures are logged; recovery plans them at the next start). */
  enqueue(change: Change): void {
    this.queue.push(change);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.drain();
    });
  }

  /** Resolves once everything queued so far is planned and journaled. */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.batches.size > 0) {
      if (this.queue.length > 0 && !this.scheduled) this.drain();
      await Promise.all([...this.batches, new Promise((resolve) => setImmediate(resolve))]);
    }
  }

  /** Plans what a crash left unplanned (alert states journaled, planning not). */
  recover(): Promise<void> {
    for (const { incident, firing, resolved } of this.deps.records.unplanned()) {
      this.deps.logger.info('planning alerts left unplanned by the last run', {
        incident: incident.id,
        firing: firing.length,
        resolved: resolved.length,
      });
      this.enqueue({ incident, newlyFiring: firing, newlyResolved: resolved });
    }
    return this.idle();
  }

  private drain(): void {
    this.scheduled = false;
    const changes = this.queue;
    this.queue = [];
    // Each plan() decides synchronously and queues its write; the writes commit together.
    const batch = Promise.all(
      changes.map((change) =>
        this.plan(change).catch((err: unknown) => {
          this.deps.logger.error('planning failed; it will be retried at the next start', {
            incident: change.incident.id,
            error: describeError(err),
          });
        }),
      ),
    ).then(() => undefined);
    this.batches.add(batch);
    void batch.finally(() => this.batches.delete(batch));
  }

  private async plan(change: Change): Promise<void> {
    const { deps } = this;
    const incident = change.incident;
    const plan = planChange({
      change,
      policies: deps.policies().policies,
      isPlanned: (policy, alert, trigger) =>
        this.uncommitted.has(plannedKey(policy, alert, trigger)) ||
        deps.plans.isPlanned(policy, alert, trigger),
    });
    const keys = plan.entries.flatMap((e) =>
      e.alerts.map((a) => plannedKey(e.policy, a, e.trigger)),
    );
    for (const key of keys) this.uncommitted.add(key);
    const now = deps.clock.now().getTime();
    const considered = [...change.newlyFiring, ...change.newlyResolved];
    let ids: number[] = [];
    try {
      await deps.book.update(
        incident,
        (current) => applyPlan(current, plan, now),
        () => {
          ids = deps.plans.save(incident.id, plan, now);
          deps.records.markPlanned(incident.id, considered);
        },
      );
    } finally {
      for (const key of keys) this.uncommitted.delete(key);
    }

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

function plannedKey(policy: string, alert: AlertRef, trigger: Trigger): string {
  return `${policy}|${alert.fingerprint}|${alert.startsAt}|${trigger}`;
}
