import type { SqlDatabase } from './sql';

/** A notification as the webhook received it. */
export interface StoredNotification {
  /** Its place in the log: the order the webhook accepted notifications in. */
  readonly seq: number;
  /** Epoch ms: when it was accepted (the projection decides with this time, not the clock's). */
  readonly receivedAt: number;
  /** Who sent it (the peer address), for the record. */
  readonly source: string;
  /** The body exactly as received (validated JSON text). */
  readonly body: string;
  /** The incident it fed, once applied (none for a repeat, or before). */
  readonly incidentId?: number;
}

interface Row {
  seq: number;
  received_at: number;
  source: string;
  body: string;
  incident_id: number | null;
}

const APPLIED = 'log_applied_seq';
/** The transaction-level advisory lock PostgreSQL appends take (any fixed 64-bit number). */
const APPEND_LOCK = 7_262_012_014;

function stored(row: Row): StoredNotification {
  return {
    seq: row.seq,
    receivedAt: row.received_at,
    source: row.source,
    body: row.body,
    ...(row.incident_id === null ? {} : { incidentId: row.incident_id }),
  };
}

/**
 * The notification log's table and the projection's mark: writes go inside `Journal.write` like
 * every record's; every statement is prepared once.
 */
export class NotificationLog {
  private readonly insert;
  private readonly linkIncident;
  private readonly readApplied;
  private readonly writeApplied;
  private readonly page;
  private readonly window;
  private readonly orphans;
  private readonly removeOrphan;
  private readonly newest;
  private readonly lockAppends;

  constructor(db: SqlDatabase) {
    // Replicas append to one PostgreSQL log: a seq is taken at insert, but transactions commit in
    // any order, so a reader that saw seq 11 committed could later find 10 appear behind its mark.
    // Appends take turns until their commit, which makes commit order the seq order.
    this.lockAppends =
      db.dialect === 'postgres'
        ? db.prepare<[number]>('SELECT pg_advisory_xact_lock(?)')
        : undefined;
    // PostgreSQL's identity never hands out a number twice. SQLite's INTEGER PRIMARY KEY takes
    // max(seq) + 1, which after retention deleted the newest notifications would be at or below
    // the applied mark, where a restart's recovery does not look: the next seq is also above it.
    this.insert = db.prepare<[number, string, string]>(
      db.dialect === 'postgres'
        ? 'INSERT INTO notifications (received_at, source, body) VALUES (?, ?, ?)'
        : `INSERT INTO notifications (seq, received_at, source, body) VALUES (
             max(coalesce((SELECT max(seq) FROM notifications), 0),
                 coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '${APPLIED}'), 0)) + 1,
             ?, ?, ?)`,
    );
    this.linkIncident = db.prepare<[number, number]>(
      'UPDATE notifications SET incident_id = ? WHERE seq = ?',
    );
    this.readApplied = db.prepare<[string], { value: string }>(
      'SELECT value FROM settings WHERE key = ?',
    );
    this.writeApplied = db.prepare<[string, string, number]>(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
    this.page = db.prepare<[number, number], Row>(
      'SELECT seq, received_at, source, body, incident_id FROM notifications WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.window = db.prepare<[number, number, number, number], Row>(
      'SELECT seq, received_at, source, body, incident_id FROM notifications WHERE seq > ? AND received_at >= ? AND received_at < ? ORDER BY seq LIMIT ?',
    );
    this.orphans = db.prepare<[number, number, number], { seq: number }>(
      'SELECT seq FROM notifications WHERE incident_id IS NULL AND received_at < ? AND seq <= ? ORDER BY seq LIMIT ?',
    );
    this.removeOrphan = db.prepare<[number]>('DELETE FROM notifications WHERE seq = ?');
    this.newest = db.prepare<[], { seq: number | null }>(
      'SELECT max(seq) AS seq FROM notifications',
    );
  }

  /** Appends a notification; returns its seq. */
  append(body: string, receivedAt: number, source: string): number {
    this.lockAppends?.get(APPEND_LOCK);
    return Number(this.insert.run(receivedAt, source, body).lastInsertRowid);
  }

  /** Records the incident a notification fed: retention then deletes it with that incident. */
  linkTo(seq: number, incidentId: number): void {
    this.linkIncident.run(incidentId, seq);
  }

  /** The highest seq the projection has applied, with every one before it; 0 for none. */
  appliedSeq(): number {
    return Number(this.readApplied.get(APPLIED)?.value ?? 0);
  }

  setApplied(seq: number, at: number): void {
    this.writeApplied.run(APPLIED, String(seq), at);
  }

  /** The highest seq appended; 0 for an empty log. */
  lastSeq(): number {
    return this.newest.get()?.seq ?? 0;
  }

  /** Up to `limit` notifications after `seq`, in order: what a restart still has to apply. */
  after(seq: number, limit: number): StoredNotification[] {
    return this.page.all(seq, limit).map(stored);
  }

  /** Up to `limit` notifications after `seq` received in [since, until), in order. */
  receivedBetween(since: number, until: number, seq: number, limit: number): StoredNotification[] {
    return this.window.all(seq, since, until, limit).map(stored);
  }

  /**
   * Deletes up to `limit` notifications received before `cutoff` that fed no incident (repeats,
   * or groups whose incident is gone) and that the projection has applied; returns how many.
   */
  pruneOrphans(cutoff: number, limit: number): number {
    const ids = this.orphans.all(cutoff, this.appliedSeq(), limit);
    for (const { seq } of ids) this.removeOrphan.run(seq);
    return ids.length;
  }
}
