/**
 * What a replica that does not lead serves, on a journal replicas share: the webhook (appended to
 * the shared log, which the leader applies), its own health, readiness and metrics, and every
 * other request forwarded to the leader, so that the API and the console answer the same whichever
 * replica a Service picks. Forwarding is a plain HTTP relay (node:http, streamed both ways, for
 * the console's event stream too): http-proxy, the usual library, has not been maintained since
 * 2020, and a relay between replicas needs none of its features.
 */
import {
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { Registry } from 'prom-client';
import { pathOf } from './http';
import type { ReadinessCheck } from './router';
import type { Logger } from '../logger';
import { describeError } from '../errors';

/** Set on forwarded requests: a replica that gets one and does not lead answers 503. */
export const FORWARDED_HEADER = 'x-remediator-forwarded-by';

export interface FollowerDeps {
  webhookPath: string;
  webhook: RequestListener;
  /** The leader's URL, if one is known and it is not this replica. */
  leaderUrl: () => string | undefined;
  instance: string;
  registry: Registry;
  readiness: () => readonly ReadinessCheck[];
  logger: Logger;
  /** How long a forwarded request may take before the leader is deemed unreachable; default 30 s. */
  timeoutMs?: number;
}

/** Connection-level headers, which a relay must not pass on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function createFollowerApp(deps: FollowerDeps): RequestListener {
  return (req, res) => {
    const path = pathOf(req.url);
    if (path === deps.webhookPath) {
      deps.webhook(req, res);
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      json(res, 200, { status: 'ok' });
      return;
    }
    if (req.method === 'GET' && path === '/readyz') {
      const checks = deps.readiness();
      const ready = checks.every((c) => c.ok);
      json(res, ready ? 200 : 503, {
        status: ready ? 'ready' : 'not_ready',
        checks: Object.fromEntries(checks.map((c) => [c.name, { ok: c.ok, detail: c.detail }])),
      });
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      deps.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': deps.registry.contentType }).end(text);
        },
        (err: unknown) => {
          json(res, 500, { error: 'metrics_failed', message: describeError(err) });
        },
      );
      return;
    }
    const leader = req.headers[FORWARDED_HEADER] === undefined ? deps.leaderUrl() : undefined;
    if (leader === undefined) {
      unavailable(res, 'no replica leads right now (one takes over within seconds): try again');
      return;
    }
    forward(req, res, leader, deps);
  };
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  leader: string,
  deps: FollowerDeps,
): void {
  const target = new URL(req.url ?? '/', `${leader}/`);
  const headers = relayed(req.headers);
  headers[FORWARDED_HEADER] = deps.instance;
  const forwardedFor = req.socket.remoteAddress;
  if (forwardedFor !== undefined) {
    const before = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] =
      before === undefined ? forwardedFor : `${String(before)}, ${forwardedFor}`;
  }
  const upstream = request(
    target,
    { method: req.method, headers, timeout: deps.timeoutMs ?? 30_000 },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, relayed(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    },
  );
  upstream.on('timeout', () => {
    upstream.destroy(new Error('the leader did not answer in time'));
  });
  upstream.on('error', (err) => {
    deps.logger.warn('forwarding to the leader failed', { leader, error: describeError(err) });
    if (res.headersSent) res.destroy();
    else unavailable(res, `the leader (${leader}) cannot be reached: try again`);
  });
  // The client went away: so does the relayed request (an event stream closed, say).
  res.on('close', () => {
    if (!upstream.destroyed) upstream.destroy();
  });
  req.pipe(upstream);
}

function relayed(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function unavailable(res: ServerResponse, message: string): void {
  res.setHeader('Retry-After', '2');
  json(res, 503, { error: 'no_leader', message });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body));
}
