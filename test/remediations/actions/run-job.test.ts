import { getEventListeners } from 'node:events';

import fc from 'fast-check';

import { envVarNameProblem } from '../../../src/kube/names';
import { formatProblem, loadPolicies } from '../../../src/policies/loader';
import { ACTIONS } from '../../../src/remediations/actions/index';
import type { ClientNodeKube } from '../../../src/kube/adapter';
import type { RenderedTarget } from '../../../src/policies/planner';
import {
  alertLabelEnvName,
  createRunJob,
  jobName,
  runJob,
} from '../../../src/remediations/actions/run-job';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import {
  alert,
  context,
  kubeFailure,
  NOW,
  planned,
  startKube,
  WEB,
  webDeployment,
} from '../support';

const JOBS = '/apis/batch/v1/namespaces/ns/jobs';
const PARAMS = {
  image: 'curlimages/curl:8.10.1',
  command: ['curl', '-fsS'],
  args: ['http://web.ns/health'],
  env: { MODE: 'quick', ALERT_LABEL_SEVERITY: 'from-policy' },
  serviceAccountName: 'diagnostics',
  activeDeadlineSeconds: 120,
  ttlSecondsAfterFinished: 3600,
};
const LABELS = {
  alertname: 'HighErrorRate',
  namespace: 'ns',
  deployment: 'web',
  severity: 'critical',
  'pod.name': 'web-7d9f-x1',
};

/** A clock that only moves when the action sleeps; `onSleep` runs at each poll. */
function pollingDeps(onSleep: (polls: number) => void = () => undefined) {
  let now = NOW.getTime();
  let polls = 0;
  return {
    deps: {
      now: () => now,
      sleep: (ms: number) => {
        now += ms;
        polls += 1;
        onSleep(polls);
        return Promise.resolve();
      },
    },
    polls: () => polls,
    elapsedMs: () => now - NOW.getTime(),
  };
}

describe('alertLabelEnvName', () => {
  it.each([
    ['alertname', 'ALERT_LABEL_ALERTNAME'],
    ['pod.name', 'ALERT_LABEL_POD_NAME'],
    ['app_kubernetes_io-name', 'ALERT_LABEL_APP_KUBERNETES_IO_NAME'],
    ['my var', 'ALERT_LABEL_MY_VAR'],
    ['zone=é', 'ALERT_LABEL_ZONE__'],
  ])('turns the alert label %s into the variable %s', (label, name) => {
    expect(alertLabelEnvName(label)).toBe(name);
  });

  it('gives a name the strict pre-1.32 rule accepts for any label name, UTF-8 ones included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (label) => {
        expect(envVarNameProblem(alertLabelEnvName(label))).toBeUndefined();
      }),
    );
  });
});

describe('run-job params', () => {
  const check = (env: Record<string, string>) =>
    runJob.checkParams?.({ image: 'reg/diag:1', env }) ?? [];

  it('accepts environment variable names the strict rule allows', () => {
    expect(check({ MODE: 'quick', 'my.env-name': 'a', _X: 'b', '-y': 'c' })).toEqual([]);
  });

  it.each(['my var', '1ABC', 'A=B', 'é', '..', '..x', ''])(
    'refuses the environment variable name %j that servers before 1.32 answer with a 422',
    (name) => {
      expect(check({ MODE: 'quick', [name]: 'x' })).toEqual([
        ['env', expect.stringContaining(`environment variable name ${JSON.stringify(name)} must`)],
      ]);
    },
  );

  it('makes `remediator check` report the name at its line in the policies file', () => {
    const text = [
      'policies:',
      '  - name: diagnose',
      '    match: [\'alertname="HighErrorRate"\']',
      '    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: web }',
      '    steps:',
      '      - action: run-job',
      '        params:',
      '          image: reg/diag:1',
      '          env: { "my var": x }',
      '',
    ].join('\n');
    const result = loadPolicies(text, 'policies.yaml', ACTIONS);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^policies\.yaml:\d+:\d+: policies\[0\]\.steps\[0\]\.params\.env: environment variable name "my var" must consist of/,
      ),
    ]);
  });
});

describe('run-job', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
    fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  const jobCtx = (options: Parameters<typeof context>[1] = {}) =>
    context(kube, { target: WEB, params: PARAMS, alerts: [alert(LABELS)], ...options });

  it('creates a one-shot diagnostics Job with the alert labels in its environment', async () => {
    const ctx = jobCtx();
    const decision = await planned(runJob, ctx);
    const name = jobName(ctx);
    expect(name).toMatch(/^remediator-web-errors-[0-9a-f]{8}$/);
    expect(decision.summary).toBe(`run job ns/${name} (image curlimages/curl:8.10.1)`);
    expect(decision.regarding).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(decision.regarding?.uid).toBe(
      fake.get('apps/v1', 'Deployment', 'ns', 'web').metadata.uid,
    );

    const result = await runJob.apply(ctx, decision.intent);
    expect(result.summary).toBe(`created job ns/${name}`);
    const labels = {
      'app.kubernetes.io/managed-by': 'remediator',
      'remediator.dev/incident': '42',
    };
    expect(fake.writes()).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: JOBS,
        contentType: 'application/json',
        status: 201,
        body: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {
            name,
            namespace: 'ns',
            labels,
            annotations: { 'remediator.dev/policy': 'web-errors' },
          },
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: 120,
            ttlSecondsAfterFinished: 3600,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                serviceAccountName: 'diagnostics',
                containers: [
                  {
                    name: 'diagnostics',
                    image: 'curlimages/curl:8.10.1',
                    command: ['curl', '-fsS'],
                    args: ['http://web.ns/health'],
                    env: [
                      { name: 'MODE', value: 'quick' },
                      // The policy's own value wins over the alert label's.
                      { name: 'ALERT_LABEL_SEVERITY', value: 'from-policy' },
                      { name: 'ALERT_LABEL_ALERTNAME', value: 'HighErrorRate' },
                      { name: 'ALERT_LABEL_DEPLOYMENT', value: 'web' },
                      { name: 'ALERT_LABEL_NAMESPACE', value: 'ns' },
                      { name: 'ALERT_LABEL_POD_NAME', value: 'web-7d9f-x1' },
                      { name: 'REMEDIATOR_INCIDENT_ID', value: '42' },
                      { name: 'REMEDIATOR_TARGET_NAMESPACE', value: 'ns' },
                      { name: 'REMEDIATOR_TARGET_NAME', value: 'web' },
                    ],
                  },
                ],
              },
            },
          },
        },
      }),
    ]);
    const stored = fake.get('batch/v1', 'Job', 'ns', name);
    expect(stored.spec.template.spec.restartPolicy).toBe('Never');
    expect(stored.metadata.labels).toEqual(labels);
  });

  it('turns alert label names the API server would refuse into valid variable names', async () => {
    // Alertmanager accepts UTF-8 label names; the fake applies the strict pre-1.32 env rule.
    const labels = { alertname: 'HighErrorRate', 'my var': 'a', é: 'b', '1abc': 'c', '..': 'd' };
    const ctx = jobCtx({ params: { image: 'reg/diag:1' }, alerts: [alert(labels)] });
    await runJob.apply(ctx, (await planned(runJob, ctx)).intent);
    expect(fake.writes()).toMatchObject([{ method: 'POST', path: JOBS, status: 201 }]);
    const env = fake.get('batch/v1', 'Job', 'ns', jobName(ctx)).spec.template.spec.containers[0]
      .env as { name: string; value: string }[];
    expect(env.map((e) => [e.name, e.value])).toEqual(
      expect.arrayContaining([
        ['ALERT_LABEL_MY_VAR', 'a'],
        ['ALERT_LABEL__', 'b'],
        ['ALERT_LABEL_1ABC', 'c'],
        ['ALERT_LABEL___', 'd'],
      ]),
    );
  });

  it('names the Job the same for the same plan and differently for another incident or alert', () => {
    const first = jobName(jobCtx());
    expect(jobName(jobCtx())).toBe(first);
    expect(jobName(jobCtx({ alerts: [alert(LABELS, 'ffff0000')] }))).not.toBe(first);
    const other = { ...jobCtx(), incident: { ...jobCtx().incident, id: 43 } };
    expect(jobName(other)).not.toBe(first);
  });

  it('keeps the name a DNS label of at most 63 characters whatever the policy is called', () => {
    const name = jobName(jobCtx({ policy: `Scale_Out.On.Latency-${'x'.repeat(80)}` }));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^remediator-scale-out-on-latency-x+-[0-9a-f]{8}$/);
  });

  it('counts AlreadyExists from its own retried create as created', async () => {
    const ctx = jobCtx();
    const { intent } = await planned(runJob, ctx);
    await runJob.apply(ctx, intent);
    const again = await runJob.apply(ctx, intent);
    expect(again.summary).toBe(`job ns/${jobName(ctx)} was already created`);
    expect(fake.writes().map((w) => w.status)).toEqual([201, 409]);
  });

  it('targets a Pod’s namespace and points the Event at the Pod', async () => {
    const pod: RenderedTarget = { kind: 'Pod', namespace: 'ns', name: 'web-7d9f-x1' };
    const seeded = fake.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-7d9f-x1', namespace: 'ns' },
      spec: { containers: [{ name: 'model', image: 'reg/model:v41' }] },
    });
    const decision = await planned(runJob, jobCtx({ target: pod }));
    expect(decision.regarding).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'ns',
      name: 'web-7d9f-x1',
      uid: seeded.metadata.uid,
    });
  });

  it('sends the create with dryRun=All in a dry run and stores nothing', async () => {
    const ctx = jobCtx({ dryRun: true });
    const result = await runJob.apply(ctx, (await planned(runJob, ctx)).intent);
    expect(result.summary).toBe(`would create job ns/${jobName(ctx)}`);
    expect(fake.writes()).toMatchObject([
      { method: 'POST', path: JOBS, query: { dryRun: 'All' }, status: 201 },
    ]);
    expect(fake.list('batch/v1', 'Job', 'ns')).toEqual([]);
  });

  it('reconciles as not done before the create and done after it', async () => {
    const ctx = jobCtx();
    const { intent } = await planned(runJob, ctx);
    expect(await runJob.reconcile(ctx, intent)).toBe('not_done');
    await runJob.apply(ctx, intent);
    expect(await runJob.reconcile(ctx, intent)).toBe('done');
  });

  it('fails with a forbidden KubeError when creating Jobs is not allowed', async () => {
    fake.fault({ method: 'POST', pathPrefix: JOBS, status: 403 });
    const ctx = jobCtx();
    const err = await kubeFailure(runJob.apply(ctx, (await planned(runJob, ctx)).intent));
    expect(err.reason).toBe('forbidden');
  });

  describe('awaitOutcome', () => {
    async function created(): Promise<{
      ctx: ReturnType<typeof jobCtx>;
      intent: KubeObject;
      name: string;
    }> {
      const ctx = jobCtx();
      const { intent } = await planned(runJob, ctx);
      await runJob.apply(ctx, intent);
      return { ctx, intent, name: jobName(ctx) };
    }

    it('polls until the Job completes and reports how long it took', async () => {
      const { ctx, intent, name } = await created();
      const clock = pollingDeps((polls) => {
        if (polls === 3) {
          fake.setJobStatus('ns', name, {
            startTime: '2024-05-01T10:00:01Z',
            completionTime: '2024-05-01T10:00:13Z',
            succeeded: 1,
            conditions: [{ type: 'Complete', status: 'True' }],
          });
        }
      });
      const outcome = await createRunJob(clock.deps).awaitOutcome!(ctx, intent);
      expect(outcome).toEqual({ succeeded: true, summary: `job ${name} succeeded in 12 s` });
      expect(clock.polls()).toBe(3);
      expect(clock.elapsedMs()).toBe(6_000);
    });

    it('reports the reason of a failed Job', async () => {
      const { ctx, intent, name } = await created();
      fake.setJobStatus('ns', name, {
        failed: 1,
        conditions: [
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      });
      const outcome = await createRunJob(pollingDeps().deps).awaitOutcome!(ctx, intent);
      expect(outcome).toEqual({
        succeeded: false,
        summary: `job ${name} failed: BackoffLimitExceeded`,
      });
    });

    it('reads the pod counts when the Job has no condition yet', async () => {
      const { ctx, intent, name } = await created();
      fake.setJobStatus('ns', name, { failed: 1 });
      const outcome = await createRunJob(pollingDeps().deps).awaitOutcome!(ctx, intent);
      expect(outcome).toEqual({ succeeded: false, summary: `job ${name} failed: 1 pod(s) failed` });
    });

    it('gives up 30 s after the Job’s active deadline', async () => {
      const { ctx, intent, name } = await created();
      const clock = pollingDeps();
      const outcome = await createRunJob(clock.deps).awaitOutcome!(ctx, intent);
      expect(outcome).toEqual({
        succeeded: false,
        summary: `job ${name} did not finish within 150 s`,
      });
      expect(clock.elapsedMs()).toBe(150_000);
    });

    it('leaves no listener on the shutdown signal after its waits (the signal outlives them)', async () => {
      const { ctx, intent, name } = await created();
      const stopping = new AbortController();
      setTimeout(() => {
        fake.setJobStatus('ns', name, {
          succeeded: 1,
          conditions: [{ type: 'Complete', status: 'True' }],
        });
      }, 50);
      const outcome = await createRunJob({ pollIntervalMs: 5 }).awaitOutcome!(
        { ...ctx, signal: stopping.signal },
        intent,
      );
      expect(outcome.succeeded).toBe(true);
      expect(getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
    });

    it('stops waiting at once when remediator shuts down', async () => {
      const { ctx, intent, name } = await created();
      const stopping = new AbortController();
      const started = Date.now();
      const waiting = createRunJob({ pollIntervalMs: 60_000 }).awaitOutcome!(
        { ...ctx, signal: stopping.signal },
        intent,
      );
      setTimeout(() => stopping.abort(), 50);
      expect(await waiting).toEqual({
        succeeded: false,
        summary: `stopped waiting for job ${name}: remediator shut down`,
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('stops at once when remediator shuts down while a poll is on the wire', async () => {
      const { ctx, intent, name } = await created();
      const stopping = new AbortController();
      const kube = new Proxy(ctx.kube, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (property !== 'readJob' || typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            stopping.abort();
            return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          };
        },
      });
      const started = Date.now();
      const outcome = await createRunJob({ pollIntervalMs: 60_000 }).awaitOutcome!(
        { ...ctx, kube, signal: stopping.signal },
        intent,
      );
      expect(outcome.summary).toBe(`stopped waiting for job ${name}: remediator shut down`);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('reports a Job deleted before it finished', async () => {
      const { ctx, intent, name } = await created();
      fake.remove('batch/v1', 'Job', 'ns', name);
      const outcome = await createRunJob(pollingDeps().deps).awaitOutcome!(ctx, intent);
      expect(outcome).toEqual({
        succeeded: false,
        summary: `job ${name} disappeared before it finished`,
      });
    });
  });
});
