import type { SqlDatabase } from './sql';

/** An Alertmanager silence a plan created, as journaled. */
export interface StoredSilence {
  /** Alertmanager's id (a UUID). */
  readonly id: string;
  readonly planId: number;
  /** The alert name it silences. */
  readonly alertname: string;
  readonly createdAt: number;
  readonly endsAt: number;
  /** When remediator expired it; absent while it may still silence. */
  readonly liftedAt?: number;
}

interface Row {
  id: string;
  plan_id: number;
  alertname: string;
  created_at: number;
  ends_at: number;
  lifted_at: number | null;
}

/** The silences table: what a plan's end must lift. */
export class SilenceRecords {
  private readonly insertRow;
  private readonly selectUnlifted;
  private readonly selectOne;
  private readonly updateLifted;

  constructor(db: SqlDatabase) {
    this.insertRow = db.prepare(
      'INSERT OR IGNORE INTO silences (id, plan_id, alertname, created_at, ends_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectUnlifted = db.prepare<[number], Row>(
      'SELECT * FROM silences WHERE plan_id = ? AND lifted_at IS NULL ORDER BY created_at, id',
    );
    this.selectOne = db.prepare<[string], Row>('SELECT * FROM silences WHERE id = ?');
    this.updateLifted = db.prepare(
      'UPDATE silences SET lifted_at = ? WHERE id = ? AND lifted_at IS NULL',
    );
  }

  /** Call inside `Journal.write`. */
  insert(silence: Omit<StoredSilence, 'liftedAt'>): void {
    this.insertRow.run(
      silence.id,
      silence.planId,
      silence.alertname,
      silence.createdAt,
      silence.endsAt,
    );
  }

  /** The plan's silences not lifted yet, oldest first. */
  unlifted(planId: number): StoredSilence[] {
    return this.selectUnlifted.all(planId).map(fromRow);
  }

  get(id: string): StoredSilence | undefined {
    const row = this.selectOne.get(id);
    return row && fromRow(row);
  }

  /** Call inside `Journal.write`. */
  lifted(id: string, at: number): void {
    this.updateLifted.run(at, id);
  }
}

function fromRow(row: Row): StoredSilence {
  return {
    id: row.id,
    planId: row.plan_id,
    alertname: row.alertname,
    createdAt: row.created_at,
    endsAt: row.ends_at,
    ...(row.lifted_at === null ? {} : { liftedAt: row.lifted_at }),
  };
}
