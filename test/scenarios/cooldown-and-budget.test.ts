import {
  deliveries,
  fingerprint,
  incidentWhen,
  messages,
  metric,
  payload,
  post,
  seedDeployment,
  steps,
  stored,
  waitFor,
  withScenario,
  writesTo,
  type Scenario,
} from './harness';

const LABELS = { alertname: 'HighLatency', namespace: 'prod', deployment: 'web' };

function policies(limits: string): string {
  return `
sinks:
  oncall: { type: webhook, url: RECEIVER }
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
        params: { by: 1, max: 10 }
        verify: 5m
${limits}
`;
}

/**
 * Acts once on prod/web, restarts remediator on the same data directory and cluster, then fires
 * a new instance of the alert (same fingerprint, a later startsAt). Resolves with the second
 * server and the incident as it stands once the new instance's step has a result.
 */
async function actThenRestartThenFireAgain(s: Scenario) {
  seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
  const fp = fingerprint();
  const first = await s.start();
  const id = await post(first, payload([{ labels: LABELS, fingerprint: fp }]));
  await incidentWhen(first, id, (v) => steps(v)[0]?.status === 'applied', 'the first scale');
  await s.stop(first);

  const second = await s.start();
  const again = await post(
    second,
    payload([{ labels: LABELS, fingerprint: fp, startsAt: '2026-11-27T14:30:00Z' }]),
  );
  expect(again).toBe(id);
  const view = await incidentWhen(
    second,
    id,
    (v) => steps(v).length === 2 && steps(v)[1]?.status === 'skipped',
    'the second instance to be skipped',
  );
  expect(writesTo(s.fake, '/deployments/web/scale')).toHaveLength(1);
  expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(3);
  return { server: second, id, view };
}

describe('cooldown and attempt budget, across a restart', () => {
  it('a new alert instance for the same target is skipped in cooldown after a restart', async () => {
    await withScenario(async (s) => {
      s.policies(policies('    cooldown: 15m'));
      const { server, view } = await actThenRestartThenFireAgain(s);

      expect(steps(view)[1]).toMatchObject({ status: 'skipped', reason: 'cooldown' });
      const skipped = messages(view, 'remediation')[1] ?? '';
      expect(skipped).toMatch(
        /^Step 1\/1 scale on Deployment prod\/web \(policy scale-out\) skipped \(cooldown\): in cooldown for another \d+s \(last attempt .+\)$/,
      );
      // 15 minutes from the first attempt, less the few seconds this test has taken.
      expect(Number(/another (\d+)s/.exec(skipped)?.[1])).toBeGreaterThan(870);
      expect(view.plans.map((p) => p.status)).toEqual(['running', 'skipped']);
      expect(
        await metric(server, 'remediator_skips_total', { policy: 'scale-out', reason: 'cooldown' }),
      ).toBe(1);
      // Cooldown is a pause, not a failure: nobody is paged for it.
      expect(messages(view, 'escalated')).toEqual([]);
      expect(s.receiver.requests).toEqual([]);
    });
  });

  it('with no cooldown, a used-up attempt budget skips the new instance after a restart and escalates', async () => {
    await withScenario(async (s) => {
      s.policies(policies('    cooldown: 0s\n    budget: { max: 1, per: 1h }'));
      const { server, id, view } = await actThenRestartThenFireAgain(s);

      expect(steps(view)[1]).toMatchObject({
        status: 'skipped',
        reason: 'budget',
        summary: 'attempt budget used up: 1 of 1 in the last 60m',
      });
      expect(
        await metric(server, 'remediator_skips_total', { policy: 'scale-out', reason: 'budget' }),
      ).toBe(1);
      await waitFor(() => s.receiver.requests.length === 1, 'the escalation notice');
      const escalated = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'notification').length === 1,
        'the notice in the timeline',
      );
      expect(messages(escalated, 'escalated')).toEqual([
        'Escalated to humans: attempt budget used up: 1 of 1 in the last 60m',
      ]);
      expect(escalated.status).toBe('investigating');
      expect(messages(escalated, 'notification')).toEqual([
        'Escalation to on-call (oncall): delivered (HTTP 200, 1 attempt)',
      ]);
      expect(deliveries(s.receiver)[0]).toMatchObject({
        template: 'status-update',
        reason:
          'escalation (technical ladder, on-call): attempt budget used up: 1 of 1 in the last 60m',
        incident: { id },
      });
      expect(await metric(server, 'remediator_escalations_total', { reason: 'budget' })).toBe(1);
    });
  });
});
