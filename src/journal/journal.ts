/**
 * journal/: what remediator keeps. The database (this file: open, migrations, group commit): the
 * SQLite file under --data-dir by default, or PostgreSQL shared by several replicas
 * (`postgres.ts`); its records (incidents, plans, remediation steps), the incident store that
 * caches each group's latest incident, and retention. Imports incidents/ and policies/ for the
 * types it stores.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describeError, JournalError } from '../errors';
import { PostgresDatabase, PostgresError, redactUrl } from './postgres';
import { MIGRATIONS } from './schema';
import { POSTGRES_MIGRATIONS } from './schema-postgres';
import type { SqlDatabase, SqlStatement } from './sql';

export type { SqlDatabase } from './sql';

/** Where the journal is: the SQLite file under the data directory, or a PostgreSQL database. */
export type JournalLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface JournalOptions {
  dataDir: string;
  /** Default: `journal.db` under `dataDir`. */
  location?: JournalLocation;
  /** How a PostgreSQL session names itself (pg_stat_activity); default `remediator`. */
  applicationName?: string;
  /**
   * `normal` (default; SQLite's recommendation for WAL) survives a process crash (SIGKILL) but
   * may lose the last commits on a power cut. `full` fsyncs every commit: an answered webhook
   * survives a power cut too.
   */
  sync?: 'full' | 'normal';
  /** Called with the seconds each commit took, and on each failed commit. */
  onCommit?: (seconds: number) => void;
  onCommitFailure?: (err: unknown) => void;
}

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  onFailure?: () => void;
}

/**
 * The durable record: an embedded SQLite database (WAL) under the data directory.
 *
 * Writes use group commit: everything `write()` is given during one turn of the event loop is
 * committed in one transaction at the next, each piece in its own savepoint so that one failing
 * piece does not take the others down. A promise resolves only after its transaction committed;
 * callers answer a webhook only then.
 */
export class Journal {
  /** Where it is, as it may be shown: the file, or the database URL without credentials. */
  readonly path: string;
  readonly db: SqlDatabase;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  /** The last commit's failure, until a commit succeeds again: `/readyz` reports it. */
  private failure: JournalError | undefined;
  private lastProbe = 0;

  private constructor(
    path: string,
    db: SqlDatabase,
    private readonly options: JournalOptions,
  ) {
    this.path = path;
    this.db = db;
  }

  /**
   * Opens (creating if needed) the journal and brings its schema up to date: the SQLite file
   * (`<dataDir>/journal.db` unless told otherwise), or PostgreSQL, where replicas starting
   * together take turns at the migrations under an advisory lock.
   */
  static open(options: JournalOptions): Journal {
    const location = options.location ?? {
      kind: 'sqlite',
      path: join(options.dataDir, 'journal.db'),
    };
    if (location.kind === 'postgres') return Journal.openPostgres(location.url, options);
    const path = location.path;
    let db: Database.Database;
    try {
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      restrictFiles(path);
      db = new Database(path);
      // Pages freed by retention go back to the file system (incremental vacuum), which can
      // only be chosen before the first table exists.
      if ((db.pragma('user_version', { simple: true }) as number) === 0) {
        db.pragma('auto_vacuum = INCREMENTAL');
      }
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db);
    } catch (err) {
      throw new JournalError(`cannot open the journal at ${path}: ${describeError(err)}`, {
        cause: err,
      });
    }
    return new Journal(path, new SqliteAdapter(db), options);
  }

  private static openPostgres(url: string, options: JournalOptions): Journal {
    const shown = redactUrl(url);
    let db: PostgresDatabase | undefined;
    try {
      db = PostgresDatabase.connect({
        url,
        ...(options.applicationName === undefined
          ? {}
          : { applicationName: options.applicationName }),
      });
      migratePostgres(db);
    } catch (err) {
      db?.close();
      throw new JournalError(`cannot open the journal at ${shown}: ${describeError(err)}`, {
        cause: err,
      });
    }
    return new Journal(shown, db, options);
  }

  /**
   * Opens an existing journal for reading only, beside a running server (WAL lets both work):
   * what `remediator report` uses. Refuses a journal whose schema is not this version's.
   */
  static openReadOnly(dataDir: string): Journal {
    const path = join(dataDir, 'journal.db');
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
    } catch (err) {
      throw new JournalError(`cannot open the journal at ${path}: ${describeError(err)}`, {
        cause: err,
      });
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== MIGRATIONS.length) {
      db.close();
      throw new JournalError(
        `the journal at ${path} has schema version ${version}, this remediator reads ${MIGRATIONS.length}: run this version's remediator serve on it first`,
      );
    }
    return new Journal(path, new SqliteAdapter(db), { dataDir });
  }

  get isOpen(): boolean {
    if (this.closed) return false;
    return this.db instanceof SqliteAdapter ? this.db.raw.open : true;
  }

  /** The SQLite handle, for what only SQLite has (pragmas); throws on PostgreSQL. */
  get sqlite(): Database.Database {
    if (this.db instanceof SqliteAdapter) return this.db.raw;
    throw new JournalError('the journal is not SQLite');
  }

  /** The PostgreSQL backend, when the journal is there (leadership is taken on its session). */
  get postgres(): PostgresDatabase | undefined {
    return this.db instanceof PostgresDatabase ? this.db : undefined;
  }

  /**
   * Why the journal cannot take writes now (closed, or its last commit failed), else undefined.
   * After a failure it tries a small committed write of its own, at most once a second, so that
   * readiness comes back when the disk does even if nothing else writes (a pod that is not ready
   * gets no webhooks, which would otherwise be the only writes to tell).
   */
  checkWritable(now = Date.now()): string | undefined {
    if (!this.isOpen) return 'closed';
    if (this.failure === undefined || now - this.lastProbe < 1000) return this.failure?.message;
    this.lastProbe = now;
    this.postgres?.reconnect();
    try {
      this.db
        .prepare(
          "INSERT INTO settings (key, value, updated_at) VALUES ('journal_probe', '', ?) ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at",
        )
        .run(now);
      this.failure = undefined;
    } catch (err) {
      this.failure = asJournalError(err);
    }
    return this.failure?.message;
  }

  /**
   * Runs `work` (synchronous statements) in the next group commit. Resolves with its result once
   * committed; rejects if it threw or the commit failed. `onFailure` runs synchronously on failure,
   * before any other code, so in-memory state derived from the write can be rolled back in time.
   */
  write<T>(work: () => T, onFailure?: () => void): Promise<T> {
    if (this.closed) return Promise.reject(new JournalError('the journal is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
        ...(onFailure ? { onFailure } : {}),
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flush();
        });
      }
    });
  }

  /** Commits what is pending now (tests and shutdown call it; normally it runs by itself). */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    const started = performance.now();
    try {
      // A lone piece needs no savepoint of its own: its transaction is the batch's. (On
      // PostgreSQL each savepoint is two more round trips.)
      const lone = batch.length === 1 ? batch[0] : undefined;
      if (lone !== undefined) {
        try {
          outcomes.push({ ok: true, value: this.db.transaction(lone.work)() });
        } catch (err) {
          outcomes.push({ ok: false, err });
        }
      } else {
        this.runBatch(batch, outcomes);
      }
    } catch (err) {
      this.options.onCommitFailure?.(err);
      const failure = asJournalError(err);
      this.failure = failure;
      for (const item of batch) item.onFailure?.();
      for (const item of batch) item.reject(failure);
      return;
    }
    this.options.onCommit?.((performance.now() - started) / 1000);
    let failed: JournalError | undefined;
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) {
        item.resolve(outcome.value);
        return;
      }
      item.onFailure?.();
      const err = outcome?.err ?? new JournalError('journal write was not run');
      // A piece the database refused (read-only file, I/O error) is the journal failing, not the
      // caller: it is reported as such (the webhook answers 503, /readyz turns not ready).
      if (isUnavailable(err)) {
        this.options.onCommitFailure?.(err);
        failed = asJournalError(err);
        item.reject(failed);
      } else {
        item.reject(err);
      }
    });
    this.failure = failed;
  }

  /** Several pieces in one transaction, each in a savepoint, so one failing spares the others. */
  private runBatch(
    batch: readonly PendingWrite[],
    outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[],
  ): void {
    this.db.transaction(() => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: this.db.transaction(item.work)() });
        } catch (err) {
          // Some SQLite errors (disk full, I/O) roll back the whole transaction: stop there.
          if (!this.db.inTransaction) throw err;
          outcomes.push({ ok: false, err });
        }
      }
    })();
  }

  /** Bytes on disk: the database and its write-ahead log. */
  sizeBytes(): number {
    if (this.postgres !== undefined) {
      try {
        const row = this.postgres
          .prepare<[], { bytes: number }>('SELECT pg_database_size(current_database()) AS bytes')
          .get();
        return row?.bytes ?? 0;
      } catch {
        return 0;
      }
    }
    let total = 0;
    for (const file of [this.path, `${this.path}-wal`]) {
      try {
        total += statSync(file).size;
      } catch {
        // No WAL file right after a checkpoint.
      }
    }
    return total;
  }

  /**
   * Gives space freed by retention back: SQLite returns the pages to the file system and
   * truncates its write-ahead log; PostgreSQL's autovacuum does this by itself.
   */
  compact(): void {
    if (!(this.db instanceof SqliteAdapter)) return;
    this.db.raw.pragma('incremental_vacuum');
    // Without a checkpoint the WAL keeps the deleted pages until the next automatic one.
    this.db.raw.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Commits what is pending, then closes the database. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.db instanceof SqliteAdapter) this.db.raw.close();
    else if (this.db instanceof PostgresDatabase) this.db.close();
  }
}

/** better-sqlite3 as a `SqlDatabase`: the API the records were written against. */
class SqliteAdapter implements SqlDatabase {
  readonly dialect = 'sqlite';
  constructor(readonly raw: Database.Database) {}

  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): SqlStatement<P, R> {
    return this.raw.prepare(source) as unknown as SqlStatement<P, R>;
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    return this.raw.transaction(fn);
  }

  exec(sql: string): void {
    this.raw.exec(sql);
  }

  get inTransaction(): boolean {
    return this.raw.inTransaction;
  }
}

/**
 * The journal holds alert contents and what was done about them: readable by remediator alone.
 * Its directory is created 0700 (above); the database file is created 0600 before SQLite opens
 * it, and SQLite gives its -wal and -shm files the database file's mode. Files left by an older
 * version are tightened too.
 */
function restrictFiles(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/**
 * SQLite's codes for a database that cannot take the write (read-only file, full disk, I/O, lock,
 * corruption), as opposed to a statement that broke a constraint, which is the caller's error.
 */
const UNAVAILABLE =
  /^SQLITE_(READONLY|IOERR|FULL|CANTOPEN|BUSY|LOCKED|CORRUPT|NOTADB|PERM|NOMEM|PROTOCOL)/;

/**
 * PostgreSQL's: no session (UNAVAILABLE), insufficient resources (class 53: disk full, out of
 * memory, too many connections), or a read-only server (25006: a hot standby after a failover).
 */
const POSTGRES_UNAVAILABLE = /^(UNAVAILABLE$|53|25006$)/;

function isUnavailable(err: unknown): boolean {
  if (err instanceof PostgresError) return POSTGRES_UNAVAILABLE.test(err.code);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
}

function asJournalError(err: unknown): JournalError {
  return err instanceof JournalError
    ? err
    : new JournalError(`journal commit failed: ${describeError(err)}`, { cause: err });
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `schema version ${current} is newer than this remediator knows (${MIGRATIONS.length}); refusing to downgrade`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] ?? '');
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/** Any 64-bit number fixed for remediator: the advisory lock its replicas take to migrate. */
const MIGRATION_LOCK = 7_262_012_015;

/**
 * The same migrations as SQLite's, in PostgreSQL's dialect, each in its own transaction, under a
 * session-level advisory lock: replicas starting together wait for each other instead of racing.
 */
function migratePostgres(db: PostgresDatabase): void {
  db.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, migrated_at BIGINT NOT NULL)',
    );
    const current = Number(
      db.query('SELECT max(version) AS version FROM schema_version', []).rows[0]?.version ?? 0,
    );
    if (current > POSTGRES_MIGRATIONS.length) {
      throw new Error(
        `schema version ${current} is newer than this remediator knows (${POSTGRES_MIGRATIONS.length}); refusing to downgrade`,
      );
    }
    for (let version = current; version < POSTGRES_MIGRATIONS.length; version++) {
      db.transaction(() => {
        db.exec(POSTGRES_MIGRATIONS[version] ?? '');
        db.query('INSERT INTO schema_version (version, migrated_at) VALUES ($1, $2)', [
          version + 1,
          Date.now(),
        ]);
      })();
    }
  } finally {
    db.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
