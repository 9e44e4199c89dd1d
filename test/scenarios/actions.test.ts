import type { FakeKube, KubeObject } from '../support/fake-kube';
import {
  alert,
  deliveries,
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
  writesTo,
  type Scenario,
} from './harness';

const LABELS = {
  alertname: 'HighLatency',
  namespace: 'prod',
  deployment: 'web',
  pod: 'web-7d9f8b6c5-abcde',
  severity: 'critical',
};
const TARGET =
  "target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }";

/** A policies file with one policy of one step on the alert's Deployment (or what `target` says). */
function onePolicy(step: string, target = TARGET, extra = ''): string {
  return `
sinks:
  oncall: { type: webhook, url: RECEIVER }
${extra}
policies:
  - name: remediate
    match: ['alertname="HighLatency"']
    ${target}
    steps:
      - ${step}
        verify: 300ms
`;
}

/** Runs the scenario's one policy for one firing alert; resolves once its step has a result. */
async function runStep(s: Scenario, policies: string) {
  s.policies(policies);
  const server = await s.start();
  const id = await post(server, alert(LABELS).firing());
  const view = await incidentWhen(
    server,
    id,
    (v) => steps(v).some((r) => r.status !== 'intent'),
    'the step to finish',
  );
  return { server, id, view, step: steps(view)[0] };
}

/** The audit Event on an object: events.k8s.io/v1, pointing at it by uid. */
async function expectAuditEvent(fake: FakeKube, object: KubeObject, action: string) {
  const on = () =>
    events(fake, object.metadata.namespace).filter(
      (e) => e.regarding?.name === object.metadata.name,
    );
  // The Event is written after the step's result is journaled.
  await waitFor(() => on().length > 0, `an Event on ${object.metadata.name}`);
  const found = on();
  expect(found).toEqual([
    expect.objectContaining({
      apiVersion: 'events.k8s.io/v1',
      type: 'Normal',
      reason: 'RemediationApplied',
      action,
      reportingController: 'remediator.dev/remediator',
      regarding: expect.objectContaining({
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
      }),
    }),
  ]);
  const post = writesTo(fake, `/apis/events.k8s.io/v1/namespaces/${object.metadata.namespace}`);
  expect(post).toHaveLength(1);
  expect(post[0]).toMatchObject({ method: 'POST', status: 201, dryRun: false });
}

/** Marks a Job complete, as the Job controller would, 7 s after it started. */
function finishJob(fake: FakeKube, name: string): void {
  fake.setJobStatus('prod', name, {
    succeeded: 1,
    startTime: '2026-11-27T14:00:00Z',
    completionTime: '2026-11-27T14:00:07Z',
    conditions: [{ type: 'Complete', status: 'True' }],
  });
}

/** Waits until remediator has read the Job once more (its outcome poll has seen the status). */
async function jobPolledAgain(fake: FakeKube, name: string): Promise<void> {
  const path = `/apis/batch/v1/namespaces/prod/jobs/${name}`;
  const reads = () => fake.requests.filter((r) => r.method === 'GET' && r.path === path).length;
  const before = reads();
  await waitFor(() => reads() > before, `another read of Job ${name}`, 5_000);
}

describe('every action, end to end against the API server', () => {
  it('scale patches the scale subresource, records the attempt in Leases and leaves an Event on the Deployment', async () => {
    await withScenario(async (s) => {
      const deployment = seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
      const { server, view, step } = await runStep(
        s,
        onePolicy('action: scale\n        params: { by: 2, max: 10 }'),
      );

      expect(step).toMatchObject({
        action: 'scale',
        status: 'applied',
        summary: 'scaled prod/web 2 → 4',
        dryRun: false,
      });
      expect(messages(view, 'remediation')).toEqual([
        'Step 1/1 scale on Deployment prod/web (policy remediate): scaled prod/web 2 → 4',
      ]);
      const patches = writesTo(s.fake, '/deployments/web/scale');
      expect(patches).toEqual([
        expect.objectContaining({
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          query: { fieldManager: 'remediator' },
          dryRun: false,
          status: 200,
          body: { spec: { replicas: 4 } },
        }),
      ]);
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(4);
      await expectAuditEvent(s.fake, deployment, 'Scale');

      // The lock (released) and the attempt record live in remediator's own namespace.
      const leases = s.fake.list('coordination.k8s.io/v1', 'Lease', OWN_NAMESPACE);
      expect(leases.map((l) => l.metadata.labels['remediator.dev/lease']).sort()).toEqual([
        'lock',
        'record',
      ]);
      expect(
        leases.find((l) => l.metadata.labels['remediator.dev/lease'] === 'lock').spec,
      ).toMatchObject({ holderIdentity: '' });
      expect(
        await metric(server, 'remediator_remediations_total', {
          policy: 'remediate',
          action: 'scale',
          outcome: 'applied',
        }),
      ).toBe(1);
    });
  });

  it('scale raises the minReplicas of the HPA that manages the Deployment instead of its replicas', async () => {
    await withScenario(async (s) => {
      const deployment = seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
      s.fake.seed({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web-hpa', namespace: 'prod' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 2,
          maxReplicas: 5,
        },
      });
      const { step } = await runStep(
        s,
        onePolicy('action: scale\n        params: { by: 2, max: 10 }'),
      );

      expect(step).toMatchObject({
        status: 'applied',
        summary: 'raised HPA prod/web-hpa minReplicas 2 → 4 (Deployment at 2 replicas)',
      });
      expect(writesTo(s.fake, '/deployments/web/scale')).toEqual([]);
      expect(writesTo(s.fake, '/horizontalpodautoscalers/web-hpa')).toEqual([
        expect.objectContaining({
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          status: 200,
          body: {
            metadata: {
              annotations: {
                'remediator.dev/original-replicas': '{"minReplicas":2,"maxReplicas":5}',
              },
            },
            spec: { minReplicas: 4 },
          },
        }),
      ]);
      const hpa = s.fake.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'prod', 'web-hpa');
      expect(hpa.spec).toMatchObject({ minReplicas: 4, maxReplicas: 5 });
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(2);
      await expectAuditEvent(s.fake, deployment, 'Scale');
    });
  });

  it('restart sets restartedAt on the pod template with a strategic merge patch', async () => {
    await withScenario(async (s) => {
      const deployment = seedDeployment(s.fake, 'prod', 'web');
      const { step } = await runStep(s, onePolicy('action: restart'));

      expect(step).toMatchObject({ action: 'restart', status: 'applied' });
      expect(step?.summary).toMatch(
        /^restarted prod\/web \(restartedAt \d{4}-\d\d-\d\dT[\d:]+Z\)$/,
      );
      const patches = writesTo(s.fake, '/apis/apps/v1/namespaces/prod/deployments/web');
      expect(patches).toHaveLength(1);
      expect(patches[0]).toMatchObject({
        method: 'PATCH',
        contentType: 'application/strategic-merge-patch+json',
        status: 200,
      });
      const restartedAt = stored(s.fake, 'prod', 'web').spec.template.metadata.annotations[
        'kubectl.kubernetes.io/restartedAt'
      ];
      expect(step?.summary).toContain(restartedAt);
      await expectAuditEvent(s.fake, deployment, 'Restart');
    });
  });

  it('rollback puts the previous ReplicaSet revision back with a JSON patch', async () => {
    await withScenario(async (s) => {
      const deployment = seedDeployment(s.fake, 'prod', 'web', { versions: ['v1', 'v2'] });
      const { step } = await runStep(s, onePolicy('action: rollback'));

      expect(step).toMatchObject({
        action: 'rollback',
        status: 'applied',
        summary:
          'rolled back prod/web from revision 2 to revision 1 (model: reg/model:v2 → reg/model:v1)',
      });
      const patches = writesTo(s.fake, '/apis/apps/v1/namespaces/prod/deployments/web');
      expect(patches).toHaveLength(1);
      expect(patches[0]).toMatchObject({
        method: 'PATCH',
        contentType: 'application/json-patch+json',
        status: 200,
      });
      const after = stored(s.fake, 'prod', 'web');
      expect(after.spec.template.spec.containers[0].image).toBe('reg/model:v1');
      expect(after.spec.template.metadata.labels).toEqual({ app: 'web' });
      await expectAuditEvent(s.fake, deployment, 'Rollback');
    });
  });

  it('restore-model sets the model version env var back to the previous revision’s value, image untouched', async () => {
    await withScenario(async (s) => {
      const deployment = seedDeployment(s.fake, 'prod', 'web', { versions: ['v1', 'v2'] });
      const { step } = await runStep(
        s,
        onePolicy('action: restore-model\n        params: { container: model }'),
      );

      expect(step).toMatchObject({
        action: 'restore-model',
        status: 'applied',
        summary: 'restored prod/web container model MODEL_VERSION v2 → v1',
      });
      const patches = writesTo(s.fake, '/apis/apps/v1/namespaces/prod/deployments/web');
      expect(patches).toHaveLength(1);
      expect(patches[0]).toMatchObject({
        contentType: 'application/strategic-merge-patch+json',
        status: 200,
      });
      const container = stored(s.fake, 'prod', 'web').spec.template.spec.containers[0];
      expect(container.image).toBe('reg/model:v2');
      expect(container.env).toEqual([
        { name: 'MODEL_VERSION', value: 'v1' },
        { name: 'THREADS', value: '4' },
      ]);
      await expectAuditEvent(s.fake, deployment, 'RestoreModel');
    });
  });

  it('isolate creates the deny-all NetworkPolicy, relabels the Pod and leaves an Event on the Pod', async () => {
    await withScenario(async (s) => {
      const pod = seedPod(s.fake, 'prod', LABELS.pod, 'web');
      const { step } = await runStep(
        s,
        onePolicy(
          'action: isolate\n        params: { removeLabels: [app] }',
          "target: { kind: Pod, namespace: '{{ labels.namespace }}', name: '{{ labels.pod }}' }",
        ),
      );

      expect(step).toMatchObject({ action: 'isolate', status: 'applied' });
      expect(step?.summary).toBe(
        `isolated pod prod/${LABELS.pod} (remediator.dev/quarantine=true, without app; created NetworkPolicy remediator-quarantine)`,
      );
      expect(writesTo(s.fake, '/networkpolicies')).toEqual([
        expect.objectContaining({ method: 'POST', status: 201, dryRun: false }),
      ]);
      const policy = s.fake.get(
        'networking.k8s.io/v1',
        'NetworkPolicy',
        'prod',
        'remediator-quarantine',
      );
      expect(policy.spec).toMatchObject({
        podSelector: { matchLabels: { 'remediator.dev/quarantine': 'true' } },
        policyTypes: ['Ingress', 'Egress'],
      });
      expect(s.fake.get('v1', 'Pod', 'prod', LABELS.pod).metadata.labels).toEqual({
        'remediator.dev/quarantine': 'true',
      });
      await expectAuditEvent(s.fake, pod, 'Isolate');
    });
  });

  it('run-job creates the diagnostic Job and records how it ended in the timeline', async () => {
    await withScenario(async (s) => {
      const deployment = seedDeployment(s.fake, 'prod', 'web');
      const { server, id, step } = await runStep(
        s,
        onePolicy(
          "action: run-job\n        params: { image: 'busybox:1.36', command: [sh, -c, 'echo {{ labels.deployment }}'] }",
        ),
      );
      const jobs = s.fake.list('batch/v1', 'Job', 'prod');
      expect(jobs).toHaveLength(1);
      const job = jobs[0];
      // The Job's controller would set this; remediator polls for it.
      finishJob(s.fake, job.metadata.name);

      expect(step).toMatchObject({
        action: 'run-job',
        status: 'applied',
        summary: `created job prod/${job.metadata.name}`,
      });
      expect(job.spec.template.spec.containers[0]).toMatchObject({
        image: 'busybox:1.36',
        command: ['sh', '-c', 'echo web'],
      });
      expect(job.spec.template.spec.containers[0].env).toEqual(
        expect.arrayContaining([
          { name: 'ALERT_LABEL_ALERTNAME', value: 'HighLatency' },
          { name: 'REMEDIATOR_TARGET_NAME', value: 'web' },
        ]),
      );
      await expectAuditEvent(s.fake, deployment, 'RunJob');
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'remediation_outcome').length > 0,
        'the Job outcome in the timeline',
      );
      expect(messages(view, 'remediation_outcome')).toEqual([
        `Step 1 run-job outcome: job ${job.metadata.name} succeeded in 7 s`,
      ]);
    });
  });

  it('notify posts the runbook status update to the sink and touches nothing in the cluster but its Leases', async () => {
    await withScenario(async (s) => {
      s.policies(`
sinks:
  oncall: { type: webhook, url: RECEIVER }
policies:
  - name: tell-oncall
    match: ['alertname="HighLatency"']
    steps:
      - action: notify
        params: { sink: oncall }
        verify: 300ms
`);
      const server = await s.start();
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).some((r) => r.status === 'applied'),
        'the notify step',
      );
      expect(steps(view)[0]).toMatchObject({
        action: 'notify',
        status: 'applied',
        summary: 'notified oncall (HTTP 200, 1 attempt)',
      });
      expect(s.receiver.requests).toHaveLength(1);
      expect(s.receiver.requests[0]?.url).toBe('/hook');
      expect(deliveries(s.receiver)[0]).toMatchObject({
        title: '[Sev1] Incident Update',
        template: 'status-update',
        reason: 'policy tell-oncall',
        incident: { id },
      });
      // Its lock and attempt record (so that replicas notify once) are remediator's own Leases.
      expect(
        s.fake.requests.filter(
          (r) => !r.path.startsWith('/apis/coordination.k8s.io/v1/namespaces/remediator/leases'),
        ),
      ).toEqual([]);
      await waitFor(
        async () =>
          (await metric(server, 'remediator_notifications_total', {
            template: 'status-update',
            result: 'delivered',
          })) === 1,
        'the delivery to be counted',
      );
    });
  });
});

describe('diagnostic Jobs', () => {
  const DIAG_AND_SCALE = `
policies:
  - name: diagnose
    match: ['alertname="HighLatency"']
    ${TARGET}
    steps:
      - action: run-job
        params: { image: 'busybox:1.36' }
        verify: 5m
  - name: scale-api
    match: ['alertname="HighErrorRate"']
    ${TARGET}
    steps:
      - action: scale
        params: { by: 1, max: 5 }
        verify: 5m
`;

  it('a Job still running holds up no other remediation, even with one step at a time', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      seedDeployment(s.fake, 'prod', 'api', { replicas: 1 });
      s.policies(DIAG_AND_SCALE);
      const server = await s.start({ parallelSteps: 1 });
      const diag = await post(server, alert(LABELS).firing());
      await incidentWhen(server, diag, (v) => steps(v)[0]?.status === 'applied', 'the Job');
      const job = s.fake.list('batch/v1', 'Job', 'prod')[0];
      try {
        const errors = await post(
          server,
          alert({ alertname: 'HighErrorRate', namespace: 'prod', deployment: 'api' }).firing(),
        );
        // The Job runs for up to activeDeadlineSeconds (600 s); the scale must not wait for it.
        const view = await incidentWhen(
          server,
          errors,
          (v) => steps(v)[0]?.status === 'applied',
          'the scale step while the Job runs',
          3_000,
        );
        expect(steps(view)[0]?.summary).toBe('scaled prod/api 1 → 2');
      } finally {
        finishJob(s.fake, job.metadata.name);
        await jobPolledAgain(s.fake, job.metadata.name);
      }
    });
  });

  it('closing the server does not wait for a running Job to finish', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      s.policies(DIAG_AND_SCALE);
      const server = await s.start();
      const id = await post(server, alert(LABELS).firing());
      await incidentWhen(server, id, (v) => steps(v)[0]?.status === 'applied', 'the Job');
      const job = s.fake.list('batch/v1', 'Job', 'prod')[0];
      const path = `/apis/batch/v1/namespaces/prod/jobs/${job.metadata.name}`;
      const reads = () =>
        s.fake.requests.filter((r) => r.method === 'GET' && r.path === path).length;
      // The first outcome poll has landed, so none is on the wire while the server closes; the
      // next would come 2 s later.
      await waitFor(() => reads() > 0, 'the first outcome poll', 5_000);
      const started = Date.now();
      const closed = await Promise.race([
        s.stop(server).then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 3_000)),
      ]);
      expect(closed).toBe(true);
      expect(Date.now() - started).toBeLessThan(3_000);
      // The outcome poll stopped with the server: the Job is never read again.
      const before = reads();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(reads()).toBe(before);
    });
  });
});
