import { join } from 'node:path';
import type { TestServer } from '../support/server';
import {
  alert,
  deliveries,
  incidentWhen,
  messages,
  metric,
  OWN_NAMESPACE,
  post,
  seedDeployment,
  steps,
  stored,
  waitFor,
  withScenario,
  type Scenario,
} from './harness';

const POLICIES = `
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 5m
`;

/** Two replicas of remediator: own journals and names, one cluster, one Lease namespace. */
async function twoReplicas(s: Scenario): Promise<[TestServer, TestServer]> {
  s.policies(POLICIES);
  return Promise.all([
    s.start({ dataDir: join(s.dir, 'data-a'), instance: 'remediator-a' }),
    s.start({ dataDir: join(s.dir, 'data-b'), instance: 'remediator-b' }),
  ]);
}

/** Posts the same notification to both at once, as an HA Alertmanager pair does. */
async function raceFor(s: Scenario, replicas: [TestServer, TestServer], deployment: string) {
  const body = alert({ alertname: 'HighLatency', namespace: 'prod', deployment }).firing();
  const ids = await Promise.all(replicas.map((r) => post(r, body)));
  const views = await Promise.all(
    replicas.map((r, i) =>
      incidentWhen(
        r,
        ids[i] ?? 0,
        (v) => steps(v).some((x) => x.status !== 'intent'),
        `replica ${i} to decide`,
      ),
    ),
  );
  const decided = views.map((v) => steps(v)[0]);
  const patches = s.fake
    .writes()
    .filter((w) => w.path === `/apis/apps/v1/namespaces/prod/deployments/${deployment}/scale`);
  return { decided, patches };
}

function expectOneActedOneHeldBack(
  decided: ({ status: string; reason: string | null } | undefined)[],
): void {
  const statuses = decided.map((d) => d?.status).sort();
  expect(statuses).toEqual(['applied', 'skipped']);
  const held = decided.find((d) => d?.status === 'skipped');
  expect(['locked', 'cooldown']).toContain(held?.reason);
}

describe('two replicas racing for one target', () => {
  it('the same alert posted to both at once is acted on exactly once', async () => {
    await withScenario(async (s) => {
      for (const name of ['web', 'api', 'worker']) seedDeployment(s.fake, 'prod', name);
      const replicas = await twoReplicas(s);
      for (const name of ['web', 'api', 'worker']) {
        const { decided, patches } = await raceFor(s, replicas, name);
        expectOneActedOneHeldBack(decided);
        expect(patches).toHaveLength(1);
        expect(patches[0]).toMatchObject({ dryRun: false, body: { spec: { replicas: 4 } } });
        expect(stored(s.fake, 'prod', name).spec.replicas).toBe(4);
      }
      const skips = await Promise.all(
        replicas.map(
          async (r) =>
            (await metric(r, 'remediator_skips_total', { reason: 'locked' })) +
            (await metric(r, 'remediator_skips_total', { reason: 'cooldown' })),
        ),
      );
      expect(skips[0]! + skips[1]!).toBe(3);
    });
  });

  it('a replica whose lock request is slow does not act after the other one already has', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      const replicas = await twoReplicas(s);
      // The first lock read waits half a second at the API server: by the time it is answered,
      // the other replica has taken the lock, acted, recorded its attempt and released it.
      s.fake.fault({
        method: 'GET',
        pathRegex: new RegExp(
          `^/apis/coordination\\.k8s\\.io/v1/namespaces/${OWN_NAMESPACE}/leases/remediator-lock-`,
        ),
        delayMs: 500,
        times: 1,
      });
      const { decided, patches } = await raceFor(s, replicas, 'web');
      expect(patches).toHaveLength(1);
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(4);
      expectOneActedOneHeldBack(decided);
    });
  });

  it('two policies of one replica never act on one target at once', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      s.policies(`
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: prod, name: web }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 5m
  - name: restart-web
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: prod, name: web }
    steps:
      - action: restart
        verify: 5m
`);
      const server = await s.start({ instance: 'remediator-a' });
      // Every change to web takes half a second at the API server, and the second lock read a
      // little: whichever policy goes first still holds the lock when the other asks for it.
      s.fake.fault({
        method: 'PATCH',
        pathPrefix: '/apis/apps/v1/namespaces/prod/deployments/web',
        delayMs: 500,
      });
      s.fake.fault({
        method: 'GET',
        pathRegex: new RegExp(
          `^/apis/coordination\\.k8s\\.io/v1/namespaces/${OWN_NAMESPACE}/leases/remediator-lock-`,
        ),
        delayMs: 150,
        times: 1,
      });
      const id = await post(
        server,
        alert({ alertname: 'HighLatency', namespace: 'prod', deployment: 'web' }).firing(),
      );
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).filter((r) => r.status !== 'intent').length === 2,
        'both policies to decide',
      );
      const decided = steps(view).map((r) => [r.action, r.status, r.reason]);
      // One acts; the other waits its turn and then acts, or is held back: never both at once.
      expect(decided.filter((d) => d[1] === 'applied').length).toBeGreaterThanOrEqual(1);
      for (const d of decided) {
        expect([
          ['applied', null],
          ['skipped', 'locked'],
        ]).toContainEqual(d.slice(1));
      }
      const changes = s.fake
        .writes()
        .filter((w) => w.path.startsWith('/apis/apps/v1/namespaces/prod/deployments/web'))
        .map((w) => w.at)
        .sort((a, b) => a - b);
      expect(changes).toHaveLength(decided.filter((d) => d[1] === 'applied').length);
      // Each change is held 500 ms at the server: a second one inside that went in concurrently.
      for (let i = 1; i < changes.length; i++) {
        expect(changes[i]! - changes[i - 1]!).toBeGreaterThanOrEqual(490);
      }
    });
  });
});

describe('two replicas telling humans', () => {
  const NOTICES = `
sinks:
  oncall: { type: webhook, url: 'RECEIVER' }
escalation:
  ladders:
    - name: technical
      rungs:
        - { who: on-call, sink: oncall, after: 1s }
policies:
  - name: page
    match: ['alertname="ServiceDown"']
    steps:
      - action: notify
        params: { sink: oncall }
`;

  it('send one status update, one time-based escalation and one resolution notice between them', async () => {
    await withScenario(async (s) => {
      s.policies(NOTICES);
      const options = { escalationCheckMs: 200 };
      const replicas = await Promise.all([
        s.start({ dataDir: join(s.dir, 'data-a'), instance: 'remediator-a' }, options),
        s.start({ dataDir: join(s.dir, 'data-b'), instance: 'remediator-b' }, options),
      ]);
      const down = alert({ alertname: 'ServiceDown', namespace: 'prod', deployment: 'web' });
      const ids = await Promise.all(replicas.map((r) => post(r, down.firing())));
      const told = (template: string, text: RegExp) =>
        deliveries(s.receiver).filter(
          (d) => d.template === template && text.test(String(d.reason)),
        );
      await waitFor(() => told('status-update', /escalation/).length > 0, 'the escalation', 10_000);
      // Both replicas must reach the rung before the alert resolves (each checks on its own
      // clock); the one that did not notify would otherwise have no sink to send a notice to.
      await Promise.all(
        replicas.map((r, i) =>
          incidentWhen(
            r,
            ids[i] ?? 0,
            (v) => messages(v).some((m) => m.startsWith('Escalation to')),
            'each replica to reach the rung',
          ),
        ),
      );
      await Promise.all(replicas.map((r) => post(r, down.resolved())));
      await waitFor(
        () => told('resolution-notice', /./).length > 0,
        'the resolution notice',
        10_000,
      );
      // Give the slower replica every chance to send its own copies.
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      expect(told('status-update', /^policy page/)).toHaveLength(1);
      expect(told('status-update', /escalation/)).toHaveLength(1);
      expect(told('resolution-notice', /./)).toHaveLength(1);
      const timelines = await Promise.all(
        replicas.map(async (r, i) =>
          messages(await incidentWhen(r, ids[i] ?? 0, () => true, 'the incident')),
        ),
      );
      expect(timelines.flat().filter((m) => m.endsWith('sent by another replica'))).toHaveLength(2);
    });
  });
});
