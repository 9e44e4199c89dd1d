import { Client } from 'pg';
import {
  createTestDatabase,
  databaseUrl,
  redactUrl,
  testPostgresUrl,
  type TestDatabase,
} from './postgres';

/** Whether the test server has a database called `name`, asked from its `postgres` database. */
async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ connectionString: testPostgresUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  const created: TestDatabase[] = [];
  // A failed assertion must not leave databases behind on the shared server.
  afterAll(async () => {
    for (const db of created) await db.drop();
  });

  it('creates a database of its own, reachable at its URL, and drop() removes it', async () => {
    const db = await createTestDatabase('support_test');
    created.push(db);
    expect(db.name).toMatch(new RegExp(`^support_test_${process.pid}_[0-9a-f]{8}$`));
    expect(await databaseExists(db.name)).toBe(true);

    const client = new Client({ connectionString: db.url, connectionTimeoutMillis: 5000 });
    await client.connect();
    const row = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(row.rows[0]?.db).toBe(db.name);
    // Left open on purpose: drop() must cope with a test that forgot to close its connection.
    client.on('error', () => undefined);

    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    // The forgotten session was terminated, not waited for.
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
    // Twice is harmless (afterAll drops everything again).
    await db.drop();
  });

  it('gives two calls two different databases', async () => {
    const a = await createTestDatabase();
    created.push(a);
    const b = await createTestDatabase();
    created.push(b);
    expect(a.name).not.toBe(b.name);
    expect(a.url).not.toBe(b.url);
    expect(a.name.startsWith(`remediator_test_${process.pid}_`)).toBe(true);
  });

  it('refuses a prefix that would need quoting', async () => {
    await expect(createTestDatabase('Bad-Prefix"; DROP')).rejects.toThrow(/prefix/);
  });

  it('says how to start PostgreSQL when the server is not reachable', async () => {
    const saved = process.env.REMEDIATOR_TEST_POSTGRES_URL;
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    process.env.REMEDIATOR_TEST_POSTGRES_URL = 'postgres://postgres:secret@127.0.0.1:1/postgres';
    try {
      const failure = createTestDatabase();
      await expect(failure).rejects.toThrow(/PostgreSQL is not reachable at .*127\.0\.0\.1:1/);
      await expect(failure).rejects.toThrow(/REMEDIATOR_TEST_POSTGRES_URL/);
      await expect(failure).rejects.not.toThrow(/secret/);
    } finally {
      if (saved === undefined) delete process.env.REMEDIATOR_TEST_POSTGRES_URL;
      else process.env.REMEDIATOR_TEST_POSTGRES_URL = saved;
    }
  });
});

describe('URL helpers', () => {
  it('points a server URL at another database, keeping user, host, port and parameters', () => {
    expect(databaseUrl('postgres://u:p@127.0.0.1:5433/postgres?sslmode=disable', 'other_db')).toBe(
      'postgres://u:p@127.0.0.1:5433/other_db?sslmode=disable',
    );
  });

  it('hides the password', () => {
    expect(redactUrl('postgres://u:hunter2@127.0.0.1:5432/x')).toBe(
      'postgres://u:***@127.0.0.1:5432/x',
    );
    expect(redactUrl('postgres://u@127.0.0.1:5432/x')).toBe('postgres://u@127.0.0.1:5432/x');
  });
});
