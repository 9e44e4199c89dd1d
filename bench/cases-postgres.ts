/**
 * The webhook on a PostgreSQL journal (issue 15): `remediator serve --journal postgres://…` against
 * a durable baseline on the same PostgreSQL server (node:http plus one INSERT of the raw body before
 * the 200), in alternating rounds as the other webhook cases, each figure a ratio to the baseline
 * of the same round. Every case runs on databases of its own, created on
 * `REMEDIATOR_BENCH_POSTGRES_URL` and dropped at the end.
 *
 * - `postgres-distinct-N`: one replica, which leads: it appends each notification to the shared log
 *   before the 200 and applies it (the projection) on the same event loop, as on SQLite.
 * - `postgres-follower-N`: the load goes to a follower, which only appends; the leader, a second
 *   process, is paused (SIGSTOP) during the rounds, so the figure is the append alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  connectAdmin,
  createDatabaseOn,
  DEFAULT_TEST_POSTGRES_URL,
  dropDatabaseOn,
  redactUrl,
} from '../test/support/postgres';
import {
  AUTH,
  describe,
  IDLE_TIMEOUT_MS,
  startDataDir,
  summarise,
  TOKEN,
  type Series,
} from './cases-http';
import type { CaseRow, CaseSpec, Context } from './context';
import { closedLoop, type LoadResult } from './load';
import { bodyTemplate } from './payloads';
import { topSelfTime, type HotFunction } from './profile';
import {
  ROOT,
  startBaseline,
  startPostgresDurableBaseline,
  startRemediator,
  waitIdle,
  type Server,
} from './processes';
import { formatNumber, formatRatio, median, ratios } from './stats';

export const DEFAULT_BENCH_POSTGRES_URL = DEFAULT_TEST_POSTGRES_URL;

/** The server the cases create their databases on: a user that may CREATE DATABASE. */
export function benchPostgresUrl(): string {
  const fromEnv = process.env.REMEDIATOR_BENCH_POSTGRES_URL;
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_BENCH_POSTGRES_URL : fromEnv;
}

const HINT =
  'The postgres-* cases need a PostgreSQL server whose user may CREATE DATABASE: start one ' +
  '(e.g. `service postgresql start`) or set REMEDIATOR_BENCH_POSTGRES_URL.';

interface BenchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

async function createBenchDatabase(adminUrl: string, what: string): Promise<BenchDatabase> {
  // Unique per run and process: leftovers of an interrupted run never collide with a new one.
  const name = `remediator_bench_${what}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabaseOn(adminUrl, name, HINT);
  return { url, drop: () => dropDatabaseOn(adminUrl, name, HINT) };
}

/** What the shared log holds once the rounds are over: appended, and applied by the leader. */
async function logState(
  url: string,
): Promise<{ logged: number; lastSeq: number; applied: number }> {
  const client = await connectAdmin(url, HINT);
  try {
    const log = await client.query<{ n: string; last: string | null }>(
      'SELECT count(*) AS n, max(seq) AS last FROM notifications',
    );
    const applied = await client.query<{ value: string }>(
      "SELECT value FROM settings WHERE key = 'log_applied_seq'",
    );
    return {
      logged: Number(log.rows[0]?.n ?? 0),
      lastSeq: Number(log.rows[0]?.last ?? 0),
      applied: Number(applied.rows[0]?.value ?? 0),
    };
  } finally {
    await client.end();
  }
}

/**
 * The profiles `node --cpu-prof` wrote for process `pid`: its main thread's, and its worker
 * threads' (the journal's PostgreSQL connection lives in one). Names are
 * CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is thread 0.
 */
function profilesOf(dir: string, pid: number): { main?: string; workers: string[] } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  let main: string | undefined;
  const workers: string[] = [];
  for (const file of files) {
    const match = /\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file);
    if (match?.[1] !== String(pid)) continue;
    if (match[2] === '0') main = join(dir, file);
    else workers.push(join(dir, file));
  }
  return { ...(main === undefined ? {} : { main }), workers };
}

/** Closed-loop throughput of the webhook on a PostgreSQL journal, distinct instances. */
export function postgresCase(alerts: number, role: 'leader' | 'follower'): CaseSpec {
  const name = `postgres-${role === 'leader' ? 'distinct' : 'follower'}-${alerts}`;
  const title =
    role === 'leader'
      ? `webhook on PostgreSQL, one replica (leads and applies), distinct instances, ${alerts} alert${alerts === 1 ? '' : 's'} a body`
      : `webhook on PostgreSQL answered by a follower (append only, the leader paused), distinct instances, ${alerts} alert${alerts === 1 ? '' : 's'} a body`;
  return {
    name,
    title,
    run: async (ctx) => {
      const { options } = ctx;
      const dir = startDataDir(ctx, name);
      const adminUrl = benchPostgresUrl();
      const profileDir = join(ctx.outDir, 'profiles', `${name}-${Date.now()}`);
      if (options.profile) mkdirSync(profileDir, { recursive: true });
      const databases: BenchDatabase[] = [];
      const servers: Server[] = [];
      let leader: Server | undefined;
      try {
        const baselineDb = await createBenchDatabase(adminUrl, 'baseline');
        databases.push(baselineDb);
        const journalDb = await createBenchDatabase(adminUrl, 'journal');
        databases.push(journalDb);
        const replica = async (dataDir: string, replicaName: string, profiled: boolean) => {
          mkdirSync(dataDir, { recursive: true });
          return startRemediator({
            dataDir,
            name: replicaName,
            token: TOKEN,
            args: ['--journal', journalDb.url, ...options.serveArgs],
            ...(options.policies === undefined ? {} : { policies: options.policies }),
            ...(profiled ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
          });
        };
        servers.push(await startBaseline(dir));
        servers.push(await startPostgresDurableBaseline(dir, baselineDb.url));
        // The first replica on an empty database takes the leader lock as it starts.
        leader = await replica(
          join(dir, 'remediator'),
          role === 'leader' ? 'remediator' : 'remediator leader',
          options.profile && role === 'leader',
        );
        if (leader.role !== 'leader') {
          throw new Error(`the first replica started as ${leader.role ?? 'unknown'}, not leader`);
        }
        let target = leader;
        if (role === 'follower') {
          target = await replica(join(dir, 'follower'), 'remediator follower', options.profile);
          if (target.role !== 'follower') {
            throw new Error(
              `the second replica started as ${target.role ?? 'unknown'}, not follower`,
            );
          }
          servers.push(target);
        } else {
          servers.push(leader);
        }
        if (role === 'follower') {
          // Append only: the leader is paused while the follower is measured, so its projection
          // of what the follower appended neither competes for the cores nor counts as the
          // follower's. (Applying the log is what postgres-distinct measures.) It holds its
          // leadership meanwhile: the lock is its session's, which stays open.
          leader.child.kill('SIGSTOP');
        }
        const template = bodyTemplate({ alerts });
        let accepted = 0;
        const load = async (server: Server, durationS: number): Promise<LoadResult> => {
          const result = await closedLoop(ctx.tool, {
            url: server.url,
            template,
            distinct: true,
            connections: options.connections,
            durationS,
            headers: AUTH,
            idPrefix: ctx.nextPrefix(),
            dir,
          });
          if (server === target) accepted += result.requests - result.errors;
          return result;
        };
        for (const server of servers) {
          ctx.progress(`${name}: warm-up ${server.name}`);
          await load(server, options.warmupS);
        }
        const series: Series[] = servers.map((server) => ({ server, results: [] }));
        for (const server of servers) await waitIdle(server.pid, IDLE_TIMEOUT_MS);
        for (let round = 0; round < options.rounds; round++) {
          for (const s of series) {
            const loaded = await load(s.server, options.durationS);
            const busyAfterS = await waitIdle(s.server.pid, IDLE_TIMEOUT_MS);
            const result = { ...loaded, busyAfterS };
            s.results.push(result);
            ctx.progress(
              `${name}: round ${round + 1}/${options.rounds} ${s.server.name}: ${Math.round(result.rps)} req/s, p99 ${result.p99Ms.toFixed(2)} ms, busy ${busyAfterS.toFixed(1)} s after`,
            );
          }
        }
        const log = await logState(journalDb.url);
        const [base, durable, rem] = series;
        if (base === undefined || durable === undefined || rem === undefined)
          throw new Error('servers missing');
        let profile: HotFunction[] | undefined;
        let profileFile: string | undefined;
        let workerProfile: HotFunction[] | undefined;
        if (options.profile) {
          // The profiles are written as the process exits.
          await target.stop();
          const files = profilesOf(profileDir, target.pid);
          profileFile = files.main;
          if (profileFile !== undefined) profile = topSelfTime(profileFile, ROOT);
          const worker = files.workers[0];
          if (worker !== undefined) workerProfile = topSelfTime(worker, ROOT, 8);
        }
        return [
          row(ctx, name, title, role, template.text.length, base, durable, rem, log, accepted, {
            ...(profile === undefined ? {} : { profile, profileFile }),
            ...(workerProfile === undefined ? {} : { workerProfile }),
          }),
        ];
      } finally {
        // A paused leader would not see SIGTERM.
        if (leader?.child.exitCode === null) leader.child.kill('SIGCONT');
        for (const server of servers) await server.stop();
        if (leader !== undefined) await leader.stop();
        for (const db of databases) {
          await db.drop().catch((err: unknown) => {
            ctx.progress(
              `${name}: could not drop a database on ${redactUrl(adminUrl)}: ${err instanceof Error ? err.message : String(err)}`,
            );
          });
        }
      }
    },
  };
}

function row(
  ctx: Context,
  name: string,
  title: string,
  role: 'leader' | 'follower',
  bodyBytes: number,
  base: Series,
  durable: Series,
  rem: Series,
  log: { logged: number; lastSeq: number; applied: number },
  accepted: number,
  extra: Record<string, unknown>,
): CaseRow {
  const { options } = ctx;
  const b = summarise(base.results);
  const d = summarise(durable.results);
  const r = summarise(rem.results);
  const ratio = (of: Series, pick: (x: LoadResult) => number): number =>
    median(ratios(rem.results.map(pick), of.results.map(pick)));
  const durableRps = ratio(durable, (x) => x.rps);
  const durableP99 = ratio(durable, (x) => x.p99Ms);
  const bareRps = ratio(base, (x) => x.rps);
  const bareP99 = ratio(base, (x) => x.p99Ms);
  const load = `${ctx.tool.name}, ${options.connections} connections, ${options.rounds}×${options.durationS} s, body ${formatNumber(bodyBytes / 1024)} KiB; PostgreSQL ${redactUrl(benchPostgresUrl())}`;
  const notes: string[] = [];
  if (r.errors > 0) notes.push(`remediator answered ${r.errors} requests with errors`);
  // Every 200 is in the log (requests cut off at a round's end may be logged without being
  // counted, so the log may hold a few more), and the leader applied all of it once idle (a
  // paused leader applied none of what the follower appended).
  const applied = log.applied === log.lastSeq;
  const complete = log.logged >= accepted && (role === 'follower' || applied);
  if (!complete) {
    notes.push(
      `the shared log holds ${log.logged} notifications for ${accepted} accepted requests; the leader applied up to seq ${log.applied} of ${log.lastSeq}`,
    );
  }
  const profile = extra.workerProfile as readonly HotFunction[] | undefined;
  if (profile !== undefined) {
    notes.push(
      `its journal's PostgreSQL worker thread, top self time: ${profile.map((f) => `${f.name} ${f.percent.toFixed(1)}%`).join(', ')}`,
    );
  }
  return {
    case: name,
    title,
    load,
    remediator: `${describe(r)}; ${log.logged.toLocaleString('en-US')} notifications logged for ${accepted.toLocaleString('en-US')} accepted${role === 'follower' ? ' (the leader paused: none applied during the rounds)' : applied ? ', all applied' : ', **not all** applied'}`,
    vsBaseline: `${formatRatio(durableRps)} req/s, ${formatRatio(durableP99)} p99 of the PostgreSQL durable baseline (${describe(d)}); ${formatRatio(bareRps)} req/s, ${formatRatio(bareP99)} p99 of the bare one (${describe(b)})`,
    targets: [],
    figures: {
      bodyBytes,
      remediator: r,
      baseline: b,
      postgresDurableBaseline: d,
      ratio: { rps: bareRps, p99: bareP99 },
      ratioToDurable: { rps: durableRps, p99: durableP99 },
      log: { ...log, accepted },
      ...extra,
    },
    notes,
  };
}
