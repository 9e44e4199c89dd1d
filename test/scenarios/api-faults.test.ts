import {
  alert,
  deliveries,
  events,
  incidentWhen,
  messages,
  metric,
  post,
  seedDeployment,
  steps,
  stored,
  waitFor,
  withScenario,
  writesTo,
} from './harness';

const POLICIES = `
sinks:
  oncall: { type: webhook, url: RECEIVER }
safety:
  circuitBreaker: { failures: 2, openFor: 15m }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: oncall }]
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 5m
`;

const firing = (deployment: string) =>
  alert({ alertname: 'HighLatency', namespace: 'prod', deployment }).firing();

/**
 * The API server's answer to every scale PATCH, for as long as the test lasts: 429 asking to come
 * back in a minute. The adapter's retry deadline is 30 s, so it gives up at once rather than wait.
 */
const SCALE_REFUSED = {
  method: 'PATCH',
  pathRegex: /^\/apis\/apps\/v1\/namespaces\/prod\/deployments\/[^/]+\/scale/,
  status: 429,
  shape: 'status',
  retryAfterSeconds: 60,
} as const;

describe('Kubernetes API faults', () => {
  it('an action still succeeds through three 503s and both shapes of 429, and every failed attempt is counted', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
      s.policies(POLICIES);
      const server = await s.start();
      // In order: the next three requests, whatever they are, get 503; then one gets the
      // priority-and-fairness 429 (text), then one the Status 429; both say Retry-After: 1.
      s.fake.fault({ status: 503, times: 3 });
      s.fake.fault({ status: 429, shape: 'text', times: 1 });
      s.fake.fault({ status: 429, shape: 'status', times: 1 });

      const id = await post(server, firing('web'));
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.status === 'applied',
        'the scale to get through',
        10_000,
      );
      expect(steps(view)[0]?.summary).toBe('scaled prod/web 2 → 4');
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(4);
      expect(s.fake.requests.filter((r) => r.fault).map((r) => r.status)).toEqual([
        503, 503, 503, 429, 429,
      ]);
      expect(
        writesTo(s.fake, '/deployments/web/scale').filter((w) => w.status === 200),
      ).toHaveLength(1);
      expect(
        await metric(server, 'remediator_kube_requests_total', { outcome: 'unavailable' }),
      ).toBe(3);
      expect(
        await metric(server, 'remediator_kube_requests_total', { outcome: 'rate_limited' }),
      ).toBe(2);
      // Every other attempt succeeded (the audit Event may still be on its way).
      const answered = () =>
        s.fake.requests.filter((r) => !r.fault && r.status >= 200 && r.status < 300).length;
      await waitFor(() => events(s.fake, 'prod').length === 1, 'the audit Event');
      await waitFor(
        async () =>
          (await metric(server, 'remediator_kube_requests_total', { outcome: 'success' })) ===
          answered(),
        'every successful request to be counted',
      );
      expect(
        server.lines.filter((l) => l.message === 'Kubernetes request will be retried'),
      ).toHaveLength(5);
    });
  });

  it('an API that refuses for longer than the retry deadline fails the step with its reason and a Warning Event', async () => {
    await withScenario(async (s) => {
      const web = seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
      s.policies(POLICIES);
      const server = await s.start();
      s.fake.fault(SCALE_REFUSED);

      const started = Date.now();
      const id = await post(server, firing('web'));
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.status === 'failed',
        'the step to fail',
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(steps(view)[0]).toMatchObject({
        action: 'scale',
        status: 'failed',
        reason: 'rate_limited',
        summary: 'patch deployment scale prod/web: Too many requests, please try again later.',
      });
      expect(messages(view, 'remediation')[0]).toBe(
        'Step 1/1 scale on Deployment prod/web (policy scale-out) failed (rate_limited): patch deployment scale prod/web: Too many requests, please try again later.',
      );
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(2);
      expect(
        await metric(server, 'remediator_remediations_total', {
          policy: 'scale-out',
          outcome: 'failed',
        }),
      ).toBe(1);
      await waitFor(() => events(s.fake, 'prod').length === 1, 'the audit Event');
      expect(events(s.fake, 'prod')[0]).toMatchObject({
        type: 'Warning',
        reason: 'RemediationFailed',
        regarding: { kind: 'Deployment', name: 'web', uid: web.metadata.uid },
      });
    });
  });

  it('after circuitBreaker.failures failed runs the circuit opens: the next plan is skipped and on-call is told', async () => {
    await withScenario(async (s) => {
      for (const name of ['web-1', 'web-2', 'web-3']) seedDeployment(s.fake, 'prod', name);
      s.policies(POLICIES);
      const server = await s.start();
      s.fake.fault(SCALE_REFUSED);

      for (const [n, name] of ['web-1', 'web-2'].entries()) {
        const id = await post(server, firing(name));
        await incidentWhen(server, id, (v) => steps(v)[0]?.status === 'failed', `${name} to fail`);
        // Each failed plan is handed to humans on its own incident.
        await waitFor(() => s.receiver.requests.length === n + 1, `the escalation for ${name}`);
      }
      await waitFor(
        async () =>
          (await metric(server, 'remediator_circuit_open', { policy: 'scale-out' })) === 1,
        'the circuit to open',
      );

      const id = await post(server, firing('web-3'));
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'notification').length === 1,
        'the circuit_open skip to be escalated',
      );
      expect(steps(view)).toEqual([
        expect.objectContaining({
          status: 'skipped',
          reason: 'circuit_open',
          summary: 'policy scale-out failed 2 times in a row; its circuit breaker is open',
        }),
      ]);
      expect(view.plans[0]?.status).toBe('skipped');
      expect(messages(view, 'escalated')).toEqual([
        'Escalated to humans: policy scale-out failed 2 times in a row; its circuit breaker is open',
      ]);
      expect(deliveries(s.receiver).map((d) => [d.incident.id, d.template])).toEqual([
        [1, 'status-update'],
        [2, 'status-update'],
        [id, 'status-update'],
      ]);
      expect(deliveries(s.receiver)[2]?.reason).toBe(
        'escalation (technical ladder, on-call): policy scale-out failed 2 times in a row; its circuit breaker is open',
      );
      // The open circuit spared the cluster: no read or write for web-3 past the gate.
      expect(writesTo(s.fake, '/deployments/web-3')).toEqual([]);
      expect(
        await metric(server, 'remediator_skips_total', {
          policy: 'scale-out',
          reason: 'circuit_open',
        }),
      ).toBe(1);
      expect(await metric(server, 'remediator_escalations_total', { reason: 'circuit_open' })).toBe(
        1,
      );
      expect(
        await metric(server, 'remediator_escalations_total', { reason: 'steps_exhausted' }),
      ).toBe(2);
    });
  });

  it('a half-open trial that another gate skips does not leave the circuit open for good', async () => {
    await withScenario(async (s) => {
      for (const name of ['web-1', 'web-2', 'web-4']) seedDeployment(s.fake, 'prod', name);
      seedDeployment(s.fake, 'prod', 'web-3', {
        annotations: { 'remediator.dev/disabled': 'true' },
      });
      s.policies(POLICIES.replace('openFor: 15m', 'openFor: 1s'));
      const server = await s.start();
      const removeFault = s.fake.fault(SCALE_REFUSED);
      for (const name of ['web-1', 'web-2']) {
        const id = await post(server, firing(name));
        await incidentWhen(server, id, (v) => steps(v)[0]?.status === 'failed', `${name} to fail`);
      }
      await waitFor(
        async () =>
          (await metric(server, 'remediator_circuit_open', { policy: 'scale-out' })) === 1,
        'the circuit to open',
      );
      removeFault();
      // Past openFor, the next plan is the trial; it meets a Deployment that opted out.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const trial = await post(server, firing('web-3'));
      const skipped = await incidentWhen(
        server,
        trial,
        (v) => steps(v).some((r) => r.status !== 'intent'),
        'the trial plan',
      );
      expect(steps(skipped)[0]).toMatchObject({ status: 'skipped', reason: 'opted_out' });

      // The trial never ran, so the next plan gets one.
      const next = await post(server, firing('web-4'));
      const view = await incidentWhen(
        server,
        next,
        (v) => steps(v).some((r) => r.status !== 'intent'),
        'the next plan',
      );
      expect(steps(view)[0]).toMatchObject({ action: 'scale', status: 'applied' });
    });
  });

  it('targets that do not exist or are refused as invalid do not count toward the circuit breaker', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
      seedDeployment(s.fake, 'prod', 'api', { replicas: 2 });
      s.policies(POLICIES);
      const server = await s.start();
      // Anyone who can post alerts can name Deployments that are not there, more times than the
      // circuit breaker's `failures` (2 here).
      for (const name of ['ghost-1', 'ghost-2', 'ghost-3']) {
        const id = await post(server, firing(name));
        const view = await incidentWhen(
          server,
          id,
          (v) => steps(v)[0]?.status === 'failed',
          `${name} to fail`,
        );
        expect(steps(view)[0]).toMatchObject({ status: 'failed', reason: 'not_found' });
      }
      // And a change the API server refuses as invalid (422) is the request's fault, not the
      // remediation's: neither opens the circuit.
      const removeFault = s.fake.fault({
        method: 'PATCH',
        pathRegex: /\/deployments\/api\/scale/,
        status: 422,
        shape: 'status',
        times: 1,
      });
      const refused = await post(server, firing('api'));
      const invalid = await incidentWhen(
        server,
        refused,
        (v) => steps(v)[0]?.status === 'failed',
        'the invalid patch to fail',
      );
      expect(steps(invalid)[0]).toMatchObject({ status: 'failed', reason: 'invalid' });
      removeFault();
      expect(await metric(server, 'remediator_circuit_open', { policy: 'scale-out' })).toBe(0);

      const id = await post(server, firing('web'));
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v).some((r) => r.status !== 'intent'),
        'the real target to be scaled',
      );
      expect(steps(view)[0]).toMatchObject({ action: 'scale', status: 'applied' });
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(4);
    });
  });
});
