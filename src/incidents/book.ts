import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { IncidentRecords } from '../journal/incident-records';
import type { Journal } from '../journal/journal';
import type { PlanRecords } from '../journal/plan-records';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import {
  applyPlan,
  planChange,
  type AlertRef,
  type Plan,
  type PlannedEntry,
  type Trigger,
} from '../policies/planner';
import type { PolicySet } from '../policies/policy';
import type { WebhookPayload } from '../receivers/payload';
import {
  applyNotification,
  type AlertState,
  type Incident,
  type IncidentChange,
  type TimelineEntry,
} from './incident';
import { formatSeverity } from './severity';

export interface IncidentBookDeps {
  journal: Journal;
  records: IncidentRecords;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  plans: PlanRecords;
  /** The severity rules and policies in force now; they change when the file is reloaded. */
  policies: () => PolicySet;
  /** How many groups' latest incidents stay in memory; the journal holds the rest. */
  cacheSize?: number;
  /** How many alert instances those incidents may hold in all, whatever the number of groups. */
  cacheAlerts?: number;
  /**
   * About how many bytes of memory those alert instances may take in all (an estimate, see
   * `alertWeight`), however many labels and annotations each carries.
   */
  cacheBytes?: number;
}

export interface IngestResult {
  /** The incident the notification belongs to (none only for a repeat of an unknown group). */
  readonly incidentId?: number;
  /** False for a repeat: nothing was written. */
  readonly changed: boolean;
}

/** Told of every journaled change, with the plan entries it made (ready to run). */
export type IncidentListener = (change: IncidentChange, planned: readonly PlannedEntry[]) => void;

/** What a later decision does to an incident: a new state (or none), and timeline entries. */
export interface IncidentDecision {
  readonly incident?: Incident;
  readonly timeline: readonly TimelineEntry[];
}

const DEFAULT_CACHE_SIZE = 10_000;
const DEFAULT_CACHE_ALERTS = 100_000;
/**
 * A webhook body may be 4 MiB of labels, some 15 MiB once parsed: counting groups and alerts
 * alone would let a few dozen such groups fill the heap and crash the process. 16 MiB holds some
 * 15,000 ordinary alert instances, more than the groups Alertmanager keeps active; a group that
 * left is read back from the journal. It keeps remediator's live heap near 60 MiB (the shipped
 * Deployment caps the heap at 128 MiB).
 */
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Turns accepted notifications into incidents and plans. Keeps each recently seen group's latest
 * incident in memory (a bounded cache over the journal, which stays the source of truth), decides
 * with the pure `applyNotification` and `planChange`, journals the change and its plan in one
 * transaction (so a crash cannot leave alerts journaled but unplanned), and only then reports
 * them to listeners (the executor).
 */
export class IncidentBook {
  private readonly cache = new Map<string, Incident | null>();
  private readonly listeners: IncidentListener[] = [];
  private nextId: number;
  private readonly cacheSize: number;
  private readonly cacheAlerts: number;
  private cachedAlerts = 0;
  private readonly cacheBytes: number;
  /** The estimated size of each cached group's incident, as counted in `cachedBytes`. */
  private readonly cachedWeights = new Map<string, number>();
  private cachedBytes = 0;
  /** `policy|fingerprint|startsAt|trigger` of plan entries decided but not yet committed. */
  private readonly uncommitted = new Set<string>();

  constructor(private readonly deps: IncidentBookDeps) {
    this.nextId = deps.records.maxId() + 1;
    this.cacheSize = deps.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.cacheAlerts = deps.cacheAlerts ?? DEFAULT_CACHE_ALERTS;
    this.cacheBytes = deps.cacheBytes ?? DEFAULT_CACHE_BYTES;
  }

  onChange(listener: IncidentListener): void {
    this.listeners.push(listener);
  }

  /**
   * Folds a validated payload into its incident and resolves once the change is journaled.
   * Rejects (with JournalError) when it could not be, so the webhook can answer 5xx.
   */
  async ingest(payload: WebhookPayload): Promise<IngestResult> {
    const { groupKey } = payload;
    const current = this.latest(groupKey);
    const policySet = this.deps.policies();
    const now = this.deps.clock.now().getTime();
    const change = applyNotification({
      current,
      payload,
      severity: policySet.severity,
      now,
      nextId: this.nextId,
    });
    if (change === undefined) {
      this.deps.logger.debug('repeat notification: nothing changed', {
        groupKey,
        ...(current ? { incident: current.id } : {}),
      });
      return current ? { incidentId: current.id, changed: false } : { changed: false };
    }
    if (change.incident.id === this.nextId) this.nextId++;
    const plan = planChange({
      change,
      policies: policySet.policies,
      isPlanned: (policy, alert, trigger) =>
        this.uncommitted.has(plannedKey(policy, alert, trigger)) ||
        this.deps.plans.isPlanned(policy, alert, trigger),
    });
    const planned = applyPlan(change.incident, plan, now);
    const incident = planned.incident ?? change.incident;
    const journaled: IncidentChange = {
      ...change,
      incident,
      timeline: [...change.timeline, ...planned.timeline],
    };
    // Later notifications in this same tick must see this change, so memory moves first; if the
    // commit fails the group is dropped from memory and reloaded from the journal when next seen.
    this.remember(groupKey, incident);
    const keys = plan.entries.flatMap((e) =>
      e.alerts.map((a) => plannedKey(e.policy, a, e.trigger)),
    );
    for (const key of keys) this.uncommitted.add(key);
    let ids: number[];
    try {
      ids = await this.deps.journal.write(
        () => {
          this.deps.records.saveChange(journaled);
          return this.deps.plans.save(incident.id, plan, now);
        },
        () => {
          this.forget(groupKey);
        },
      );
    } finally {
      for (const key of keys) this.uncommitted.delete(key);
    }
    this.report(journaled, plan, ids);
    return { incidentId: incident.id, changed: true };
  }

  /**
   * Applies a later decision (a plan, a remediation's outcome, an escalation) to an incident: the
   * latest state is handed to `decide`, and its result is journaled together with `alsoWrite`.
   * Resolves with the incident as it now stands.
   */
  async update(
    target: { id: number; groupKey: string },
    decide: (current: Incident) => IncidentDecision,
    alsoWrite?: () => void,
  ): Promise<Incident> {
    const cached = this.latest(target.groupKey);
    const current = cached?.id === target.id ? cached : this.deps.records.get(target.id);
    if (current === undefined) throw new Error(`incident ${target.id} does not exist`);
    const decision = decide(current);
    const next = decision.incident ?? current;
    if (cached?.id === target.id && next !== current) this.remember(target.groupKey, next);
    await this.deps.journal.write(
      () => {
        if (next !== current) this.deps.records.saveIncident(next);
        for (const entry of decision.timeline) this.deps.records.addTimeline(target.id, entry);
        alsoWrite?.();
      },
      () => {
        this.forget(target.groupKey);
      },
    );
    if (next.status === 'resolved' && current.status !== 'resolved') this.countResolution(next);
    if (next.status !== current.status) {
      this.deps.logger.info('incident status changed', {
        incident: next.id,
        from: current.status,
        to: next.status,
      });
    }
    return next;
  }

  /** Forgets cached incidents resolved before `cutoff`: retention has deleted them. */
  forgetResolvedBefore(cutoff: number): void {
    for (const [groupKey, incident] of this.cache) {
      if (incident?.resolvedAt !== undefined && incident.resolvedAt < cutoff) this.forget(groupKey);
    }
  }

  /** Open incidents by severity, for the `remediator_incidents_open` gauge. */
  openCounts(): Record<'sev1' | 'sev2' | 'sev3' | 'sev4', number> {
    const counts = this.deps.records.openCounts();
    return {
      sev1: counts.get(1) ?? 0,
      sev2: counts.get(2) ?? 0,
      sev3: counts.get(3) ?? 0,
      sev4: counts.get(4) ?? 0,
    };
  }

  private latest(groupKey: string): Incident | undefined {
    let incident = this.cache.get(groupKey);
    if (incident === undefined) {
      incident = this.deps.records.latestForGroup(groupKey) ?? null;
      this.remember(groupKey, incident);
    }
    return incident ?? undefined;
  }

  /**
   * Least recently used entries leave first (a Map iterates in insertion order), until the
   * number of groups, the number of alert instances and their estimated size are all within
   * bounds: memory stays bounded in an alert storm and under huge label sets, and what leaves is
   * read back from the journal when next needed.
   */
  private remember(groupKey: string, incident: Incident | null): void {
    this.forget(groupKey);
    this.cache.set(groupKey, incident);
    this.cachedAlerts += incident?.alerts.size ?? 0;
    let weight = 0;
    for (const alert of incident?.alerts.values() ?? []) weight += alertWeight(alert);
    this.cachedWeights.set(groupKey, weight);
    this.cachedBytes += weight;
    while (
      this.cache.size > 1 &&
      (this.cache.size > this.cacheSize ||
        this.cachedAlerts > this.cacheAlerts ||
        this.cachedBytes > this.cacheBytes)
    ) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.forget(oldest);
    }
  }

  private forget(groupKey: string): void {
    const known = this.cache.get(groupKey);
    if (known === undefined) return;
    this.cachedAlerts -= known?.alerts.size ?? 0;
    this.cachedBytes -= this.cachedWeights.get(groupKey) ?? 0;
    this.cachedWeights.delete(groupKey);
    this.cache.delete(groupKey);
  }

  private countResolution(incident: Incident): void {
    const severity = formatSeverity(incident.severity).toLowerCase();
    this.deps.metrics.incidentsResolved.inc({ severity });
    const seconds = ((incident.resolvedAt ?? incident.updatedAt) - incident.openedAt) / 1000;
    this.deps.metrics.timeToResolve.observe({ severity }, seconds);
  }

  private report(change: IncidentChange, plan: Plan, ids: readonly number[]): void {
    const { incident, previous } = change;
    const log = this.deps.logger.child({ incident: incident.id, groupKey: incident.groupKey });
    const severity = formatSeverity(incident.severity);
    if (previous === undefined) {
      this.deps.metrics.incidentsOpened.inc({ severity: severity.toLowerCase() });
      log.info('incident opened', { severity, reasons: incident.severityReasons });
    } else if (previous.severity !== incident.severity) {
      log.info('severity changed', {
        from: formatSeverity(previous.severity),
        to: severity,
        reasons: incident.severityReasons,
      });
    }
    if (change.newlyFiring.length > 0) {
      log.info('alerts firing', alertSummary(change.newlyFiring));
    }
    if (change.newlyResolved.length > 0) {
      log.info('alerts resolved', alertSummary(change.newlyResolved));
    }
    if (incident.status === 'resolved' && previous?.status !== 'resolved') {
      this.countResolution(incident);
      log.info('incident resolved', {
        severity,
        durationSeconds: Math.round(
          ((incident.resolvedAt ?? incident.updatedAt) - incident.openedAt) / 1000,
        ),
      });
    }
    for (const [policy, count] of plan.matches)
      this.deps.metrics.policyMatches.inc({ policy }, count);
    for (const skip of plan.skips) {
      this.deps.metrics.skips.inc({ policy: skip.policy, reason: skip.code });
      log.info('policy skipped', {
        policy: skip.policy,
        reason: skip.reason,
        alerts: skip.alerts.length,
      });
    }
    const planned = plan.entries.map((entry, i): PlannedEntry => {
      this.deps.metrics.plans.inc({ policy: entry.policy, action: entry.steps[0]?.action ?? '' });
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

function alertSummary(alerts: IncidentChange['newlyFiring']): Record<string, unknown> {
  return {
    count: alerts.length,
    alertnames: [...new Set(alerts.map((a) => a.labels.alertname ?? ''))].slice(0, 10),
    fingerprints: alerts.slice(0, 10).map((a) => a.fingerprint),
  };
}

/** Per label or annotation: its key and value strings and its slot in the object. */
const ENTRY_OVERHEAD = 80;
/** Per alert instance: the object, its fields and its entry in the incident's map. */
const ALERT_OVERHEAD = 300;
/** Alert states are immutable and carried over between an incident's versions: sized once. */
const alertWeights = new WeakMap<AlertState, number>();

/**
 * An estimate of the bytes one alert instance takes in memory: one byte per character plus
 * fixed overheads, within about 25 % of what V8 takes (heapUsed) for alerts of ten labels and of
 * a hundred thousand.
 */
function alertWeight(alert: AlertState): number {
  let weight = alertWeights.get(alert);
  if (weight !== undefined) return weight;
  weight =
    ALERT_OVERHEAD +
    alert.fingerprint.length +
    alert.startsAt.length +
    alert.endsAt.length +
    alert.generatorURL.length;
  for (const entries of [alert.labels, alert.annotations]) {
    for (const [key, value] of Object.entries(entries))
      weight += ENTRY_OVERHEAD + key.length + value.length;
  }
  alertWeights.set(alert, weight);
  return weight;
}

function plannedKey(policy: string, alert: AlertRef, trigger: Trigger): string {
  return `${policy}|${alert.fingerprint}|${alert.startsAt}|${trigger}`;
}
