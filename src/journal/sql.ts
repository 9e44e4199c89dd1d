/**
 * What the journal's records need from a database: better-sqlite3's synchronous statement API,
 * which the PostgreSQL backend (`postgres.ts`) provides too. Records are written once, against
 * this, in the SQL both dialects share; the few statements that differ ask `dialect`.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows the statement changed. */
  changes: number;
  /** The generated key of the row an INSERT added (incidents, timeline, plans, steps, log). */
  lastInsertRowid: number | bigint;
}

export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

export interface SqlDatabase {
  readonly dialect: Dialect;
  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): SqlStatement<P, R>;
  /** Runs SQL that may hold several statements and takes no parameters (migrations, tests). */
  exec(sql: string): void;
  /**
   * Wraps `fn` in a transaction (a savepoint when already in one): committed when it returns,
   * rolled back when it throws.
   */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  /** False once a failure ended the transaction early (SQLite's I/O errors, a lost connection). */
  readonly inTransaction: boolean;
}
