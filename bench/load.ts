/**
 * Load generators. Closed-loop throughput (a fixed number of connections, each sending its next
 * request when the last is answered, for a bounded time) comes from `wrk` when it is installed,
 * else autocannon when it can be loaded, else a small node:http client in this process. Fixed-rate
 * load (wrk2 is not packaged) always comes from the node:http loop below.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ID, IdSource, render, REPEAT_ID, type BodyTemplate } from './payloads';
import { percentile, Samples } from './stats';

export type ToolName = 'wrk' | 'autocannon' | 'node';

export interface Tool {
  readonly name: ToolName;
  /** What produced the figures, for the report (`wrk 4.1.0`, ...). */
  readonly description: string;
}

export interface LoadSpec {
  url: string;
  template: BodyTemplate;
  /** A new id per request (distinct alert instances), or the same body every time (repeats). */
  distinct: boolean;
  connections: number;
  durationS: number;
  headers: Readonly<Record<string, string>>;
  /** Unique per load run within one benchmark run (the ids' first two hex digits). */
  idPrefix: number;
  /** Scratch directory for the body and script files. */
  dir: string;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  /** Seconds the server stayed busy after the load stopped (work it deferred), when measured. */
  readonly busyAfterS?: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connection errors, timeouts and non-2xx answers. */
  readonly errors: number;
}

/** What a load run measured: its answers' latencies over `seconds`. */
function summarise(latencies: Samples, seconds: number, errors: number): LoadResult {
  const values = latencies.values();
  return {
    requests: values.length,
    seconds,
    rps: values.length / seconds,
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    errors,
  };
}

const load = createRequire(__filename);

/** Picks the load generator: `wrk` if installed, else autocannon if it loads, else node:http. */
export function chooseTool(wanted?: ToolName): { tool: Tool; notes: string[] } {
  const notes: string[] = [];
  const wrk = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5000 });
  const wrkVersion = /wrk\s+(\S+)/.exec(`${wrk.stdout}${wrk.stderr}`)?.[1];
  if (wrk.error === undefined && wrkVersion !== undefined) {
    if (wanted === undefined || wanted === 'wrk')
      return { tool: { name: 'wrk', description: `wrk ${wrkVersion}` }, notes };
  } else {
    notes.push('wrk: not installed');
  }
  let autocannonVersion: string | undefined;
  try {
    autocannonVersion = (load('autocannon/package.json') as { version: string }).version;
  } catch {
    notes.push('autocannon: not installed (not in package.json either)');
  }
  if (autocannonVersion !== undefined && (wanted === undefined || wanted === 'autocannon'))
    return { tool: { name: 'autocannon', description: `autocannon ${autocannonVersion}` }, notes };
  if (wanted !== undefined && wanted !== 'node')
    throw new Error(`--tool ${wanted}: ${notes.join('; ') || 'not available'}`);
  return {
    tool: { name: 'node', description: `node:http client (Node ${process.version})` },
    notes,
  };
}

/** Runs closed-loop load with the chosen tool. */
export function closedLoop(tool: Tool, spec: LoadSpec): Promise<LoadResult> {
  if (tool.name === 'wrk') return runWrk(spec);
  if (tool.name === 'autocannon') return runAutocannon(spec);
  return runNodeClosedLoop(spec);
}

// ---------------------------------------------------------------------------------------------
// wrk

/**
 * wrk's Lua: the body is read from a file; for distinct instances it is split at the
 * placeholder once per thread and joined with a fresh id per request (`table.concat` with the id
 * as separator), so a 1000-alert body costs one concatenation, not a search and replace. `done`
 * prints the figures as one JSON line.
 */
const WRK_SCRIPT = `
local body_file, distinct, prefix = "@BODY@", @DISTINCT@, @PREFIX@
local f = assert(io.open(body_file, "rb"))
local body = f:read("*a")
f:close()
local placeholder = "${ID}"
local parts = {}
local start = 1
while true do
  local i, j = string.find(body, placeholder, start, true)
  if i == nil then table.insert(parts, string.sub(body, start)) break end
  table.insert(parts, string.sub(body, start, i - 1))
  start = j + 1
end
wrk.method = "POST"
@HEADERS@
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
local counter = 0
if distinct then
  function request()
    local id = string.format("%02x%x%05x", prefix, tid, counter)
    counter = counter + 1
    return wrk.format(nil, nil, nil, table.concat(parts, id))
  end
else
  wrk.body = table.concat(parts, "${REPEAT_ID}")
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
`;

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const bodyFile = join(spec.dir, `body-${spec.idPrefix}.json`);
  writeFileSync(bodyFile, spec.template.text);
  const headers = Object.entries({ 'Content-Type': 'application/json', ...spec.headers })
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join('\n');
  const script = WRK_SCRIPT.replace('@BODY@', bodyFile)
    .replace('@DISTINCT@', String(spec.distinct))
    .replace('@PREFIX@', String(spec.idPrefix))
    .replace('@HEADERS@', headers);
  const scriptFile = join(spec.dir, `wrk-${spec.idPrefix}.lua`);
  writeFileSync(scriptFile, script);
  // One thread: the server under test gets the other core.
  const args = [
    '-t1',
    `-c${spec.connections}`,
    // wrk takes whole seconds only.
    `-d${Math.max(1, Math.round(spec.durationS))}s`,
    '--timeout',
    '10s',
    '-s',
    scriptFile,
    spec.url,
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', () => {
      resolve(out);
    });
  });
  const line = /WRK_JSON (\{.*\})/.exec(output)?.[1];
  if (line === undefined) throw new Error(`wrk printed no result:\n${output}`);
  const r = JSON.parse(line) as {
    requests: number;
    duration_us: number;
    errors: number;
    status_errors: number;
    p50_us: number;
    p99_us: number;
  };
  const seconds = r.duration_us / 1e6;
  return {
    requests: r.requests,
    seconds,
    rps: r.requests / seconds,
    p50Ms: r.p50_us / 1000,
    p99Ms: r.p99_us / 1000,
    errors: r.errors + r.status_errors,
  };
}

// ---------------------------------------------------------------------------------------------
// autocannon (optional: loaded only if it is installed)

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}

interface AutocannonResult {
  requests: { total: number };
  duration: number;
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body?: string;
  requests?: AutocannonRequest[];
  timeout?: number;
}) => Promise<AutocannonResult>;

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const autocannon = load('autocannon') as Autocannon;
  const ids = new IdSource(spec.idPrefix);
  const headers = { 'Content-Type': 'application/json', ...spec.headers };
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationS,
    method: 'POST',
    headers,
    timeout: 10,
    ...(spec.distinct
      ? {
          requests: [
            {
              method: 'POST',
              headers,
              setupRequest: (req) => ({ ...req, body: render(spec.template, ids.next()) }),
            },
          ],
        }
      : { body: render(spec.template, REPEAT_ID) }),
  });
  return {
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

// ---------------------------------------------------------------------------------------------
// node:http

interface Sent {
  status: number;
  /** performance.now() when the response ended. */
  end: number;
}

function post(
  agent: Agent,
  url: URL,
  body: string,
  headers: Readonly<Record<string, string>>,
): Promise<Sent> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...headers,
        },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.once('end', () => {
          resolve({ status: res.statusCode ?? 0, end: performance.now() });
        });
        res.once('error', () => {
          resolve({ status: 0, end: performance.now() });
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => {
      resolve({ status: 0, end: performance.now() });
    });
    req.end(body);
  });
}

/** Closed loop with node:http: `connections` loops, each waiting for its answer. */
async function runNodeClosedLoop(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const url = new URL(spec.url);
  const ids = new IdSource(spec.idPrefix);
  const repeat = render(spec.template, REPEAT_ID);
  const latencies = new Samples();
  let errors = 0;
  const started = performance.now();
  const end = started + spec.durationS * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const body = spec.distinct ? render(spec.template, ids.next()) : repeat;
      const sent = performance.now();
      const result = await post(agent, url, body, spec.headers);
      if (result.status < 200 || result.status > 299) errors++;
      latencies.push(result.end - sent);
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, loop));
  agent.destroy();
  return summarise(latencies, (performance.now() - started) / 1000, errors);
}

export interface FixedRateSpec {
  url: string;
  /** Renders the body of the request numbered `n` (0-based). */
  body: (n: number) => string;
  rate: number;
  /** Either a duration or a number of requests. */
  durationS?: number;
  count?: number;
  headers: Readonly<Record<string, string>>;
  /** Called with the epoch time (ms, fractional) at which each request was sent. */
  onSend?: (n: number, epochMs: number) => void;
  /** Most requests in flight at once; more would be queued (and counted late). */
  maxInFlight?: number;
}

export interface FixedRateResult extends LoadResult {
  /** Requests sent more than 10 ms after their scheduled time. */
  readonly late: number;
}

/**
 * Open loop at a fixed rate: request `n` is due at `start + n / rate`, whether or not earlier
 * ones were answered. Latency is measured from the time it was due (so a stalled server is not
 * hidden by the client waiting for it: no coordinated omission).
 */
export async function fixedRate(spec: FixedRateSpec): Promise<FixedRateResult> {
  const maxInFlight = spec.maxInFlight ?? 256;
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const url = new URL(spec.url);
  const total = spec.count ?? Math.round(spec.rate * (spec.durationS ?? 1));
  const interval = 1000 / spec.rate;
  const latencies = new Samples();
  const pending = new Set<Promise<void>>();
  let errors = 0;
  let late = 0;
  const start = performance.now() + 20;
  for (let n = 0; n < total; n++) {
    const due = start + n * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait - 0.5);
    while (performance.now() < due) {
      // spin the last half millisecond
    }
    while (pending.size >= maxInFlight) await Promise.race(pending);
    if (performance.now() - due > 10) late++;
    const body = spec.body(n);
    spec.onSend?.(n, performance.timeOrigin + performance.now());
    const p = post(agent, url, body, spec.headers).then((result) => {
      if (result.status < 200 || result.status > 299) errors++;
      latencies.push(result.end - due);
    });
    const tracked = p.then(() => {
      pending.delete(tracked);
    });
    pending.add(tracked);
  }
  await Promise.all(pending);
  agent.destroy();
  return { ...summarise(latencies, (performance.now() - start) / 1000, errors), late };
}

/** Sends `count` requests over `connections` connections as fast as they are answered. */
export async function sendCount(options: {
  url: string;
  body: (n: number) => string;
  count: number;
  connections: number;
  headers: Readonly<Record<string, string>>;
  /** `done` counts answered requests as they come. */
  progress?: { done: number };
  /** Stops sending when it says so (the server died). */
  stop?: () => boolean;
}): Promise<{ seconds: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL(options.url);
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const loop = async (): Promise<void> => {
    while (next < options.count && options.stop?.() !== true) {
      const n = next++;
      const result = await post(agent, url, options.body(n), options.headers);
      if (result.status < 200 || result.status > 299) errors++;
      if (options.progress) options.progress.done++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  agent.destroy();
  return { seconds: (performance.now() - started) / 1000, errors };
}
