import { AUTH, type TestServer } from '../support/server';
import {
  alert,
  incidentWhen,
  messages,
  metric,
  OWN_NAMESPACE,
  payload,
  post,
  seedDeployment,
  steps,
  stored,
  withScenario,
  writesTo,
} from './harness';

function policies(safety = ''): string {
  return `
sinks:
  oncall: { type: webhook, url: RECEIVER }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: oncall }]
${safety}
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 1, max: 10 }
        verify: 5m
`;
}

const firing = (namespace: string, deployment: string, startsAt?: string) =>
  alert({ alertname: 'HighLatency', namespace, deployment }, startsAt).firing();

/** Posts the alert and resolves with the first step once it has a result. */
async function firstStep(server: TestServer, namespace: string, deployment: string) {
  const id = await post(server, firing(namespace, deployment));
  const view = await incidentWhen(
    server,
    id,
    (v) => steps(v).some((r) => r.status !== 'intent'),
    `the step on ${namespace}/${deployment}`,
  );
  return { id, view, step: steps(view)[0] };
}

async function control(server: TestServer, path: string, auth = true) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: auth ? AUTH : {},
  });
  return { status: res.status, body: await res.json() };
}

async function pausedState(server: TestServer): Promise<unknown> {
  return ((await (await fetch(`${server.url}/api/v1/pause`)).json()) as { paused: unknown }).paused;
}

describe('safety gates', () => {
  it('never touches a protected namespace, and does not even read the target there', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'kube-system', 'coredns');
      s.policies(policies());
      const server = await s.start();
      const { view, step } = await firstStep(server, 'kube-system', 'coredns');
      expect(step).toMatchObject({
        status: 'skipped',
        reason: 'protected_namespace',
        summary: 'namespace kube-system is protected (safety.protectedNamespaces)',
      });
      expect(view.plans[0]?.status).toBe('skipped');
      expect(s.fake.requests.filter((r) => r.path.includes('kube-system'))).toEqual([]);
      expect(s.fake.writes()).toEqual([]);
      expect(
        await metric(server, 'remediator_skips_total', { reason: 'protected_namespace' }),
      ).toBe(1);
    });
  });

  it('honours a namespace added to safety.protectedNamespaces', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'monitoring', 'prometheus');
      s.policies(policies('safety:\n  protectedNamespaces: [kube-system, monitoring]'));
      const server = await s.start();
      const { step } = await firstStep(server, 'monitoring', 'prometheus');
      expect(step).toMatchObject({ status: 'skipped', reason: 'protected_namespace' });
      expect(s.fake.writes()).toEqual([]);
    });
  });

  it('leaves a Deployment that carries the opt-out annotation alone', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web', {
        annotations: { 'remediator.dev/disabled': 'true' },
      });
      s.policies(policies());
      const server = await s.start();
      const { step } = await firstStep(server, 'prod', 'web');
      expect(step).toMatchObject({
        status: 'skipped',
        reason: 'opted_out',
        summary: 'the target has the annotation remediator.dev/disabled: "true"',
      });
      // Nothing outside remediator's own Leases: its lock is taken while the annotation is read.
      expect(
        s.fake.writes().filter((w) => !w.path.includes('/namespaces/remediator/leases')),
      ).toEqual([]);
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(2);
      expect(await metric(server, 'remediator_skips_total', { reason: 'opted_out' })).toBe(1);
    });
  });

  it('skips the second target in a namespace past blastRadius.perNamespace and escalates, while other namespaces act', async () => {
    await withScenario(async (s) => {
      for (const name of ['web', 'api']) seedDeployment(s.fake, 'prod', name);
      seedDeployment(s.fake, 'staging', 'web');
      s.policies(policies('safety:\n  blastRadius: { perNamespace: 1, window: 10m }'));
      const server = await s.start();

      expect((await firstStep(server, 'prod', 'web')).step?.status).toBe('applied');
      const second = await firstStep(server, 'prod', 'api');
      expect(second.step).toMatchObject({
        status: 'skipped',
        reason: 'blast_radius',
        summary: '1 plans already acted in namespace prod in the last 10m (limit 1)',
      });
      const escalated = await incidentWhen(
        server,
        second.id,
        (v) => messages(v, 'notification').length === 1,
        'the blast-radius escalation',
      );
      expect(messages(escalated, 'escalated')).toEqual([
        'Escalated to humans: 1 plans already acted in namespace prod in the last 10m (limit 1)',
      ]);
      expect(s.receiver.requests).toHaveLength(1);
      expect((await firstStep(server, 'staging', 'web')).step?.status).toBe('applied');

      expect(writesTo(s.fake, '/deployments/api')).toEqual([]);
      expect(stored(s.fake, 'prod', 'api').spec.replicas).toBe(2);
      expect(await metric(server, 'remediator_skips_total', { reason: 'blast_radius' })).toBe(1);
    });
  });

  it('makes at most safety.maxPlansPerNotification plans for one notification, skips the rest as too_many_plans and escalates once', async () => {
    await withScenario(async (s) => {
      s.policies(
        policies(
          'safety:\n  maxPlansPerNotification: 20\n  blastRadius: { perNamespace: 100, cluster: 100 }',
        ),
      );
      // Without credentials: the plans are recorded as dry runs, no Deployment read.
      const server = await s.start({}, { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
      // One group of 1,200 alerts, each naming its own Deployment: three slices of 500.
      const id = await post(
        server,
        payload(
          Array.from({ length: 1_200 }, (_, i) => ({
            labels: { alertname: 'HighLatency', namespace: 'prod', deployment: `web-${i}` },
          })),
        ),
      );
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'notification').length === 1,
        'the escalation for the plans dropped',
      );
      const made = view.plans.filter((p) => p.status !== 'skipped');
      expect(made.map((p) => p.target?.name)).toEqual(
        Array.from({ length: 20 }, (_, i) => `web-${i}`),
      );
      const reason =
        'the notification would make more than 20 remediation plans, the most one notification may make (safety.maxPlansPerNotification)';
      expect(messages(view, 'plan_skipped')).toEqual([
        `Policy scale-out skipped: ${reason} (480 alerts firing)`,
        `Policy scale-out skipped: ${reason} (500 alerts firing)`,
        `Policy scale-out skipped: ${reason} (200 alerts firing)`,
      ]);
      expect(messages(view, 'escalated')).toEqual([
        'Escalated to humans: the notification would have made more remediation plans than safety.maxPlansPerNotification (20) allows; 1180 alert(s) of policy scale-out were not acted on',
      ]);
      expect(await metric(server, 'remediator_skips_total', { reason: 'too_many_plans' })).toBe(3);
      expect(
        await metric(server, 'remediator_escalations_total', { reason: 'too_many_plans' }),
      ).toBe(1);
    });
  });

  it('pauses every step while paused, over the API with the bearer token, until resumed', async () => {
    await withScenario(async (s) => {
      for (const name of ['web', 'api']) seedDeployment(s.fake, 'prod', name);
      s.policies(policies());
      const server = await s.start();

      expect(await control(server, '/api/v1/pause', false)).toMatchObject({ status: 401 });
      expect(await pausedState(server)).toBe(false);
      expect(await control(server, '/api/v1/pause')).toEqual({
        status: 200,
        body: { paused: true },
      });
      expect(await pausedState(server)).toBe(true);
      expect(await metric(server, 'remediator_paused')).toBe(1);

      const paused = await firstStep(server, 'prod', 'web');
      expect(paused.step).toMatchObject({
        status: 'skipped',
        reason: 'paused',
        summary: 'remediation is paused (POST /api/v1/resume to resume)',
      });
      expect(s.fake.writes()).toEqual([]);

      expect(await control(server, '/api/v1/resume')).toEqual({
        status: 200,
        body: { paused: false },
      });
      expect(await metric(server, 'remediator_paused')).toBe(0);
      expect((await firstStep(server, 'prod', 'api')).step?.status).toBe('applied');
      expect(await metric(server, 'remediator_skips_total', { reason: 'paused' })).toBe(1);
      // A plan the pause stopped takes up where it stopped: its alert still fires.
      const after = await incidentWhen(
        server,
        paused.id,
        (v) => steps(v).some((r) => r.status === 'applied'),
        'the paused plan resumed',
      );
      expect(steps(after).map((r) => [r.status, r.reason ?? null])).toEqual([
        ['skipped', 'paused'],
        ['applied', null],
      ]);
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(3);
    });
  });

  it('stays paused across a restart', async () => {
    await withScenario(async (s) => {
      for (const name of ['web', 'api']) seedDeployment(s.fake, 'prod', name);
      s.policies(policies());
      const first = await s.start();
      await control(first, '/api/v1/pause');
      await s.stop(first);

      const second = await s.start();
      expect(await pausedState(second)).toBe(true);
      expect(await metric(second, 'remediator_paused')).toBe(1);
      const ready = JSON.stringify(await (await fetch(`${second.url}/readyz`)).json());
      expect(ready).toContain('remediation paused');
      expect((await firstStep(second, 'prod', 'web')).step?.reason).toBe('paused');
      expect(s.fake.writes()).toEqual([]);

      await control(second, '/api/v1/resume');
      await s.stop(second);
      const third = await s.start();
      expect(await pausedState(third)).toBe(false);
      expect((await firstStep(third, 'prod', 'api')).step?.status).toBe('applied');
      expect(s.fake.list('coordination.k8s.io/v1', 'Lease', OWN_NAMESPACE).length).toBeGreaterThan(
        0,
      );
    });
  });
});
