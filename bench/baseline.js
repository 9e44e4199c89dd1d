// The practical limit for a Node receiver on this machine: a bare node:http server that reads the
// body, parses it as JSON and answers 200. Plain JavaScript, run as its own process by the
// benchmark (bench/processes.ts), which reads the port from its one log line.
/* global require, process, Buffer */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createServer } = require('node:http');

const server = createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (/** @type {Buffer} */ chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"error":"invalid_json"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"status":"accepted"}');
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  process.stdout.write(
    `${JSON.stringify({ message: 'baseline listening', port: address.port })}\n`,
  );
});
