import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { refusesConnections } from './support/ports';
import { exists } from './support/processes';
import { startPostgres, type PrivatePostgres } from './support/postgres';

/**
 * The private PostgreSQL server the issue 15 scenarios stop and start under remediator: it must
 * really be gone when stopped (or a "database down" test would test nothing), and come back with
 * its data (or a "database back" test would start from an empty journal).
 */

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The postmaster's pid, from the first line of postmaster.pid in its data directory. */
async function postmasterPid(url: string): Promise<number> {
  const rows = await query<{ pid: string }>(
    url,
    "SELECT split_part(pg_read_file('postmaster.pid'), E'\\n', 1) AS pid",
  );
  return Number(rows[0]?.pid);
}

let pg: PrivatePostgres | undefined;
afterAll(() => pg?.destroy(), 60_000);

it('starts, stops for real, starts again with its data, and is destroyed', async () => {
  pg = await startPostgres();
  const server = pg;
  expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
  expect(server.running).toBe(true);
  const version = await query<{ server_version_num: string }>(
    server.url,
    'SHOW server_version_num',
  );
  expect(Number(version[0]?.server_version_num)).toBeGreaterThanOrEqual(130000);
  // Loopback only, and not the machine's server.
  const settings = await query<{ listen: string; port: string }>(
    server.url,
    "SELECT current_setting('listen_addresses') AS listen, current_setting('port') AS port",
  );
  expect(settings[0]).toEqual({ listen: '127.0.0.1', port: String(server.port) });

  const journalUrl = await server.createDatabase('journal_e2e');
  expect(journalUrl).toBe(`postgres://postgres@127.0.0.1:${server.port}/journal_e2e`);
  await query(journalUrl, 'CREATE TABLE kept (id integer PRIMARY KEY, note text)');
  await query(journalUrl, "INSERT INTO kept VALUES (1, 'before the stop')");
  const pid = await postmasterPid(server.url);
  expect(exists(pid)).toBe(true);

  // A session open across the stop, as remediator's pool will have: fast shutdown cuts it.
  const open = new Client({ connectionString: journalUrl, connectionTimeoutMillis: 5000 });
  open.on('error', () => undefined);
  await open.connect();

  await server.stop();
  expect(server.running).toBe(false);
  expect(exists(pid)).toBe(false);
  expect(await refusesConnections(server.port)).toBe(true);
  await expect(query(server.url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  await expect(open.query('SELECT 1')).rejects.toThrow();
  await open.end().catch(() => undefined);
  // Stopping a stopped server is a no-op.
  await server.stop();

  await server.start();
  expect(server.running).toBe(true);
  expect(await refusesConnections(server.port)).toBe(false);
  expect(await postmasterPid(server.url)).not.toBe(pid);
  expect(await query(journalUrl, 'SELECT id, note FROM kept')).toEqual([
    { id: 1, note: 'before the stop' },
  ]);

  const dir = server.dir;
  expect(existsSync(dir)).toBe(true);
  const lastPid = await postmasterPid(server.url);
  await server.destroy();
  expect(exists(lastPid)).toBe(false);
  expect(await refusesConnections(server.port)).toBe(true);
  expect(existsSync(dir)).toBe(process.env.E2E_KEEP === '1');
});
