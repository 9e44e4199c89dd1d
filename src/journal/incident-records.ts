import {
  alertKey,
  type AlertState,
  type Incident,
  type IncidentChange,
  type IncidentStatus,
  type TimelineEntry,
} from '../incidents/incident';
import type { Severity } from '../incidents/severity';
import type { SqlDatabase } from './sql';

interface IncidentRow {
  id: number;
  group_key: string;
  receiver: string;
  group_labels: string;
  status: IncidentStatus;
  severity: Severity;
  severity_reasons: string;
  opened_at: number;
  updated_at: number;
  resolved_at: number | null;
  hold_open: string | null;
  root_cause: string | null;
  prevention: string | null;
  external_url: string | null;
}

interface AlertRow {
  incident_id: number;
  fingerprint: string;
  starts_at: string;
  status: 'firing' | 'resolved';
  labels: string;
  annotations: string;
  ends_at: string;
  generator_url: string;
  first_seen_at: number;
  updated_at: number;
  resolved_at: number | null;
}

interface TimelineRow {
  id: number;
  at: number;
  kind: string;
  message: string;
  data: string | null;
}

export interface IncidentSummary {
  readonly id: number;
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly status: IncidentStatus;
  readonly severity: Severity;
  readonly openedAt: number;
  readonly updatedAt: number;
  readonly resolvedAt?: number;
  readonly alertsFiring: number;
  readonly alertsTotal: number;
  /** Why it stays open for a human (`autoResolve: false`), if it does. */
  readonly holdOpen?: string;
}

export interface IncidentFilter {
  /** A status, or `open` for every status but resolved. */
  status?: IncidentStatus | 'open';
  severity?: Severity;
  /** Only incidents with a smaller id (the next page). */
  before?: number;
  limit: number;
}

export interface StoredTimelineEntry extends TimelineEntry {
  readonly id: number;
}

type SummaryRow = IncidentRow & { alerts_firing: number; alerts_total: number };

const SELECT_SUMMARY = `SELECT i.*,
    (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id AND a.status = 'firing') AS alerts_firing,
    (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id) AS alerts_total
  FROM incidents i`;

function summaryOf(row: SummaryRow): IncidentSummary {
  return {
    id: row.id,
    groupKey: row.group_key,
    groupLabels: JSON.parse(row.group_labels) as Record<string, string>,
    status: row.status,
    severity: row.severity,
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
    ...(row.resolved_at === null ? {} : { resolvedAt: row.resolved_at }),
    alertsFiring: row.alerts_firing,
    alertsTotal: row.alerts_total,
    ...(row.hold_open === null ? {} : { holdOpen: row.hold_open }),
  };
}

/** The incidents, alerts and timeline tables: every statement prepared once (lists excepted). */
export class IncidentRecords {
  private readonly upsertIncident;
  private readonly upsertAlert;
  private readonly insertTimeline;
  private readonly selectIncident;
  private readonly selectGroupKey;
  private readonly selectLatestForGroup;
  private readonly selectAlerts;
  private readonly selectTimeline;
  private readonly selectMaxId;
  private readonly selectOpenCounts;
  private readonly selectSummary;
  private readonly selectLabelValues;
  private readonly selectEscalated;

  constructor(private readonly db: SqlDatabase) {
    this.upsertIncident = db.prepare(`
      INSERT INTO incidents (id, group_key, receiver, group_labels, status, severity, severity_reasons,
                             opened_at, updated_at, resolved_at, hold_open, root_cause, prevention,
                             external_url)
      VALUES (@id, @group_key, @receiver, @group_labels, @status, @severity, @severity_reasons,
              @opened_at, @updated_at, @resolved_at, @hold_open, @root_cause, @prevention,
              @external_url)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, severity = excluded.severity,
        severity_reasons = excluded.severity_reasons, updated_at = excluded.updated_at,
        resolved_at = excluded.resolved_at, hold_open = excluded.hold_open,
        root_cause = excluded.root_cause, prevention = excluded.prevention,
        external_url = excluded.external_url`);
    this.upsertAlert = db.prepare(`
      INSERT INTO alerts (incident_id, fingerprint, starts_at, status, labels, annotations, ends_at,
                          generator_url, first_seen_at, updated_at, resolved_at)
      VALUES (@incident_id, @fingerprint, @starts_at, @status, @labels, @annotations, @ends_at,
              @generator_url, @first_seen_at, @updated_at, @resolved_at)
      ON CONFLICT (incident_id, fingerprint, starts_at) DO UPDATE SET status = excluded.status,
        annotations = excluded.annotations, ends_at = excluded.ends_at,
        updated_at = excluded.updated_at, resolved_at = excluded.resolved_at`);
    this.insertTimeline = db.prepare(
      'INSERT INTO timeline (incident_id, at, kind, message, data) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectIncident = db.prepare<[number], IncidentRow>('SELECT * FROM incidents WHERE id = ?');
    this.selectGroupKey = db.prepare<[number], { group_key: string }>(
      'SELECT group_key FROM incidents WHERE id = ?',
    );
    this.selectLatestForGroup = db.prepare<[string], IncidentRow>(
      'SELECT * FROM incidents WHERE group_key = ? ORDER BY id DESC LIMIT 1',
    );
    this.selectAlerts = db.prepare<[number], AlertRow>(
      'SELECT * FROM alerts WHERE incident_id = ? ORDER BY first_seen_at, fingerprint, starts_at',
    );
    this.selectTimeline = db.prepare<[number], TimelineRow>(
      'SELECT id, at, kind, message, data FROM timeline WHERE incident_id = ? ORDER BY id',
    );
    this.selectMaxId = db.prepare<[], { max: number | null }>(
      'SELECT max(id) AS max FROM incidents',
    );
    this.selectOpenCounts = db.prepare<[], { severity: Severity; n: number }>(
      'SELECT severity, count(*) AS n FROM incidents WHERE resolved_at IS NULL GROUP BY severity',
    );
    this.selectSummary = db.prepare<[number], SummaryRow>(`${SELECT_SUMMARY} WHERE i.id = ?`);
    // The label values and id lists are JSON: json_each in SQLite, jsonb in PostgreSQL.
    this.selectLabelValues = db.prepare<
      [string, string],
      { id: number; name: string; value: string }
    >(
      db.dialect === 'postgres'
        ? `SELECT DISTINCT a.incident_id AS id, l.key COLLATE "C" AS name,
                  (l.value #>> '{}') COLLATE "C" AS value
             FROM alerts a, jsonb_each(a.labels::jsonb) l
            WHERE a.incident_id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)
              AND l.key IN (SELECT jsonb_array_elements_text($2::jsonb))
              AND jsonb_typeof(l.value) = 'string'
            ORDER BY 1, 2, 3`
        : `SELECT DISTINCT a.incident_id AS id, l.key AS name, l.value AS value
             FROM alerts a, json_each(a.labels) l
            WHERE a.incident_id IN (SELECT value FROM json_each(?))
              AND l.key IN (SELECT value FROM json_each(?)) AND l.type = 'text'
            ORDER BY a.incident_id, l.key, l.value`,
    );
    this.selectEscalated = db.prepare<[string], { id: number }>(
      `SELECT DISTINCT incident_id AS id FROM timeline
        WHERE incident_id IN (${
          db.dialect === 'postgres'
            ? 'SELECT jsonb_array_elements_text(?::jsonb)::bigint'
            : 'SELECT value FROM json_each(?)'
        }) AND kind = 'escalated'`,
    );
  }

  /** Writes what one notification changed. Call inside `Journal.write` (with the plan it made). */
  saveChange(change: IncidentChange): void {
    this.saveIncident(change.incident);
    for (const alert of change.alerts) this.saveAlert(change.incident.id, alert);
    for (const entry of change.timeline) this.addTimeline(change.incident.id, entry);
  }

  saveIncident(incident: Incident): void {
    this.upsertIncident.run({
      id: incident.id,
      group_key: incident.groupKey,
      receiver: incident.receiver,
      group_labels: JSON.stringify(incident.groupLabels),
      status: incident.status,
      severity: incident.severity,
      severity_reasons: JSON.stringify(incident.severityReasons),
      opened_at: incident.openedAt,
      updated_at: incident.updatedAt,
      resolved_at: incident.resolvedAt ?? null,
      hold_open: incident.holdOpen ?? null,
      root_cause: incident.rootCause ?? null,
      prevention: incident.prevention ?? null,
      external_url: incident.externalURL ?? null,
    });
  }

  addTimeline(incidentId: number, entry: TimelineEntry): void {
    this.insertTimeline.run(
      incidentId,
      entry.at,
      entry.kind,
      entry.message,
      entry.data === undefined ? null : JSON.stringify(entry.data),
    );
  }

  private saveAlert(incidentId: number, alert: AlertState): void {
    this.upsertAlert.run({
      incident_id: incidentId,
      fingerprint: alert.fingerprint,
      starts_at: alert.startsAt,
      status: alert.status,
      labels: JSON.stringify(alert.labels),
      annotations: JSON.stringify(alert.annotations),
      ends_at: alert.endsAt,
      generator_url: alert.generatorURL,
      first_seen_at: alert.firstSeenAt,
      updated_at: alert.updatedAt,
      resolved_at: alert.resolvedAt ?? null,
    });
  }

  maxId(): number {
    return this.selectMaxId.get()?.max ?? 0;
  }

  /** Open incidents by severity level. */
  openCounts(): Map<Severity, number> {
    return new Map(this.selectOpenCounts.all().map((row) => [row.severity, row.n]));
  }

  get(id: number): Incident | undefined {
    const row = this.selectIncident.get(id);
    return row && this.hydrate(row);
  }

  /** The incident's Alertmanager group, read without its alerts. */
  groupKeyOf(id: number): string | undefined {
    return this.selectGroupKey.get(id)?.group_key;
  }

  latestForGroup(groupKey: string): Incident | undefined {
    const row = this.selectLatestForGroup.get(groupKey);
    return row && this.hydrate(row);
  }

  timeline(incidentId: number): StoredTimelineEntry[] {
    return this.selectTimeline.all(incidentId).map((row) => ({
      id: row.id,
      at: row.at,
      kind: row.kind,
      message: row.message,
      ...(row.data === null ? {} : { data: JSON.parse(row.data) as Record<string, unknown> }),
    }));
  }

  list(filter: IncidentFilter): IncidentSummary[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.status === 'open') where.push('i.resolved_at IS NULL');
    else if (filter.status !== undefined) {
      where.push('i.status = ?');
      params.push(filter.status);
    }
    if (filter.severity !== undefined) {
      where.push('i.severity = ?');
      params.push(filter.severity);
    }
    if (filter.before !== undefined) {
      where.push('i.id < ?');
      params.push(filter.before);
    }
    params.push(filter.limit);
    return this.db
      .prepare<(string | number)[], SummaryRow>(
        `${SELECT_SUMMARY} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY i.id DESC LIMIT ?`,
      )
      .all(...params)
      .map(summaryOf);
  }

  /** One incident as lists show it; undefined when it does not exist (any more). */
  summary(id: number): IncidentSummary | undefined {
    const row = this.selectSummary.get(id);
    return row && summaryOf(row);
  }

  /**
   * The values the alerts of each incident give these labels, sorted, at most `perLabel` each:
   * what lists show as its components, read without loading every alert.
   */
  labelValues(
    ids: readonly number[],
    labels: readonly string[],
    perLabel: number,
  ): Map<number, Record<string, string[]>> {
    const out = new Map<number, Record<string, string[]>>();
    if (ids.length === 0 || labels.length === 0) return out;
    const rows = this.selectLabelValues.all(JSON.stringify(ids), JSON.stringify(labels));
    for (const row of rows) {
      const components = out.get(row.id) ?? {};
      const values = (components[row.name] ??= []);
      if (values.length < perLabel) values.push(row.value);
      out.set(row.id, components);
    }
    return out;
  }

  /** Which of these incidents automation handed to humans (an `escalated` timeline entry). */
  escalated(ids: readonly number[]): Set<number> {
    if (ids.length === 0) return new Set();
    return new Set(this.selectEscalated.all(JSON.stringify(ids)).map((r) => r.id));
  }

  private hydrate(row: IncidentRow): Incident {
    const alerts = new Map<string, AlertState>();
    for (const a of this.selectAlerts.all(row.id)) {
      alerts.set(alertKey({ fingerprint: a.fingerprint, startsAt: a.starts_at }), {
        fingerprint: a.fingerprint,
        startsAt: a.starts_at,
        status: a.status,
        labels: JSON.parse(a.labels) as Record<string, string>,
        annotations: JSON.parse(a.annotations) as Record<string, string>,
        endsAt: a.ends_at,
        generatorURL: a.generator_url,
        firstSeenAt: a.first_seen_at,
        updatedAt: a.updated_at,
        ...(a.resolved_at === null ? {} : { resolvedAt: a.resolved_at }),
      });
    }
    return {
      id: row.id,
      groupKey: row.group_key,
      receiver: row.receiver,
      groupLabels: JSON.parse(row.group_labels) as Record<string, string>,
      status: row.status,
      severity: row.severity,
      severityReasons: JSON.parse(row.severity_reasons) as string[],
      openedAt: row.opened_at,
      updatedAt: row.updated_at,
      ...(row.resolved_at === null ? {} : { resolvedAt: row.resolved_at }),
      ...(row.hold_open === null ? {} : { holdOpen: row.hold_open }),
      ...(row.root_cause === null ? {} : { rootCause: row.root_cause }),
      ...(row.prevention === null ? {} : { prevention: row.prevention }),
      ...(row.external_url === null ? {} : { externalURL: row.external_url }),
      alerts,
    };
  }
}
