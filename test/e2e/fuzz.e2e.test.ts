import fc from 'fast-check';
import { Agent } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseByteSize, SERVE_OPTIONS } from '../../src/config';
import { SERVER_TIMEOUTS } from '../../src/serve';
import { deploymentNodeOptions } from '../support/deployment-node-options';
import { exists, sleep, step, sumSeries } from './support';
import {
  CATEGORIES,
  fuzzRecipe,
  renderCase,
  renderStall,
  renderValidCase,
  stallRecipe,
  validRecipe,
  type Category,
  type FuzzRequest,
  type RenderContext,
  type StallRecipe,
  type UniqueNotification,
} from './support/fuzz-cases';
import {
  residentMemory,
  sendRequest,
  stallRequest,
  startFuzzTarget,
  type FuzzTarget,
  type StallOutcome,
  type WireResponse,
} from './support/fuzz-target';

/*
 * The fuzz run of issue 6: `remediator serve`, built, as a child process, gets mutated real
 * Alertmanager payloads, random bytes, huge label sets, deep JSON, wrong content types, slow
 * bodies and unauthenticated requests, with a fresh valid notification every few requests, while
 * connections that stall run beside. It must never crash, never answer 5xx (its journal works
 * throughout), answer every 4xx with a JSON error, keep its memory bounded, never echo a
 * credential, and journal every valid notification in between (checked after a restart).
 *
 * Seeded and time-bounded: FUZZ_SEED (default below) fixes the sequence of cases, FUZZ_SECONDS
 * (default 30) how long it runs. A failure prints the seed and the failing case; the same seed
 * replays the run, and FUZZ_PATH (from the failure) only the failing case. `npm run fuzz` runs
 * this file alone for longer.
 */

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${raw} is not a number > 0`);
  return value;
}

const SEED = Math.floor(numberFromEnv('FUZZ_SEED', 20_261_127));
const BUDGET_MS = numberFromEnv('FUZZ_SECONDS', 30) * 1000;
const REPLAY_PATH = process.env.FUZZ_PATH;
const MIB = 1024 * 1024;
/**
 * remediator's RSS must stay under 90 % of the Deployment's memory limit (512 MiB), where the
 * shipped HighMemoryUsage alert would fire. With the Deployment's heap cap (192 MiB) plus code,
 * the young generation and request buffers, a bounded remediator peaks near 310 MiB under this
 * load; one that keeps what it is sent crashes or passes the ceiling within a minute.
 */
const RSS_CEILING = numberFromEnv('FUZZ_MAX_RSS_MIB', 460) * MIB;
/** A fresh valid notification goes before every VALID_EVERY-th case. */
const VALID_EVERY = 4;
/** Liveness, readiness and memory are checked after every CHECK_EVERY cases. */
const CHECK_EVERY = 20;
const STALLS_PER_WAVE = 6;
/** A new wave of stalls starts this often, while the budget lasts. */
const STALL_WAVE_MS = 40_000;

/** The Node flags the shipped Deployment runs remediator with (its heap cap). */
const CONTAINER_HEAP = [
  ...deploymentNodeOptions(),
  ...(process.env.FUZZ_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
].join(' ');

const MAX_BODY_BYTES = defaultMaxBodyBytes();
/** How long the server may take to cut a stalled client: its timeout plus its check interval. */
const HEADERS_CUT_MS = SERVER_TIMEOUTS.headersMs + SERVER_TIMEOUTS.checkIntervalMs + 4_000;
const REQUEST_CUT_MS = SERVER_TIMEOUTS.requestMs + SERVER_TIMEOUTS.checkIntervalMs + 4_000;

/** The default of --max-body-bytes, so the run probes the limit an installation really has. */
function defaultMaxBodyBytes(): number {
  const spec = SERVE_OPTIONS.find((o) => o.name === 'maxBodyBytes');
  const bytes = spec?.default === undefined ? undefined : parseByteSize(spec.default);
  if (bytes === undefined) throw new Error('no default for --max-body-bytes');
  return bytes;
}

/** What was sent and answered, by category, for the closing note. */
class Tally {
  readonly byCategory = new Map<
    Category,
    { tried: number; statuses: Map<string, number>; maxMs: number; bytes: number }
  >();
  /** Over-limit bodies the server cut off with a reset before its 413 could be read. */
  resets = 0;

  record(req: FuzzRequest, res: WireResponse): void {
    const entry = this.byCategory.get(req.category) ?? {
      tried: 0,
      statuses: new Map<string, number>(),
      maxMs: 0,
      bytes: 0,
    };
    entry.tried++;
    const outcome = res.status === undefined ? (res.error ?? 'none') : String(res.status);
    entry.statuses.set(outcome, (entry.statuses.get(outcome) ?? 0) + 1);
    entry.maxMs = Math.max(entry.maxMs, res.ms);
    entry.bytes += req.body.length;
    this.byCategory.set(req.category, entry);
  }

  get requests(): number {
    return [...this.byCategory.values()].reduce((sum, e) => sum + e.tried, 0);
  }

  lines(): string[] {
    return CATEGORIES.map((category) => {
      const e = this.byCategory.get(category);
      if (e === undefined) return `  ${category.padEnd(16)} 0`;
      const statuses = [...e.statuses.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([status, n]) => `${status}×${n}`)
        .join(' ');
      return `  ${category.padEnd(16)} ${String(e.tried).padStart(6)}  ${statuses.padEnd(40)} max ${Math.round(e.maxMs)} ms, ${(e.bytes / MIB).toFixed(1)} MiB sent`;
    });
  }
}

/** Samples the child's resident memory in the background, keeping the highest seen. */
class MemoryWatch {
  peakSampled = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => {
      try {
        this.sample();
      } catch {
        // The process is gone: the liveness check says so with its output.
      }
    }, 200);
    this.timer.unref();
  }

  sample(): { rss: number; peak: number } {
    const now = residentMemory(this.pid);
    this.samples++;
    this.peakSampled = Math.max(this.peakSampled, now.rss);
    return now;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A case that broke the contract: what was sent and answered, shortened for the report. */
class ContractBroken extends Error {
  constructor(problem: string, req: FuzzRequest, res?: WireResponse) {
    super(`${problem}\n${describeExchange(req, res)}`);
  }
}

function preview(bytes: Buffer, max = 300): string {
  const text = JSON.stringify(bytes.subarray(0, max).toString('latin1'));
  return bytes.length > max ? `${text}… (${bytes.length} bytes)` : text;
}

function describeExchange(req: FuzzRequest, res?: WireResponse): string {
  const sent = `sent: ${req.category} / ${req.variant}: ${req.method} ${req.path} ${JSON.stringify(req.headers)} ${req.framing}, body ${preview(req.body)}`;
  if (res === undefined) return sent;
  const answer =
    res.status === undefined
      ? `no answer (${res.error ?? '?'}) after ${Math.round(res.ms)} ms`
      : `${res.status} after ${Math.round(res.ms)} ms ${JSON.stringify(res.headers)} ${preview(res.body)}`;
  return `${sent}\nanswered: ${answer}`;
}

/** Whether any 8 characters of `secret` in a row appear in `text` (both lower-cased). */
function echoes(text: string, secret: string): boolean {
  const haystack = text.toLowerCase();
  const needle = secret.toLowerCase();
  for (let i = 0; i + 8 <= needle.length; i++) {
    if (haystack.includes(needle.slice(i, i + 8))) return true;
  }
  return false;
}

/** The contract for one exchange: a message for what it broke, or undefined. */
function judge(
  req: FuzzRequest,
  res: WireResponse,
  token: string,
  tally: Tally,
): string | undefined {
  if (res.error === 'aborted' && req.abortAfterMs !== undefined) return undefined;
  if (res.error === 'timeout') return `no answer within ${req.timeoutMs} ms`;
  if (res.status === undefined) {
    // The server may answer 413 and close while an over-limit body is still being written: the
    // client then sees the reset before it reads the answer (TCP, not remediator).
    if (req.expected.includes(413) && (res.error === 'ECONNRESET' || res.error === 'EPIPE')) {
      tally.resets++;
      return undefined;
    }
    return `no answer: ${res.error ?? 'the connection closed'}`;
  }
  if (res.status >= 500) return `answered ${res.status}`;
  if (!req.expected.includes(res.status))
    return `answered ${res.status}, the contract says ${req.expected.join(' or ')}`;
  const text = res.body.toString('utf8');
  const everything = `${text}\n${JSON.stringify(res.headers)}`;
  if (everything.toLowerCase().includes(token.toLowerCase()))
    return 'the answer contains the token';
  if (req.credential !== undefined && echoes(everything, req.credential))
    return 'the answer echoes the credential sent';
  if (res.status >= 400) {
    if (res.headers['content-type'] !== 'application/json; charset=utf-8')
      return `a ${res.status} with content type ${String(res.headers['content-type'])}`;
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return `a ${res.status} whose body is not JSON`;
    }
    if (typeof body?.error !== 'string' || typeof body?.message !== 'string' || body.message === '')
      return `a ${res.status} without an error and a message`;
    if (res.status === 401 && res.headers['www-authenticate'] === undefined)
      return 'a 401 without WWW-Authenticate';
  } else if (req.path === '/webhook') {
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      return `a ${res.status} whose body is not JSON`;
    }
    if (body?.status !== 'accepted' || !Number.isSafeInteger(body?.notification))
      return 'a 2xx that does not name its place in the notification log';
  }
  return undefined;
}

/** The contract for a stalled connection: cut within the server's timeouts, or answered 4xx. */
function judgeStall(recipe: StallRecipe, outcome: StallOutcome): string | undefined {
  const status = /^HTTP\/1\.1 (\d{3})/.exec(outcome.answer)?.[1];
  if (outcome.answer !== '' && status === undefined)
    return `answered something that is not HTTP: ${JSON.stringify(outcome.answer)}`;
  if (status !== undefined && !status.startsWith('4')) return `answered ${status}`;
  if (status !== undefined && status !== '408') {
    // remediator's own answers are JSON; Node's 408 for a slow client has no body.
    const body = outcome.answer.split('\r\n\r\n')[1] ?? '';
    if (!body.startsWith('{"error":')) return `a ${status} that is not a JSON error`;
    return undefined;
  }
  if (!outcome.closed) return `still open after ${Math.round(outcome.ms)} ms`;
  const bound =
    recipe.kind === 'idle' || recipe.kind.endsWith('headers') ? HEADERS_CUT_MS : REQUEST_CUT_MS;
  if (outcome.ms > bound) return `cut only after ${Math.round(outcome.ms)} ms (bound ${bound} ms)`;
  return undefined;
}

let target: FuzzTarget | undefined;
const summary: string[] = [];

beforeAll(async () => {
  target = await startFuzzTarget('fuzz', { nodeOptions: CONTAINER_HEAP });
}, 60_000);

afterAll(async () => {
  const t = target;
  target = undefined;
  // The counts go out even when the run failed: they are half of the failure report.
  if (summary.length > 0) process.stderr.write(`\n${summary.join('\n')}\n\n`);
  if (t === undefined) return;
  await t.stop();
  expect(t.remediator.pids.filter((pid) => exists(pid) || exists(-pid))).toEqual([]);
}, 60_000);

it(
  'never crashes, never answers 5xx, keeps memory bounded and journals every valid alert sent in between',
  async () => {
    const t = target;
    if (t === undefined) throw new Error('the fuzz target did not start (see beforeAll)');
    const r = t.remediator;
    const pid = r.process?.pid;
    if (pid === undefined) throw new Error('remediator is not running');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // The test process hosts the fake cluster and times every answer: its own stalls are reported
    // beside remediator's, so that a late answer can be told apart from a late clock.
    const ownLag = monitorEventLoopDelay({ resolution: 20 });
    ownLag.enable();
    const memory = new MemoryWatch(pid);
    const tally = new Tally();
    const accepted: (UniqueNotification & { notification: number; category: Category })[] = [];
    const rejected: UniqueNotification[] = [];
    /** Notifications of mutated payloads the webhook accepted: their place in the log. */
    const otherNotifications = new Set<number>();
    const credentials = new Set<string>();
    const started = Date.now();
    const deadline = started + BUDGET_MS;
    let serial = 0;
    let cases = 0;
    let healthChecks = 0;
    let lastProgress = started;
    summary.push(
      `fuzz: seed ${SEED}${REPLAY_PATH === undefined ? '' : ` path ${REPLAY_PATH}`}, budget ${BUDGET_MS / 1000} s, --max-body-bytes ${MAX_BODY_BYTES} (default), child NODE_OPTIONS ${CONTAINER_HEAP}, RSS ceiling ${RSS_CEILING / MIB} MiB`,
    );

    const context = (): RenderContext => ({
      serial: ++serial,
      runId: String(SEED),
      token: t.token,
      maxBodyBytes: MAX_BODY_BYTES,
    });

    const exchange = async (req: FuzzRequest): Promise<void> => {
      const res = await sendRequest(r.port, agent, req);
      tally.record(req, res);
      const problem = judge(req, res, t.token, tally);
      if (problem !== undefined) {
        // A server that died resets its connections: say that, not just "no answer".
        await sleep(500);
        const died = r.running ? '' : 'remediator exited (its last lines are below): ';
        throw new ContractBroken(`${died}${problem}`, req, res);
      }
      if (req.credential !== undefined) credentials.add(req.credential);
      const ok = res.status !== undefined && res.status < 300 && req.path === '/webhook';
      const notification = ok
        ? (JSON.parse(res.body.toString('utf8')) as { notification: number }).notification
        : undefined;
      if (req.unique === undefined) {
        if (notification !== undefined) otherNotifications.add(notification);
      } else if (notification === undefined) rejected.push(req.unique);
      else accepted.push({ ...req.unique, notification, category: req.category });
    };

    const checkHealth = async (when: string): Promise<void> => {
      if (!r.running) throw new Error(`remediator exited ${when}:\n${r.tail(40)}`);
      for (const path of ['/healthz', '/readyz']) {
        const res = await fetch(`${r.url}${path}`, { signal: AbortSignal.timeout(5000) });
        if (res.status !== 200)
          throw new Error(`${path} answered ${res.status} ${when}: ${await res.text()}`);
      }
      const { rss } = memory.sample();
      if (Math.max(rss, memory.peakSampled) > RSS_CEILING) {
        throw new Error(
          `remediator's RSS reached ${(memory.peakSampled / MIB).toFixed(0)} MiB ${when} (ceiling ${RSS_CEILING / MIB} MiB)`,
        );
      }
      healthChecks++;
    };

    // Stalls run beside the loop: each holds a connection until the server's timeouts cut it.
    // Waves that have not started when the loop ends (early, on a failure) do not start.
    let loopOver = false;
    let endLoop = (): void => undefined;
    const loopEnded = new Promise<void>((resolve) => (endLoop = resolve));
    const waves = Math.max(1, Math.ceil((BUDGET_MS - REQUEST_CUT_MS) / STALL_WAVE_MS));
    const stallRecipes = fc.sample(stallRecipe, { seed: SEED, numRuns: waves * STALLS_PER_WAVE });
    const stalls = Promise.all(
      stallRecipes.map(async (recipe, i) => {
        const wave = Math.floor(i / STALLS_PER_WAVE);
        if (wave > 0) await Promise.race([sleep(wave * STALL_WAVE_MS), loopEnded]);
        if (wave > 0 && loopOver) return undefined;
        const raw = renderStall(recipe, t.token);
        const outcome = await stallRequest(r.port, raw.prefix, {
          ...(raw.drip === undefined ? {} : { drip: raw.drip, dripMs: raw.dripMs }),
          maxWaitMs: REQUEST_CUT_MS + 10_000,
        });
        return { recipe, outcome, problem: judgeStall(recipe, outcome) };
      }),
    );

    // fast-check runs the property until the budget is spent. It stops waiting for the case in
    // flight then, so that case is awaited here and its failure kept; none starts after the
    // deadline.
    let inFlight: Promise<void> = Promise.resolve();
    let firstFailure: unknown;
    const property = fc.asyncProperty(fuzzRecipe, validRecipe, (fuzz, valid) => {
      const run = (async () => {
        if (Date.now() >= deadline || firstFailure !== undefined) return;
        cases++;
        if (cases % VALID_EVERY === 0) await exchange(renderValidCase(valid, context()));
        await exchange(renderCase(fuzz, context()));
        if (cases % CHECK_EVERY === 0) await checkHealth(`after ${cases} cases`);
        if (Date.now() - lastProgress > 10_000) {
          lastProgress = Date.now();
          step(
            `fuzz: ${cases} cases, ${tally.requests} requests, RSS peak ${(memory.peakSampled / MIB).toFixed(0)} MiB`,
          );
        }
      })();
      inFlight = run.catch((error: unknown) => {
        firstFailure ??= error;
      });
      return run;
    });
    const details = await fc.check(property, {
      seed: SEED,
      ...(REPLAY_PATH === undefined ? {} : { path: REPLAY_PATH }),
      numRuns: REPLAY_PATH === undefined ? Number.MAX_SAFE_INTEGER : 1,
      // Against a live server shrinking would replay cases on a changed state: report as found.
      endOnFailure: true,
      plugins: [fc.interruptAfterTimeLimit(BUDGET_MS + 1000)],
    });
    await inFlight;
    loopOver = true;
    endLoop();
    const stallResults = (await stalls).filter((s) => s !== undefined);
    memory.stop();
    agent.destroy();
    let hwm: number | undefined;
    try {
      hwm = residentMemory(pid).peak;
    } catch {
      // Gone: the failure below says how, with remediator's last lines.
    }
    ownLag.disable();
    // What of the RSS is live JavaScript heap, and what buffers outside it, as the run ends; and
    // the longest remediator's event loop was blocked (since start: nothing scraped it before).
    const metrics = r.running
      ? await r.metricsText().catch((error: unknown) => `(no /metrics: ${String(error)})`)
      : '(not running)';
    const heap = [
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_external_memory_bytes',
    ].map((name) => `${name.slice(7, -6)} ${(sumSeries(metrics, name) / MIB).toFixed(0)} MiB`);
    const lag = `event loop blocked at most ${sumSeries(metrics, 'nodejs_eventloop_lag_max_seconds').toFixed(2)} s in remediator, ${(ownLag.max / 1e9).toFixed(2)} s in the test process`;
    summary.push(
      `fuzz: ${cases} cases and ${tally.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s (a fresh valid notification before every ${VALID_EVERY}th case), ${healthChecks} health checks`,
      `  category          tried  statuses`,
      ...tally.lines(),
      `  over-limit bodies cut by a reset before the 413 was read: ${tally.resets}`,
      `fuzz: ${stallResults.length} stalled connections: ${stallResults
        .map(
          ({ recipe, outcome }) =>
            `${recipe.kind} → ${/^HTTP\/1\.1 (\d{3})/.exec(outcome.answer)?.[1] ?? 'no answer'}${outcome.closed ? `, closed after ${(outcome.ms / 1000).toFixed(1)} s` : ', left open'}`,
        )
        .join('; ')}`,
      `fuzz: remediator RSS peak ${(memory.peakSampled / MIB).toFixed(0)} MiB sampled (${memory.samples} samples), VmHWM ${hwm === undefined ? '?' : (hwm / MIB).toFixed(0)} MiB, ceiling ${RSS_CEILING / MIB} MiB; at the end ${metrics.startsWith('(') ? metrics : heap.join(', ')}`,
      `fuzz: ${lag}`,
    );

    if (details.failed || firstFailure !== undefined) {
      const counterexample = details.failed
        ? fc.stringify(details.counterexample)
        : '(the case in flight at the deadline)';
      const error = details.failed ? details.errorInstance : firstFailure;
      const message = [
        `fuzz case ${details.numRuns} failed (seed ${details.seed}, path ${details.counterexamplePath ?? '?'})`,
        `replay: FUZZ_SEED=${details.seed} FUZZ_SECONDS=${BUDGET_MS / 1000} npm run fuzz, or only this case: FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? '?'} npm run fuzz`,
        `recipe: ${counterexample.length > 2000 ? `${counterexample.slice(0, 2000)}…` : counterexample}`,
        (error instanceof Error ? error.message : String(error)).slice(0, 4000),
        `remediator's last lines:\n${r.tail(40)}`,
      ].join('\n');
      summary.push(message);
      throw new Error(message);
    }
    const stallProblems = stallResults.filter((s) => s.problem !== undefined);
    expect(stallProblems.map((s) => `${JSON.stringify(s.recipe)}: ${s.problem ?? ''}`)).toEqual([]);

    await checkHealth('after the run');
    // The kernel's high-water mark catches a peak between two samples.
    expect(Math.max(memory.peakSampled, hwm ?? 0)).toBeLessThan(RSS_CEILING);

    // Journaled means on disk: the check reads the incidents back after a graceful restart.
    const lines = [...(r.process?.lines ?? [])];
    const exit = await r.stop();
    expect(exit).toMatchObject({ code: 0, forced: false });
    await r.start();
    // What the log accepted is applied (some of it, maybe, by this start): wait for the backlog.
    const appliedBy = Date.now() + 60_000;
    for (;;) {
      const ready = await r.getJson('/readyz');
      if ((ready.checks as { log: { detail: string } }).log.detail.startsWith('0 ')) break;
      if (Date.now() > appliedBy)
        throw new Error(`the log was not applied: ${JSON.stringify(ready)}`);
      await sleep(200);
    }
    // A group has one incident per firing episode, so ids are collected apart from group keys.
    const listed = new Map<string, number>();
    const ids = new Set<number>();
    let before: number | undefined;
    for (let page = 0; page < 10_000; page++) {
      const body = await r.getJson(
        `/api/v1/incidents?limit=500${before === undefined ? '' : `&before=${before}`}`,
      );
      for (const incident of body.incidents as { id: number; groupKey: string }[]) {
        listed.set(incident.groupKey, incident.id);
        ids.add(incident.id);
        before = incident.id;
      }
      if (body.next === undefined) break;
    }
    const missing = accepted.filter((a) => !listed.has(a.groupKey));
    expect(missing.map((m) => m.fuzzId)).toEqual([]);
    const journaledAnyway = rejected.filter((n) => listed.has(n.groupKey));
    expect(journaledAnyway.map((n) => n.fuzzId)).toEqual([]);
    // Each accepted notification's alerts, as journaled, carry its fuzz_id.
    const wrong: string[] = [];
    for (let i = 0; i < accepted.length; i += 8) {
      await Promise.all(
        accepted.slice(i, i + 8).map(async (a) => {
          const id = listed.get(a.groupKey) ?? 0;
          const view = await r.incident(id);
          if (
            view.alerts.length === 0 ||
            view.alerts.some((alert) => alert.labels.fuzz_id !== a.fuzzId)
          )
            wrong.push(`${a.fuzzId} → incident ${id}`);
        }),
      );
    }
    expect(wrong).toEqual([]);

    // No credential, right or wrong, in any log line.
    const log = lines.join('\n').toLowerCase();
    expect(log.includes(t.token.toLowerCase())).toBe(false);
    const logged = [...credentials].filter(
      (c) => c.length >= 12 && log.includes(c.slice(0, 12).toLowerCase()),
    );
    expect(logged).toEqual([]);
    const errors = new Map<string, number>();
    for (const line of r.logs) {
      if (line.run === 1 && line.level === 'error') {
        const message = String(line.message);
        errors.set(message, (errors.get(message) ?? 0) + 1);
      }
    }
    summary.push(
      `fuzz: journal after a restart: all ${accepted.length} fresh notifications answered 200 found with their fuzz_id (${accepted.filter((a) => a.category === 'valid').length} interleaved valid ones, the rest huge, deep, trickled, +json or with the token in another form); all ${rejected.length} refused ones absent; the ${otherNotifications.size} mutated payloads accepted applied with the rest; ${ids.size} incidents in all`,
      `fuzz: remediator error log lines: ${errors.size === 0 ? 'none' : [...errors.entries()].map(([m, n]) => `${m} ×${n}`).join('; ')}`,
      `fuzz: replay with FUZZ_SEED=${SEED} FUZZ_SECONDS=${BUDGET_MS / 1000}`,
    );
  },
  BUDGET_MS + 180_000,
);
