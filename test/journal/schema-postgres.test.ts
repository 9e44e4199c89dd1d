import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { MIGRATIONS } from '../../src/journal/schema';
import { POSTGRES_MIGRATIONS } from '../../src/journal/schema-postgres';
import { redactUrl } from '../support/postgres';

/**
 * POSTGRES_MIGRATIONS must build the schema MIGRATIONS builds, in PostgreSQL's dialect: this applies
 * both (SQLite in memory, PostgreSQL in a database of its own, dropped after) and compares them table
 * by table. It needs the machine's PostgreSQL (127.0.0.1:5432, trust auth, user postgres) or
 * REMEDIATOR_TEST_POSTGRES_URL; without one it fails, it does not skip.
 */
const SERVER_URL =
  process.env.REMEDIATOR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The keys the database generates; every other INTEGER PRIMARY KEY is the application's. */
const GENERATED_KEYS = ['notifications.seq', 'plans.id', 'remediations.id', 'timeline.id'];

/** Integer columns small enough for INTEGER; every other one (times, ids) must be BIGINT. */
const SMALL_INTEGERS = ['severity', 'step', 'current_step', 'dry_run', 'rung'];

interface Column {
  name: string;
  type: 'integer' | 'text';
  notNull: boolean;
  default: string | null;
}
interface ForeignKey {
  column: string;
  table: string;
  references: string;
  onDelete: string;
}
interface Index {
  name: string;
  unique: boolean;
  partial: boolean;
  columns: string[];
}
interface Shape {
  columns: Column[];
  primaryKey: string[];
  foreignKeys: ForeignKey[];
  indexes: Index[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : 1);
const byColumn = (a: ForeignKey, b: ForeignKey) => (a.column < b.column ? -1 : 1);

function sqliteSchema(): { tables: string[]; shape: (table: string) => Shape } {
  const db = new Database(':memory:');
  for (const migration of MIGRATIONS) db.exec(migration);
  const pragma = <T>(source: string) => db.pragma(source) as T[];
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((row) => row.name);
  const shape = (table: string): Shape => {
    const info = pragma<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }>(`table_info("${table}")`);
    return {
      columns: info.map((c) => ({
        name: c.name,
        type: c.type.toLowerCase() === 'integer' ? 'integer' : 'text',
        // A key column is NOT NULL in PostgreSQL; SQLite lets a rowid table's TEXT key hold NULL
        // (a documented quirk) unless it says NOT NULL, which the records never rely on.
        notNull: c.notnull === 1 || c.pk > 0,
        default: c.dflt_value,
      })),
      primaryKey: info
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      foreignKeys: pragma<{ table: string; from: string; to: string; on_delete: string }>(
        `foreign_key_list("${table}")`,
      )
        .map((fk) => ({
          column: fk.from,
          table: fk.table,
          references: fk.to,
          onDelete: fk.on_delete,
        }))
        .sort(byColumn),
      indexes: pragma<{ name: string; unique: number; origin: string; partial: number }>(
        `index_list("${table}")`,
      )
        // Only CREATE INDEX's: the others are SQLite's own for the key and UNIQUE constraints.
        .filter((index) => index.origin === 'c')
        .map((index) => ({
          name: index.name,
          unique: index.unique === 1,
          partial: index.partial === 1,
          columns: pragma<{ seqno: number; name: string }>(`index_info("${index.name}")`)
            .sort((a, b) => a.seqno - b.seqno)
            .map((c) => c.name),
        }))
        .sort(byName),
    };
  };
  return { tables, shape };
}

const sqlite = sqliteSchema();
const ON_DELETE: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

describe('the PostgreSQL schema', () => {
  const database = `remediator_test_${randomBytes(6).toString('hex')}`;
  let admin: Client | undefined;
  let created = false;
  let icu = false;
  let client: Client | undefined;

  const pg = (): Client => {
    if (client === undefined) throw new Error('no PostgreSQL connection: see the beforeAll error');
    return client;
  };
  const rows = async <T>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await pg().query(text, values)).rows as T[];

  beforeAll(async () => {
    admin = new Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 5_000 });
    try {
      await admin.connect();
    } catch (err) {
      throw new Error(
        `PostgreSQL is unreachable at ${redactUrl(SERVER_URL)} (${String(err)}). These tests need ` +
          'it: start it (pg_ctlcluster <version> main start) or point REMEDIATOR_TEST_POSTGRES_URL ' +
          'at a server where this user may create databases.',
      );
    }
    // An ICU English collation by default, so that a text column which sorts byte-wise does so
    // because the schema says COLLATE "C", not because the server's default happens to be C.
    try {
      await admin.query(
        `CREATE DATABASE ${database} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'`,
      );
      icu = true;
    } catch {
      await admin.query(`CREATE DATABASE ${database}`);
    }
    created = true;
    const url = new URL(SERVER_URL);
    url.pathname = `/${database}`;
    client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
    await client.connect();
    for (const [version, migration] of POSTGRES_MIGRATIONS.entries()) {
      await client.query('BEGIN');
      try {
        await client.query(migration);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`POSTGRES_MIGRATIONS[${version}] fails: ${String(err)}`);
      }
    }
  });

  afterAll(async () => {
    await client?.end().catch(() => undefined);
    if (created) await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it('has one migration per SQLite migration', () => {
    expect(POSTGRES_MIGRATIONS).toHaveLength(MIGRATIONS.length);
  });

  it('has the same tables', async () => {
    const tables = await rows<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE "C"`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(sqlite.tables);
  });

  async function postgresShape(table: string): Promise<Shape> {
    const columns = await rows<{
      column_name: string;
      data_type: string;
      is_nullable: 'YES' | 'NO';
      column_default: string | null;
    }>(
      `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    const primaryKey = await rows<{ name: string }>(
      `SELECT a.attname AS name
         FROM pg_constraint c
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k (attnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        WHERE c.conrelid = $1::regclass AND c.contype = 'p'
        ORDER BY k.ord`,
      [`public.${table}`],
    );
    const foreignKeys = await rows<{
      column: string;
      table: string;
      references: string;
      confdeltype: string;
    }>(
      `SELECT a.attname AS column, r.relname AS table, ra.attname AS references, c.confdeltype
         FROM pg_constraint c
         JOIN pg_class r ON r.oid = c.confrelid
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k (attnum, refnum)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum
        WHERE c.conrelid = $1::regclass AND c.contype = 'f'`,
      [`public.${table}`],
    );
    // Only CREATE INDEX's: not those behind the primary key or another constraint.
    const indexes = await rows<{
      name: string;
      unique: boolean;
      partial: boolean;
      columns: string[];
    }>(
      `SELECT i.relname AS name, x.indisunique AS unique, x.indpred IS NOT NULL AS partial,
              ARRAY(SELECT a.attname::text
                      FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                     ORDER BY k.ord) AS columns
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = $1::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
      [`public.${table}`],
    );
    return {
      columns: columns.map((c) => ({
        name: c.column_name,
        type: c.data_type === 'bigint' || c.data_type === 'integer' ? 'integer' : 'text',
        notNull: c.is_nullable === 'NO',
        default: c.column_default?.replace(/::[a-z ]+$/, '') ?? null,
      })),
      primaryKey: primaryKey.map((c) => c.name),
      foreignKeys: foreignKeys
        .map((fk) => ({
          column: fk.column,
          table: fk.table,
          references: fk.references,
          onDelete: ON_DELETE[fk.confdeltype] ?? fk.confdeltype,
        }))
        .sort(byColumn),
      indexes: indexes.sort(byName),
    };
  }

  it.each(sqlite.tables)(
    'builds %s with the same columns in the same order, keys, foreign keys and indexes',
    async (table) => {
      expect(await postgresShape(table)).toEqual(sqlite.shape(table));
    },
  );

  it('generates the keys the records read back, and no other', async () => {
    const identities = await rows<{ name: string }>(
      `SELECT table_name || '.' || column_name AS name FROM information_schema.columns
        WHERE table_schema = 'public' AND is_identity = 'YES' AND identity_generation = 'BY DEFAULT'`,
    );
    expect(identities.map((c) => c.name).sort()).toEqual(GENERATED_KEYS);
  });

  it('keeps times and ids in BIGINT, and only small counters in INTEGER', async () => {
    const narrow = await rows<{ column_name: string }>(
      `SELECT DISTINCT column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type = 'integer'`,
    );
    expect(narrow.map((c) => c.column_name).sort()).toEqual([...SMALL_INTEGERS].sort());
    const others = await rows<{ data_type: string }>(
      `SELECT DISTINCT data_type FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type NOT IN ('integer', 'bigint', 'text')`,
    );
    expect(others).toEqual([]);
  });

  it('collates every text key byte-wise, as SQLite compares and sorts', async () => {
    const keys = await rows<{ name: string; collation: string | null }>(
      `SELECT t.relname || '.' || a.attname AS name, co.collname AS collation
         FROM pg_constraint c
         JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(c.conkey) AS k (attnum)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE n.nspname = 'public' AND c.contype = 'p' AND a.atttypid = 'text'::regtype`,
    );
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.collation !== 'C')).toEqual([]);
  });

  it('sorts an incident’s alerts in the order SQLite does', async () => {
    const fingerprints = ['b', 'B', 'a', '_x', 'A', 'a-b', 'ab', 'Z', 'é', 'e'];
    const incident = `INSERT INTO incidents (id, group_key, receiver, group_labels, status, severity,
        severity_reasons, opened_at, updated_at) VALUES (1, 'g', 'r', '{}', 'open', 1, '[]', 0, 0)`;
    const alert = (a: string, b: string) =>
      `INSERT INTO alerts (incident_id, fingerprint, starts_at, status, labels, annotations, ends_at,
         generator_url, first_seen_at, updated_at) VALUES (1, ${a}, ${b}, 'firing', '{}', '{}', '', '', 0, 0)`;
    const select =
      'SELECT fingerprint, starts_at FROM alerts WHERE incident_id = 1 ORDER BY first_seen_at, fingerprint, starts_at';

    const lite = new Database(':memory:');
    for (const migration of MIGRATIONS) lite.exec(migration);
    lite.exec(incident);
    for (const fp of fingerprints) lite.prepare(alert('?', '?')).run(fp, fp.toUpperCase());
    const expected = lite.prepare(select).all();
    lite.close();

    await pg().query('BEGIN');
    try {
      await pg().query(incident);
      for (const fp of fingerprints) await pg().query(alert('$1', '$2'), [fp, fp.toUpperCase()]);
      expect(await rows(select)).toEqual(expected);
      if (icu) {
        // Which the database's own collation would not give: that is what COLLATE "C" is for.
        const byDefault = await rows(
          select.replace(', fingerprint,', ', fingerprint COLLATE "default",'),
        );
        expect(byDefault).not.toEqual(expected);
      }
    } finally {
      await pg().query('ROLLBACK');
    }
  });
});
