/**
 * The orchestration that joins the stages: a validated notification (receivers) is decided on
 * (incidents and policies, in the pure `decideNotification`), journaled with its plan in one
 * transaction per slice (journal), and only then handed to the listeners that act on it
 * (remediations' executor).
 */
import type { WebhookPayload } from '../alertmanager/payload';
import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { Incident, IncidentChange } from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import type { IncidentStore } from '../journal/incident-store';
import type { PlanRecords } from '../journal/plan-records';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { decideNotification, plannedKey, plannedKeys, SLICE_ALERTS } from '../policies/decide';
import type { Plan, PlannedEntry } from '../policies/planner';
import type { PolicySet } from '../policies/policy';

export interface IngestDeps {
  store: IncidentStore;
  plans: PlanRecords;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The severity rules and policies in force now; they change when the file is reloaded. */
  policies: () => PolicySet;
  /** The server's own dry run: every plan is journaled as one, as it will run. */
  dryRun?: boolean;
}

/** What became of a notification once applied: its incident, and whether anything changed. */
export interface Ingested {
  /** The incident the notification belongs to (none only for a repeat of an unknown group). */
  readonly incidentId?: number;
  /** False for a repeat: nothing was written. */
  readonly changed: boolean;
}

export interface IngestOptions {
  /**
   * When the notification arrived (epoch ms): every decision takes this time, so that applying
   * it later (from the log, after a restart) decides as it would have on arrival. The clock's
   * time without it.
   */
  readonly now?: number;
  /** Written in the same transaction as each change the notification makes (the log's marks). */
  readonly alsoWrite?: (incidentId: number) => void;
}

/** Told of every journaled change, with the plan entries it made (ready to run). */
export type IncidentListener = (change: IncidentChange, planned: readonly PlannedEntry[]) => void;

/** What a notification could not plan for (`safety.maxPlansPerNotification`). */
export interface DroppedPlans {
  /** Alert instances skipped as `too_many_plans`, counted once per policy that skipped them. */
  readonly alerts: number;
  readonly policies: readonly string[];
  /** The limit that dropped them. */
  readonly limit: number;
}

/** Told, once the whole notification is journaled, when it had to drop plans. */
export type DroppedPlansListener = (incident: Incident, dropped: DroppedPlans) => void;

/**
 * Turns accepted notifications into incidents and plans: decides with the pure
 * `decideNotification`, journals each change and its plan in one transaction (so a crash cannot
 * leave alerts journaled but unplanned), and only then reports them to listeners. A large
 * notification is decided and journaled in slices, each its own transaction; the event loop
 * runs between two (the journal commits in the next turn), so probes and other webhooks are
 * answered meanwhile. It is answered once its last slice is journaled: a crash between two
 * leaves the first slices journaled, and Alertmanager, never answered, sends the notification
 * again, whose journaled part is then a repeat.
 */
export class Ingest {
  private readonly listeners: IncidentListener[] = [];
  private readonly droppedListeners: DroppedPlansListener[] = [];
  /** Plan keys decided but not yet committed: a second notification in the same tick sees them. */
  private readonly uncommitted = new Set<string>();
  /**
   * The last notification of each group still being decided: the next one waits for it, so
   * that a resend arriving between two slices cannot fold in between them (a stale slice could
   * then reopen what the newer notification resolved).
   */
  private readonly busyGroups = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: IngestDeps) {}

  onChange(listener: IncidentListener): void {
    this.listeners.push(listener);
  }

  onPlansDropped(listener: DroppedPlansListener): void {
    this.droppedListeners.push(listener);
  }

  /**
   * Folds a validated payload into its incident and resolves once the change is journaled;
   * rejects (with JournalError) when it could not be. The projector calls it for each logged
   * notification, in order; notifications of one group are applied one after the other.
   */
  ingest(payload: WebhookPayload, options: IngestOptions = {}): Promise<Ingested> {
    const { groupKey } = payload;
    const before = this.busyGroups.get(groupKey);
    const run =
      before === undefined
        ? this.decide(payload, options)
        : before.then(() => this.decide(payload, options));
    const settled = run.catch(() => undefined);
    this.busyGroups.set(groupKey, settled);
    void settled.then(() => {
      if (this.busyGroups.get(groupKey) === settled) this.busyGroups.delete(groupKey);
    });
    return run;
  }

  private async decide(payload: WebhookPayload, options: IngestOptions): Promise<Ingested> {
    const { store, plans } = this.deps;
    const now = options.now ?? this.deps.clock.now().getTime();
    const policySet = this.deps.policies();
    let incident: Incident | undefined;
    const dropped = { alerts: 0, policies: new Set<string>() };
    // A notification of several slices decides each in a turn of the event loop of its own, apart
    // from reading the body and from committing the slice before: no turn holds two of them.
    const sliced = payload.alerts.length > SLICE_ALERTS;
    if (sliced) await nextTurn();
    for (const { change, plan } of decideNotification({
      payload,
      policySet,
      now,
      current: () => store.latest(payload.groupKey),
      nextId: () => store.nextId,
      isPlanned: (policy, alert, trigger) =>
        this.uncommitted.has(plannedKey(policy, alert, trigger)) ||
        plans.isPlanned(policy, alert, trigger),
      ...(this.deps.dryRun === undefined ? {} : { dryRun: this.deps.dryRun }),
    })) {
      const keys = plannedKeys(plan);
      for (const key of keys) this.uncommitted.add(key);
      let ids: number[];
      try {
        ids = await store.save(change, () => {
          const saved = plans.save(change.incident.id, plan, now);
          options.alsoWrite?.(change.incident.id);
          return saved;
        });
      } finally {
        for (const key of keys) this.uncommitted.delete(key);
      }
      this.report(change, plan, ids);
      for (const skip of plan.skips) {
        if (skip.code !== 'too_many_plans') continue;
        dropped.alerts += skip.alerts.length;
        dropped.policies.add(skip.policy);
      }
      incident = change.incident;
      if (sliced) await nextTurn();
    }
    if (incident === undefined) {
      const current = store.latest(payload.groupKey);
      this.deps.logger.debug('repeat notification: nothing changed', {
        groupKey: payload.groupKey,
        ...(current ? { incident: current.id } : {}),
      });
      return current ? { incidentId: current.id, changed: false } : { changed: false };
    }
    if (dropped.alerts > 0) {
      const summary: DroppedPlans = {
        alerts: dropped.alerts,
        policies: [...dropped.policies],
        limit: policySet.safety.maxPlansPerNotification,
      };
      this.deps.logger.warn('notification made more plans than allowed; the rest were dropped', {
        incident: incident.id,
        groupKey: incident.groupKey,
        ...summary,
      });
      for (const listener of this.droppedListeners) {
        try {
          listener(incident, summary);
        } catch (err) {
          this.deps.logger.error('dropped-plans listener failed', { error: describeError(err) });
        }
      }
    }
    return { incidentId: incident.id, changed: true };
  }

  private report(change: IncidentChange, plan: Plan, ids: readonly number[]): void {
    const { incident, previous } = change;
    const { metrics } = this.deps;
    const log = this.deps.logger.child({ incident: incident.id, groupKey: incident.groupKey });
    const severity = formatSeverity(incident.severity);
    if (previous === undefined) {
      metrics.incidentsOpened.inc({ severity: severity.toLowerCase() });
      log.info('incident opened', { severity, reasons: incident.severityReasons });
    } else if (previous.severity !== incident.severity) {
      log.info('severity changed', {
        from: formatSeverity(previous.severity),
        to: severity,
        reasons: incident.severityReasons,
      });
    }
    if (change.newlyFiring.length > 0) log.info('alerts firing', alertSummary(change.newlyFiring));
    if (change.newlyResolved.length > 0)
      log.info('alerts resolved', alertSummary(change.newlyResolved));
    if (incident.status === 'resolved' && previous?.status !== 'resolved') {
      log.info('incident resolved', {
        severity,
        durationSeconds: Math.round(
          ((incident.resolvedAt ?? incident.updatedAt) - incident.openedAt) / 1000,
        ),
      });
    }
    for (const [policy, count] of plan.matches) metrics.policyMatches.inc({ policy }, count);
    for (const skip of plan.skips) {
      metrics.skips.inc({ policy: skip.policy, reason: skip.code });
      log.info('policy skipped', {
        policy: skip.policy,
        reason: skip.reason,
        alerts: skip.alerts.length,
      });
    }
    const planned = plan.entries.map((entry, i): PlannedEntry => {
      metrics.plans.inc({ policy: entry.policy, action: entry.steps[0]?.action ?? '' });
      const plannedEntry = { ...entry, planId: ids[i] ?? 0, groupKey: incident.groupKey };
      log.info('remediation planned', {
        plan: plannedEntry.planId,
        policy: entry.policy,
        steps: entry.steps.map((s) => s.action),
        target: entry.target,
        alerts: entry.alerts.length,
        dryRun: entry.dryRun,
      });
      return plannedEntry;
    });
    for (const listener of this.listeners) {
      try {
        listener(change, planned);
      } catch (err) {
        // The change is committed; a failing listener must not turn it into a webhook error.
        log.error('incident listener failed', { error: describeError(err) });
      }
    }
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function alertSummary(alerts: IncidentChange['newlyFiring']): Record<string, unknown> {
  return {
    count: alerts.length,
    alertnames: [...new Set(alerts.map((a) => a.labels.alertname ?? ''))].slice(0, 10),
    fingerprints: alerts.slice(0, 10).map((a) => a.fingerprint),
  };
}
