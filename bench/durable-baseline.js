// The durable limit for a Node receiver on this machine: the bare baseline (bench/baseline.js)
// plus what a receiver that is durable before it answers cannot avoid, the raw body appended to a
// SQLite WAL journal (synchronous=NORMAL, as remediator's default) in one transaction per turn of
// the event loop, the 200 sent only once that transaction committed. Plain JavaScript, run as its
// own process by the benchmark (bench/processes.ts) with the journal file as its one argument.
/* global require, process, Buffer, setImmediate */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createServer } = require('node:http');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3');

const db = new Database(process.argv[2] ?? ':memory:');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(
  'CREATE TABLE IF NOT EXISTS notifications (seq INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, body TEXT NOT NULL)',
);
const insert = db.prepare('INSERT INTO notifications (received_at, body) VALUES (?, ?)');
/** @type {{ body: string, res: import('node:http').ServerResponse }[]} */
let pending = [];
let scheduled = false;

function commit() {
  scheduled = false;
  const batch = pending;
  pending = [];
  db.transaction(() => {
    for (const item of batch) insert.run(Date.now(), item.body);
  })();
  for (const item of batch) {
    item.res.writeHead(200, { 'Content-Type': 'application/json' });
    item.res.end('{"status":"accepted"}');
  }
}

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
    pending.push({ body, res });
    if (!scheduled) {
      scheduled = true;
      setImmediate(commit);
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(
    `${JSON.stringify({ message: 'durable baseline listening', port: address.port })}\n`,
  );
});
