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

/**
 * What each action's dry run says it would have done: the exact change, read from the cluster.
 * A notification changes no cluster, so it is sent, marked as a dry run.
 */
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
  'Step 1/1 notify (policy notify): notified oncall (HTTP 200, 1 attempt, marked as a dry run)',
];

const CLUSTER_ACTIONS = ['scale', 'restart', 'rollback', 'restore-model', 'isolate', 'run-job'];

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
    expect.arrayContaining([
      ...CLUSTER_ACTIONS.map((action) => [action, 'dry_run', true]),
      ['notify', 'applied', false],
    ]),
  );
  // Every plan is a dry run, and its JSON says so, beside its dry-run steps.
  expect(view.plans.map((p) => p.dryRun)).toEqual(view.plans.map(() => true));
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
  expect(s.receiver.requests).toHaveLength(1);
  expect(JSON.parse(s.receiver.requests[0]?.body ?? '{}').title).toMatch(
    /^\[Dry run: nothing was changed\] /,
  );
  expect(await metric(server, 'remediator_remediations_total', { outcome: 'dry_run' })).toBe(6);
  // The one step that ran is the notification, and both metrics say so.
  expect(
    await metric(server, 'remediator_remediations_total', { action: 'notify', outcome: 'applied' }),
  ).toBe(1);
  expect(await metric(server, 'remediator_remediations_total', { outcome: 'applied' })).toBe(1);
  expect(await metric(server, 'remediator_notifications_total', { result: 'delivered' })).toBe(1);
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

  it('with --dry-run-notify=false keeps the notification back, and both metrics count it as a dry run', async () => {
    await withScenario(async (s) => {
      seedCluster(s);
      s.policies(everyAction());
      const server = await s.start({ dryRun: true, dryRunNotify: false });
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).filter((r) => r.status !== 'intent').length === 7,
        'all seven steps',
      );
      expect(steps(view).find((r) => r.action === 'notify')).toMatchObject({
        status: 'dry_run',
        dryRun: true,
        summary: 'would notify oncall (not sent: --dry-run-notify=false)',
      });
      expect(s.receiver.requests).toEqual([]);
      expect(
        await metric(server, 'remediator_remediations_total', {
          action: 'notify',
          outcome: 'dry_run',
        }),
      ).toBe(1);
      expect(await metric(server, 'remediator_notifications_total', { result: 'dry_run' })).toBe(1);
      expect(await metric(server, 'remediator_notifications_total', { result: 'delivered' })).toBe(
        0,
      );
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
      // A dry-run step changed nothing: its alerts still firing are no verdict on it.
      expect(steps(view)[0]).toMatchObject({ status: 'dry_run', verification: null });
      expect(messages(view, 'verification')).toEqual([
        expect.stringMatching(
          /^Step 1 scale \[dry run\]: no verdict, since it changed nothing; its alerts still fire after 0\.\ds$/,
        ),
      ]);
      expect(await metric(server, 'remediator_verifications_total')).toBe(0);
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

  it('gives a dry-run step whose alerts resolve no verdict: the plan is done, not effective, and no metric calls it effective', async () => {
    await withScenario(async (s) => {
      s.policies(`
policies:
  - name: restart
    match: ['alertname="HighLatency"']
    ${ON_WEB}
    steps:
      - action: restart
        verify: 5m
`);
      // No credentials: the restart cannot even have been sent with dryRun=All.
      const server = await s.start({}, { env: { KUBECONFIG: join(s.dir, 'no-kubeconfig') } });
      const latency = alert(LABELS);
      const id = await post(server, latency.firing());
      await incidentWhen(server, id, (v) => steps(v).length === 1, 'the dry-run step');
      await post(server, latency.resolved());
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'verification').length === 1,
        'the end of the verify window',
      );
      expect(messages(view, 'verification')).toEqual([
        expect.stringMatching(
          /^Step 1 restart \[dry run\]: no verdict, since it changed nothing; its alerts resolved \d+\.\ds after it \(verify window 300s\)$/,
        ),
      ]);
      expect(messages(view).join('\n')).not.toMatch(/effective/);
      expect(view.plans[0]).toMatchObject({ status: 'done', dryRun: true });
      expect(steps(view)[0]).toMatchObject({ status: 'dry_run', verification: null });
      expect(await metric(server, 'remediator_verifications_total')).toBe(0);
      expect(view.status).toBe('resolved');
    });
  });

  it('without Kubernetes credentials reads and writes nothing, says what each step was asked to do, and still sends the notification', async () => {
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
      for (const step of steps(view).filter((r) => r.action !== 'notify')) {
        expect(step).toMatchObject({ status: 'dry_run', dryRun: true });
      }
      // Nothing could be read: each says what it was asked to do, and that the rest is unknown.
      expect(steps(view).find((r) => r.action === 'scale')?.summary).toBe(
        'would run scale {by: 2, max: 10, min: 1} on Deployment prod/web (no Kubernetes credentials: nothing read, so the exact change is unknown; nothing written)',
      );
      expect(steps(view).find((r) => r.action === 'restart')?.summary).toBe(
        'would run restart on Deployment prod/web (no Kubernetes credentials: nothing read, so the exact change is unknown; nothing written)',
      );
      // A notification needs no cluster: it is sent, marked as a dry run.
      expect(steps(view).find((r) => r.action === 'notify')).toMatchObject({
        status: 'applied',
        summary: 'notified oncall (HTTP 200, 1 attempt, marked as a dry run)',
      });
      expect(s.fake.requests).toEqual([]);
      expect(s.receiver.requests).toHaveLength(1);
      const ready = await (await fetch(`${server.url}/readyz`)).json();
      expect(JSON.stringify(ready)).toContain('dry-run mode: no credentials found');
    });
  });
});
