import { LRUCache } from 'lru-cache';
import { describeError } from '../errors';
import type { AlertState, Incident, IncidentChange, TimelineEntry } from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { IncidentRecords } from './incident-records';
import type { Journal } from './journal';

export interface IncidentStoreDeps {
  journal: Journal;
  records: IncidentRecords;
  logger: Logger;
  metrics: Metrics;
  /** How many groups' latest incidents stay in memory; the journal holds the rest. */
  cacheSize?: number;
  /**
   * About how many bytes of memory those incidents may take in all (an estimate, see
   * `alertWeight`), however many labels and annotations each alert carries.
   */
  cacheBytes?: number;
}

/** What a decision does to an incident: a new state (or none), and timeline entries. */
export interface IncidentDecision {
  readonly incident?: Incident;
  readonly timeline: readonly TimelineEntry[];
}

const DEFAULT_CACHE_SIZE = 10_000;
/**
 * A webhook body may be 4 MiB of labels, some 15 MiB once parsed: counting groups alone would let
 * a few dozen such groups fill the heap and crash the process. 16 MiB holds some 15,000 ordinary
 * alert instances, more than the groups Alertmanager keeps active; a group that left is read back
 * from the journal. It keeps remediator's live heap near 60 MiB (the shipped Deployment caps the
 * heap at 192 MiB).
 */
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Told after each committed change of an incident, with the timeline entries it added (the
 * console's live events). Called synchronously: a listener must only take note and return.
 */
export type CommitListener = (incident: Incident, timeline: readonly TimelineEntry[]) => void;

/** Cached for a group the journal has no incident for, so that its next notification reads nothing. */
const NO_INCIDENT = Symbol('no incident');
type Cached = Incident | typeof NO_INCIDENT;

/**
 * The incidents as the journal holds them, with each recently used group's latest incident kept
 * in memory: a least-recently-used cache (reads count as use) bounded in groups and in estimated
 * bytes, so memory stays bounded in an alert storm and under huge label sets. The journal stays
 * the source of truth: every change is written in one transaction with whatever the caller writes
 * alongside it, and a group whose write failed is dropped from memory and read back when next
 * needed.
 */
export class IncidentStore {
  private readonly cache: LRUCache<string, Cached>;
  private readonly listeners: CommitListener[] = [];
  private next: number;

  constructor(private readonly deps: IncidentStoreDeps) {
    this.next = deps.records.maxId() + 1;
    this.cache = new LRUCache<string, Cached>({
      max: deps.cacheSize ?? DEFAULT_CACHE_SIZE,
      maxSize: deps.cacheBytes ?? DEFAULT_CACHE_BYTES,
      sizeCalculation: incidentWeight,
    });
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** The id the next new incident gets. */
  get nextId(): number {
    return this.next;
  }

  /** The group's latest incident, resolved or not; undefined when the group never had one. */
  latest(groupKey: string): Incident | undefined {
    let cached = this.cache.get(groupKey);
    if (cached === undefined) {
      cached = this.deps.records.latestForGroup(groupKey) ?? NO_INCIDENT;
      this.cache.set(groupKey, cached);
    }
    return cached === NO_INCIDENT ? undefined : cached;
  }

  /**
   * An incident by id: from memory when it is its group's latest (the common case: every step of
   * a plan reads its incident, and reading an incident of thousands of alerts from the journal
   * for each of them made a large group's steps cost time and memory in proportion to the group
   * times its plans), else from the journal.
   */
  get(id: number): Incident | undefined {
    const groupKey = this.deps.records.groupKeyOf(id);
    if (groupKey === undefined) return undefined;
    const latest = this.latest(groupKey);
    return latest?.id === id ? latest : this.deps.records.get(id);
  }

  /**
   * Journals a change decided from a notification, and what `alsoWrite` writes, in one
   * transaction; resolves with what `alsoWrite` returned. Later notifications in the same tick
   * must see this change, so memory moves before the commit.
   */
  async save<T>(change: IncidentChange, alsoWrite: () => T): Promise<T> {
    const { incident, previous } = change;
    if (incident.id >= this.next) this.next = incident.id + 1;
    this.cache.set(incident.groupKey, incident);
    const written = await this.deps.journal.write(
      () => {
        this.deps.records.saveChange(change);
        return alsoWrite();
      },
      () => {
        this.cache.delete(incident.groupKey);
      },
    );
    if (incident.status === 'resolved' && previous?.status !== 'resolved')
      this.countResolution(incident);
    this.tell(incident, change.timeline);
    return written;
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
    const latest = this.latest(target.groupKey);
    const current = latest?.id === target.id ? latest : this.deps.records.get(target.id);
    if (current === undefined) throw new Error(`incident ${target.id} does not exist`);
    const decision = decide(current);
    const next = decision.incident ?? current;
    if (latest?.id === target.id && next !== current) this.cache.set(target.groupKey, next);
    await this.deps.journal.write(
      () => {
        if (next !== current) this.deps.records.saveIncident(next);
        for (const entry of decision.timeline) this.deps.records.addTimeline(target.id, entry);
        alsoWrite?.();
      },
      () => {
        this.cache.delete(target.groupKey);
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
    this.tell(next, decision.timeline);
    return next;
  }

  private tell(incident: Incident, timeline: readonly TimelineEntry[]): void {
    for (const listener of this.listeners) {
      try {
        listener(incident, timeline);
      } catch (err) {
        // The change is committed; a failing listener must not turn it into an error.
        this.deps.logger.error('incident commit listener failed', {
          incident: incident.id,
          error: describeError(err),
        });
      }
    }
  }

  /** Forgets cached incidents resolved before `cutoff`: retention has deleted them. */
  forgetResolvedBefore(cutoff: number): void {
    for (const [groupKey, cached] of this.cache.entries()) {
      if (cached !== NO_INCIDENT && cached.resolvedAt !== undefined && cached.resolvedAt < cutoff)
        this.cache.delete(groupKey);
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

  private countResolution(incident: Incident): void {
    const severity = formatSeverity(incident.severity).toLowerCase();
    this.deps.metrics.incidentsResolved.inc({ severity });
    const seconds = ((incident.resolvedAt ?? incident.updatedAt) - incident.openedAt) / 1000;
    this.deps.metrics.timeToResolve.observe({ severity }, seconds);
  }
}

/** Per label or annotation: its key and value strings and its slot in the object. */
const ENTRY_OVERHEAD = 80;
/** Per alert instance: the object, its fields and its entry in the incident's map. */
const ALERT_OVERHEAD = 300;
/** Per incident: the object, its reasons, its group labels and the cache's own entry. */
const INCIDENT_OVERHEAD = 500;
/** Alert states are immutable and carried over between an incident's versions: sized once. */
const alertWeights = new WeakMap<AlertState, number>();

function incidentWeight(cached: Cached): number {
  let weight = INCIDENT_OVERHEAD;
  if (cached === NO_INCIDENT) return weight;
  for (const alert of cached.alerts.values()) weight += alertWeight(alert);
  return weight;
}

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
