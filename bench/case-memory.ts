/**
 * Memory: distinct alert instances ingested as fast as remediator takes them (10-alert bodies,
 * each its own Alertmanager group, resolved a while later), with a one-minute retention, RSS and
 * journal size sampled over time. And the soak: a
 * steady mixed load for a long time, sampling RSS, event-loop delay and journal size from
 * remediator's own /metrics.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDataDir, TOKEN } from './cases-http';
import type { CaseRow, CaseSpec, Context } from './context';
import { countJournaledAlerts } from './journal';
import { fixedRate, sendCount } from './load';
import { bodyTemplate, render } from './payloads';
import {
  journalBytes,
  origin,
  rssBytes,
  scrapeMetrics,
  startRemediator,
  type Server,
} from './processes';
import { formatBytes, formatNumber } from './stats';
import { parseDuration } from '../src/labels/durations';
import { retentionCheckInterval } from '../src/journal/retention';

const AUTH = { Authorization: `Bearer ${TOKEN}` };
const MB = 1000 * 1000;

export interface Sample {
  readonly seconds: number;
  readonly alerts: number;
  readonly rssBytes: number;
  /** V8 heap in use (nodejs_heap_size_used_bytes), when sampled. */
  readonly heapUsedBytes?: number;
  readonly journalBytes: number;
  readonly eventLoopLagP99Ms?: number;
}

/** At most `n` samples, evenly spread, always keeping the last. */
export function thin<T>(samples: readonly T[], n: number): T[] {
  if (samples.length <= n) return [...samples];
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const sample = samples[Math.round((i * (samples.length - 1)) / (n - 1))];
    if (sample !== undefined) out.push(sample);
  }
  return out;
}

export function samplesTable(samples: readonly Sample[]): string {
  const lag = samples.some((s) => s.eventLoopLagP99Ms !== undefined);
  const columns = [
    'time',
    lag ? 'alerts sent' : 'alerts answered',
    'RSS',
    'V8 heap used',
    ...(lag ? ['event-loop delay p99'] : []),
    'journal',
  ];
  const rows = samples.map((s) =>
    [
      `${s.seconds.toFixed(1)} s`,
      s.alerts.toLocaleString('en-US'),
      formatBytes(s.rssBytes),
      formatBytes(s.heapUsedBytes ?? NaN),
      ...(lag ? [`${formatNumber(s.eventLoopLagP99Ms ?? NaN)} ms`] : []),
      formatBytes(s.journalBytes),
    ].join(' | '),
  );
  return [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

/** A group resolves this many groups after it fired: the open incidents at any time. */
const RESOLVE_LAG = 500;
/** The memory case's retention unless --serve-arg gives one: the shortest remediator takes. */
const RETENTION_S = 60;

export const memory: CaseSpec = {
  name: 'memory',
  title: 'memory: distinct alert instances ingested',
  run: async (ctx: Context): Promise<CaseRow[]> => {
    const { options } = ctx;
    const perBody = 10;
    const bodies = Math.ceil(options.memoryAlerts / perBody);
    const alerts = bodies * perBody;
    // Requests: every group fires, then resolves RESOLVE_LAG groups later; the last ones stay open.
    const requests = bodies + Math.max(0, bodies - RESOLVE_LAG);
    const dir = startDataDir(ctx, 'memory');
    const dataDir = join(dir, 'remediator');
    // The shortest retention remediator takes, unless --serve-arg gives one: the run must last
    // longer than it for the journal to show its bound.
    const given = options.serveArgs.find((a) => a.startsWith('--retention='));
    const retentionArg = given ?? `--retention=${RETENTION_S}s`;
    const retentionMs = parseDuration(retentionArg.slice('--retention='.length)) ?? NaN;
    let server: Server | undefined;
    try {
      server = await startRemediator({
        dataDir,
        token: TOKEN,
        args: given === undefined ? [...options.serveArgs, retentionArg] : options.serveArgs,
        ...(options.policies === undefined ? {} : { policies: options.policies }),
      });
      const startsAt = new Date(Date.now() - 60_000).toISOString();
      const firing = bodyTemplate({ alerts: perBody, startsAt });
      const resolved = bodyTemplate({ alerts: perBody, startsAt, status: 'resolved' });
      const prefix = ctx.nextPrefix().toString(16).padStart(2, '0');
      const idOf = (group: number) => `${prefix}${group.toString(16).padStart(6, '0')}`;
      let next = 0;
      const body = (): string => {
        const k = next++;
        if (k < RESOLVE_LAG) return render(firing, idOf(k));
        const group = RESOLVE_LAG + Math.floor((k - RESOLVE_LAG) / 2);
        if ((k - RESOLVE_LAG) % 2 === 0 && group < bodies) return render(firing, idOf(group));
        return render(resolved, idOf(group - RESOLVE_LAG));
      };
      const progress = { done: 0 };
      const samples: Sample[] = [];
      const started = performance.now();
      const { pid, child } = server;
      const base = origin(server.url);
      // Alert instances sent firing so far (the first RESOLVE_LAG requests, then every other).
      const firedBy = (done: number) =>
        Math.min(
          bodies,
          done <= RESOLVE_LAG ? done : RESOLVE_LAG + Math.ceil((done - RESOLVE_LAG) / 2),
        ) * perBody;
      const sample = async (): Promise<void> => {
        const seconds = (performance.now() - started) / 1000;
        const alertsSoFar = firedBy(progress.done);
        const rss = rssBytes(pid);
        // The server may be gone (out of memory): the sample says so with NaN instead of failing.
        const heap = await scrapeMetrics(base).then(
          (m) => m.get('nodejs_heap_size_used_bytes'),
          () => undefined,
        );
        samples.push({
          seconds,
          alerts: alertsSoFar,
          rssBytes: rss,
          ...(heap === undefined ? {} : { heapUsedBytes: heap }),
          journalBytes: journalBytes(dataDir),
        });
      };
      await sample();
      const every = options.quick ? 500 : 1000;
      const timer = setInterval(() => {
        void sample();
      }, every);
      let lastReport = 0;
      const reporter = setInterval(() => {
        if (progress.done - lastReport >= requests / 10) {
          lastReport = progress.done;
          const last = samples[samples.length - 1];
          ctx.progress(
            `memory: ${firedBy(progress.done).toLocaleString('en-US')} alerts, RSS ${formatBytes(last?.rssBytes ?? NaN)}, journal ${formatBytes(last?.journalBytes ?? NaN)}`,
          );
        }
      }, 1000);
      let sent: { seconds: number; errors: number };
      try {
        sent = await sendCount({
          url: server.url,
          count: requests,
          connections: options.connections,
          headers: AUTH,
          body,
          progress,
          stop: () => child.exitCode !== null || child.signalCode !== null,
        });
      } finally {
        clearInterval(reporter);
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `remediator exited (${String(child.exitCode ?? child.signalCode)}) after ${firedBy(progress.done).toLocaleString('en-US')} alerts; last RSS ${formatBytes(samples[samples.length - 1]?.rssBytes ?? NaN)}; see its log`,
        );
      }
      // What it settles at once the load stops (deferred work ends, garbage is collected).
      await sleep(options.quick ? 1000 : 5000);
      clearInterval(timer);
      await sample();
      const journaled = countJournaledAlerts(dataDir);
      const peakRss = Math.max(...samples.map((s) => s.rssBytes));
      const last = samples[samples.length - 1];
      // Pruning has run once the run is a retention and a check interval old; from then on the
      // journal holds what resolved within the retention, so it must stop growing.
      const prunedFrom = (retentionMs + retentionCheckInterval(retentionMs)) / 1000;
      const atPruning = samples.find((s) => s.seconds >= prunedFrom);
      const finalJournal = last?.journalBytes ?? NaN;
      const longEnough = atPruning !== undefined && (last?.seconds ?? 0) >= prunedFrom + 20;
      const bounded = longEnough && finalJournal <= 1.15 * atPruning.journalBytes;
      const table = samplesTable(thin(samples, 12));
      return [
        {
          case: 'memory',
          title: `memory: ${alerts.toLocaleString('en-US')} distinct alert instances ingested`,
          load: `node:http, ${options.connections} connections, ${bodies.toLocaleString('en-US')} bodies of ${perBody} alerts (each its own group), each group resolved ${RESOLVE_LAG} groups later, as fast as answered (${requests.toLocaleString('en-US')} requests); ${retentionArg}; RSS from /proc every ${every} ms`,
          remediator: `peak RSS ${formatBytes(peakRss)}, after ${formatBytes(last?.rssBytes ?? NaN)} (V8 heap ${formatBytes(last?.heapUsedBytes ?? NaN)}); journal ${formatBytes(finalJournal)} at the end; ${formatNumber(alerts / sent.seconds)} alerts/s firing (and as many resolved); ${journaled.toLocaleString('en-US')} alerts journaled${sent.errors > 0 ? `; **${sent.errors} errors**` : ''}`,
          vsBaseline: 'n/a (the baseline keeps nothing)',
          targets: [
            {
              text: 'RSS ≤ 200 MB',
              met: peakRss <= 200 * MB,
              detail: `peak ${formatNumber(peakRss / MB)} MB (${formatBytes(peakRss)})`,
            },
            {
              text: 'journal size bounded by retention',
              met: bounded,
              detail: longEnough
                ? `${formatBytes(atPruning.journalBytes)} once retention had run (${formatNumber(prunedFrom)} s), ${formatBytes(finalJournal)} at the end (${formatNumber(last?.seconds ?? NaN)} s)`
                : `not measured: the run ended before retention (${retentionArg}) had run for 20 s`,
            },
          ],
          figures: {
            alerts,
            journaled,
            peakRssBytes: peakRss,
            finalRssBytes: last?.rssBytes,
            journalBytes: finalJournal,
            seconds: sent.seconds,
            errors: sent.errors,
            samples: thin(samples, 60).map((s) => ({
              seconds: Number(s.seconds.toFixed(1)),
              alerts: s.alerts,
              rssBytes: s.rssBytes,
              heapUsedBytes: s.heapUsedBytes,
              journalBytes: s.journalBytes,
            })),
          },
          notes: [`RSS, V8 heap and journal over time:\n\n${table}`],
        },
      ];
    } finally {
      await server?.stop();
    }
  },
};

export interface SoakResult {
  readonly samples: Sample[];
  readonly markdown: string;
  readonly summary: Record<string, unknown>;
}

/**
 * `--soak 10m`: a steady mixed load at `soakRate` requests/s: 60% new 10-alert groups, 20%
 * repeats of a group sent a moment ago, 20% resolutions of a group sent a while ago. Samples
 * RSS and event-loop delay (remediator's /metrics) and the journal size.
 */
export async function soak(ctx: Context): Promise<SoakResult> {
  const { options } = ctx;
  const seconds = options.soakS ?? 600;
  const rate = options.soakRate;
  const dir = startDataDir(ctx, 'soak');
  const dataDir = join(dir, 'remediator');
  const server = await startRemediator({
    dataDir,
    token: TOKEN,
    args: options.serveArgs,
    ...(options.policies === undefined ? {} : { policies: options.policies }),
  });
  try {
    const startsAt = new Date().toISOString();
    const firing = bodyTemplate({ alerts: 10, startsAt });
    const resolved = bodyTemplate({ alerts: 10, startsAt, status: 'resolved' });
    const prefix = ctx.nextPrefix();
    const idOf = (group: number): string =>
      `${prefix.toString(16).padStart(2, '0')}${group.toString(16).padStart(6, '0')}`;
    // Request n: 6 of every 10 open a new group; the others repeat or resolve earlier ones.
    let groups = 0;
    const body = (n: number): string => {
      const slot = n % 10;
      if (slot < 6 || groups < 50) return render(firing, idOf(groups++));
      if (slot < 8) return render(firing, idOf(groups - 1 - (n % 5)));
      return render(resolved, idOf(Math.max(0, groups - 50 + (n % 10))));
    };
    const every = Math.max(1, Math.min(10, Math.round(seconds / 60)));
    const samples: Sample[] = [];
    const started = performance.now();
    let sent = 0;
    const base = origin(server.url);
    const sample = async (): Promise<void> => {
      const metrics = await scrapeMetrics(base).catch(() => new Map<string, number>());
      const s: Sample = {
        seconds: (performance.now() - started) / 1000,
        alerts: sent * 10,
        rssBytes: metrics.get('process_resident_memory_bytes') ?? rssBytes(server.pid),
        ...(metrics.has('nodejs_heap_size_used_bytes')
          ? { heapUsedBytes: metrics.get('nodejs_heap_size_used_bytes') }
          : {}),
        journalBytes: journalBytes(dataDir),
        eventLoopLagP99Ms: (metrics.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000,
      };
      samples.push(s);
      process.stdout.write(`${JSON.stringify({ soak: s })}\n`);
    };
    await sample();
    const timer = setInterval(() => {
      void sample();
    }, every * 1000);
    let result;
    try {
      result = await fixedRate({
        url: server.url,
        rate,
        durationS: seconds,
        headers: AUTH,
        body: (n) => body(n),
        onSend: () => {
          sent++;
        },
      });
    } finally {
      clearInterval(timer);
    }
    // A last sample, unless one was just taken (prom-client resets the delay histogram per scrape).
    if (
      (performance.now() - started) / 1000 - (samples[samples.length - 1]?.seconds ?? 0) >
      every / 2
    )
      await sample();
    const peak = Math.max(...samples.map((s) => s.rssBytes));
    const lagMax = Math.max(...samples.map((s) => s.eventLoopLagP99Ms ?? 0));
    const first = samples[0];
    const last = samples[samples.length - 1];
    const summary = {
      seconds,
      rate,
      requests: result.requests,
      errors: result.errors,
      answerP50Ms: result.p50Ms,
      answerP99Ms: result.p99Ms,
      peakRssBytes: peak,
      maxEventLoopLagP99Ms: lagMax,
      journalGrowthBytes: (last?.journalBytes ?? 0) - (first?.journalBytes ?? 0),
    };
    const markdown = [
      `Soak: ${formatNumber(seconds)} s at ${rate} requests/s (60% new 10-alert groups, 20% repeats, 20% resolutions); answers p50 ${formatNumber(result.p50Ms)} ms, p99 ${formatNumber(result.p99Ms)} ms, ${result.errors} errors; peak RSS ${formatBytes(peak)}; worst event-loop delay p99 ${formatNumber(lagMax)} ms; journal ${formatBytes(first?.journalBytes ?? NaN)} → ${formatBytes(last?.journalBytes ?? NaN)}.`,
      '',
      samplesTable(thin(samples, 30)),
    ].join('\n');
    return { samples, markdown, summary };
  } finally {
    await server.stop();
  }
}
