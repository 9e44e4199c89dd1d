import { join } from 'node:path';
import {
  alert,
  events,
  incidentWhen,
  messages,
  metric,
  OWN_NAMESPACE,
  post,
  seedDeployment,
  seedPod,
  steps,
  stored,
  waitFor,
  withScenario,
  type Scenario,
} from './harness';

const LABELS = {
  alertname: 'HighLatency',
  namespace: 'prod',
  deployment: 'web',
  pod: 'web-7d9f8b6c5-abcde',
  severity: 'critical',
};
const ON_WEB =
  "target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }";
const ON_POD =
  "target: { kind: Pod, namespace: '{{ labels.namespace }}', name: '{{ labels.pod }}' }";

/** One policy per action, all on the same alert; `dryRun` is added to each when given. */
function everyAction(policyDryRun?: boolean): string {
  const dry = policyDryRun === undefined ? '' : `\n    dryRun: ${policyDryRun}`;
  const policy = (name: string, target: string, step: string) => `
  - name: ${name}
    match: ['alertname="HighLatency"']${dry}
    ${target}
    steps:
      - ${step}
        verify: 5m`;
  return `
sinks:
  oncall: { type: webhook, url: RECEIVER }
policies:${[
    policy('scale', ON_WEB, 'action: scale\n        params: { by: 2, max: 10 }'),
    policy('restart', ON_WEB, 'action: restart'),
    policy('rollback', ON_WEB, 'action: rollback'),
    policy('restore-model', ON_WEB, 'action: restore-model\n        params: { container: model }'),
    policy('isolate', ON_POD, 'action: isolate\n        params: { removeLabels: [app] }'),
    policy('run-job', ON_WEB, "action: run-job\n        params: { image: 'busybox:1.36' }"),
    policy('notify', '', 'action: notify\n        params: { sink: oncall }'),
  ].join('')}
`;
}

/** Seeds the cluster every action needs; returns a snapshot of it to compare with afterwards. */
function seedCluster(s: Scenario) {
  seedDeployment(s.fake, 'prod', 'web', { replicas: 2, versions: ['v1', 'v2'] });
  seedPod(s.fake, 'prod', LABELS.pod, 'web');
  return snapshot(s);
}

function snapshot(s: Scenario) {
  return {
    deployment: stored(s.fake, 'prod', 'web'),
    pod: s.fake.get('v1', 'Pod', 'prod', LABELS.pod),
    jobs: s.fake.list('batch/v1', 'Job', 'prod'),
    networkPolicies: s.fake.list('networking.k8s.io/v1', 'NetworkPolicy', 'prod'),
    leases: s.fake.list('coordination.k8s.io/v1', 'Lease', OWN_NAMESPACE),
    events: events(s.fake, 'prod'),
  };
}

/** What each action's dry run says it would have done. */
const WOULD = [
  'Step 1/1 scale on Deployment prod/web (policy scale) [dry run]: would scale prod/web 2 → 4',
  expect.stringMatching(
    /^Step 1\/1 restart on Deployment prod\/web \(policy restart\) \[dry run\]: would restart prod\/web \(restartedAt .+Z\)$/,
  ),
  'Step 1/1 rollback on Deployment prod/web (policy rollback) [dry run]: would roll back prod/web from revision 2 to revision 1 (model: reg/model:v2 → reg/model:v1)',
  'Step 1/1 restore-model on Deployment prod/web (policy restore-model) [dry run]: would restore prod/web container model MODEL_VERSION v2 → v1',
  `Step 1/1 isolate on Pod prod/${LABELS.pod} (policy isolate) [dry run]: would isolate pod prod/${LABELS.pod} (remediator.dev/quarantine=true, without app; would create NetworkPolicy remediator-quarantine)`,
  expect.stringMatching(
    /^Step 1\/1 run-job on Deployment prod\/web \(policy run-job\) \[dry run\]: would create job prod\/remediator-run-job-[0-9a-f]{8}$/,
  ),
  'Step 1/1 notify (policy notify) [dry run]: would notify oncall',
];

async function expectDryRunOfEveryAction(s: Scenario, config: { dryRun?: boolean }) {
  const before = seedCluster(s);
  const server = await s.start(config);
  const id = await post(server, alert(LABELS).firing());
  const view = await incidentWhen(
    server,
    id,
    (v) => steps(v).filter((r) => r.status !== 'intent').length === 7,
    'all seven steps',
  );

  expect(steps(view).map((r) => [r.action, r.status, r.dryRun])).toEqual(
    expect.arrayContaining(
      ['scale', 'restart', 'rollback', 'restore-model', 'isolate', 'run-job', 'notify'].map(
        (action) => [action, 'dry_run', true],
      ),
    ),
  );
  expect(messages(view, 'remediation').sort()).toEqual(expect.arrayContaining(WOULD));
  expect(messages(view, 'remediation')).toHaveLength(7);

  // Every change went to the API server, as dryRun=All: checked there, stored nowhere.
  const writes = s.fake.writes();
  expect(writes.map((w) => `${w.method} ${w.path}`).sort()).toEqual([
    'PATCH /api/v1/namespaces/prod/pods/web-7d9f8b6c5-abcde',
    'PATCH /apis/apps/v1/namespaces/prod/deployments/web',
    'PATCH /apis/apps/v1/namespaces/prod/deployments/web',
    'PATCH /apis/apps/v1/namespaces/prod/deployments/web',
    'PATCH /apis/apps/v1/namespaces/prod/deployments/web/scale',
    'POST /apis/batch/v1/namespaces/prod/jobs',
    'POST /apis/networking.k8s.io/v1/namespaces/prod/networkpolicies',
  ]);
  for (const write of writes) {
    expect(write).toMatchObject({
      dryRun: true,
      query: expect.objectContaining({ dryRun: 'All' }),
    });
    expect(write.status).toBeLessThan(300);
  }
  expect(snapshot(s)).toEqual(before);
  expect(s.receiver.requests).toEqual([]);
  expect(await metric(server, 'remediator_remediations_total', { outcome: 'dry_run' })).toBe(7);
  expect(await metric(server, 'remediator_remediations_total', { outcome: 'applied' })).toBe(0);
}

describe('dry run', () => {
  it('with the global flag, every action sends its writes with dryRun=All and changes nothing', async () => {
    await withScenario(async (s) => {
      s.policies(everyAction());
      await expectDryRunOfEveryAction(s, { dryRun: true });
    });
  });

  it('with dryRun on each policy, every action sends its writes with dryRun=All and changes nothing', async () => {
    await withScenario(async (s) => {
      s.policies(everyAction(true));
      await expectDryRunOfEveryAction(s, {});
    });
  });

  it('only the policy marked dryRun is a dry run; the others act', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
      seedDeployment(s.fake, 'prod', 'api', { replicas: 2 });
      s.policies(`
policies:
  - name: try-scale
    match: ['alertname="HighLatency"']
    dryRun: true
    ${ON_WEB}
    steps:
      - action: scale
        params: { by: 2, max: 10 }
  - name: scale-api
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: prod, name: api }
    steps:
      - action: scale
        params: { by: 1, max: 10 }
`);
      const server = await s.start();
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).filter((r) => r.status !== 'intent').length === 2,
        'both steps',
      );
      expect(view.plans.map((p) => [p.policy, p.dryRun])).toEqual([
        ['try-scale', true],
        ['scale-api', false],
      ]);
      expect(messages(view, 'plan')).toEqual(
        expect.arrayContaining([expect.stringMatching(/^Plan \(policy try-scale\).*\[dry run\]$/)]),
      );
      const scales = s.fake.writes().filter((w) => w.path.endsWith('/scale'));
      expect(scales.map((w) => [w.path, w.dryRun])).toEqual(
        expect.arrayContaining([
          ['/apis/apps/v1/namespaces/prod/deployments/web/scale', true],
          ['/apis/apps/v1/namespaces/prod/deployments/api/scale', false],
        ]),
      );
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(2);
      expect(stored(s.fake, 'prod', 'api').spec.replicas).toBe(3);
      // Leases and the audit Event belong to the policy that acted, and only to it.
      const leases = s.fake.list('coordination.k8s.io/v1', 'Lease', OWN_NAMESPACE);
      expect(leases.map((l) => l.metadata.annotations['remediator.dev/target']).sort()).toEqual([
        'Deployment/prod/api',
        'Deployment/prod/api',
      ]);
      await waitFor(() => events(s.fake, 'prod').length > 0, 'the Event');
      expect(events(s.fake, 'prod').map((e) => e.regarding.name)).toEqual(['api']);
    });
  });

  it('in a global dry run, giving up is recorded for the ladder but nobody is paged', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
      s.policies(`
sinks:
  oncall: { type: webhook, url: RECEIVER }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: oncall }]
policies:
  - name: scale
    match: ['alertname="HighLatency"']
    ${ON_WEB}
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 300ms
`);
      const server = await s.start({ dryRun: true });
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'notification').length === 1,
        'the escalation',
      );
      expect(steps(view)[0]).toMatchObject({ status: 'dry_run', verification: 'ineffective' });
      expect(messages(view, 'notification')).toEqual([
        'Escalation to on-call (oncall): not sent (dry run)',
      ]);
      expect(s.receiver.requests).toEqual([]);
      expect(
        await metric(server, 'remediator_notifications_total', {
          sink: 'oncall',
          template: 'status-update',
          result: 'dry_run',
        }),
      ).toBe(1);
      // A dry run neither fails nor succeeds for the circuit breaker.
      expect(await metric(server, 'remediator_circuit_open', { policy: 'scale' })).toBe(0);
      expect(s.fake.writes().every((w) => w.dryRun)).toBe(true);
    });
  });

  it('without Kubernetes credentials sends no request at all and records every step as a dry run', async () => {
    await withScenario(async (s) => {
      s.policies(everyAction());
      seedCluster(s);
      // KUBECONFIG set to a missing file: no fallback to a developer's ~/.kube/config either.
      const server = await s.start({}, { env: { KUBECONFIG: join(s.dir, 'no-kubeconfig') } });
      expect(server.dryRun).toBe(true);
      expect(server.lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            level: 'warn',
            message: expect.stringContaining('no Kubernetes credentials found'),
          }),
        ]),
      );
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).filter((r) => r.status !== 'intent').length === 7,
        'all seven steps',
      );
      for (const step of steps(view)) {
        expect(step).toMatchObject({ status: 'dry_run', dryRun: true });
      }
      expect(steps(view).find((r) => r.action === 'scale')?.summary).toBe(
        'would run scale on Deployment prod/web (no Kubernetes credentials: nothing read or written)',
      );
      expect(steps(view).find((r) => r.action === 'notify')?.summary).toBe(
        'would run notify (no Kubernetes credentials: nothing read or written)',
      );
      expect(s.fake.requests).toEqual([]);
      expect(s.receiver.requests).toEqual([]);
      const ready = await (await fetch(`${server.url}/readyz`)).json();
      expect(JSON.stringify(ready)).toContain('dry-run mode: no credentials found');
    });
  });
});
