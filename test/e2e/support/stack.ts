import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver, type Behaviour, type Receiver } from '../../notify/receiver';
import { startFakeKube, type FakeKube } from '../../support/fake-kube';
import {
  startAlertmanager,
  type AmAlert,
  type Alertmanager,
  type AlertmanagerTimings,
} from './alertmanager';
import {
  HEART_DISEASE_API,
  runJobController,
  seedService,
  type JobFate,
  type ServiceSpec,
} from './cluster';
import { phase, recentSteps, step } from './log';
import { freePorts } from './ports';
import { exists, requireBinaries } from './processes';
import { startPrometheus, type Prometheus } from './prometheus';
import { Remediator, type IncidentView } from './remediator';
import { rewritePolicies, rewriteRuleDurations, type PolicyDocument } from './rewrite';
import { startSimService, type SimBehaviour, type SimService } from './sim-service';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import { waitFor } from './wait';

const ROOT = join(__dirname, '..', '..', '..');
export const SHIPPED_POLICIES = join(ROOT, 'deploy', 'k8s', 'policies', 'runbook.yaml');
export const SERVICE_RULES = join(ROOT, 'alert-rules', 'service.rules.yml');

/** The bearer token Alertmanager sends and remediator requires. */
export const WEBHOOK_TOKEN = 'e2e-webhook-token';

/** remediator's own namespace (its Leases live there). */
export const OWN_NAMESPACE = 'remediator';

export interface StackOptions {
  /** Prefix of the temporary directory. */
  name?: string;
  /** How many remediator instances, each with its own receiver in Alertmanager; default 1. */
  remediators?: number;
  /** The simulated service's behaviour at start. */
  sim?: Partial<SimBehaviour>;
  /** The Deployment (and its ReplicaSets, HPA) seeded in the fake cluster. */
  service?: ServiceSpec;
  /**
   * More Deployments, each seeded like `service` and served by a simulated service of its own
   * (series labelled `namespace`, `deployment` and `service` from the spec, default behaviour),
   * scraped by Prometheus as a job named after the Deployment: `stack.sims[name]` drives it.
   */
  extraServices?: readonly ServiceSpec[];
  /**
   * The policies: the shipped file with every duration divided by `timeScale` (default 10) and
   * sinks on the local receiver, then `transform`ed; or `text`, used as is (`RECEIVER` in it is
   * replaced by the receiver's base URL).
   */
  policies?:
    | { timeScale?: number; transform?: (doc: PolicyDocument) => void; approvals?: boolean }
    | { text: string };
  /**
   * Alertmanager's group_wait, group_interval, repeat_interval (default 1s, 2s, 10s), and the
   * route's group_by (default `[alertname, namespace, deployment]`).
   */
  alertmanager?: Partial<AlertmanagerTimings> & {
    groupBy?: readonly string[];
    /** The webhooks' `send_resolved` (default true). */
    sendResolved?: boolean;
  };
  /**
   * Start remediator with `--alertmanager-url` and `--prometheus-url` naming the stack's own
   * (verdicts from Alertmanager's API, PromQL verification, silences); default false.
   */
  sources?: boolean;
  /** What the stand-in Job controller does with diagnostic Jobs; default `succeeded`. */
  jobs?: JobFate;
  /** Answers of the sink receiver, request by request (default: 200 for all). */
  receiver?: readonly Behaviour[];
  /** Log every hop (Alertmanager deliveries, remediator's decisions) as it happens; default true. */
  narrate?: boolean;
  /** remediator's NODE_OPTIONS, e.g. the shipped Deployment's heap cap; default none. */
  nodeOptions?: string;
  /**
   * Issue 15's replicas: every remediator on this shared journal (`--journal`, a postgres:// URL),
   * each with `--advertise-url` naming its own port, behind a round-robin TCP proxy
   * (`stack.proxy`) that stands in for the Service: Alertmanager has one receiver, at the proxy,
   * so one group's notifications land on whichever replica the proxy picks.
   */
  ha?: { journal: string };
}

/** A notification a sink received. */
export interface Notice {
  sink: string;
  template: 'status-update' | 'resolution-notice' | 'approval';
  /** The message text (Slack `text`, or the webhook body's `text`). */
  text: string;
  body: any;
}

export interface Stack {
  readonly dir: string;
  readonly sim: SimService;
  /** Every simulated service by the name of its Deployment: `sim`, then `extraServices`. */
  readonly sims: Readonly<Record<string, SimService>>;
  readonly prometheus: Prometheus;
  readonly alertmanager: Alertmanager;
  readonly kube: FakeKube;
  /** The local HTTP receiver every sink posts to (`/sinks/<name>`). */
  readonly receiver: Receiver;
  /** The first (often the only) remediator. */
  readonly remediator: Remediator;
  readonly remediators: readonly Remediator[];
  /** With `ha`: the proxy in front of the remediators (Alertmanager's webhook URL names it). */
  readonly proxy: TcpProxy | undefined;
  readonly policiesFile: string;
  /** What the stand-in Job controller does from now on. */
  jobs: JobFate;
  /** Logs a hop of the scenario with a timestamp. */
  step(message: string): void;
  /** {@link waitFor} with a dump of the whole stack in the timeout message. */
  waitFor<T>(
    probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
    what: string,
    timeoutMs: number,
  ): Promise<T>;
  /** Alertmanager's active alerts of that name (API v2). */
  alertsFiring(name: string, filter?: Record<string, string>): Promise<AmAlert[]>;
  /** Waits for an incident of `remediator` (default the first) that satisfies `ready`. */
  incident(
    ready: (incident: IncidentView) => boolean,
    what: string,
    timeoutMs: number,
    remediator?: Remediator,
  ): Promise<IncidentView>;
  /** The notifications the sinks received so far, in order. */
  notices(sink?: string): Notice[];
  /** A readable dump of every component's state, for failure messages. */
  diagnose(): Promise<string>;
  /** The pid of every child process started so far (Prometheus, Alertmanager, every remediator run). */
  pids(): number[];
  /** Stops everything (safe to call twice); throws if a child process outlived it. */
  stop(): Promise<void>;
}

function parseNotice(url: string, raw: string): Notice | undefined {
  const m = /^\/sinks\/([^/?]+)/.exec(url);
  if (m?.[1] === undefined) return undefined;
  let body: any;
  try {
    body = JSON.parse(raw);
  } catch {
    body = raw;
  }
  const slackTitle: unknown = body?.blocks?.[0]?.text?.text;
  const title = typeof body?.title === 'string' ? body.title : slackTitle;
  const template =
    body?.template === 'resolution-notice' || title === 'Incident Resolution'
      ? 'resolution-notice'
      : body?.template === 'approval' || /^\[Sev\d\] (Approv|Denied)/.test(String(title))
        ? 'approval'
        : 'status-update';
  return { sink: m[1], template, text: String(body?.text ?? raw), body };
}

/** A log field as text: strings as they are, anything else as JSON. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One remediator log line, as a story line: only what a reader of a scenario needs. */
function narrateRemediator(name: string, l: Record<string, unknown>): string | undefined {
  const message = text(l.message);
  const incident = l.incident === undefined ? '' : ` #${text(l.incident)}`;
  const detail = (k: string) => (l[k] === undefined ? '' : ` ${JSON.stringify(l[k])}`);
  switch (message) {
    case 'incident opened':
      return `${name}: incident${incident} opened ${text(l.severity)}${detail('reasons')}`;
    case 'severity changed':
      return `${name}: incident${incident} severity ${text(l.from)} → ${text(l.to)}`;
    case 'alerts firing':
    case 'alerts resolved':
    case 'incident resolved':
    case 'incident status changed':
      return `${name}: incident${incident} ${message}${detail('alerts')}${detail('from')}${detail('to')}`;
    case 'remediation planned':
      return `${name}: incident${incident} planned ${text(l.policy)}${detail('steps')}`;
    case 'policy skipped':
      return `${name}: incident${incident} policy ${text(l.policy)} skipped: ${text(l.reason)}`;
    case 'notification sent':
    case 'notification failed':
    case 'notification not sent':
      return `${name}: ${message} to ${text(l.sink)} (${text(l.template)})${detail('error')}${detail('reason')}`;
    case 'remediator stopped':
    case 'shutting down':
    case 'circuit breaker opened':
    case 'remediation paused':
    case 'remediation resumed':
      return `${name}: ${message}`;
    default:
      if (message.startsWith('remediation step')) {
        return `${name}: incident${incident} ${text(l.policy)} step ${Number(l.step) + 1} ${text(l.action)}: ${message.slice('remediation step '.length)}${detail('reason')}${detail('detail')}`;
      }
      if (l.level === 'error') return `${name}: ERROR ${message}${detail('error')}`;
      return undefined;
  }
}

/** One Alertmanager log line as a story line: notification outcomes only. */
function narrateAlertmanager(line: string): string | undefined {
  const msg = /msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
  if (msg === undefined) return undefined;
  if (!/^Notify (success|attempt failed|for alerts failed)/i.test(msg)) return undefined;
  const receiver = /receiver=(\S+)/.exec(line)?.[1] ?? '?';
  const err = /err="((?:[^"\\]|\\.)*)"/.exec(line)?.[1]?.replace(/\\"/g, '"');
  return `alertmanager → ${receiver}: ${msg}${err === undefined ? '' : `: ${err.slice(0, 200)}`}`;
}

/**
 * Starts the whole end-to-end stack in a temporary directory, every server on 127.0.0.1 on a port
 * the OS picked: the simulated service, Prometheus (service rules in seconds, scraping the service),
 * Alertmanager (fast timings, one webhook receiver per remediator, bearer token from a file), the
 * fake Kubernetes API server (seeded), the sink receiver, and `remediator serve` from `dist/`.
 * Returns once Prometheus has discovered Alertmanager and scraped the service, and every
 * remediator answers `/readyz`. On any failure everything started so far is stopped.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const binaries = requireBinaries();
  const dir = mkdtempSync(join(tmpdir(), `remediator-e2e-${options.name ?? 'stack'}-`));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  const narrate = options.narrate ?? true;
  const count = options.remediators ?? 1;
  const cleanups: { name: string; run: () => Promise<void> | void }[] = [];
  const spawnedPgids: number[] = [];
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      const errors: string[] = [];
      // Last started, first stopped: Prometheus and Alertmanager before remediator, so no
      // notification is sent to a remediator that is going away.
      for (const cleanup of [...cleanups].reverse()) {
        try {
          await cleanup.run();
        } catch (error) {
          errors.push(`${cleanup.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const leftovers = spawnedPgids.filter((pgid) => exists(-pgid));
      if (leftovers.length > 0) errors.push(`process groups still alive: ${leftovers.join(', ')}`);
      if (process.env.E2E_KEEP === '1') step(`kept ${dir} (E2E_KEEP=1)`);
      else rmSync(dir, { recursive: true, force: true });
      if (errors.length > 0) throw new Error(`stopping the stack: ${errors.join('; ')}`);
    })());

  try {
    const [promPort, amPort, ...remediatorPorts] = await freePorts(2 + count);
    if (promPort === undefined || amPort === undefined) throw new Error('no free ports');

    const kube = await startFakeKube();
    cleanups.push({ name: 'fake kube', run: () => kube.close() });
    const receiver = await startReceiver(options.receiver ?? []);
    cleanups.push({ name: 'receiver', run: () => receiver.close() });
    const sim = await startSimService({ ...(options.sim ? { behaviour: options.sim } : {}) });
    cleanups.push({ name: 'sim', run: () => sim.close() });

    const mainService = options.service ?? HEART_DISEASE_API;
    seedService(kube, mainService);
    const sims: Record<string, SimService> = {
      [sim.labels.deployment ?? mainService.name]: sim,
    };
    const extraTargets: { job: string; address: string; labels: Record<string, string> }[] = [];
    for (const spec of options.extraServices ?? []) {
      if (sims[spec.name] !== undefined || spec.name === 'heart-disease-api') {
        throw new Error(`startStack: two services named ${JSON.stringify(spec.name)}`);
      }
      const labels = { namespace: spec.namespace, deployment: spec.name, service: spec.name };
      const extra = await startSimService({ labels });
      cleanups.push({ name: `sim ${spec.name}`, run: () => extra.close() });
      sims[spec.name] = extra;
      seedService(kube, spec);
      extraTargets.push({ job: spec.name, address: `127.0.0.1:${extra.port}`, labels });
    }
    let jobs: JobFate = options.jobs ?? 'succeeded';
    const stopJobs = runJobController(kube, () => jobs);
    cleanups.push({ name: 'job controller', run: stopJobs });

    const tokenFile = join(dir, 'webhook-token');
    writeFileSync(tokenFile, `${WEBHOOK_TOKEN}\n`, { mode: 0o600 });
    const kubeconfig = kube.writeKubeconfig(dir);
    const rulesFile = join(dir, 'service.rules.yml');
    writeFileSync(rulesFile, rewriteRuleDurations(readFileSync(SERVICE_RULES, 'utf8')));
    const policiesFile = join(dir, 'policies.yaml');
    const sinkBaseUrl = receiver.url('');
    const policyOptions = options.policies ?? {};
    writeFileSync(
      policiesFile,
      'text' in policyOptions
        ? policyOptions.text.replaceAll('RECEIVER', sinkBaseUrl)
        : rewritePolicies(readFileSync(SHIPPED_POLICIES, 'utf8'), {
            sinkBaseUrl,
            ...policyOptions,
          }),
    );

    const remediators = remediatorPorts.map(
      (port, i) =>
        new Remediator({
          name: `remediator-${i}`,
          port,
          dataDir: join(dir, `remediator-${i}-data`),
          policiesFile,
          kubeconfig,
          tokenFile,
          logDir,
          namespace: OWN_NAMESPACE,
          extraArgs: [
            ...(options.sources === true
              ? [
                  '--alertmanager-url',
                  `http://127.0.0.1:${amPort}`,
                  '--prometheus-url',
                  `http://127.0.0.1:${promPort}`,
                ]
              : []),
            ...(options.ha === undefined
              ? []
              : ['--journal', options.ha.journal, '--advertise-url', `http://127.0.0.1:${port}`]),
          ],
          ...(options.nodeOptions === undefined
            ? {}
            : { extraEnv: { NODE_OPTIONS: options.nodeOptions } }),
          ...(narrate
            ? {
                onLog: (line) => {
                  const story = narrateRemediator(`remediator-${i}`, line);
                  if (story !== undefined) step(story);
                },
              }
            : {}),
        }),
    );

    // Cleanups run in reverse: Prometheus, then Alertmanager, then the remediators.
    cleanups.push({
      name: 'remediators',
      run: async () => {
        const results = await Promise.all(remediators.map((r) => r.stop()));
        results.forEach((result, i) => {
          if (result?.forced === true) {
            step(
              `${remediators[i]?.name ?? '?'} did not stop within 10 s of SIGTERM and was killed`,
            );
          }
        });
        for (const r of remediators) spawnedPgids.push(...r.pids);
      },
    });

    // Registered after the remediators, so closed before them: nothing reaches a replica that
    // is going away through it.
    const proxy =
      options.ha === undefined
        ? undefined
        : await startTcpProxy(remediators.map((r) => ({ host: '127.0.0.1', port: r.port })));
    if (proxy !== undefined) cleanups.push({ name: 'tcp proxy', run: () => proxy.close() });

    const alertmanager = startAlertmanager({
      binary: binaries['prometheus-alertmanager'],
      dir,
      port: amPort,
      webhooks:
        proxy === undefined
          ? remediators.map((r) => ({ name: r.name, url: `${r.url}/webhook` }))
          : [{ name: 'replicas', url: `${proxy.url()}/webhook` }],
      tokenFile,
      ...(options.alertmanager ? { timings: options.alertmanager } : {}),
      ...(options.alertmanager?.groupBy ? { groupBy: options.alertmanager.groupBy } : {}),
      ...(options.alertmanager?.sendResolved === undefined
        ? {}
        : { sendResolved: options.alertmanager.sendResolved }),
      ...(narrate
        ? {
            onLine: (line: string) => {
              const story = narrateAlertmanager(line);
              if (story !== undefined) step(story);
            },
          }
        : {}),
    });
    spawnedPgids.push(alertmanager.process.pid);
    cleanups.push({
      name: 'alertmanager',
      run: async () => {
        await alertmanager.process.stop();
      },
    });

    const prometheus = startPrometheus({
      binary: binaries.prometheus,
      dir,
      port: promPort,
      alertmanagerPort: amPort,
      ruleFiles: [rulesFile],
      targets: [
        { job: 'heart-disease-api', address: `127.0.0.1:${sim.port}`, labels: { ...sim.labels } },
        ...extraTargets,
      ],
    });
    spawnedPgids.push(prometheus.process.pid);
    // Registered after Alertmanager, so stopped before it.
    cleanups.push({
      name: 'prometheus',
      run: async () => {
        await prometheus.process.stop();
      },
    });

    await phase(`starting ${count} remediator(s)`, () =>
      Promise.all(remediators.map((r) => r.start())),
    );
    await phase('waiting for Alertmanager /-/ready', () => alertmanager.ready(15_000));
    await phase('waiting for Prometheus to discover Alertmanager and scrape the service', () =>
      prometheus.ready(30_000),
    );
    const first = remediators[0];
    if (first === undefined) throw new Error('at least one remediator is needed');

    const diagnose = async (): Promise<string> => {
      const kept =
        process.env.E2E_KEEP === '1' ? 'kept' : 'removed at teardown; E2E_KEEP=1 keeps it';
      const parts: string[] = ['--- stack state ---', `dir: ${dir} (${kept})`];
      const section = async (title: string, body: () => Promise<string> | string) => {
        try {
          parts.push(`# ${title}\n${await body()}`);
        } catch (error) {
          parts.push(
            `# ${title}\n(unavailable: ${error instanceof Error ? error.message : String(error)})`,
          );
        }
      };
      await section('recent steps', () => recentSteps(25).join('\n'));
      await section('sim behaviour', () => JSON.stringify(sim.behaviour()));
      await section(
        'prometheus alerts',
        async () =>
          (await prometheus.alerts())
            .map(
              (a) => `${a.labels.alertname ?? '?'} ${a.state} since ${a.activeAt} value ${a.value}`,
            )
            .join('\n') || '(none)',
      );
      await section('prometheus rules in error', async () => {
        const res = await fetch(`${prometheus.url}/api/v1/rules`, {
          signal: AbortSignal.timeout(5000),
        });
        const body = (await res.json()) as {
          data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
        };
        const bad = body.data.groups
          .flatMap((g) => g.rules)
          .filter((r) => r.health !== 'ok' && r.health !== 'unknown');
        return bad.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`).join('\n') || '(none)';
      });
      await section(
        'alertmanager alerts',
        async () =>
          (await alertmanager.alerts())
            .map(
              (a) => `${a.labels.alertname ?? '?'} ${a.status.state} ${a.startsAt} → ${a.endsAt}`,
            )
            .join('\n') || '(none)',
      );
      for (const r of remediators) {
        await section(`${r.name} incidents`, async () =>
          r.running ? JSON.stringify(await r.incidents('limit=10')) : '(not running)',
        );
        await section(`${r.name} log tail`, () => r.tail(15));
      }
      await section(
        'kube writes',
        () =>
          kube
            .writes()
            .map((w) => `${w.method} ${w.path} → ${w.status}${w.fault ? ' (fault)' : ''}`)
            .join('\n') || '(none)',
      );
      await section(
        'sink notices',
        () => receiver.requests.map((r) => `${r.method} ${r.url}`).join('\n') || '(none)',
      );
      await section('alertmanager log tail', () => alertmanager.process.tail(10));
      return parts.join('\n');
    };

    const stack: Stack = {
      dir,
      sim,
      sims,
      prometheus,
      alertmanager,
      kube,
      receiver,
      remediator: first,
      remediators,
      proxy,
      policiesFile,
      get jobs() {
        return jobs;
      },
      set jobs(fate: JobFate) {
        jobs = fate;
      },
      step: (message) => void step(message),
      waitFor: (probe, what, timeoutMs) => waitFor(probe, what, timeoutMs, { context: diagnose }),
      alertsFiring: (name, filter) => alertmanager.alertsFiring(name, filter),
      incident: async (ready, what, timeoutMs, remediator = first) => {
        return waitFor(
          async () => {
            for (const summary of await remediator.incidents('limit=20')) {
              const view = await remediator.incident(summary.id);
              if (ready(view)) return view;
            }
            return undefined;
          },
          what,
          timeoutMs,
          { context: diagnose },
        );
      },
      notices: (sink) =>
        receiver.requests
          .map((r) => parseNotice(r.url, r.body))
          .filter((n): n is Notice => n !== undefined && (sink === undefined || n.sink === sink)),
      diagnose,
      pids: () => [
        prometheus.process.pid,
        alertmanager.process.pid,
        ...remediators.flatMap((r) => r.pids),
      ],
      stop,
    };
    return stack;
  } catch (error) {
    step(
      `the stack did not start: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`,
    );
    try {
      await stop();
    } catch (stopError) {
      step(String(stopError));
    }
    throw error;
  }
}
