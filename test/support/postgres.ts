import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';

/**
 * The machine's PostgreSQL, for the unit and contract tests of the PostgreSQL journal (issue 15):
 * each test file gets a database of its own, so files can run in parallel and a failed run leaves
 * nothing another run could trip on. CI starts PostgreSQL; a missing server fails the tests, it
 * never skips them, or the journal would go untested without anyone noticing.
 */
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** How long connecting may take: the server is local, a slow connect means something is wrong. */
const CONNECT_TIMEOUT_MS = 5000;

export interface TestDatabase {
  /** A connection URL for the new database. */
  readonly url: string;
  readonly name: string;
  /** Disconnects every session on it and drops it; safe to call twice. */
  drop(): Promise<void>;
}

/** The server tests use: `REMEDIATOR_TEST_POSTGRES_URL`, or the local default. */
export function testPostgresUrl(): string {
  const fromEnv = process.env.REMEDIATOR_TEST_POSTGRES_URL;
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_TEST_POSTGRES_URL : fromEnv;
}

/** `url` without its password, for error messages that end up in CI logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/** `serverUrl` pointing at database `name` instead (same host, port, user and parameters). */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/**
 * A connected client on `url`, or an error that says which server could not be reached and how to
 * start one, rather than pg's bare ECONNREFUSED.
 */
export async function connectAdmin(url: string, hint: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A server that goes away mid-test would otherwise crash the test process with 'error'.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`PostgreSQL is not reachable at ${redactUrl(url)} (${reason}). ${hint}`);
  }
}

const MACHINE_HINT =
  'Start it (e.g. `pg_ctlcluster 15 main start` or `service postgresql start`; CI starts it), ' +
  'or set REMEDIATOR_TEST_POSTGRES_URL to a server whose user may CREATE DATABASE.';

/** Creates database `name` on the server `adminUrl` names; returns the new database's URL. */
export async function createDatabaseOn(
  adminUrl: string,
  name: string,
  hint = MACHINE_HINT,
): Promise<string> {
  const client = await connectAdmin(adminUrl, hint);
  try {
    await client.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  return databaseUrl(adminUrl, name);
}

/**
 * Drops database `name` even while sessions are open on it (a test that failed before closing its
 * pool): they are terminated first. `WITH (FORCE)` does the same on PostgreSQL 13 and later; the
 * explicit termination keeps older servers working.
 */
export async function dropDatabaseOn(
  adminUrl: string,
  name: string,
  hint = MACHINE_HINT,
): Promise<void> {
  const client = await connectAdmin(adminUrl, hint);
  try {
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    const force = Number(version.rows[0]?.server_version_num ?? 0) >= 130000 ? ' WITH (FORCE)' : '';
    await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)}${force}`);
  } finally {
    await client.end();
  }
}

/** Lower-case letters, digits and underscores: no quoting surprises, in SQL or in a URL. */
const SAFE_PREFIX = /^[a-z_][a-z0-9_]*$/;
/** PostgreSQL truncates longer identifiers, which could make two names collide. */
const MAX_IDENTIFIER = 63;

/**
 * A new, empty database on the test server, named `<prefix>_<pid>_<random>` so that parallel jest
 * workers and leftovers of earlier runs never collide. Drop it in `afterAll`.
 */
export async function createTestDatabase(prefix = 'remediator_test'): Promise<TestDatabase> {
  if (!SAFE_PREFIX.test(prefix)) {
    throw new Error(`createTestDatabase: prefix ${JSON.stringify(prefix)} is not [a-z_][a-z0-9_]*`);
  }
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (name.length > MAX_IDENTIFIER) {
    throw new Error(`createTestDatabase: ${name} is longer than ${MAX_IDENTIFIER} characters`);
  }
  const adminUrl = testPostgresUrl();
  const url = await createDatabaseOn(adminUrl, name);
  let dropped: Promise<void> | undefined;
  return {
    url,
    name,
    drop: () => (dropped ??= dropDatabaseOn(adminUrl, name)),
  };
}
