/**
 * The webhook cases: closed-loop throughput with distinct instances and with repeats, and the
 * fixed-rate 1000-alert case. Every server runs in its own process; rounds alternate between them
 * (baseline, remediator[, webhook], baseline, remediator...) so that whatever else the machine is
 * doing weighs on each about equally, and every figure is given as a ratio to the baseline of the
 * same round, the median over rounds.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseRow, CaseSpec, Context, Target } from './context';
import { closedLoop, fixedRate, type LoadResult } from './load';
import { bodyTemplate, IdSource, render } from './payloads';
import { newestProfile, topSelfTime, type HotFunction } from './profile';
import {
  ROOT,
  startAdnanhWebhook,
  startBaseline,
  startDurableBaseline,
  startRemediator,
  waitIdle,
  type Server,
} from './processes';
import { formatNumber, formatRatio, median, ratios } from './stats';
import { countJournaledAlerts } from './journal';

/** How long a server may stay busy after a round before the next round starts anyway. */
export const IDLE_TIMEOUT_MS = 300_000;

/** The token remediator requires in these cases; Alertmanager sends one in production. */
export const TOKEN = 'bench-token-0123456789abcdef';
export const AUTH = { Authorization: `Bearer ${TOKEN}` };

export interface Series {
  readonly server: Server;
  readonly results: LoadResult[];
}

export function summarise(results: readonly LoadResult[]) {
  return {
    rps: median(results.map((r) => r.rps)),
    /** Seconds busy after a round: work answered requests left behind (planning, execution). */
    busyAfterS: median(results.map((r) => r.busyAfterS ?? 0)),
    /** Requests over the round plus that busy time: what it could keep up with. */
    sustainableRps: median(results.map((r) => r.requests / (r.seconds + (r.busyAfterS ?? 0)))),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    requests: results.reduce((a, r) => a + r.requests, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    rounds: results.map((r) => ({
      rps: Math.round(r.rps),
      p50Ms: Number(r.p50Ms.toFixed(2)),
      p99Ms: Number(r.p99Ms.toFixed(2)),
      errors: r.errors,
      busyAfterS: Number((r.busyAfterS ?? 0).toFixed(1)),
    })),
  };
}

export function describe(s: ReturnType<typeof summarise>): string {
  // Half a second is what it takes to see that a process is idle.
  const busy =
    s.busyAfterS > 1
      ? `; busy ${formatNumber(s.busyAfterS)} s after each round (≈ ${formatNumber(s.sustainableRps)} req/s sustainable)`
      : '';
  return `${formatNumber(s.rps)} req/s, p50 ${formatNumber(s.p50Ms)} ms, p99 ${formatNumber(s.p99Ms)} ms${s.errors > 0 ? `, **${s.errors} errors**` : ''}${busy}`;
}

export function startDataDir(ctx: Context, name: string): string {
  const dir = mkdtempSync(join(ctx.workDir, `${name}-`));
  mkdirSync(join(dir, 'remediator'), { recursive: true });
  return dir;
}

/** Closed-loop throughput for one body size, distinct instances or repeats. */
export function throughputCase(alerts: number, distinct: boolean): CaseSpec {
  const name = `${distinct ? 'distinct' : 'repeat'}-${alerts}`;
  const title = `webhook, ${distinct ? 'distinct instances' : 'repeats'}, ${alerts} alert${alerts === 1 ? '' : 's'} a body`;
  return {
    name,
    title,
    run: async (ctx) => {
      const { options } = ctx;
      const dir = startDataDir(ctx, name);
      const profiling = options.profile;
      const profileDir = join(ctx.outDir, 'profiles', `${name}-${Date.now()}`);
      if (profiling) mkdirSync(profileDir, { recursive: true });
      const adnanh = alerts === 10 ? ctx.adnanh : undefined;
      const servers: Server[] = [];
      try {
        servers.push(await startBaseline(dir));
        servers.push(await startDurableBaseline(dir));
        servers.push(
          await startRemediator({
            dataDir: join(dir, 'remediator'),
            token: TOKEN,
            args: options.serveArgs,
            ...(options.policies === undefined ? {} : { policies: options.policies }),
            ...(profiling ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
          }),
        );
        if (adnanh !== undefined) servers.push(await startAdnanhWebhook(adnanh.path, dir));
        const template = bodyTemplate({ alerts });
        const spec = (server: Server, durationS: number) => ({
          url: server.url,
          template,
          distinct,
          connections: options.connections,
          durationS,
          headers: AUTH,
          idPrefix: ctx.nextPrefix(),
          dir,
        });
        for (const server of servers) {
          ctx.progress(`${name}: warm-up ${server.name}`);
          await closedLoop(ctx.tool, spec(server, options.warmupS));
        }
        const series: Series[] = servers.map((server) => ({ server, results: [] }));
        for (const server of servers) await waitIdle(server.pid, IDLE_TIMEOUT_MS);
        for (let round = 0; round < options.rounds; round++) {
          for (const s of series) {
            const loaded = await closedLoop(ctx.tool, spec(s.server, options.durationS));
            const busyAfterS = await waitIdle(s.server.pid, IDLE_TIMEOUT_MS);
            const result = { ...loaded, busyAfterS };
            s.results.push(result);
            ctx.progress(
              `${name}: round ${round + 1}/${options.rounds} ${s.server.name}: ${Math.round(result.rps)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, busy ${busyAfterS.toFixed(1)} s after`,
            );
          }
        }
        const [base, durable, rem, hook] = series;
        if (base === undefined || durable === undefined || rem === undefined)
          throw new Error('servers missing');
        let profile: HotFunction[] | undefined;
        let profileFile: string | undefined;
        if (profiling) {
          await rem.server.stop();
          profileFile = newestProfile(profileDir);
          if (profileFile !== undefined) profile = topSelfTime(profileFile, ROOT);
        }
        return rows(ctx, name, title, template.text.length, base, durable, rem, hook, {
          ...(profile === undefined ? {} : { profile, profileFile }),
        });
      } finally {
        for (const server of servers) await server.stop();
      }
    },
  };
}

function rows(
  ctx: Context,
  name: string,
  title: string,
  bodyBytes: number,
  base: Series,
  durable: Series,
  rem: Series,
  hook: Series | undefined,
  extra: Record<string, unknown>,
): CaseRow[] {
  const { options } = ctx;
  const b = summarise(base.results);
  const d = summarise(durable.results);
  const r = summarise(rem.results);
  const durableRps = median(
    ratios(
      rem.results.map((x) => x.rps),
      durable.results.map((x) => x.rps),
    ),
  );
  const durableP99 = median(
    ratios(
      rem.results.map((x) => x.p99Ms),
      durable.results.map((x) => x.p99Ms),
    ),
  );
  const sustainable = r.busyAfterS <= 1;
  const rpsRatio = median(
    ratios(
      rem.results.map((x) => x.rps),
      base.results.map((x) => x.rps),
    ),
  );
  const p99Ratio = median(
    ratios(
      rem.results.map((x) => x.p99Ms),
      base.results.map((x) => x.p99Ms),
    ),
  );
  const load = `${ctx.tool.name}, ${options.connections} connections, ${options.rounds}×${options.durationS} s, body ${formatNumber(bodyBytes / 1024)} KiB`;
  const vsBaseline = `${formatRatio(durableRps)} req/s, ${formatRatio(durableP99)} p99 of the durable baseline (${describe(d)}); ${formatRatio(rpsRatio)} req/s, ${formatRatio(p99Ratio)} p99 of the bare one (${describe(b)})`;
  const errorNote = r.errors > 0 ? [`remediator answered ${r.errors} requests with errors`] : [];
  const targets: Target[] = [];
  const busy = `busy ${formatNumber(r.busyAfterS)} s after a round`;
  if (name === 'distinct-10') {
    targets.push({
      text: '≥ 0.9 × durable baseline req/s, sustainable (busy ≤ 1 s after a round), p99 ≤ 1.5 × its p99',
      met: r.errors === 0 && durableRps >= 0.9 && sustainable && durableP99 <= 1.5,
      detail: `${formatRatio(durableRps)} req/s, ${busy}, ${formatRatio(durableP99)} p99`,
    });
  } else if (name === 'distinct-100') {
    targets.push({
      text: '≥ 0.9 × durable baseline req/s, sustainable (busy ≤ 1 s after a round)',
      met: r.errors === 0 && durableRps >= 0.9 && sustainable,
      detail: `${formatRatio(durableRps)} req/s, ${busy}`,
    });
  }
  const figures = {
    bodyBytes,
    remediator: r,
    baseline: b,
    durableBaseline: d,
    ratio: { rps: rpsRatio, p99: p99Ratio },
    ratioToDurable: { rps: durableRps, p99: durableP99 },
    ...extra,
  };
  const out: CaseRow[] = [
    {
      case: name,
      title,
      load,
      remediator: describe(r),
      vsBaseline,
      targets,
      figures,
      notes: errorNote,
    },
  ];
  if (name === 'distinct-10') {
    if (hook === undefined) {
      out.push({
        case: 'vs-adnanh-webhook',
        title: 'against webhook (adnanh) at 10 alerts a body',
        load,
        remediator: describe(r),
        vsBaseline,
        targets: [
          {
            text: '≥ 2 × its req/s, ≤ 0.5 × its p99',
            met: undefined,
            detail: 'webhook (adnanh) not installed: not measured',
          },
        ],
        figures: { webhook: 'not installed' },
        notes: [],
      });
    } else {
      const h = summarise(hook.results);
      const hr = median(
        ratios(
          rem.results.map((x) => x.rps),
          hook.results.map((x) => x.rps),
        ),
      );
      const hp = median(
        ratios(
          rem.results.map((x) => x.p99Ms),
          hook.results.map((x) => x.p99Ms),
        ),
      );
      const hb = median(
        ratios(
          hook.results.map((x) => x.rps),
          base.results.map((x) => x.rps),
        ),
      );
      out.push({
        case: 'vs-adnanh-webhook',
        title: 'against webhook (adnanh) at 10 alerts a body',
        load: `${load}; webhook (adnanh) ${ctx.adnanh?.version ?? ''} running /bin/true in its default asynchronous mode`,
        remediator: describe(r),
        vsBaseline: `webhook: ${describe(h)} (${formatRatio(hb)} baseline req/s); remediator ${formatRatio(hr)} its req/s, ${formatRatio(hp)} its p99`,
        targets: [
          {
            text: '≥ 2 × its req/s, ≤ 0.5 × its p99',
            met: r.errors === 0 && hr >= 2 && hp <= 0.5,
            detail: `${formatRatio(hr)} req/s, ${formatRatio(hp)} p99`,
          },
        ],
        figures: { webhook: h, ratio: { rps: hr, p99: hp, webhookVsBaselineRps: hb } },
        notes: h.errors > 0 ? [`webhook answered ${h.errors} requests with errors`] : [],
      });
    }
  }
  return out;
}

/** 1000-alert bodies at 20 requests/s; every alert must be journaled. */
export const fixedRate1000: CaseSpec = {
  name: 'fixed-rate-1000',
  title: 'webhook, 1000-alert bodies at 20 requests/s',
  run: async (ctx) => {
    const { options } = ctx;
    const rate = 20;
    const dir = startDataDir(ctx, 'fixed-rate-1000');
    const dataDir = join(dir, 'remediator');
    const template = bodyTemplate({ alerts: 1000 });
    const servers: Server[] = [];
    try {
      servers.push(await startBaseline(dir));
      servers.push(
        await startRemediator({
          dataDir,
          token: TOKEN,
          args: options.serveArgs,
          ...(options.policies === undefined ? {} : { policies: options.policies }),
        }),
      );
      let sentToRemediator = 0;
      const run = async (server: Server, durationS: number): Promise<LoadResult> => {
        const ids = new IdSource(ctx.nextPrefix());
        const result = await fixedRate({
          url: server.url,
          rate,
          durationS,
          headers: AUTH,
          body: () => render(template, ids.next()),
        });
        if (server.name === 'remediator') sentToRemediator += result.requests - result.errors;
        return result;
      };
      for (const server of servers) {
        ctx.progress(`fixed-rate-1000: warm-up ${server.name}`);
        await run(server, Math.max(1, options.warmupS));
      }
      const series: Series[] = servers.map((server) => ({ server, results: [] }));
      for (const server of servers) await waitIdle(server.pid, IDLE_TIMEOUT_MS);
      for (let round = 0; round < options.rounds; round++) {
        for (const s of series) {
          const loaded = await run(s.server, options.durationS);
          const result = { ...loaded, busyAfterS: await waitIdle(s.server.pid, IDLE_TIMEOUT_MS) };
          s.results.push(result);
          ctx.progress(
            `fixed-rate-1000: round ${round + 1}/${options.rounds} ${s.server.name}: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, late ${(result as { late?: number }).late ?? 0}`,
          );
        }
      }
      const [base, rem] = series;
      if (base === undefined || rem === undefined) throw new Error('servers missing');
      const journaled = countJournaledAlerts(dataDir);
      const expected = sentToRemediator * 1000;
      const b = summarise(base.results);
      const r = summarise(rem.results);
      const p99Ratio = median(
        ratios(
          rem.results.map((x) => x.p99Ms),
          base.results.map((x) => x.p99Ms),
        ),
      );
      const all = journaled === expected;
      return [
        {
          case: 'fixed-rate-1000',
          title: 'webhook, 1000-alert bodies at 20 requests/s',
          load: `node:http open loop at ${rate} req/s (latency from each request's scheduled time), ${options.rounds}×${options.durationS} s, body ${formatNumber(template.text.length / 1024)} KiB`,
          remediator: `${describe(r)}; ${journaled.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} alerts journaled`,
          vsBaseline: `${formatRatio(p99Ratio)} p99 (baseline ${describe(b)})`,
          targets: [
            {
              text: 'p99 answer ≤ 100 ms, every alert journaled',
              met: r.errors === 0 && r.p99Ms <= 100 && all,
              detail: `p99 ${formatNumber(r.p99Ms)} ms; ${all ? 'all' : 'NOT all'} ${expected.toLocaleString('en-US')} alerts journaled`,
            },
          ],
          figures: {
            rate,
            remediator: r,
            baseline: b,
            ratio: { p99: p99Ratio },
            journaled,
            expected,
          },
          notes: [],
        },
      ];
    } finally {
      for (const server of servers) await server.stop();
    }
  },
};
