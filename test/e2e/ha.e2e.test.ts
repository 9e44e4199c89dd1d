import { Client } from 'pg';
import {
  exists,
  phase,
  sleep,
  startPostgres,
  startStack,
  step,
  WEBHOOK_TOKEN,
  type IncidentView,
  type PlanView,
  type PrivatePostgres,
  type Remediator,
  type Stack,
} from './support';
import type { ManagedProcess } from './support/processes';
import {
  injected,
  postAlerts,
  resolvedNow,
  scalePatches,
  seedDeployment,
  type InjectedAlert,
} from './support/injected-alerts';

/*
 * Issue 15's proof: three `remediator serve` replicas on one PostgreSQL journal (a private server,
 * so that (d) can stop it), behind a round-robin TCP proxy that stands in for the Service, with
 * the real Prometheus and Alertmanager (one receiver: the proxy) and the fake API server behind
 * them. Each scenario posts HighLatency for Deployments of its own (performance-degradation:
 * scale ×2, verify 30 s, then notify; sev1-status-update), so the fake API server's request log
 * tells, target by target, how many times the scale was written.
 *
 * A leader whose journal session is lost exits with code 70 (by design, as kube-controller-manager
 * does). Here, as Kubernetes would, a supervisor restarts any replica that exited (after a 1 s back
 * off, again and again while PostgreSQL is down: the restart cannot open its journal then), except
 * the one (c) kills on purpose, which (c) restarts itself once another replica took over.
 */

const NS = 'prod';
/** The scale step of an incident's performance-degradation plan. */
const perf = (i: IncidentView): PlanView | undefined =>
  i.plans.find((p) => p.policy === 'performance-degradation');
const scaleStep = (i: IncidentView) => perf(i)?.remediations.find((r) => r.action === 'scale');
const highLatency = (deployment: string, extra: Record<string, string> = {}): InjectedAlert =>
  injected({ alertname: 'HighLatency', severity: 'critical', namespace: NS, deployment, ...extra });

let pg: PrivatePostgres | undefined;
let journalUrl = '';
let stack: Stack | undefined;
let supervisor: Supervisor | undefined;

beforeAll(async () => {
  pg = await phase('starting PostgreSQL', () => startPostgres());
  journalUrl = await pg.createDatabase('remediator_ha');
  stack = await phase('starting the stack', () =>
    startStack({
      name: 'ha',
      remediators: 3,
      ha: { journal: journalUrl },
      policies: {
        transform: (doc) => {
          // Some 130 Deployments scaled in one namespace within minutes, and probes of (d) whose
          // alerts never resolve (ineffective): the shipped limits (5 plans per namespace per
          // window, a breaker after 3 failures) would stop the plans whose writes are counted.
          doc.safety = {
            ...doc.safety,
            blastRadius: { ...doc.safety?.blastRadius, perNamespace: 1000, cluster: 1000 },
            circuitBreaker: { ...doc.safety?.circuitBreaker, failures: 1000 },
          };
        },
      },
    }),
  );
}, 90_000);

afterAll(async () => {
  await supervisor?.stop();
  const s = stack;
  stack = undefined;
  try {
    if (s !== undefined) {
      await phase('stopping the stack', () => s.stop());
      expect(s.pids().filter((pid) => exists(pid) || exists(-pid))).toEqual([]);
    }
  } finally {
    await pg?.destroy();
  }
}, 90_000);

const started = (): Stack => {
  if (stack === undefined) throw new Error('the stack did not start (see beforeAll)');
  return stack;
};

/** `remediator_leader` of each replica, asked on its own port (undefined: not running or no answer). */
async function leaderFlags(s: Stack): Promise<(number | undefined)[]> {
  return Promise.all(
    s.remediators.map(async (r) =>
      r.running ? r.metric('remediator_leader').catch(() => undefined) : undefined,
    ),
  );
}

/** Waits until exactly one replica says it leads (and none is in doubt); returns it. */
async function theLeader(s: Stack, what: string, timeoutMs: number): Promise<Remediator> {
  return s.waitFor(
    async () => {
      const flags = await leaderFlags(s);
      const leaders = s.remediators.filter((_r, i) => flags[i] === 1);
      return leaders.length === 1 ? leaders[0] : undefined;
    },
    what,
    timeoutMs,
  );
}

async function getJson(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the failure message
  }
  return { status: res.status, body };
}

/**
 * `path` of the API, read through the proxy and from every running replica directly: waits until
 * every answer is 200 and the same (followers forward to the leader), returns it.
 */
async function sameEverywhere(s: Stack, path: string, timeoutMs = 10_000): Promise<any> {
  const proxy = s.proxy;
  if (proxy === undefined) throw new Error('no proxy');
  let last = '';
  return s.waitFor(
    async () => {
      const bases = [proxy.url(), ...s.remediators.filter((r) => r.running).map((r) => r.url)];
      const answers = await Promise.all(bases.map((b) => getJson(b, path)));
      const texts = answers.map((a) => JSON.stringify(a));
      last = texts.map((t, i) => `${bases[i]}: ${t.slice(0, 300)}`).join('\n');
      return answers.every((a) => a.status === 200) && texts.every((t) => t === texts[0])
        ? answers[0]?.body
        : undefined;
    },
    `GET ${path} to answer the same through the proxy and on every replica (last:\n${last})`,
    timeoutMs,
  );
}

/** The incident of a group, with details, as the proxy answers (undefined until it exists). */
async function incidentOf(s: Stack, deployment: string): Promise<IncidentView | undefined> {
  const { status, body } = await getJson(s.proxy!.url(), '/api/v1/incidents?limit=200');
  if (status !== 200) return undefined;
  const found = (body.incidents as { id: number; groupLabels: Record<string, string> }[]).filter(
    (i) => i.groupLabels.deployment === deployment,
  );
  if (found.length !== 1) return undefined;
  const detail = await getJson(s.proxy!.url(), `/api/v1/incidents/${found[0]!.id}`);
  return detail.status === 200 ? (detail.body as IncidentView) : undefined;
}

/** Webhook answers with code 200 so far, by replica. */
function accepted(s: Stack): Promise<number[]> {
  return Promise.all(
    s.remediators.map((r) =>
      r.running
        ? r.metric('remediator_webhook_requests_total', { code: '200' })
        : Promise.resolve(0),
    ),
  );
}

/** Scale PATCHes of `deployment` the fake API server answered 200. */
const applied = (s: Stack, deployment: string) =>
  scalePatches(s.kube, NS, deployment).filter((p) => p.status === 200 && !p.fault);

async function query<T extends Record<string, unknown>>(sql: string): Promise<T[]> {
  const client = new Client({ connectionString: journalUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Kubernetes' part: restarts a replica that exited (1 s back off), and records every exit. A start
 * that fails (PostgreSQL down: the journal cannot be opened) is tried again a second later.
 */
interface Supervisor {
  readonly exits: { replica: string; code: number | null; signal: string | null }[];
  readonly failedStarts: number;
  stop(): Promise<void>;
}

function supervise(s: Stack, exempt: () => readonly Remediator[] = () => []): Supervisor {
  const exits: Supervisor['exits'] = [];
  const seen = new Map<Remediator, ManagedProcess | undefined>(
    s.remediators.map((r) => [r, r.process]),
  );
  let failedStarts = 0;
  // Read through a function: the loop sees what stop() sets later.
  const state: { stopped: boolean } = { stopped: false };
  const stopping = () => state.stopped;
  const loop = (async () => {
    while (!stopping()) {
      for (const r of s.remediators) {
        const run = seen.get(r);
        if (run?.exit !== undefined) {
          exits.push({ replica: r.name, code: run.exit.code, signal: run.exit.signal });
          step(`supervisor: ${r.name} exited ${JSON.stringify(run.exit)}`);
          seen.set(r, undefined);
        }
        if (stopping() || r.running || exempt().includes(r)) continue;
        try {
          await r.start(10_000);
          seen.set(r, r.process);
          step(`supervisor: ${r.name} restarted`);
        } catch {
          failedStarts++;
        }
      }
      await sleep(1000);
    }
  })();
  return {
    exits,
    get failedStarts() {
      return failedStarts;
    },
    stop: async () => {
      state.stopped = true;
      await loop;
    },
  };
}

it('(a) a firing notification on one replica and its resolution on another: one incident, resolved, no further step', async () => {
  const s = started();
  const proxy = s.proxy!;
  const all = s.remediators.map((r) => ({ host: '127.0.0.1', port: r.port }));
  const leader = await theLeader(s, 'one leader among the three', 15_000);
  s.step(`${leader.name} leads`);
  seedDeployment(s.kube, NS, 'ha-a', 2);
  const alert = highLatency('ha-a');
  const before = await accepted(s);
  s.step('alertmanager: HighLatency posted for ha-a');
  await postAlerts(s.alertmanager, [alert]);
  const planned = await s.waitFor(
    async () => {
      const i = await incidentOf(s, 'ha-a');
      return i !== undefined && scaleStep(i)?.status === 'applied' ? i : undefined;
    },
    'ha-a scaled',
    20_000,
  );
  const after = await accepted(s);
  const firedOn = s.remediators.filter((_r, i) => (after[i] ?? 0) > (before[i] ?? 0));
  expect(firedOn).toHaveLength(1);
  const first = firedOn[0]!;
  s.step(
    `the firing notification landed on ${first.name} (${first === leader ? 'leader' : 'follower'})`,
  );

  // Alertmanager keeps its connection alive: cut it, and take the first replica out of the
  // rotation, so that the resolution lands on another replica.
  const others = s.remediators.filter((r) => r !== first);
  proxy.setTargets(others.map((r) => ({ host: '127.0.0.1', port: r.port })));
  proxy.dropConnections();
  s.step('alertmanager: ha-a resolved');
  const beforeResolution = await accepted(s);
  await postAlerts(s.alertmanager, resolvedNow([alert]));
  const resolved = await s.waitFor(
    async () => {
      const i = await incidentOf(s, 'ha-a');
      return i?.status === 'resolved' ? i : undefined;
    },
    'ha-a resolved',
    20_000,
  );
  const afterResolution = await accepted(s);
  const resolvedOn = s.remediators.filter(
    (_r, i) => (afterResolution[i] ?? 0) > (beforeResolution[i] ?? 0),
  );
  expect(resolvedOn.length).toBeGreaterThanOrEqual(1);
  expect(resolvedOn).not.toContain(first);
  s.step(`the resolution landed on ${resolvedOn.map((r) => r.name).join(', ')}`);
  proxy.setTargets(all);

  // Nothing more comes of it: the same plans and steps a few seconds later, one write.
  await sleep(3000);
  const settled = (await sameEverywhere(s, `/api/v1/incidents/${resolved.id}`)) as IncidentView;
  expect(settled.status).toBe('resolved');
  expect(settled.plans.map((p) => p.id)).toEqual(resolved.plans.map((p) => p.id));
  expect(settled.plans.flatMap((p) => p.remediations.map((r) => r.id))).toEqual(
    resolved.plans.flatMap((p) => p.remediations.map((r) => r.id)),
  );
  expect(settled.plans.map((p) => p.policy).sort()).toEqual(
    planned.plans.map((p) => p.policy).sort(),
  );
  expect(scaleStep(settled)).toMatchObject({ status: 'applied', verification: 'effective' });
  const list = await sameEverywhere(s, '/api/v1/incidents?limit=200');
  expect(
    (list.incidents as IncidentView[]).filter((i) => i.groupLabels.deployment === 'ha-a'),
  ).toHaveLength(1);
  expect(applied(s, 'ha-a').map((p) => p.body)).toEqual([{ spec: { replicas: 4 } }]);
  expect(scalePatches(s.kube, NS, 'ha-a')).toHaveLength(1);
}, 90_000);

it('(b) 50 distinct alert groups in a burst: every planned write happens exactly once', async () => {
  const s = started();
  const names = Array.from({ length: 50 }, (_, i) => `burst-${String(i).padStart(2, '0')}`);
  for (const name of names) seedDeployment(s.kube, NS, name, 2);
  const alerts = names.map((name) => highLatency(name));
  const before = await accepted(s);
  const connectionsBefore = s.proxy!.perTarget;
  s.step(`alertmanager: HighLatency posted for ${names.length} Deployments at once`);
  await postAlerts(s.alertmanager, alerts);
  await s.waitFor(
    () => names.every((n) => applied(s, n).length >= 1),
    'every burst Deployment scaled',
    45_000,
  );
  const after = await accepted(s);
  const perReplica = after.map((n, i) => n - (before[i] ?? 0));
  s.step(
    `burst: notifications accepted per replica ${JSON.stringify(perReplica)}, proxy connections ${JSON.stringify(s.proxy!.perTarget)} (before ${JSON.stringify(connectionsBefore)})`,
  );
  // Give a duplicate time to show up before counting.
  await sleep(3000);
  const list = (await sameEverywhere(s, '/api/v1/incidents?limit=200')).incidents as {
    id: number;
    groupLabels: Record<string, string>;
  }[];
  for (const name of names) {
    const mine = list.filter((i) => i.groupLabels.deployment === name);
    expect(mine).toHaveLength(1);
    const incident = (await getJson(s.proxy!.url(), `/api/v1/incidents/${mine[0]!.id}`))
      .body as IncidentView;
    const plans = incident.plans.filter((p) => p.policy === 'performance-degradation');
    expect(plans).toHaveLength(1);
    // The plan's one write, once in the request log; no other write to the Deployment.
    expect(plans[0]!.remediations.filter((r) => r.action === 'scale')).toMatchObject([
      { status: 'applied' },
    ]);
    expect(scalePatches(s.kube, NS, name).map((p) => [p.status, p.body])).toEqual([
      [200, { spec: { replicas: 4 } }],
    ]);
    expect(
      s.kube.writes().filter((w) => w.path.includes(`/deployments/${name}`) && w.status < 400),
    ).toHaveLength(1);
  }
  const updates = s
    .notices('oncall')
    .filter((n) => n.template === 'status-update' && /burst-\d\d/.test(n.text));
  for (const name of names)
    expect(updates.filter((n) => n.text.includes(`deployment ${name}`))).toHaveLength(1);

  s.step('alertmanager: the burst resolved');
  await postAlerts(s.alertmanager, resolvedNow(alerts));
  await s.waitFor(
    async () => {
      const { status, body } = await getJson(
        s.proxy!.url(),
        '/api/v1/incidents?status=open&limit=200',
      );
      return status === 200 && (body.incidents as unknown[]).length === 0;
    },
    'every burst incident resolved',
    30_000,
  );
  for (const name of names) expect(scalePatches(s.kube, NS, name)).toHaveLength(1);
}, 120_000);

it('(c) SIGKILL of the leader mid-verification: another replica finishes the plan', async () => {
  const s = started();
  seedDeployment(s.kube, NS, 'ha-c', 2);
  const alert = highLatency('ha-c');
  s.step('alertmanager: HighLatency posted for ha-c');
  await postAlerts(s.alertmanager, [alert]);
  const verifying = await s.waitFor(
    async () => {
      const i = await incidentOf(s, 'ha-c');
      const step1 = i === undefined ? undefined : scaleStep(i);
      return step1?.status === 'applied' &&
        step1.verifyUntil !== null &&
        step1.verification === null
        ? i
        : undefined;
    },
    'ha-c scaled and verifying',
    20_000,
  );
  expect(perf(verifying)?.status).toBe('running');
  const leader = await theLeader(s, 'the leader', 5_000);
  s.step(`SIGKILL ${leader.name}, the leader, while ha-c's scale is being verified`);
  const killedAt = Date.now();
  expect(await leader.kill('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
  const next = await theLeader(s, 'another replica to take the lock', 10_000);
  expect(next).not.toBe(leader);
  s.step(`${next.name} leads ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
  // The plan is still where the journal says it was: verifying, on the new leader.
  const resumed = (await sameEverywhere(s, `/api/v1/incidents/${verifying.id}`)) as IncidentView;
  expect(scaleStep(resumed)).toMatchObject({ status: 'applied', verification: null });

  s.step('alertmanager: ha-c resolved');
  await postAlerts(s.alertmanager, resolvedNow([alert]));
  const finished = await s.waitFor(
    async () => {
      const i = await incidentOf(s, 'ha-c');
      const p = i === undefined ? undefined : perf(i);
      return p !== undefined && !['planned', 'running'].includes(p.status) ? i : undefined;
    },
    'the new leader to finish the plan',
    20_000,
  );
  s.step(`ha-c's plan: ${perf(finished)?.status}`);
  expect(scaleStep(finished)).toMatchObject({ status: 'applied', verification: 'effective' });
  expect(perf(finished)?.status).toBe('effective');
  // Each step once; the scale written once.
  const steps = finished.plans.flatMap((p) => p.remediations.map((r) => `${p.id}/${r.step}`));
  expect(new Set(steps).size).toBe(steps.length);
  expect(applied(s, 'ha-c')).toHaveLength(1);
  expect(scalePatches(s.kube, NS, 'ha-c')).toHaveLength(1);

  s.step(`${leader.name} restarts (as Kubernetes would) and follows`);
  await leader.start();
  await sleep(2000);
  expect(await leader.metric('remediator_leader')).toBe(0);
  expect((await theLeader(s, 'the same leader', 5_000)).name).toBe(next.name);
  const settled = (await sameEverywhere(s, `/api/v1/incidents/${finished.id}`)) as IncidentView;
  expect(settled.plans.flatMap((p) => p.remediations.map((r) => r.id))).toEqual(
    finished.plans.flatMap((p) => p.remediations.map((r) => r.id)),
  );
}, 90_000);

/** One notification the test posted itself to the proxy (Alertmanager's answers are not seen). */
interface Posted {
  probe: string;
  deployment: string;
  at: number;
  status: number | 'error';
  retryAfter: string | null;
  notification?: number;
}

function probePayload(probe: string, deployment: string): unknown {
  const labels = { alertname: 'HighLatency', severity: 'critical', namespace: NS, deployment };
  const groupLabels = { alertname: 'HighLatency', namespace: NS, deployment };
  return {
    receiver: 'replicas',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations: { probe },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://127.0.0.1/e2e',
        // Hex, as Alertmanager's are: the probe's number.
        fingerprint: probe.replace(/\D/g, '').padStart(16, '0'),
      },
    ],
    groupLabels,
    commonLabels: labels,
    commonAnnotations: { probe },
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: `{}:{alertname="HighLatency", deployment="${deployment}", namespace="${NS}"}`,
    truncatedAlerts: 0,
  };
}

async function postProbe(url: string, probe: string, deployment: string): Promise<Posted> {
  const at = Date.now();
  try {
    const res = await fetch(`${url}/webhook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body: JSON.stringify(probePayload(probe, deployment)),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => ({}))) as { notification?: number };
    return {
      probe,
      deployment,
      at,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      ...(body.notification === undefined ? {} : { notification: body.notification }),
    };
  } catch {
    return { probe, deployment, at, status: 'error', retryAfter: null };
  }
}

it('(d) PostgreSQL stopped for 20 s mid-run: 503s while down, nothing answered is lost, nothing done twice', async () => {
  const s = started();
  const server = pg!;
  const proxy = s.proxy!;
  const PROBES = 70;
  const deployments = Array.from(
    { length: PROBES },
    (_, i) => `outage-${String(i).padStart(2, '0')}`,
  );
  for (const name of deployments) seedDeployment(s.kube, NS, name, 2);
  seedDeployment(s.kube, NS, 'ha-d', 2);
  seedDeployment(s.kube, NS, 'ha-d-late', 2);

  // A plan under way when the database goes: ha-d's scale, being verified.
  const running = highLatency('ha-d');
  await postAlerts(s.alertmanager, [running]);
  await s.waitFor(
    async () => {
      const i = await incidentOf(s, 'ha-d');
      return i !== undefined && scaleStep(i)?.status === 'applied';
    },
    'ha-d scaled',
    20_000,
  );
  const leader = await theLeader(s, 'the leader', 5_000);
  supervisor = supervise(s);

  // Notifications of the test's own, one group each, every 400 ms through the proxy, before,
  // during and after the outage: their answers are what the test checks.
  const posted: Posted[] = [];
  const posting = { stop: false };
  const poster = (async () => {
    for (let i = 0; i < PROBES && !posting.stop; i++) {
      const deployment = deployments[i]!;
      posted.push(await postProbe(proxy.url(), `probe-${i}`, deployment));
      await sleep(400);
    }
  })();

  await sleep(2000);
  s.step('postgres: stop (fast shutdown) for 20 s');
  await server.stop();
  const downAt = Date.now();
  await sleep(2000);
  s.step('alertmanager: HighLatency posted for ha-d-late while PostgreSQL is down');
  const late = highLatency('ha-d-late');
  await postAlerts(s.alertmanager, [late]);
  // The API has no leader to answer.
  const apiWhileDown = await getJson(proxy.url(), '/api/v1/incidents').catch(() => undefined);
  await sleep(downAt + 20_000 - Date.now());
  s.step('postgres: start');
  await server.start();
  const upAt = Date.now();
  const next = await theLeader(s, 'a leader once PostgreSQL is back', 20_000);
  s.step(
    `${next.name} leads ${((Date.now() - upAt) / 1000).toFixed(1)} s after PostgreSQL came back`,
  );
  // At once: ha-d's 30 s verification window began before the outage.
  s.step('alertmanager: ha-d resolved');
  await postAlerts(s.alertmanager, resolvedNow([running]));
  await sleep(3000);
  posting.stop = true;
  await poster;
  await supervisor.stop();
  const exits = supervisor.exits;
  const failedStarts = supervisor.failedStarts;
  supervisor = undefined;
  for (const r of s.remediators) if (!r.running) await r.start();

  const byStatus = (p: Posted) => (p.at < downAt ? 'before' : p.at < upAt ? 'down' : 'after');
  const summary: Record<string, Record<string, number>> = {};
  for (const p of posted) {
    const k = byStatus(p);
    summary[k] ??= {};
    summary[k][String(p.status)] = (summary[k][String(p.status)] ?? 0) + 1;
  }
  s.step(
    `webhook answers: ${JSON.stringify(summary)}; exits ${JSON.stringify(exits)}; ${failedStarts} restarts failed while down; API while down: ${JSON.stringify(apiWhileDown)}`,
  );

  // While down: 503 with Retry-After (never a 200), from the replicas that stayed up.
  const down = posted.filter((p) => byStatus(p) === 'down');
  expect(down.filter((p) => p.status === 503).length).toBeGreaterThan(0);
  for (const p of down.filter((x) => x.status === 503)) expect(p.retryAfter).not.toBeNull();
  expect(down.filter((p) => p.status === 200).map((p) => p.probe)).toEqual([]);
  expect(apiWhileDown?.status).toBe(503);
  // The leader lost its session and exited 70; Kubernetes' restarts brought it back.
  expect(exits).toContainEqual({ replica: leader.name, code: 70, signal: null });
  expect(exits.filter((e) => e.code !== 70 && e.replica !== leader.name)).toEqual([]);

  // Nothing answered is lost: every 200 is in the log once, under the seq the answer named.
  const ok = posted.filter((p) => p.status === 200);
  expect(ok.filter((p) => byStatus(p) === 'before').length).toBeGreaterThan(0);
  expect(ok.filter((p) => byStatus(p) === 'after').length).toBeGreaterThan(0);
  const rows = await query<{ seq: string; body: string }>('SELECT seq, body FROM notifications');
  for (const p of ok) {
    const mine = rows.filter((r) => r.body.includes(`"probe":"${p.probe}"`));
    expect({ probe: p.probe, seqs: mine.map((r) => Number(r.seq)) }).toEqual({
      probe: p.probe,
      seqs: [p.notification],
    });
  }

  // ... and acted on once, after the outage as before it.
  const answered = ok.map((p) => p.deployment);
  await s.waitFor(
    () => [...answered, 'ha-d-late'].every((d) => applied(s, d).length >= 1),
    'every answered notification acted on, and the one Alertmanager retried',
    40_000,
  );
  const finished = await s.waitFor(
    async () => {
      const i = await incidentOf(s, 'ha-d');
      const p = i === undefined ? undefined : perf(i);
      return p !== undefined && !['planned', 'running'].includes(p.status) ? i : undefined;
    },
    'ha-d plan finished by the leader after the outage',
    30_000,
  );
  // Its verdict depends on whether the resolution beat the window (which ran on through the
  // outage), not on which replica judged it: either is a finished plan; its write stays one.
  s.step(`ha-d: plan ${perf(finished)?.status}, scale ${scaleStep(finished)?.verification}`);
  expect(scaleStep(finished)).toMatchObject({ status: 'applied' });
  expect(['effective', 'ineffective']).toContain(scaleStep(finished)?.verification);
  // Give a duplicate time to show up before counting.
  await sleep(3000);
  const list = (await sameEverywhere(s, '/api/v1/incidents?limit=300')).incidents as {
    groupLabels: Record<string, string>;
  }[];
  for (const d of [...answered, 'ha-d', 'ha-d-late']) {
    expect({ d, incidents: list.filter((i) => i.groupLabels.deployment === d).length }).toEqual({
      d,
      incidents: 1,
    });
  }
  // Exactly once for what was answered; a notification answered 503 may still have been
  // committed (the answer lost with the session), and is then acted on once too, never twice.
  for (const d of [...answered, 'ha-d', 'ha-d-late'])
    expect({ d, patches: scalePatches(s.kube, NS, d).length }).toEqual({ d, patches: 1 });
  for (const d of deployments) expect(scalePatches(s.kube, NS, d).length).toBeLessThanOrEqual(1);
  // No target anywhere in this file was written twice.
  const perTarget = new Map<string, number>();
  for (const w of s.kube.writes().filter((x) => x.path.includes('/scale') && x.status === 200))
    perTarget.set(w.path, (perTarget.get(w.path) ?? 0) + 1);
  expect([...perTarget].filter(([, n]) => n > 1)).toEqual([]);
}, 150_000);
