/**
 * `npm run demo`: scenario 1 of the runbook, end to end, narrated one line per hop, then a Sev1
 * outage that a human approves.
 *
 * The heart-disease-api's p99 latency rises over 1 s → Prometheus fires HighLatency → Alertmanager
 * notifies remediator → Sev1 incident → remediator silences HighLatency in Alertmanager while it
 * works and scales the Deployment out within the policy's bounds → the latency falls back → the
 * alert resolves → the incident resolves, the silence is lifted and on-call gets the resolution
 * notice. Then the service stops answering → ServiceDown (Sev1) → the service-disruption plan
 * waits for the Incident Commander, who approves it through the API → the step writes.
 *
 * The stack is the end-to-end tests' own (test/e2e/support, described in test/e2e/README.md), so
 * the demo shows exactly what the tests check: a simulated service, a real Prometheus and
 * Alertmanager, the fake Kubernetes API server and the built `remediator serve`, all on 127.0.0.1.
 * A minute of the production rules is a second here and the policies' durations are divided by
 * 10, so the whole story takes about half a minute.
 *
 * Run by scripts/run-ts.js (see there why it is not compiled like bench/).
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  exists,
  GiveUp,
  HEART_DISEASE_API,
  requireBinaries,
  startStack,
  type IncidentView,
  type Notice,
  type Stack,
  WEBHOOK_TOKEN,
} from '../test/e2e/support';
import { CLI } from '../test/support/cli';

const USAGE = `Usage: npm run demo -- [--keep] [--verbose]

Walks through scenario 1 of the runbook (p99 latency over 1 s, with an Alertmanager silence while
remediator works), then a Sev1 outage whose fix waits for a human's approval, with Prometheus,
Alertmanager, a simulated service, a fake Kubernetes API server and remediator, printing each hop;
then stops them.

  --keep      keep everything running after the walkthrough, until Ctrl-C, and print the URLs
              (the console's among them)
  --verbose   also print every line the end-to-end harness logs (stderr)
  --help      this text

Needs Prometheus and Alertmanager: apt-get install prometheus prometheus-alertmanager.
E2E_KEEP=1 keeps the temporary directory (configurations, journal, logs/*.log) after the end.`;

const { namespace, name, replicas: REPLICAS } = HEART_DISEASE_API;
const DEPLOYMENT = `${namespace}/${name}`;
const SCALE_PATH = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/scale`;
const JOBS_PATH = `/apis/batch/v1/namespaces/${namespace}/jobs`;

/** Seconds per request: the simulated service's normal. */
const FAST = 0.12;
/** Seconds per request under the spike: all in the (1, 2.5] bucket, so Prometheus's p99 ≈ 2.5 s. */
const SLOW = 1.6;
/**
 * The fake API server has no pods: the demo stands in for the new replicas starting, and only
 * this long after the scale-out makes the service fast again, so that the recovery follows it.
 */
const REPLICAS_START_MS = 5_000;

/** The p99 as HighLatency computes it (alert-rules/service.rules.yml, `[5m]` → `[5s]`). */
const P99_QUERY = `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="${namespace}", deployment="${name}"}[5s])))`;

/** How long performance-degradation's silence lasts in the demo (`silence: { for }`). */
const SILENCE_FOR = '6s';

const startedAt = Date.now();

/** Aborted by the first Ctrl-C (or SIGTERM, SIGHUP): every wait of the walkthrough ends at once. */
const interrupt = new AbortController();

// ---------------------------------------------------------------------------------------------
// Printing

function clock(at = Date.now()): string {
  const seconds = Math.floor((at - startedAt) / 1000);
  const mm = String(Math.floor(seconds / 60)).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  return `[${mm}:${ss}]`;
}

/** One hop, with the time since the demo started; `details` are shown indented below it. */
function say(line: string, details: readonly string[] = []): void {
  process.stdout.write(`${clock()} ${line}\n`);
  for (const detail of details) process.stdout.write(`        │ ${detail}\n`);
}

function inSeconds(value: number | string | undefined): string {
  const n = Number(value);
  return Number.isFinite(n) ? `${n.toFixed(2)} s` : '?';
}

function failure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Waiting: every hop is bounded, and a Ctrl-C ends it at once.

type Probe<T> = () => T | undefined | null | false | Promise<T | undefined | null | false>;

/** Polls `probe` until it returns something; on timeout, fails with a dump of the whole stack. */
function until<T>(stack: Stack, what: string, timeoutMs: number, probe: Probe<T>): Promise<T> {
  return stack.waitFor(
    () => {
      if (interrupt.signal.aborted) throw new GiveUp('interrupted');
      return probe();
    },
    what,
    timeoutMs,
  );
}

function pause(ms: number): Promise<void> {
  return sleep(Math.max(0, ms), undefined, { signal: interrupt.signal });
}

// ---------------------------------------------------------------------------------------------
// Reading the components

async function currentP99(stack: Stack): Promise<number | undefined> {
  const [sample] = await stack.prometheus.query(P99_QUERY);
  const value = Number(sample?.value[1]);
  return Number.isFinite(value) ? value : undefined;
}

async function highLatency(stack: Stack) {
  return (await stack.prometheus.alerts()).find((a) => a.labels.alertname === 'HighLatency');
}

/** `alerts=[HighLatency[df5c8bb][active]]` of a "flushing" line → `HighLatency firing`. */
function flushedAlerts(line: string): string {
  const alerts = [...line.matchAll(/(\w+)\[[0-9a-f]+\]\[(active|resolved)\]/g)];
  return alerts
    .map((m) => `${m[1] ?? '?'} ${m[2] === 'active' ? 'firing' : 'resolved'}`)
    .join(', ');
}

/**
 * Alertmanager's notification of HighLatency in `state`: its first flush of the group with the
 * alert in that state, and the "Notify success" after it (Alertmanager logs both at debug level).
 * Repeats of an unchanged group (repeat_interval) come later and are not it.
 */
function notification(stack: Stack, state: 'active' | 'resolved') {
  const lines = stack.alertmanager.process.lines;
  const inState = new RegExp(`msg=flushing .*HighLatency\\[[0-9a-f]+\\]\\[${state}\\]`);
  const flush = lines.findIndex((l) => inState.test(l));
  if (flush < 0) return undefined;
  const success = lines.slice(flush).find((l) => l.includes('msg="Notify success"'));
  return success === undefined ? undefined : { flush: lines[flush] ?? '', success };
}

function kubeWrite(stack: Stack, method: string, path: string) {
  return stack.kube.writes().find((w) => w.method === method && w.path === path && w.status > 0);
}

function notice(stack: Stack, template: Notice['template']): Notice | undefined {
  return stack.notices('oncall').find((n) => n.template === template);
}

function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/** The message of the incident's first timeline entry of `kind` that matches `pattern`. */
async function timelineEntry(
  stack: Stack,
  incidentId: number,
  kind: string,
  pattern: RegExp,
): Promise<string | undefined> {
  const incident = await stack.remediator.incident(incidentId);
  return incident.timeline.find((e) => e.kind === kind && pattern.test(e.message))?.message;
}

/** The scale step's params as the plan journaled them (`factor`, `min`, `max`). */
async function scaleParams(stack: Stack, incidentId: number): Promise<string> {
  const view = (await stack.remediator.getJson(`/api/v1/incidents/${incidentId}`)) as {
    plans: { steps: { action: string; params?: Record<string, unknown> }[] }[];
  };
  const params = view.plans.flatMap((p) => p.steps).find((s) => s.action === 'scale')?.params;
  return Object.entries(params ?? {})
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// The walkthrough, hop by hop

async function baseline(stack: Stack): Promise<void> {
  const p99 = await until(stack, 'Prometheus to compute the p99 latency', 15_000, () =>
    currentP99(stack),
  );
  say(
    `sim: ${name} answers ${stack.sim.behaviour().requestsPerSecond} requests/s in ${FAST} s each; Prometheus: p99 ${inSeconds(p99)} (estimated from histogram buckets), under HighLatency's 1 s`,
  );
}

async function latencyRises(stack: Stack): Promise<void> {
  say(
    `sim: every request now takes ${SLOW} s (was ${FAST} s): more load than ${REPLICAS} replicas can take`,
  );
  stack.sim.setLatency(SLOW);
  const seen = await until(stack, 'Prometheus to see HighLatency', 20_000, () =>
    highLatency(stack),
  );
  if (seen.state === 'pending') {
    say(
      `Prometheus: HighLatency pending: p99 ${inSeconds(seen.value)} > 1 s; it fires if that holds for 2 s ("for: 2m" in production)`,
    );
  }
  const firing = await until(stack, 'Prometheus to fire HighLatency', 20_000, async () => {
    const alert = await highLatency(stack);
    return alert?.state === 'firing' ? alert : undefined;
  });
  say(
    `Prometheus: HighLatency firing (p99 ${inSeconds(firing.annotations.p99_seconds)}) → sends it to Alertmanager`,
  );
}

/** Alertmanager's hops: the alert from Prometheus, then its notification to remediator. */
async function alertmanagerDelivers(stack: Stack, state: 'active' | 'resolved'): Promise<void> {
  const received = new RegExp(
    `msg="Received alert" alert=HighLatency\\[[0-9a-f]+\\]\\[${state}\\]`,
  );
  await until(stack, `Alertmanager to receive HighLatency ${state}`, 15_000, () =>
    stack.alertmanager.process.lines.some((l) => received.test(l)),
  );
  say(
    state === 'active'
      ? 'Alertmanager: got HighLatency; groups it by alertname, namespace, deployment and waits group_wait (1 s)'
      : 'Alertmanager: got HighLatency resolved from Prometheus',
  );
  const sent = await until(stack, `Alertmanager to notify remediator (${state})`, 15_000, () =>
    notification(stack, state),
  );
  const attempts = /attempts=(\d+)/.exec(sent.success)?.[1] ?? '1';
  say(
    `Alertmanager → remediator: POST /webhook (bearer token): ${flushedAlerts(sent.flush)} → 200${attempts === '1' ? '' : ` after ${attempts} attempts`}`,
  );
}

async function incidentOpens(stack: Stack): Promise<IncidentView> {
  const incident = await until(stack, 'remediator to open the incident', 10_000, () =>
    stack.remediator.incidentFor({ alertname: 'HighLatency', deployment: name }),
  );
  say(
    `remediator: incident #${incident.id} opened, ${incident.severity} (${incident.severityReasons.join('; ')})`,
  );
  const plans = incident.plans.map(
    (p) => `${p.policy} (${p.steps.map((s) => s.action).join(' → ')})`,
  );
  say(`remediator: ${plans.length} policies match: ${plans.join(', ')}`);
  return incident;
}

/** Returns when the scale-out was written (epoch ms). */
async function deploymentScalesOut(stack: Stack, incident: IncidentView): Promise<number> {
  const patch = await until(stack, `remediator to PATCH ${SCALE_PATH}`, 15_000, () =>
    kubeWrite(stack, 'PATCH', SCALE_PATH),
  );
  const to = Number(field(patch.body, 'spec', 'replicas'));
  say(
    `remediator → Kubernetes: PATCH deployments/${name}/scale ${JSON.stringify(patch.body)} → ${patch.status}: ${REPLICAS} → ${to} replicas (policy performance-degradation: ${await scaleParams(stack, incident.id)})`,
  );
  const update = await until(stack, 'the Sev1 status update to on-call', 10_000, () =>
    notice(stack, 'status-update'),
  );
  say('remediator → on-call: status update (every Sev1 pages on-call)', update.text.split('\n'));
  const silenced = await until(stack, 'the silence in Alertmanager', 10_000, async () =>
    timelineEntry(stack, incident.id, 'silence', /^Silenced /),
  );
  say(
    `remediator → Alertmanager: POST /api/v2/silences: ${silenced} (policy performance-degradation's silence, so on-call is not paged again for what is being fixed)`,
  );
  const held = await until(
    stack,
    'Alertmanager to hold HighLatency as silenced',
    10_000,
    async () =>
      (await stack.alertmanager.alerts({ alertname: 'HighLatency' })).find(
        (a) => a.status.state === 'suppressed',
      ),
  );
  say(
    `Alertmanager: HighLatency suppressed by silence ${held.status.silencedBy.join(', ')}: its repeats are not sent; the silence ends after ${SILENCE_FOR} (silence.for here; by default the verify windows plus 5 minutes) or when the plan ends`,
  );
  const job = await until(stack, 'the diagnostic Job', 10_000, () =>
    kubeWrite(stack, 'POST', JOBS_PATH),
  );
  say(
    `remediator → Kubernetes: POST jobs ${String(field(job.body, 'metadata', 'name'))} → ${job.status} (policy sev1-diagnostics: a diagnostic Job)`,
  );
  return patch.at;
}

async function latencyRecovers(stack: Stack, scaledAt: number): Promise<void> {
  await pause(scaledAt + REPLICAS_START_MS - Date.now());
  say(
    `sim: the new replicas take their share of the load (the demo's stand-in for pods starting): every request takes ${FAST} s again`,
  );
  stack.sim.setLatency(FAST);
  await until(stack, 'Prometheus to resolve HighLatency', 20_000, async () =>
    (await highLatency(stack)) === undefined ? true : undefined,
  );
  const p99 = await currentP99(stack).catch(() => undefined);
  say(
    `Prometheus: HighLatency resolved (p99 ${inSeconds(p99)}: the 5 s window holds fast requests only) → tells Alertmanager`,
  );
}

async function incidentResolves(stack: Stack, id: number): Promise<void> {
  const resolved = await until(stack, `incident #${id} to resolve`, 10_000, async () => {
    const incident = await stack.remediator.incident(id);
    return incident.status === 'resolved' ? incident : undefined;
  });
  const took = Date.parse(resolved.resolvedAt ?? '') - Date.parse(resolved.openedAt);
  say(
    `remediator: incident #${id} resolved: all its alerts resolved, ${Math.round(took / 1000)} s after it opened`,
  );
  const verified = await until(stack, 'the verdict on the scale step', 10_000, async () =>
    (await stack.remediator.incident(id)).timeline.find((e) => e.kind === 'verification'),
  );
  say(`remediator: verified the scale-out: ${verified.message}`);
  const resolution = await until(stack, 'the resolution notice to on-call', 10_000, () =>
    notice(stack, 'resolution-notice'),
  );
  say('remediator → on-call: resolution notice', resolution.text.split('\n'));
}

/** The service stops answering: a Sev1 whose service-disruption plan waits for a human. */
async function outageAwaitsApproval(stack: Stack): Promise<{ incident: number; plan: number }> {
  say(
    `sim: ${name} stops answering (every scrape fails) → Prometheus fires ServiceDown after 1 s ("for: 1m" in production)`,
  );
  stack.sim.setDown(true);
  const incident = await until(
    stack,
    'the ServiceDown plan to await approval',
    30_000,
    async () => {
      const found = await stack.remediator.incidentFor({
        alertname: 'ServiceDown',
        deployment: name,
      });
      const plan = found?.plans.find((p) => p.policy === 'service-disruption');
      return plan?.status === 'awaiting_approval' && found !== undefined
        ? { found, plan }
        : undefined;
    },
  );
  const { found, plan } = incident;
  say(
    `remediator: incident #${found.id} opened, ${found.severity}; policy service-disruption (${plan.steps.map((s) => s.action).join(' → ')}) asks approval on Sev1: plan #${plan.id} waits, nothing is written`,
    [
      `the change: ${plan.approval?.change ?? '?'}`,
      `deadline: ${plan.approval?.deadline ?? '?'} (no answer by then denies it and escalates)`,
    ],
  );
  const request = await until(stack, 'the approval request to on-call', 10_000, () =>
    stack.notices('oncall').find((n) => n.template === 'approval'),
  );
  say(
    'remediator → on-call: approval request (Slack, with Approve and Deny buttons)',
    request.text.split('\n'),
  );
  return { incident: found.id, plan: plan.id };
}

/** The Incident Commander approves through the API; the step runs behind every safety gate. */
async function commanderApproves(
  stack: Stack,
  ids: { incident: number; plan: number },
): Promise<void> {
  const body = { by: 'incident-commander', comment: 'approved on the bridge call' };
  const res = await fetch(`${stack.remediator.url}/api/v1/plans/${ids.plan}/approve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const answer = (await res.json()) as { outcome?: string | null; message?: string };
  if (res.status !== 200)
    throw new Error(`the approval was refused: ${res.status} ${answer.message ?? ''}`);
  say(
    `incident commander → remediator: POST /api/v1/plans/${ids.plan}/approve ${JSON.stringify(body)} (or remediator approve ${ids.plan}, the console's Approvals page, Slack's button) → 200`,
    [`every safety gate checked again, then: ${answer.outcome ?? '?'}`],
  );
  const write = await until(stack, 'the approved step to write', 10_000, () =>
    stack.kube
      .writes()
      .find(
        (w) =>
          w.method === 'PATCH' &&
          w.path === `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
      ),
  );
  say(
    `remediator → Kubernetes: PATCH deployments/${name} (${write.contentType?.split(';')[0] ?? ''}) → ${write.status}`,
  );
  say('sim: the restarted pods answer again');
  stack.sim.setDown(false);
  await until(stack, `incident #${ids.incident} to resolve`, 30_000, async () =>
    (await stack.remediator.incident(ids.incident)).status === 'resolved' ? true : undefined,
  );
  say(
    `remediator: incident #${ids.incident} resolved; its timeline names who approved what, when and why (GET /api/v1/incidents/${ids.incident})`,
  );
}

/** What remediator journaled, counted in its own /metrics, and wrote to Kubernetes. */
async function summary(stack: Stack, id: number): Promise<void> {
  const incident = await stack.remediator.incident(id);
  const metric = (metricName: string, labels: Record<string, string> = {}) =>
    stack.remediator.metric(metricName, labels);
  const counts = [
    `incidents opened ${await metric('remediator_incidents_opened_total')}`,
    `resolved ${await metric('remediator_incidents_resolved_total')}`,
    `remediation steps applied ${await metric('remediator_remediations_total', { outcome: 'applied' })}`,
    `verified effective ${await metric('remediator_verifications_total', { result: 'effective' })}`,
    `notifications delivered ${await metric('remediator_notifications_total', { result: 'delivered' })}`,
    `approvals ${await metric('remediator_approvals_total', { result: 'approved' })}`,
  ];
  const writes = stack.kube.writes();
  const count = (test: (path: string) => boolean) => writes.filter((w) => test(w.path)).length;
  say('summary', [
    `incident #${incident.id} ${incident.severity}, ${incident.timeline.length} entries in its timeline (GET /api/v1/incidents/${incident.id})`,
    `remediator's /metrics: ${counts.join(', ')}`,
    `Kubernetes writes: ${count((p) => p === SCALE_PATH)} scale, ${count((p) => p === JOBS_PATH)} Job, ${count((p) => p.includes('/events'))} audit Events, ${count((p) => p.includes('/leases'))} Lease writes (lock, cooldown, budget)`,
  ]);
}

/** Returns the incident's id. */
async function walkthrough(stack: Stack): Promise<number> {
  await baseline(stack);
  await latencyRises(stack);
  await alertmanagerDelivers(stack, 'active');
  const incident = await incidentOpens(stack);
  const scaledAt = await deploymentScalesOut(stack, incident);
  await latencyRecovers(stack, scaledAt);
  await alertmanagerDelivers(stack, 'resolved');
  await incidentResolves(stack, incident.id);
  const outage = await outageAwaitsApproval(stack);
  await commanderApproves(stack, outage);
  await summary(stack, incident.id);
  return incident.id;
}

// ---------------------------------------------------------------------------------------------
// Starting, keeping, stopping

function intro(): void {
  process.stdout.write(
    [
      'remediator demo: scenario 1 of the runbook, p99 latency over 1 s, end to end; then an outage whose fix a human approves.',
      'A minute of the production alert rules is a second here; the policies run 10 times faster.',
      'It takes about a minute; everything listens on 127.0.0.1 and stops at the end (Ctrl-C stops it too).',
      '',
    ].join('\n'),
  );
}

async function start(verbose: boolean): Promise<Stack> {
  say(
    `starting: the simulated ${name}, a fake Kubernetes API server, remediator, Alertmanager, Prometheus`,
  );
  // The shipped policies as they are (Sev1 rollbacks and restarts wait for approval), with
  // Alertmanager's API configured so that performance-degradation may silence its alerts.
  const stack = await startStack({
    name: 'demo',
    narrate: verbose,
    sources: true,
    policies: {
      approvals: true,
      transform: (doc) => {
        const policy = doc.policies?.find((p) => p.name === 'performance-degradation');
        // Short, so that it has ended by the time the alert resolves: Alertmanager would mute
        // the resolved notification too, and this story follows the notifications.
        if (policy !== undefined) policy.silence = { for: SILENCE_FOR };
      },
    },
  });
  if (interrupt.signal.aborted) return stack;
  say(
    `ready: Kubernetes has Deployment ${DEPLOYMENT} at ${REPLICAS} replicas; Prometheus scrapes ${name} every second`,
  );
  return stack;
}

/** `--keep`: the URLs a newcomer can look at, then wait for Ctrl-C. */
async function keepRunning(stack: Stack, incidentId: number): Promise<void> {
  const r = stack.remediator.url;
  process.stdout.write(
    [
      '',
      'Everything keeps running until Ctrl-C:',
      `  console       ${r}/   ${r}/incidents/${incidentId}   ${r}/status   (sign in on ${r}/controls with the webhook token: ${WEBHOOK_TOKEN})`,
      `  remediator    ${r}/api/v1/incidents   ${r}/api/v1/incidents/${incidentId}/report?format=markdown   ${r}/metrics`,
      `  Prometheus    ${stack.prometheus.url}/alerts   ${stack.prometheus.url}/graph`,
      `  Alertmanager  ${stack.alertmanager.url}/#/alerts`,
      `  Kubernetes    curl -H 'Authorization: Bearer ${stack.kube.token}' ${stack.kube.url}/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
      `  files         ${stack.dir} (policies.yaml, alertmanager.yml, prometheus.yml, logs/)`,
      `  e.g.          curl -s ${r}/api/v1/incidents/${incidentId}`,
      '',
    ].join('\n'),
  );
  if (interrupt.signal.aborted) return;
  await new Promise((resolve) => interrupt.signal.addEventListener('abort', resolve));
}

async function stop(stack: Stack): Promise<void> {
  say('stopping Prometheus, Alertmanager, remediator, the fake API server and the sim');
  await stack.stop(); // throws if a process group outlived it
  const alive = stack.pids().filter((pid) => exists(pid) || exists(-pid));
  if (alive.length > 0) throw new Error(`processes still running: ${alive.join(', ')}`);
  say(`stopped: nothing left running (${stack.pids().length} processes started in all)`);
}

/** 128 + the signal's number, as a shell reports a process the signal ended. */
const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

let interruptedAt = 0;

function onSignal(signal: NodeJS.Signals): void {
  if (interrupt.signal.aborted) {
    // Under `npm run`, one Ctrl-C arrives twice: from the terminal and forwarded by npm.
    if (Date.now() - interruptedAt < 1000) return;
    // A second Ctrl-C: leave now; the harness's exit hook SIGKILLs every child process group.
    process.stderr.write(
      `${signal} again: killing everything now (the files stay in ${tmpdir()}/remediator-e2e-demo-*)\n`,
    );
    process.exit(SIGNAL_EXIT_CODES[signal] ?? 130);
  }
  interruptedAt = Date.now();
  interrupt.abort(signal);
  process.stderr.write(
    `\n${clock()} ${signal}: stopping everything (${signal} again kills it at once)\n`,
  );
}

/** Prometheus, Alertmanager and the build: what must be there before anything starts. */
function preflight(): string | undefined {
  try {
    requireBinaries();
  } catch (error) {
    return failure(error);
  }
  if (!existsSync(CLI)) return `${CLI} is missing: npm run build (npm run demo does it first)`;
  return undefined;
}

function options(): { keep: boolean; verbose: boolean; help: boolean } | undefined {
  try {
    return parseArgs({
      options: {
        keep: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`demo: ${failure(error)}\n\n${USAGE}\n`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const values = options();
  if (values === undefined) return 2;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const problem = preflight();
  if (problem !== undefined) {
    process.stderr.write(`demo: cannot start: ${problem}\n`);
    return 1;
  }
  // The harness's own story lines (stderr) would interleave with the walkthrough's.
  if (!values.verbose) process.env.E2E_QUIET = '1';
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  intro();
  let stack: Stack;
  try {
    stack = await start(values.verbose);
  } catch (error) {
    process.stderr.write(`${clock()} demo FAILED: the stack did not start: ${failure(error)}\n`);
    return 1;
  }
  let code = 0;
  let failed: string | undefined;
  try {
    const incidentId = await walkthrough(stack);
    if (values.keep) await keepRunning(stack, incidentId);
  } catch (error) {
    if (interrupt.signal.aborted) {
      code = SIGNAL_EXIT_CODES[interrupt.signal.reason as NodeJS.Signals] ?? 130;
    } else {
      // The first line says which hop did not happen, the rest is the state of every component:
      // that goes out now, the headline again last, where it is seen.
      const [headline, ...state] = failure(error).split('\n');
      if (state.length > 0) process.stderr.write(`${state.join('\n')}\n`);
      failed = `${clock()} demo FAILED: ${headline ?? ''}`;
      code = 1;
    }
  }
  try {
    await stop(stack);
  } catch (error) {
    process.stderr.write(`${clock()} demo FAILED to stop cleanly: ${failure(error)}\n`);
    code = code === 0 ? 1 : code;
  }
  if (failed !== undefined) {
    process.stderr.write(`${failed}\n(E2E_KEEP=1 npm run demo keeps every component's log)\n`);
  }
  if (code !== 0) return code;
  say(`done in ${Math.round((Date.now() - startedAt) / 1000)} s`);
  if (!values.keep) {
    process.stdout.write(
      "\nnpm run demo -- --keep leaves it all running at the end, to look at remediator's console, API and /metrics, Prometheus and Alertmanager.\n",
    );
  }
  return 0;
}

main().then(
  // Exit now: the polls of a hop cut short by Ctrl-C must not hold the process.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
