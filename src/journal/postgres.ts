/**
 * The journal on PostgreSQL, behind the same synchronous statement API as better-sqlite3
 * (`sql.ts`), so that every record, decision and test is written once for both backends.
 *
 * Why synchronous: the journal's records, the incident store and the executor's gates were built
 * on SQLite's synchronous API, which lets a decision read and write in one turn of the event loop
 * with no interleaving. node-postgres is asynchronous, so its one connection lives in a worker
 * thread and the main thread waits for each answer (`Atomics.wait`, as synckit does; a dozen lines
 * that need the shared state below, which synckit does not expose). The cost is event-loop time per
 * round trip, which `npm run bench` measures; every wait is bounded by the query timeout, and when
 * the session is gone a call fails at once instead of waiting.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import { JournalError } from '../errors';
import {
  SHARED,
  SHARED_SLOTS,
  type PostgresRequest,
  type PostgresResponse,
  type WorkerData,
} from './postgres-protocol';
import type { RunResult, SqlDatabase, SqlStatement } from './sql';

export interface PostgresOptions {
  /** postgres:// or postgresql:// URL, credentials included: never logged (see `redactUrl`). */
  url: string;
  applicationName?: string;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

/** A statement PostgreSQL refused: the code is SQLSTATE, or UNAVAILABLE for no session. */
export class PostgresError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PostgresError';
  }
}

/** Tables whose key the database generates, and its column: what an INSERT returns. */
const GENERATED_KEYS: Readonly<Record<string, string>> = {
  timeline: 'id',
  plans: 'id',
  remediations: 'id',
  notifications: 'seq',
};

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres';
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly shared: Int32Array;
  private readonly waitMs: number;
  private nextId = 1;
  private depth = 0;
  /** The session the open transaction began in. */
  private transactionEpoch = 0;
  /** The session that holds leadership, once fenced: every statement must run in it. */
  private fenceEpoch = 0;
  private closed = false;
  private readonly statements = new Map<string, PostgresStatement>();

  private constructor(options: PostgresOptions) {
    const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
    const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.waitMs = Math.max(queryTimeoutMs, connectTimeoutMs) + 2_000;
    this.shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * 4));
    const channel = new MessageChannel();
    this.port = channel.port1;
    const data: WorkerData = {
      url: options.url,
      applicationName: options.applicationName ?? 'remediator',
      connectTimeoutMs,
      queryTimeoutMs,
      shared: this.shared.buffer as SharedArrayBuffer,
      port: channel.port2,
    };
    this.worker = new Worker(workerFile(), { workerData: data, transferList: [channel.port2] });
    // The worker must not keep a process alive that is otherwise done (a CLI run, a test).
    this.worker.unref();
    this.port.unref();
  }

  /** Starts the worker and connects; throws JournalError when PostgreSQL cannot be reached. */
  static connect(options: PostgresOptions): PostgresDatabase {
    const db = new PostgresDatabase(options);
    try {
      db.request({ type: 'connect' });
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  }

  get connected(): boolean {
    return Atomics.load(this.shared, SHARED.connected) === 1;
  }

  /** True once the session that held leadership is gone: whoever fenced must stop acting. */
  get fenceLost(): boolean {
    return Atomics.load(this.shared, SHARED.fenceLost) === 1;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /**
   * Binds every later statement to the current session, which holds leadership (a session-level
   * advisory lock): once it is lost, statements fail instead of running in a new session that
   * holds nothing, and the worker stops reconnecting.
   */
  fence(): void {
    this.request({ type: 'fence' });
    this.fenceEpoch = Atomics.load(this.shared, SHARED.epoch);
  }

  /**
   * Asks for a new session in the background when there is none (never once fenced: a new
   * session would not hold the lock); the next statements tell whether it came.
   */
  reconnect(): void {
    if (this.closed || this.connected || this.fenceEpoch !== 0) return;
    this.port.postMessage({ id: this.nextId++, type: 'reconnect' } satisfies PostgresRequest);
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): SqlStatement<P, R> {
    let statement = this.statements.get(source);
    if (statement === undefined) {
      statement = new PostgresStatement(this, translate(source));
      // Statements are prepared once per record class, but lists build theirs per call.
      if (this.statements.size >= 500) this.statements.clear();
      this.statements.set(source, statement);
    }
    return statement as unknown as SqlStatement<P, R>;
  }

  /** Runs SQL that may hold several statements and takes no parameters (migrations). */
  exec(sql: string): void {
    this.query(sql, []);
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    return (...args: A): T => {
      const outer = this.depth === 0;
      const savepoint = `s${this.depth}`;
      if (outer) {
        this.transactionEpoch = 0;
        this.query('BEGIN', []);
        this.transactionEpoch = Atomics.load(this.shared, SHARED.epoch);
      } else {
        this.query(`SAVEPOINT ${savepoint}`, []);
      }
      this.depth++;
      let result: T;
      try {
        result = fn(...args);
      } catch (err) {
        this.depth = Math.max(0, this.depth - 1);
        this.rollback(outer, savepoint);
        throw err;
      }
      this.depth = Math.max(0, this.depth - 1);
      try {
        this.query(outer ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`, []);
      } catch (err) {
        this.rollback(outer, savepoint);
        throw err;
      }
      if (outer) this.transactionEpoch = 0;
      return result;
    };
  }

  /** Sends one statement and waits for its answer. */
  query(sql: string, params: unknown[]): { rows: Record<string, unknown>[]; rowCount: number } {
    const epoch = this.transactionEpoch || this.fenceEpoch;
    try {
      return this.request({ type: 'query', sql, params: params.map(bindable), epoch });
    } catch (err) {
      // A statement PostgreSQL refused is a bug to find: name it (its text, never its values).
      if (err instanceof PostgresError && err.code !== 'UNAVAILABLE') {
        const statement = sql.replace(/\s+/g, ' ').trim().slice(0, 120);
        throw new PostgresError(`${err.message} (in: ${statement})`, err.code);
      }
      throw err;
    }
  }

  close(): void {
    if (this.closed) return;
    try {
      this.request({ type: 'close' });
    } catch {
      // Closing anyway.
    }
    this.closed = true;
    void this.worker.terminate();
  }

  private rollback(outer: boolean, savepoint: string): void {
    try {
      this.query(outer ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`, []);
      if (!outer) this.query(`RELEASE SAVEPOINT ${savepoint}`, []);
    } catch {
      // The session is gone, and the transaction with it.
      this.depth = 0;
    }
    if (outer) this.transactionEpoch = 0;
  }

  private request(
    body:
      | { type: 'connect' | 'fence' | 'close' }
      | Omit<Extract<PostgresRequest, { type: 'query' }>, 'id'>,
  ): { rows: Record<string, unknown>[]; rowCount: number } {
    if (this.closed) throw new JournalError('the journal is closed');
    if (this.fenceEpoch !== 0 && this.fenceLost) {
      this.depth = 0;
      throw new PostgresError('the session that held leadership was lost', 'UNAVAILABLE');
    }
    const id = this.nextId++;
    Atomics.store(this.shared, SHARED.ready, 0);
    this.port.postMessage({ ...body, id });
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.shared, SHARED.ready, 0, left) === 'timed-out') {
        this.depth = 0;
        throw new PostgresError(
          `PostgreSQL did not answer within ${this.waitMs} ms`,
          'UNAVAILABLE',
        );
      }
      Atomics.store(this.shared, SHARED.ready, 0);
      // Answers to requests that timed out may arrive first: skip them.
      for (
        let message = receiveMessageOnPort(this.port);
        message !== undefined;
        message = receiveMessageOnPort(this.port)
      ) {
        const response = message.message as PostgresResponse;
        if (response.id !== id) continue;
        if ('error' in response) {
          if (response.error.code === 'UNAVAILABLE') this.depth = 0;
          throw new PostgresError(response.error.message, response.error.code);
        }
        return response;
      }
    }
  }
}

class PostgresStatement implements SqlStatement {
  constructor(
    private readonly db: PostgresDatabase,
    private readonly sql: { text: string; returning: boolean; names: string[] },
  ) {}

  /** Positional parameters as given, or named ones from the one object given. */
  private bind(params: unknown[]): unknown[] {
    if (this.sql.names.length === 0) return params;
    const named = (params[0] ?? {}) as Record<string, unknown>;
    return this.sql.names.map((name) => named[name] ?? null);
  }

  run(...params: unknown[]): RunResult {
    const { rows, rowCount } = this.db.query(this.sql.text, this.bind(params));
    const key = this.sql.returning ? rows[0] : undefined;
    return {
      changes: rowCount,
      lastInsertRowid: key === undefined ? 0 : Number(Object.values(key)[0]),
    };
  }

  get(...params: unknown[]): unknown {
    return this.db.query(this.sql.text, this.bind(params)).rows[0];
  }

  all(...params: unknown[]): unknown[] {
    return this.db.query(this.sql.text, this.bind(params)).rows;
  }
}

/**
 * SQLite's statements in PostgreSQL's dialect: `?` placeholders numbered, `INSERT OR IGNORE`
 * as `ON CONFLICT DO NOTHING`, and an INSERT into a table with a generated key returns it.
 * The records use no `?` inside string literals (checked: a quote toggles the scan anyway).
 */
export function translate(source: string): { text: string; returning: boolean; names: string[] } {
  let n = 0;
  let quoted = false;
  const names: string[] = [];
  // `?` placeholders, and better-sqlite3's named ones (`@name`, bound from an object).
  const text0 = source.replace(/'|\?|@([A-Za-z_]\w*)/g, (token, name: string | undefined) => {
    if (token === "'") {
      quoted = !quoted;
      return token;
    }
    if (quoted) return token;
    if (name === undefined) return `$${++n}`;
    const at = names.indexOf(name);
    if (at >= 0) return `$${at + 1}`;
    names.push(name);
    return `$${names.length}`;
  });
  let text = text0;
  const ignore = /^\s*INSERT\s+OR\s+IGNORE\s+INTO/i.test(text);
  if (ignore)
    text = `${text.replace(/INSERT\s+OR\s+IGNORE\s+INTO/i, 'INSERT INTO')} ON CONFLICT DO NOTHING`;
  const table = /^\s*INSERT\s+INTO\s+(\w+)/i.exec(text)?.[1]?.toLowerCase();
  const key = table === undefined ? undefined : GENERATED_KEYS[table];
  if (key !== undefined && !/\bRETURNING\b/i.test(text)) text = `${text} RETURNING ${key}`;
  return { text, returning: key !== undefined, names };
}

/** better-sqlite3 takes booleans as 0/1 and bigints; so does this backend's schema. */
function bindable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * The worker runs compiled JavaScript: beside this file in dist/, and from the build when the
 * tests run these sources directly (`npm test` builds first).
 */
function workerFile(): string {
  const beside = join(__dirname, 'postgres-worker.js');
  if (existsSync(beside)) return beside;
  return join(__dirname, '..', '..', 'dist', 'journal', 'postgres-worker.js');
}

/** The URL as it may be shown: without its password (or user info at all). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
