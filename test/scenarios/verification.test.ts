import { fixture } from '../support/fixtures';
import {
  alert,
  incidentWhen,
  messages,
  metric,
  post,
  seedDeployment,
  steps,
  waitFor,
  withScenario,
} from './harness';

const LABELS = { alertname: 'HighLatency', namespace: 'prod', deployment: 'web' };

/** A policy of remediating steps (`scale`, `restart`), after an optional `notify` of the team. */
function policies(steps: string): string {
  return `
sinks:
  team: { type: webhook, url: RECEIVER/team }
  oncall: { type: webhook, url: RECEIVER/oncall }
escalation:
  ladders:
    - name: technical
      rungs:
        - { who: on-call, sink: oncall }
        - { who: tech lead, sink: team, after: 1h }
policies:
  - name: latency
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:${steps}
`;
}

const NOTIFY_TEAM = `
      - action: notify
        params: { sink: team }
        verify: 300ms`;
const scale = (verify: string) => `
      - action: scale
        params: { by: 2, max: 10 }
        verify: ${verify}`;
const restart = (verify: string) => `
      - action: restart
        verify: ${verify}`;

describe('verification', () => {
  it('an alert that resolves within the verify window makes the step and its plan effective', async () => {
    await withScenario(async (s) => {
      // The bodies a real Alertmanager sent for HighLatency on prod/heart-disease-api.
      seedDeployment(s.fake, 'prod', 'heart-disease-api');
      s.policies(policies(scale('5s') + restart('300ms')));
      const server = await s.start();
      const id = await post(server, fixture('am-api-single-firing-bearer'));
      await incidentWhen(server, id, (v) => steps(v)[0]?.status === 'applied', 'the scale');
      expect(steps(await incidentWhen(server, id, () => true, 'the incident'))[0]?.summary).toBe(
        'scaled prod/heart-disease-api 2 → 4',
      );
      expect(await metric(server, 'remediator_verifications_total', { result: 'effective' })).toBe(
        0,
      );

      await post(server, fixture('am-api-single-resolved'));
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.verification === 'effective',
        'the verdict',
      );
      expect(view.plans[0]?.status).toBe('effective');
      expect(view.status).toBe('resolved');
      expect(messages(view, 'verification')).toEqual([
        expect.stringMatching(/^Step 1 scale effective: its alerts resolved /),
      ]);
      // The next step never ran, and nobody was paged.
      expect(steps(view)).toHaveLength(1);
      expect(s.receiver.requests).toEqual([]);
      expect(
        await metric(server, 'remediator_verifications_total', {
          policy: 'latency',
          action: 'scale',
          result: 'effective',
        }),
      ).toBe(1);
    });
  });

  it('an alert that keeps firing runs the next step, then escalates; the resolution reaches every sink told, once', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      s.policies(policies(NOTIFY_TEAM + scale('300ms') + restart('300ms')));
      const server = await s.start();
      const instance = alert(LABELS);
      const id = await post(server, instance.firing());

      const escalated = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'escalated').length === 1 && messages(v, 'notification').length === 1,
        'the escalation notice',
      );
      expect(steps(escalated).map((r) => [r.action, r.status])).toEqual([
        ['notify', 'applied'],
        ['scale', 'applied'],
        ['restart', 'applied'],
      ]);
      expect(
        steps(escalated)
          .slice(1)
          .map((r) => r.verification),
      ).toEqual(['ineffective', 'ineffective']);
      expect(messages(escalated, 'verification')).toEqual(
        expect.arrayContaining([
          'Step 2 scale ineffective: its alerts still fire after 0.3s',
          'Step 3 restart ineffective: its alerts still fire after 0.3s',
        ]),
      );
      expect(escalated.plans[0]?.status).toBe('escalated');
      expect(escalated.status).toBe('investigating');
      expect(messages(escalated, 'status').at(-1)).toBe(
        'Status Resolving → Investigating: automation gave up (steps_exhausted)',
      );
      expect(messages(escalated, 'escalated')).toEqual([
        'Escalated to humans: all 3 step(s) of policy latency ran and its alerts still fire',
      ]);
      // The notify step told the team; giving up told the ladder's first rung, and only it.
      const told = s.receiver.requests.map((r) => [r.url, JSON.parse(r.body).template]);
      expect(told).toEqual([
        ['/hook/team', 'status-update'],
        ['/hook/oncall', 'status-update'],
      ]);
      expect(JSON.parse(s.receiver.requests[1]?.body ?? '{}').reason).toBe(
        'escalation (technical ladder, on-call): all 3 step(s) of policy latency ran and its alerts still fire',
      );
      for (const action of ['scale', 'restart']) {
        expect(
          await metric(server, 'remediator_verifications_total', { action, result: 'ineffective' }),
        ).toBe(1);
      }
      expect(
        await metric(server, 'remediator_escalations_total', { reason: 'steps_exhausted' }),
      ).toBe(1);

      await post(server, instance.resolved());
      await waitFor(() => s.receiver.requests.length === 4, 'the resolution notices');
      // Alertmanager repeats resolved notifications; they add nothing.
      await post(server, instance.resolved());
      const resolved = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'notification').length === 3,
        'the notices in the timeline',
      );
      expect(resolved.status).toBe('resolved');
      const notices = s.receiver.requests
        .slice(2)
        .map((r) => [r.url, JSON.parse(r.body).template, JSON.parse(r.body).title])
        .sort();
      expect(notices).toEqual([
        ['/hook/oncall', 'resolution-notice', 'Incident Resolution'],
        ['/hook/team', 'resolution-notice', 'Incident Resolution'],
      ]);
      expect(messages(resolved, 'notification').slice(1).sort()).toEqual([
        'Resolution notice to oncall: delivered (HTTP 200, 1 attempt)',
        'Resolution notice to team: delivered (HTTP 200, 1 attempt)',
      ]);
      // Still once each, a moment later.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(s.receiver.requests).toHaveLength(4);
    });
  });

  it('a verify window open at shutdown is judged after the restart, and the next step runs once', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
      s.policies(policies(scale('1s') + restart('5m')));
      const first = await s.start();
      const id = await post(first, alert(LABELS).firing());
      await incidentWhen(first, id, (v) => steps(v)[0]?.status === 'applied', 'the scale');
      await s.stop(first);

      const second = await s.start();
      const view = await incidentWhen(
        second,
        id,
        (v) => steps(v)[1]?.status === 'applied',
        'the second step after the restart',
      );
      expect(steps(view).map((r) => [r.action, r.status, r.verification])).toEqual([
        ['scale', 'applied', 'ineffective'],
        ['restart', 'applied', null],
      ]);
      expect(messages(view, 'verification')).toEqual([
        'Step 1 scale ineffective: its alerts still fire after 1.0s',
      ]);
      expect(s.fake.writes().filter((w) => w.path.endsWith('/scale'))).toHaveLength(1);
      expect(
        s.fake.writes().filter((w) => w.path === '/apis/apps/v1/namespaces/prod/deployments/web'),
      ).toHaveLength(1);
      expect(s.receiver.requests).toEqual([]);
    });
  });
});
