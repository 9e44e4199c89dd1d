import { Client } from 'pg';
import { Journal, type JournalLocation, type JournalOptions } from '../../src/journal/journal';
import { connectAdmin, createTestDatabase, type TestDatabase } from './postgres';
import { tempDir } from './server';

/**
 * Every journal test runs against both backends (issue 15): the SQLite file and PostgreSQL.
 * `describeEachJournal(name, (backend) => …)` declares the block twice, as `name (sqlite)` and
 * `name (postgres)`; each test gets an empty journal of its own through `backend.open()`.
 *
 * SQLite: a fresh data directory per test. PostgreSQL: one database per block (created in
 * beforeAll, dropped in afterAll), its schema dropped and recreated before each test, which takes
 * some 20 ms where a database per test takes three times as long; opening the journal (a worker
 * and its session, then the migrations) costs about 200 ms either way. Journals the test opened
 * are closed after it, so a failed test leaves no session behind.
 */
export type JournalKind = 'sqlite' | 'postgres';

export type TestJournalOptions = Omit<JournalOptions, 'dataDir' | 'location'>;

export interface JournalBackend {
  readonly kind: JournalKind;
  /** The test's data directory (PostgreSQL journals get one too; they keep nothing there). */
  readonly dataDir: string;
  readonly location: JournalLocation;
  /**
   * Opens a journal on this test's database; a second call opens another on the same one (a
   * restart, or a replica). Closed after the test.
   */
  open(options?: TestJournalOptions): Journal;
  /** PostgreSQL: the block's database, for a test that acts on it as an administrator. */
  readonly database: TestDatabase | undefined;
  /** PostgreSQL: runs `sql` on the test database in a session of its own. */
  admin(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

export const JOURNAL_KINDS: readonly JournalKind[] = ['sqlite', 'postgres'];

export function describeEachJournal(
  name: string,
  body: (backend: JournalBackend) => void,
  kinds: readonly JournalKind[] = JOURNAL_KINDS,
): void {
  for (const kind of kinds) {
    describe(`${name} (${kind})`, () => {
      body(journalBackend(kind));
    });
  }
}

/** Registers the hooks that give each test of the current block an empty journal on `kind`. */
export function journalBackend(kind: JournalKind): JournalBackend {
  let database: TestDatabase | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  const opened: Journal[] = [];

  if (kind === 'postgres') {
    beforeAll(async () => {
      database = await createTestDatabase('remediator_journal');
    });
    afterAll(async () => {
      await database?.drop();
    });
  }
  beforeEach(async () => {
    dir = tempDir();
    if (database !== undefined) {
      await admin(
        database.url,
        // A test's leftovers (its tables, sequences, a newer schema_version) go with the schema.
        'DROP SCHEMA public CASCADE; CREATE SCHEMA public',
      );
    }
  });
  afterEach(() => {
    for (const journal of opened.splice(0)) journal.close();
    dir?.remove();
  });

  const current = (): { dataDir: string; location: JournalLocation } => {
    if (dir === undefined) throw new Error('journalBackend: use it inside a test');
    if (kind === 'sqlite') {
      return { dataDir: dir.path, location: { kind, path: `${dir.path}/journal.db` } };
    }
    if (database === undefined) throw new Error('journalBackend: the test database is missing');
    return { dataDir: dir.path, location: { kind, url: database.url } };
  };

  return {
    kind,
    get dataDir() {
      return current().dataDir;
    },
    get location() {
      return current().location;
    },
    get database() {
      return database;
    },
    open(options: TestJournalOptions = {}) {
      const journal = Journal.open({ ...current(), ...options });
      opened.push(journal);
      return journal;
    },
    admin(sql: string, params: unknown[] = []) {
      if (database === undefined) throw new Error('admin: only on PostgreSQL');
      return admin(database.url, sql, params);
    },
  };
}

/** How long an administrative statement may wait for a lock a leaked session holds. */
const ADMIN_LOCK_TIMEOUT = '5s';

async function admin(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const client: Client = await connectAdmin(url, 'The journal tests need PostgreSQL.');
  try {
    // A test may have made the database read-only for its journal's sessions, not for this one.
    await client.query(
      `SET lock_timeout = '${ADMIN_LOCK_TIMEOUT}'; SET default_transaction_read_only = off`,
    );
    const result = await client.query(sql, params);
    // Several statements answer with one result each: the last one's rows.
    const last = Array.isArray(result) ? result.at(-1) : result;
    return (last?.rows ?? []) as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
