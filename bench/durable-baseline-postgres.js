// The durable limit for a Node receiver whose journal is PostgreSQL: the bare baseline
// (bench/baseline.js) plus what a receiver that is durable on PostgreSQL before it answers cannot
// avoid, one INSERT of the raw body (autocommitted, with the server's default
// synchronous_commit=on, so committed to PostgreSQL's WAL on disk) and the 200 only once PostgreSQL
// confirmed it. Written as anyone would write it with node-postgres: a pool (pg's default of 10
// connections, as many as the benchmark's connections), every request its own INSERT, concurrent
// commits grouped by PostgreSQL itself. Plain JavaScript, run as its own process by the benchmark
// (bench/processes.ts) with the database URL as its one argument.
/* global require, process, Buffer */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createServer } = require('node:http');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Pool } = require('pg');

const url = process.argv[2];
if (url === undefined) {
  process.stderr.write('usage: durable-baseline-postgres.js POSTGRES_URL\n');
  process.exit(2);
}
const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
// An idle client whose session drops would otherwise crash the process with 'error'.
pool.on('error', () => undefined);

const server = createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (/** @type {Buffer} */ chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      JSON.parse(body);
    } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"error":"invalid_json"}');
      return;
    }
    pool
      .query('INSERT INTO notifications_baseline (received_at, body) VALUES ($1, $2)', [
        Date.now(),
        body,
      ])
      .then(
        () => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"status":"accepted"}');
        },
        () => {
          res.writeHead(503, { 'Content-Type': 'application/json' });
          res.end('{"error":"journal_unavailable"}');
        },
      );
  });
});

pool
  .query(
    'CREATE TABLE IF NOT EXISTS notifications_baseline (seq BIGSERIAL PRIMARY KEY, received_at BIGINT NOT NULL, body TEXT NOT NULL)',
  )
  .then(
    () => {
      server.listen(0, '127.0.0.1', () => {
        const address = /** @type {import('node:net').AddressInfo} */ (server.address());
        process.stdout.write(
          `${JSON.stringify({ message: 'postgres durable baseline listening', port: address.port })}\n`,
        );
      });
    },
    (/** @type {unknown} */ err) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
