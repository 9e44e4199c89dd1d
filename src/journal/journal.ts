/**
 * journal/: what remediator keeps. The SQLite database under --data-dir (this file: open,
 * migrations, group commit), its records (incidents, plans, remediation steps), the incident store
 * that caches each group's latest incident, and retention. Imports incidents/ and policies/ for
 * the types it stores.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describeError, JournalError } from '../errors';
import { MIGRATIONS } from './schema';

export type SqliteDatabase = Database.Database;

export interface JournalOptions {
  dataDir: string;
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
  readonly path: string;
  readonly db: SqliteDatabase;
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  /** The last commit's failure, until a commit succeeds again: `/readyz` reports it. */
  private failure: JournalError | undefined;
  private lastProbe = 0;

  private constructor(
    path: string,
    db: SqliteDatabase,
    private readonly options: JournalOptions,
  ) {
    this.path = path;
    this.db = db;
  }

  /** Opens (creating if needed) `<dataDir>/journal.db` and brings its schema up to date. */
  static open(options: JournalOptions): Journal {
    const path = join(options.dataDir, 'journal.db');
    let db: SqliteDatabase;
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
    return new Journal(path, db, options);
  }

  /**
   * Opens an existing journal for reading only, beside a running server (WAL lets both work):
   * what `remediator report` uses. Refuses a journal whose schema is not this version's.
   */
  static openReadOnly(dataDir: string): Journal {
    const path = join(dataDir, 'journal.db');
    let db: SqliteDatabase;
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
    return new Journal(path, db, { dataDir });
  }

  get isOpen(): boolean {
    return !this.closed && this.db.open;
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

  /** Bytes on disk: the database and its write-ahead log. */
  sizeBytes(): number {
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

  /** Commits what is pending, then closes the database. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
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

function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code);
}

function asJournalError(err: unknown): JournalError {
  return err instanceof JournalError
    ? err
    : new JournalError(`journal commit failed: ${describeError(err)}`, { cause: err });
}

function migrate(db: SqliteDatabase): void {
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
