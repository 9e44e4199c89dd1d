import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A simulated heart-disease prediction API, as Prometheus sees it: a `/metrics` page in the text
 * exposition format with what alert-rules/service.rules.yml reads. No real requests are served:
 * a loop bounded in time generates "traffic" at a fixed rate with the behaviour the test sets
 * (latency, error ratio, accuracy...), so that every rate() has data.
 *
 * Traffic is deterministic: fractions (errors, positive predictions) are accumulated exactly, so
 * an error ratio of 0.2 gives exactly 20 % 500s, and all requests of an interval take the latency
 * set for it.
 */

/** What the simulated service does; every field can be changed while it runs. */
export interface SimBehaviour {
  /** Every request takes this long (seconds). */
  latencySeconds: number;
  /** Share of requests answered 500. */
  errorRatio: number;
  /** Share of requests answered 401 (refused credentials). */
  authFailureRatio: number;
  /** Requests a second. */
  requestsPerSecond: number;
  /** Bytes per response. */
  responseBytes: number;
  /** `model_accuracy`, 0–1. */
  accuracy: number;
  /** Share of predictions that are "positive". */
  positiveRatio: number;
  /** When true, `/metrics` answers 503: Prometheus records `up` 0 for the target. */
  down: boolean;
}

export const DEFAULT_BEHAVIOUR: SimBehaviour = {
  latencySeconds: 0.12,
  errorRatio: 0,
  authFailureRatio: 0,
  requestsPerSecond: 10,
  responseBytes: 800,
  accuracy: 0.93,
  positiveRatio: 0.3,
  down: false,
};

/** Bucket bounds of `http_request_duration_seconds` (the Prometheus client defaults; 1 s included). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface SimOptions {
  /** Labels on every series; default the heart-disease-api in `prod`. */
  labels?: Record<string, string>;
  behaviour?: Partial<SimBehaviour>;
  /** How often the traffic loop runs (ms); default 100. */
  tickMs?: number;
  /** The traffic loop stops after this long (ms), whatever happens; default 10 minutes. */
  maxRunMs?: number;
}

export interface SimService {
  readonly url: string;
  readonly port: number;
  /** The labels every series carries. */
  readonly labels: Readonly<Record<string, string>>;
  /** The behaviour in force (a copy). */
  behaviour(): SimBehaviour;
  set(change: Partial<SimBehaviour>): void;
  setLatency(seconds: number): void;
  setErrorRatio(ratio: number): void;
  setAuthFailureRatio(ratio: number): void;
  setRequestRate(perSecond: number): void;
  setResponseBytes(bytes: number): void;
  setAccuracy(accuracy: number): void;
  setPositiveRatio(ratio: number): void;
  setDown(down: boolean): void;
  /** Scrapes answered with 200 so far. */
  readonly scrapes: number;
  /** The exposition text as the next scrape would get it. */
  exposition(): string;
  close(): Promise<void>;
}

interface Counters {
  requests: Map<string, number>; // by code
  buckets: number[]; // cumulative counts per LATENCY_BUCKETS bound, then +Inf
  durationSum: number;
  sizeSum: number;
  sizeCount: number;
  predictions: Map<string, number>; // by outcome
}

const CODES = ['200', '401', '500'] as const;

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(
      ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
    )
    .join(',');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  return String(n);
}

export async function startSimService(options: SimOptions = {}): Promise<SimService> {
  const labels = options.labels ?? {
    namespace: 'prod',
    deployment: 'heart-disease-api',
    service: 'heart-disease-api',
  };
  const behaviour: SimBehaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const tickMs = options.tickMs ?? 100;
  const maxRunMs = options.maxRunMs ?? 600_000;
  const counters: Counters = {
    requests: new Map(CODES.map((c) => [c, 0])),
    buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0),
    durationSum: 0,
    sizeSum: 0,
    sizeCount: 0,
    predictions: new Map([
      ['positive', 0],
      ['negative', 0],
    ]),
  };
  // Exact fractional accumulators: the integer parts are what the counters show.
  const owed = { requests: 0, errors: 0, auth: 0, positives: 0 };
  let lastAdvance = Date.now();
  const startedAt = lastAdvance;
  let scrapes = 0;

  /** Generates the traffic between the last advance and now, with the behaviour in force. */
  const advance = (): void => {
    const now = Math.min(Date.now(), startedAt + maxRunMs);
    const seconds = Math.max(0, now - lastAdvance) / 1000;
    lastAdvance = Math.max(lastAdvance, now);
    owed.requests += seconds * behaviour.requestsPerSecond;
    const n = Math.floor(owed.requests);
    if (n <= 0) return;
    owed.requests -= n;
    owed.errors += n * behaviour.errorRatio;
    const errors = Math.min(n, Math.floor(owed.errors));
    owed.errors -= errors;
    owed.auth += n * behaviour.authFailureRatio;
    const auth = Math.min(n - errors, Math.floor(owed.auth));
    owed.auth -= auth;
    const ok = n - errors - auth;
    const add = (map: Map<string, number>, key: string, by: number) =>
      map.set(key, (map.get(key) ?? 0) + by);
    add(counters.requests, '500', errors);
    add(counters.requests, '401', auth);
    add(counters.requests, '200', ok);
    LATENCY_BUCKETS.forEach((bound, i) => {
      if (behaviour.latencySeconds <= bound) counters.buckets[i] = (counters.buckets[i] ?? 0) + n;
    });
    counters.buckets[LATENCY_BUCKETS.length] = (counters.buckets[LATENCY_BUCKETS.length] ?? 0) + n;
    counters.durationSum += n * behaviour.latencySeconds;
    counters.sizeSum += n * behaviour.responseBytes;
    counters.sizeCount += n;
    // Every successful request is one prediction.
    owed.positives += ok * behaviour.positiveRatio;
    const positives = Math.min(ok, Math.floor(owed.positives));
    owed.positives -= positives;
    add(counters.predictions, 'positive', positives);
    add(counters.predictions, 'negative', ok - positives);
  };

  const exposition = (): string => {
    advance();
    const base = labelText(labels);
    const out: string[] = [];
    out.push('# HELP http_requests_total Requests answered, by status code.');
    out.push('# TYPE http_requests_total counter');
    for (const [code, value] of counters.requests) {
      out.push(`http_requests_total{${base},code="${code}"} ${formatNumber(value)}`);
    }
    out.push('# HELP http_request_duration_seconds Time to answer a request.');
    out.push('# TYPE http_request_duration_seconds histogram');
    LATENCY_BUCKETS.forEach((bound, i) => {
      out.push(
        `http_request_duration_seconds_bucket{${base},le="${bound}"} ${formatNumber(counters.buckets[i] ?? 0)}`,
      );
    });
    const total = counters.buckets[LATENCY_BUCKETS.length] ?? 0;
    out.push(`http_request_duration_seconds_bucket{${base},le="+Inf"} ${formatNumber(total)}`);
    out.push(`http_request_duration_seconds_sum{${base}} ${formatNumber(counters.durationSum)}`);
    out.push(`http_request_duration_seconds_count{${base}} ${formatNumber(total)}`);
    out.push('# HELP http_response_size_bytes Size of the responses.');
    out.push('# TYPE http_response_size_bytes summary');
    out.push(`http_response_size_bytes_sum{${base}} ${formatNumber(counters.sizeSum)}`);
    out.push(`http_response_size_bytes_count{${base}} ${formatNumber(counters.sizeCount)}`);
    out.push('# HELP model_accuracy Accuracy of the model served, 0-1.');
    out.push('# TYPE model_accuracy gauge');
    out.push(`model_accuracy{${base}} ${formatNumber(behaviour.accuracy)}`);
    out.push('# HELP model_predictions_total Predictions made, by outcome.');
    out.push('# TYPE model_predictions_total counter');
    for (const [outcome, value] of counters.predictions) {
      out.push(`model_predictions_total{${base},outcome="${outcome}"} ${formatNumber(value)}`);
    }
    return `${out.join('\n')}\n`;
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    if (behaviour.down) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down\n');
      return;
    }
    const body = exposition();
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  // The traffic loop: bounded by maxRunMs, and by close().
  const loop = setInterval(() => {
    advance();
    if (Date.now() - startedAt >= maxRunMs) clearInterval(loop);
  }, tickMs);
  loop.unref();

  const set = (change: Partial<SimBehaviour>): void => {
    // Traffic so far happened with the old behaviour.
    advance();
    Object.assign(behaviour, change);
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    labels,
    behaviour: () => ({ ...behaviour }),
    set,
    setLatency: (latencySeconds) => set({ latencySeconds }),
    setErrorRatio: (errorRatio) => set({ errorRatio }),
    setAuthFailureRatio: (authFailureRatio) => set({ authFailureRatio }),
    setRequestRate: (requestsPerSecond) => set({ requestsPerSecond }),
    setResponseBytes: (responseBytes) => set({ responseBytes }),
    setAccuracy: (accuracy) => set({ accuracy }),
    setPositiveRatio: (positiveRatio) => set({ positiveRatio }),
    setDown: (down) => set({ down }),
    get scrapes() {
      return scrapes;
    },
    exposition,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(loop);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
