import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServeConfig } from '../../src/config';
import type { ServeOptions } from '../../src/serve';
import type { WebhookPayload } from '../../src/alertmanager/payload';
import { startReceiver, type Received, type Receiver } from '../notify/receiver';
import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import {
  AUTH,
  incidentOfNotification,
  startServer,
  tempDir,
  type TestServer,
} from '../support/server';

/**
 * Scenario tests run a real `remediator serve` in this process against the stateful fake API
 * server, with a local receiver standing in for every notification sink. `withScenario` owns
 * all of them and closes them, servers first, whatever the test did.
 */

/** The namespace remediator keeps its Leases in, in every scenario. */
export const OWN_NAMESPACE = 'remediator';

export interface Scenario {
  readonly dir: string;
  readonly fake: FakeKube;
  readonly receiver: Receiver;
  /** A kubeconfig pointing at the fake. */
  readonly kubeconfig: string;
  /** Writes `policies.yaml` (the receiver's URL is `RECEIVER` in the text); returns its path. */
  policies(yaml: string, file?: string): string;
  /** Starts `remediator serve` with the fake's credentials unless `env` says otherwise. */
  start(config?: Partial<ServeConfig>, options?: ServeOptions): Promise<TestServer>;
  /** Closes one server (also safe to call again at the end). */
  stop(server: TestServer): Promise<void>;
}

/**
 * `REMEDIATOR_TEST_JOURNAL=postgres` (`npm run test:postgres`) runs the scenarios on PostgreSQL
 * journals instead of SQLite: a database per data directory (a replica's own journal), made for
 * the scenario and dropped after it.
 */
const onPostgres = process.env.REMEDIATOR_TEST_JOURNAL === 'postgres';

export async function withScenario(test: (s: Scenario) => Promise<void>): Promise<void> {
  const dir = tempDir('remediator-scenario-');
  const servers = new Set<TestServer>();
  let fake: FakeKube | undefined;
  let receiver: Receiver | undefined;
  const databases = new Map<string, TestDatabase>();
  const journalOf = async (dataDir: string): Promise<Partial<ServeConfig>> => {
    if (!onPostgres) return {};
    let database = databases.get(dataDir);
    if (database === undefined) {
      database = await createTestDatabase('remediator_scenario');
      databases.set(dataDir, database);
    }
    return { journal: { kind: 'postgres', url: database.url } };
  };
  try {
    fake = await startFakeKube();
    receiver = await startReceiver();
    const kubeconfig = fake.writeKubeconfig(dir.path);
    const receiverUrl = receiver.url('/hook');
    const scenario: Scenario = {
      dir: dir.path,
      fake,
      receiver,
      kubeconfig,
      policies(yaml, file = 'policies.yaml') {
        const path = join(dir.path, file);
        writeFileSync(path, yaml.replaceAll('RECEIVER', receiverUrl));
        return path;
      },
      async start(config = {}, options = {}) {
        const dataDir = config.dataDir ?? join(dir.path, 'data');
        const server = await startServer(
          {
            dataDir,
            namespace: OWN_NAMESPACE,
            policiesFile: join(dir.path, 'policies.yaml'),
            ...(await journalOf(dataDir)),
            ...config,
          },
          {
            env: { KUBECONFIG: kubeconfig },
            // Ladders are reached by automation giving up, never by the clock, in these tests.
            escalationCheckMs: 600_000,
            ...options,
          },
        );
        servers.add(server);
        return server;
      },
      async stop(server) {
        servers.delete(server);
        await server.close();
      },
    };
    await test(scenario);
    expect(fake.internalErrors).toEqual([]);
  } finally {
    for (const server of servers) await server.close();
    await receiver?.close();
    await fake?.close();
    for (const database of databases.values()) await database.drop();
    dir.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Alertmanager

let fingerprints = 0x5ce0;

export interface AlertSpec {
  readonly labels: Record<string, string>;
  readonly status?: 'firing' | 'resolved';
  /** Alert identity is fingerprint + startsAt: a new startsAt is a new instance of the alert. */
  readonly startsAt?: string;
  readonly fingerprint?: string;
  readonly annotations?: Record<string, string>;
}

/** A fresh hex fingerprint, as Alertmanager computes one per label set. */
export function fingerprint(): string {
  fingerprints += 1;
  return fingerprints.toString(16).padStart(16, '0');
}

/** A webhook body in Alertmanager's version 4 shape, grouped by alertname, namespace and deployment. */
export function payload(alerts: readonly AlertSpec[], groupKey?: string): WebhookPayload {
  const first = alerts[0]?.labels ?? {};
  const groupLabels = Object.fromEntries(
    ['alertname', 'namespace', 'deployment']
      .filter((k) => first[k] !== undefined)
      .map((k) => [k, first[k] ?? '']),
  );
  const status = alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved';
  return {
    receiver: 'remediator',
    status,
    alerts: alerts.map((a) => {
      const resolved = a.status === 'resolved';
      return {
        status: a.status ?? 'firing',
        labels: a.labels,
        annotations: a.annotations ?? {
          summary: `${a.labels.alertname ?? 'alert'} on ${first.deployment ?? '?'}`,
        },
        startsAt: a.startsAt ?? '2026-11-27T13:56:01Z',
        endsAt: resolved ? '2026-11-27T14:20:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example/graph?g0.expr=up',
        fingerprint: a.fingerprint ?? fingerprint(),
      };
    }),
    groupLabels,
    commonLabels: first,
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example',
    version: '4',
    groupKey:
      groupKey ??
      `{}:{${Object.entries(groupLabels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ')}}`,
    truncatedAlerts: 0,
  };
}

/** One alert instance and how to send it firing, then resolved. */
export function alert(labels: Record<string, string>, startsAt = '2026-11-27T13:56:01Z') {
  const spec = { labels, startsAt, fingerprint: fingerprint() };
  return {
    spec,
    firing: () => payload([spec]),
    resolved: () => payload([{ ...spec, status: 'resolved' }]),
  };
}

/** POSTs a webhook body; resolves with the incident it fed once remediator has applied it. */
export async function post(server: TestServer, body: WebhookPayload): Promise<number> {
  const res = await fetch(`${server.url}/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...AUTH },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { notification?: number };
  if (res.status !== 200 || answer.notification === undefined) {
    throw new Error(`webhook answered ${res.status}: ${JSON.stringify(answer)}`);
  }
  const incident = await incidentOfNotification(server, answer.notification);
  if (incident === undefined)
    throw new Error(`notification ${answer.notification} fed no incident`);
  return incident;
}

// ---------------------------------------------------------------------------------------------
// remediator's API

export type { IncidentView, PlanView, RemediationView as StepView } from '../../src/api/views';
import type { IncidentView, RemediationView as StepView } from '../../src/api/views';

export async function incident(server: TestServer, id: number): Promise<IncidentView> {
  const res = await fetch(`${server.url}/api/v1/incidents/${id}`);
  if (res.status !== 200) throw new Error(`GET incident ${id}: ${res.status}`);
  return (await res.json()) as IncidentView;
}

/** Every step journaled for the incident, in order. */
export function steps(view: IncidentView): StepView[] {
  return view.plans.flatMap((p) => p.remediations).sort((a, b) => a.id - b.id);
}

/** Timeline messages of one kind (all kinds when omitted). */
export function messages(view: IncidentView, kind?: string): string[] {
  return view.timeline.filter((e) => kind === undefined || e.kind === kind).map((e) => e.message);
}

/**
 * Fires one alert with `labels` and waits for the first step of its plan to end: the incident,
 * the alert (to resolve it later), the incident as then seen and that first step.
 */
export async function fireAndAwaitFirstStep(server: TestServer, labels: Record<string, string>) {
  const instance = alert(labels);
  const id = await post(server, instance.firing());
  const view = await incidentWhen(
    server,
    id,
    (v) => steps(v).some((r) => r.status !== 'intent'),
    `the first step for ${labels.alertname ?? 'the alert'}`,
  );
  return { id, instance, view, step: steps(view)[0] };
}

/** Polls the incident until `ready` holds; bounded. */
export async function incidentWhen(
  server: TestServer,
  id: number,
  ready: (view: IncidentView) => boolean,
  what: string,
  timeoutMs = 8_000,
): Promise<IncidentView> {
  let last: IncidentView | undefined;
  await waitFor(
    async () => {
      last = await incident(server, id);
      return ready(last);
    },
    () => `${what}; last seen: ${JSON.stringify(last && summarize(last), null, 1)}`,
    timeoutMs,
  );
  return last!;
}

function summarize(view: IncidentView) {
  return {
    status: view.status,
    plans: view.plans.map((p) => ({
      policy: p.policy,
      status: p.status,
      steps: p.remediations.map(
        (r) =>
          `${r.action}:${r.status}${r.reason ? `(${r.reason})` : ''}${r.verification ? `/${r.verification}` : ''}`,
      ),
    })),
    timeline: view.timeline.map((e) => `${e.kind}: ${e.message}`),
  };
}

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs` with `describe()`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  describe: string | (() => string),
  timeoutMs = 8_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for: ${typeof describe === 'string' ? describe : describe()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The sum of a metric's series whose labels include `labels`, from `/metrics`. */
export async function metric(
  server: TestServer,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const series = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) total += Number(m[3]);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// The cluster

export const REVISION = 'deployment.kubernetes.io/revision';

function template(app: string, version: string): KubeObject {
  return {
    metadata: { labels: { app } },
    spec: {
      containers: [
        {
          name: 'model',
          image: `reg/model:${version}`,
          env: [
            { name: 'MODEL_VERSION', value: version },
            { name: 'THREADS', value: '4' },
          ],
        },
      ],
    },
  };
}

/**
 * A Deployment as a cluster holds it after rollouts of `versions` (oldest first, the last one
 * current): the revision annotation, and one controlled ReplicaSet per revision, as the
 * deployment controller leaves them. Returns the stored Deployment.
 */
export function seedDeployment(
  fake: FakeKube,
  namespace: string,
  name: string,
  options: {
    replicas?: number;
    versions?: readonly string[];
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  } = {},
): KubeObject {
  const versions = options.versions ?? ['v1'];
  const current = versions.at(-1) ?? 'v1';
  const deployment = fake.seed({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace,
      labels: { app: name, ...options.labels },
      annotations: { [REVISION]: String(versions.length), ...options.annotations },
    },
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      template: template(name, current),
    },
  });
  versions.forEach((version, i) => {
    const hash = `${version.replace(/[^a-z0-9]/g, '')}h${i + 1}`;
    const base = template(name, version);
    const labels = { ...base.metadata.labels, 'pod-template-hash': hash };
    fake.seed({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${hash}`,
        namespace,
        labels,
        annotations: { [REVISION]: String(i + 1) },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name,
            uid: deployment.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: i === versions.length - 1 ? (options.replicas ?? 2) : 0,
        selector: { matchLabels: labels },
        template: { ...base, metadata: { labels } },
      },
    });
  });
  return deployment;
}

export function seedPod(fake: FakeKube, namespace: string, name: string, app: string): KubeObject {
  return fake.seed({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app } },
    spec: { containers: [{ name: 'model', image: 'reg/model:v1' }] },
    status: { phase: 'Running' },
  });
}

export function stored(fake: FakeKube, namespace: string, name: string): KubeObject {
  return fake.get('apps/v1', 'Deployment', namespace, name);
}

/** The audit Events (events.k8s.io/v1) stored in a namespace. */
export function events(fake: FakeKube, namespace: string): KubeObject[] {
  return fake.list('events.k8s.io/v1', 'Event', namespace);
}

/** The requests the fake received that were not reads, on paths containing `pathPart`. */
export function writesTo(fake: FakeKube, pathPart: string) {
  return fake.writes().filter((w) => w.path.includes(pathPart));
}

/** Parsed bodies the receiver got, in order. */
export function deliveries(receiver: Receiver): Record<string, any>[] {
  return receiver.requests.map((r: Received) => JSON.parse(r.body));
}
