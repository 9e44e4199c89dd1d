/**
 * The PostgreSQL backend's connection, in a worker thread (see `postgres.ts` for why). It holds
 * one session and answers one query at a time: the main thread posts a request and waits on the
 * shared state for the answer. It never throws across the boundary: every failure is an answer.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import {
  SHARED,
  type PostgresRequest,
  type PostgresResponse,
  type WorkerData,
} from './postgres-protocol';

// BIGINT (epoch milliseconds, ids, counts) and NUMERIC come back as JavaScript numbers: every
// value the journal stores is far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

const data = workerData as WorkerData;
const port = data.port as MessagePort;
const shared = new Int32Array(data.shared);

let client: pg.Client | undefined;
let connecting: Promise<void> | undefined;
let lastError = 'not connected yet';
/**
 * Set once this session holds leadership: from then on a lost session is never replaced, since
 * a new one would not hold the lock and statements sent on it would not be fenced.
 */
let fenced = false;

function connect(): Promise<void> {
  connecting ??= (async () => {
    const next = new pg.Client({
      connectionString: data.url,
      connectionTimeoutMillis: data.connectTimeoutMs,
      query_timeout: data.queryTimeoutMs,
      statement_timeout: data.queryTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      application_name: data.applicationName,
      // The server forgets a silent client (a partition, a frozen node) within some 15 s, and
      // with it the session's advisory locks: another replica can then take over.
      options: '-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=5',
    });
    next.on('error', (err) => {
      lost(next, err.message);
    });
    next.on('end', () => {
      lost(next, 'the connection was closed');
    });
    try {
      await next.connect();
      client = next;
      Atomics.add(shared, SHARED.epoch, 1);
      Atomics.store(shared, SHARED.connected, 1);
    } catch (err) {
      lastError = (err as Error).message;
      next.removeAllListeners('end');
      void next.end().catch(() => undefined);
    } finally {
      connecting = undefined;
    }
  })();
  return connecting;
}

function lost(which: pg.Client, reason: string): void {
  if (client !== which) return;
  client = undefined;
  lastError = reason;
  Atomics.store(shared, SHARED.connected, 0);
  if (fenced) Atomics.store(shared, SHARED.fenceLost, 1);
}

/**
 * The records prepare a few dozen statements and run them again and again: each is parsed and
 * planned once per session as a named prepared statement. Lists build theirs per call, so the
 * names are bounded; a statement without parameters (transaction control) needs none. (A newer
 * replica's migration can invalidate a prepared `SELECT *` in an older one during a rolling
 * upgrade: its statements then fail until it is replaced, as a journal failure, never silently.)
 */
const names = new Map<string, string>();
const MAX_NAMED = 1000;
let namedIn: pg.Client | undefined;

function named(sql: string, params: unknown[]): { name?: string } {
  if (params.length === 0) return {};
  // Prepared statements belong to a session: a new one starts without any.
  if (namedIn !== client) {
    names.clear();
    namedIn = client;
  }
  let name = names.get(sql);
  if (name === undefined) {
    if (names.size >= MAX_NAMED) return {};
    name = `r${names.size + 1}`;
    names.set(sql, name);
  }
  return { name };
}

function answer(response: PostgresResponse): void {
  port.postMessage(response);
  Atomics.store(shared, SHARED.ready, 1);
  Atomics.notify(shared, SHARED.ready);
}

async function handle(request: PostgresRequest): Promise<PostgresResponse> {
  const { id } = request;
  switch (request.type) {
    case 'reconnect':
      return { id, rows: [], rowCount: 0 };
    case 'connect':
      if (client === undefined && !fenced) await connect();
      return client === undefined
        ? { id, error: { message: lastError, code: 'UNAVAILABLE' } }
        : { id, rows: [], rowCount: 0 };
    case 'fence':
      fenced = true;
      return { id, rows: [], rowCount: 0 };
    case 'close':
      fenced = true;
      await client?.end().catch(() => undefined);
      client = undefined;
      Atomics.store(shared, SHARED.connected, 0);
      return { id, rows: [], rowCount: 0 };
    case 'query': {
      const session = client;
      if (
        session === undefined ||
        (request.epoch !== 0 && request.epoch !== Atomics.load(shared, SHARED.epoch))
      ) {
        // Reconnect in the background; this request fails now, as the database is unavailable.
        if (session === undefined && !fenced) void connect();
        return {
          id,
          error: {
            message:
              session === undefined ? lastError : 'the session this transaction began in was lost',
            code: 'UNAVAILABLE',
          },
        };
      }
      try {
        const result = await session.query({
          ...named(request.sql, request.params),
          text: request.sql,
          values: request.params,
        });
        return {
          id,
          rows: result.rows as Record<string, unknown>[],
          rowCount: result.rowCount ?? 0,
        };
      } catch (err) {
        const e = err as { message?: string; code?: string };
        // No session to answer on any more: the server went away or the query timed out. A
        // statement the server refused for want of resources (class 53: disk full, memory) or
        // because it is read-only (25006) keeps its SQLSTATE: the session and its transaction are
        // still there to roll back, and the journal tells those from a caller's error itself.
        const unavailable = client !== session || e.code === undefined || /^(08|57P)/.test(e.code);
        return {
          id,
          error: {
            message: e.message ?? String(err),
            code: unavailable ? 'UNAVAILABLE' : (e.code ?? 'UNKNOWN'),
          },
        };
      }
    }
  }
}

// One request at a time, in order: the main thread waits for each answer before it sends more.
// A reconnection is asked for without an answer and happens beside them, so that a database
// that takes seconds to answer a connection attempt never holds up the main thread.
let chain = Promise.resolve();
port.on('message', (request: PostgresRequest) => {
  if (request.type === 'reconnect') {
    if (client === undefined && !fenced) void connect();
    return;
  }
  chain = chain.then(async () => {
    answer(await handle(request));
  });
});
parentPort?.postMessage('started');
