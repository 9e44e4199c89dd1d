import type { PostgresDatabase } from './postgres';

/**
 * Which replica does the work on a shared PostgreSQL journal: the one whose session holds a
 * session-level advisory lock, as kube-controller-manager's replicas hold a Lease. The lock is the
 * fence too: the journal's one session holds it, every later statement is bound to that session
 * (`PostgresDatabase.fence`), so a replica that lost it cannot commit another step's intent, and
 * therefore cannot act, after another replica took over. PostgreSQL releases the lock the moment
 * the session ends: at once for a process that died (its socket closes), within some 15 s for one
 * cut off silently (the session's TCP keep-alives, set by the worker).
 */
export const LEADER_LOCK = 7_262_012_016;

/** What the leader announces in `settings`, for the others to forward API requests to. */
export interface LeaderRecord {
  readonly instance: string;
  readonly url: string;
  readonly since: number;
}

const KEY = 'leader';

export class Leadership {
  private held = false;

  constructor(private readonly db: PostgresDatabase) {}

  get isLeader(): boolean {
    return this.held && !this.db.fenceLost;
  }

  /**
   * Takes the lock if no one holds it, then binds the journal's session to it and announces
   * this replica. True when this replica is now the leader.
   */
  tryAcquire(me: Omit<LeaderRecord, 'since'>, now: number): boolean {
    if (this.held) return this.isLeader;
    const row = this.db
      .prepare<[number], { got: boolean }>('SELECT pg_try_advisory_lock(?) AS got')
      .get(LEADER_LOCK);
    if (row?.got !== true) return false;
    this.db.fence();
    this.held = true;
    this.db
      .prepare(
        'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      )
      .run(KEY, JSON.stringify({ ...me, since: now } satisfies LeaderRecord), now);
    return true;
  }

  /**
   * Whether the leader's session still answers: a round trip now and then, so that a session
   * cut off silently is noticed by the leader too, not only by PostgreSQL.
   */
  stillLeading(): boolean {
    if (!this.isLeader) return false;
    try {
      this.db.query('SELECT 1', []);
      return true;
    } catch {
      return false;
    }
  }

  /** The leader as last announced (it may have died since: forwarding then fails, and says so). */
  current(): LeaderRecord | undefined {
    const row = this.db
      .prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?')
      .get(KEY);
    if (row === undefined) return undefined;
    try {
      return JSON.parse(row.value) as LeaderRecord;
    } catch {
      return undefined;
    }
  }
}
