import type { PlannedTarget } from '../policies/planner';
import type { SqlDatabase, SqlStatement } from './sql';

/**
 * intent (journaled before the write) → applied | dry_run | failed | interrupted;
 * skipped when a gate or the action itself said no. An applied step then carries its
 * verification: pending (verify_until set), effective or ineffective.
 */
export type RemediationStatus =
  'intent' | 'applied' | 'dry_run' | 'failed' | 'skipped' | 'interrupted';
export type Verification = 'effective' | 'ineffective';

export interface StoredRemediation {
  readonly id: number;
  readonly planId: number;
  readonly incidentId: number;
  readonly policy: string;
  readonly step: number;
  readonly action: string;
  readonly target?: PlannedTarget;
  readonly status: RemediationStatus;
  /** A skip or failure reason code (closed set), if any. */
  readonly reason?: string;
  readonly summary?: string;
  readonly intent?: Readonly<Record<string, unknown>>;
  readonly result?: Readonly<Record<string, unknown>>;
  readonly dryRun: boolean;
  readonly startedAt: number;
  readonly finishedAt?: number;
  readonly verifyUntil?: number;
  readonly verification?: Verification;
}

interface Row {
  id: number;
  plan_id: number;
  incident_id: number;
  policy: string;
  step: number;
  action: string;
  target: string | null;
  status: RemediationStatus;
  reason: string | null;
  summary: string | null;
  intent: string | null;
  result: string | null;
  dry_run: number;
  started_at: number;
  finished_at: number | null;
  verify_until: number | null;
  verification: Verification | null;
}

/** A step to record: what it is and how it started; the rest comes when it finishes. */
export type NewRemediation = Omit<
  StoredRemediation,
  'id' | 'result' | 'startedAt' | 'finishedAt' | 'verifyUntil' | 'verification'
> & { readonly at: number };

/** The remediations, settings, circuits and escalations tables. Writes go inside `Journal.write`. */
export class RemediationRecords {
  private readonly statements = new Map<string, SqlStatement>();

  constructor(private readonly db: SqlDatabase) {}

  /** Each statement is compiled once: every step runs several, and compiling costs more. */
  private prepare<P extends unknown[] = unknown[], R = unknown>(
    source: string,
  ): SqlStatement<P, R> {
    let statement = this.statements.get(source);
    if (statement === undefined) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement as unknown as SqlStatement<P, R>;
  }

  insert(r: NewRemediation): number {
    const finished = r.status === 'intent' ? null : r.at;
    return Number(
      this.prepare(
        `INSERT INTO remediations (plan_id, incident_id, policy, step, action, target, status, reason,
                                     summary, intent, dry_run, started_at, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        r.planId,
        r.incidentId,
        r.policy,
        r.step,
        r.action,
        r.target === undefined ? null : JSON.stringify(r.target),
        r.status,
        r.reason ?? null,
        r.summary ?? null,
        r.intent === undefined ? null : JSON.stringify(r.intent),
        r.dryRun ? 1 : 0,
        r.at,
        finished,
      ).lastInsertRowid,
    );
  }

  /** Records the result of an intent. */
  finish(
    id: number,
    outcome: {
      status: RemediationStatus;
      reason?: string;
      summary?: string;
      result?: Readonly<Record<string, unknown>>;
      verifyUntil?: number;
    },
    at: number,
  ): void {
    this.prepare(
      `UPDATE remediations SET status = ?, reason = ?, summary = coalesce(?, summary), result = ?,
                                 finished_at = ?, verify_until = ? WHERE id = ?`,
    ).run(
      outcome.status,
      outcome.reason ?? null,
      outcome.summary ?? null,
      outcome.result === undefined ? null : JSON.stringify(outcome.result),
      at,
      outcome.verifyUntil ?? null,
      id,
    );
  }

  setVerification(id: number, verification: Verification): void {
    this.prepare('UPDATE remediations SET verification = ? WHERE id = ?').run(verification, id);
  }

  /** Plans stopped by the global pause: the plan and the step it stopped at. */
  plansSkippedByPause(): { planId: number; step: number }[] {
    return this.prepare<[], { plan_id: number; step: number }>(
      `SELECT r.plan_id, r.step FROM remediations r JOIN plans p ON p.id = r.plan_id
         WHERE r.reason = 'paused' AND p.status = 'skipped' ORDER BY r.plan_id`,
    )
      .all()
      .map((row) => ({ planId: row.plan_id, step: row.step }));
  }

  /**
   * Intents without a result (a crash came between the journal and the write's answer), a page
   * at a time after the step `afterId`.
   */
  openIntents(afterId: number, limit: number): StoredRemediation[] {
    return this.select("status = 'intent' AND id > ? ORDER BY id LIMIT ?", afterId, limit);
  }

  /** Applied steps still waiting for their verification verdict, a page at a time. */
  pendingVerifications(afterId: number, limit: number): StoredRemediation[] {
    return this.select(
      "verify_until IS NOT NULL AND verification IS NULL AND status IN ('applied', 'dry_run') AND id > ? ORDER BY id LIMIT ?",
      afterId,
      limit,
    );
  }

  forPlan(planId: number): StoredRemediation[] {
    return this.select('plan_id = ? ORDER BY id', planId);
  }

  forIncident(incidentId: number): StoredRemediation[] {
    return this.select('incident_id = ? ORDER BY id', incidentId);
  }

  getSetting(key: string): string | undefined {
    const row = this.prepare<[string], { value: string }>(
      'SELECT value FROM settings WHERE key = ?',
    ).get(key);
    return row?.value;
  }

  setSetting(key: string, value: string, at: number): void {
    this.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    ).run(key, value, at);
  }

  circuits(): Map<string, string> {
    const rows = this.prepare<[], { policy: string; state: string }>(
      'SELECT policy, state FROM circuits',
    ).all();
    return new Map(rows.map((r) => [r.policy, r.state]));
  }

  saveCircuit(policy: string, state: string): void {
    this.prepare(
      'INSERT INTO circuits (policy, state) VALUES (?, ?) ON CONFLICT (policy) DO UPDATE SET state = excluded.state',
    ).run(policy, state);
  }

  escalatedRungs(incidentId: number, ladder: string): Set<number> {
    const rows = this.prepare<[number, string], { rung: number }>(
      'SELECT rung FROM escalations WHERE incident_id = ? AND ladder = ?',
    ).all(incidentId, ladder);
    return new Set(rows.map((r) => r.rung));
  }

  /** False when that rung was already notified for this incident. */
  recordEscalation(
    incidentId: number,
    rung: { ladder: string; index: number; sink: string },
    reason: string,
    at: number,
  ): boolean {
    const info = this.prepare(
      'INSERT OR IGNORE INTO escalations (incident_id, ladder, rung, sink, at, reason) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(incidentId, rung.ladder, rung.index, rung.sink, at, reason);
    return info.changes === 1;
  }

  /** Sinks that were told about this incident: by a notify step that ran, or by an escalation. */
  notifiedSinks(incidentId: number): string[] {
    const fromSteps = this.prepare<[number], { sink: string | null }>(
      `SELECT DISTINCT ${this.db.dialect === 'postgres' ? "intent::jsonb ->> 'sink'" : "json_extract(intent, '$.sink')"} AS sink FROM remediations
         WHERE incident_id = ? AND action = 'notify' AND status = 'applied'`,
    )
      .all(incidentId)
      .flatMap((r) => (r.sink === null ? [] : [r.sink]));
    const fromEscalations = this.prepare<[number], { sink: string }>(
      'SELECT DISTINCT sink FROM escalations WHERE incident_id = ?',
    )
      .all(incidentId)
      .map((r) => r.sink);
    return [...new Set([...fromSteps, ...fromEscalations])].sort();
  }

  /** False when this sink already got the incident's resolution notice. */
  recordResolutionNotice(incidentId: number, sink: string, at: number): boolean {
    return (
      this.prepare(
        'INSERT OR IGNORE INTO resolution_notices (incident_id, sink, at) VALUES (?, ?, ?)',
      ).run(incidentId, sink, at).changes === 1
    );
  }

  /** `where` ends with the statement's ORDER BY (and LIMIT) clauses. */
  private select(where: string, ...params: number[]): StoredRemediation[] {
    return this.prepare<number[], Row>(`SELECT * FROM remediations WHERE ${where}`)
      .all(...params)
      .map((row) => ({
        id: row.id,
        planId: row.plan_id,
        incidentId: row.incident_id,
        policy: row.policy,
        step: row.step,
        action: row.action,
        ...(row.target === null ? {} : { target: JSON.parse(row.target) as PlannedTarget }),
        status: row.status,
        ...(row.reason === null ? {} : { reason: row.reason }),
        ...(row.summary === null ? {} : { summary: row.summary }),
        ...(row.intent === null
          ? {}
          : { intent: JSON.parse(row.intent) as Record<string, unknown> }),
        ...(row.result === null
          ? {}
          : { result: JSON.parse(row.result) as Record<string, unknown> }),
        dryRun: row.dry_run === 1,
        startedAt: row.started_at,
        ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
        ...(row.verify_until === null ? {} : { verifyUntil: row.verify_until }),
        ...(row.verification === null ? {} : { verification: row.verification }),
      }));
  }
}
