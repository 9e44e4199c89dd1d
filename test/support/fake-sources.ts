import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchesLabels, parseMatcher } from '../../src/labels/matchers';

/**
 * Stand-ins for Alertmanager's API v2 and Prometheus' query API, on 127.0.0.1, answering in the
 * shapes a real Alertmanager 0.25 and Prometheus give (test/fixtures/alertmanager-api): alerts a
 * test sets, filtered by `filter` matchers as Alertmanager does; silences created, listed and
 * expired; instant queries answered with the vector a test sets. Every request is recorded.
 */

export interface FakeAlert {
  fingerprint: string;
  labels: Record<string, string>;
  startsAt?: string;
}

export interface FakeSilence {
  id: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  state: 'active' | 'expired';
}

export interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

export interface FakeAlertmanager {
  readonly url: string;
  /** The alerts it holds (firing); a resolved alert is removed. */
  alerts: FakeAlert[];
  readonly silences: FakeSilence[];
  readonly requests: Recorded[];
  /** While set, every request is answered with this status. */
  failWith?: number;
  close(): Promise<void>;
}

export interface FakePrometheus {
  readonly url: string;
  /** The instant vector every query gets: series labels and value. */
  result: { metric: Record<string, string>; value: number }[];
  /** While set, queries are refused with this error (`bad_data`, 400). */
  error?: string;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

export async function startFakeAlertmanager(): Promise<FakeAlertmanager> {
  const state = {
    alerts: [] as FakeAlert[],
    silences: [] as FakeSilence[],
    requests: [] as Recorded[],
    failWith: undefined as number | undefined,
  };
  const server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      const url = new URL(req.url ?? '/', 'http://x');
      state.requests.push({
        method: req.method ?? '',
        url: `${url.pathname}${url.search}`,
        ...(req.headers.authorization === undefined
          ? {}
          : { authorization: req.headers.authorization }),
        body: text,
      });
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (state.failWith !== undefined) {
        json(state.failWith, 'unavailable');
        return;
      }
      if (req.method === 'GET' && url.pathname === '/api/v2/alerts') {
        const filters = url.searchParams.getAll('filter').map((f) => parseMatcher(f));
        const now = Date.now();
        json(
          200,
          state.alerts
            .filter((a) => matchesLabels(filters, a.labels))
            .map((a) => {
              const silencedBy = state.silences
                .filter(
                  (s) =>
                    s.state === 'active' && s.matchers.every((m) => a.labels[m.name] === m.value),
                )
                .map((s) => s.id);
              return {
                annotations: {},
                endsAt: new Date(now + 300_000).toISOString(),
                fingerprint: a.fingerprint,
                receivers: [{ name: 'remediator' }],
                startsAt: a.startsAt ?? '2026-11-27T13:56:01.000Z',
                status: {
                  inhibitedBy: [],
                  silencedBy,
                  state: silencedBy.length > 0 ? 'suppressed' : 'active',
                },
                updatedAt: new Date(now).toISOString(),
                generatorURL: 'http://prometheus:9090/graph',
                labels: a.labels,
              };
            }),
        );
        return;
      }
      if (req.method === 'POST' && url.pathname === '/api/v2/silences') {
        const posted = JSON.parse(text) as Omit<FakeSilence, 'id' | 'state'>;
        const id = randomUUID();
        state.silences.push({ ...posted, id, state: 'active' });
        json(200, { silenceID: id });
        return;
      }
      if (req.method === 'GET' && url.pathname === '/api/v2/silences') {
        json(
          200,
          state.silences.map((s) => ({
            id: s.id,
            status: { state: s.state },
            updatedAt: s.startsAt,
            comment: s.comment,
            createdBy: s.createdBy,
            endsAt: s.endsAt,
            matchers: s.matchers,
            startsAt: s.startsAt,
          })),
        );
        return;
      }
      const expire = /^\/api\/v2\/silence\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'DELETE' && expire !== null) {
        const silence = state.silences.find((s) => s.id === expire[1]);
        if (silence === undefined) {
          json(404, 'silence not found');
          return;
        }
        if (silence.state === 'expired') {
          json(500, `silence ${silence.id} already expired`);
          return;
        }
        silence.state = 'expired';
        silence.endsAt = new Date().toISOString();
        res.writeHead(200);
        res.end();
        return;
      }
      json(404, 'not found');
    })();
  });
  const url = await listen(server);
  return Object.assign(state, { url, close: closer(server) });
}

export async function startFakePrometheus(): Promise<FakePrometheus> {
  const state = {
    result: [] as FakePrometheus['result'],
    error: undefined as string | undefined,
    requests: [] as Recorded[],
  };
  const server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      const url = new URL(req.url ?? '/', 'http://x');
      state.requests.push({
        method: req.method ?? '',
        url: `${url.pathname}${url.search}`,
        ...(req.headers.authorization === undefined
          ? {}
          : { authorization: req.headers.authorization }),
        body: text,
      });
      res.setHeader('content-type', 'application/json');
      if (url.pathname !== '/api/v1/query') {
        res.writeHead(404);
        res.end('{"status":"error","errorType":"not_found","error":"not found"}');
        return;
      }
      if (state.error !== undefined) {
        res.writeHead(400);
        return res.end(
          JSON.stringify({ status: 'error', errorType: 'bad_data', error: state.error }),
        );
      }
      const time = Number(url.searchParams.get('time') ?? '0');
      res.writeHead(200);
      res.end(
        JSON.stringify({
          status: 'success',
          data: {
            resultType: 'vector',
            result: state.result.map((r) => ({ metric: r.metric, value: [time, String(r.value)] })),
          },
        }),
      );
    })();
  });
  const url = await listen(server);
  return Object.assign(state, { url, close: closer(server) });
}
