import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the receiver does with one request. */
export type Behaviour =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string }
  /** Reads the request, then destroys the connection without answering. */
  | 'drop'
  /** Reads the request and never answers (until the receiver closes). */
  | 'hang';

export interface Received {
  readonly method: string;
  /** Path and query string as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `performance.now()` when the request's body had arrived. */
  readonly at: number;
}

export interface Receiver {
  readonly port: number;
  /** Requests in arrival order. */
  readonly requests: Received[];
  /** `http://127.0.0.1:<port><pathAndQuery>`. */
  url(pathAndQuery: string): string;
  /** Drops every open connection (hanging ones included) and stops listening. */
  close(): Promise<void>;
}

/**
 * A local webhook receiver on 127.0.0.1, port 0. Request `i` gets `behaviours[i]`; requests past
 * the list get `fallback` (200 `ok`, as Slack answers).
 */
export async function startReceiver(
  behaviours: readonly Behaviour[] = [],
  fallback: Behaviour = { status: 200, body: 'ok' },
): Promise<Receiver> {
  const requests: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const behaviour = behaviours[requests.length] ?? fallback;
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      });
      if (behaviour === 'drop') {
        req.socket.destroy();
      } else if (behaviour === 'hang') {
        hanging.add(res);
      } else {
        res.writeHead(behaviour.status, {
          'content-type': 'text/plain',
          ...behaviour.headers,
        });
        res.end(behaviour.body ?? '');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    requests,
    url: (pathAndQuery) => `http://127.0.0.1:${port}${pathAndQuery}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
