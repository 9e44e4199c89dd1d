import { type IncidentView, type Stack } from './support';
import { stackForFile } from './support/suite';
import {
  injected,
  postAlerts,
  resolvedNow,
  scalePatches,
  seedDeployment,
} from './support/injected-alerts';

/*
 * Scenario 7: the Kubernetes API fails under remediator.
 * - For a few seconds it answers 503, then 429 (both shapes): remediator retries within its
 *   deadline, counts every failed attempt, and the scale step goes through once the API recovers.
 * - Down for longer than the adapter's 30 s retry deadline: two services' rollbacks fail, the
 *   policy's circuit breaker opens (`failures` lowered to 2), and on-call is told through the
 *   shipped technical ladder, once per incident.
 * Alerts are posted to Alertmanager, one group per service, at the moment each part needs them.
 */

const NS = 'prod';
const SLOW = 'checkout'; // HighLatency → performance-degradation: scale 3 → 6
const DOWN = ['search', 'payments']; // HighErrorRate → service-disruption: rollback, restart, notify

const started = stackForFile(
  {
    name: 'api-faults',
    policies: {
      transform: (doc) => {
        doc.safety = {
          ...doc.safety,
          circuitBreaker: { ...doc.safety?.circuitBreaker, failures: 2 },
        };
        const policy = doc.policies?.find((p) => p.name === 'service-disruption');
        if (policy !== undefined) policy.cooldown = '1s';
      },
    },
  },
  (s) => {
    for (const name of [SLOW, ...DOWN]) seedDeployment(s.kube, NS, name);
  },
);

const faultsAnswered = (s: Stack, status: number) =>
  s.kube.requests.filter((r) => r.fault && r.status === status).length;

const alertFor = (alertname: string, deployment: string) =>
  injected({ alertname, severity: 'critical', namespace: NS, deployment });

it('retries through 503s and 429s within its deadline, counts them, and acts once the API recovers', async () => {
  const s = started();
  const r = s.remediator;
  s.step('fake kube: every request answers 503 for 4 s, then two answer 429 (text, then Status)');
  s.kube.fault({ status: 503, until: Date.now() + 4_000 });
  s.kube.fault({ status: 429, shape: 'text', times: 1 });
  s.kube.fault({ status: 429, shape: 'status', times: 1 });
  const alert = alertFor('HighLatency', SLOW);
  await postAlerts(s.alertmanager, [alert]);

  // Both of the incident's steps went through: the scale, and the Sev1 status update (its Leases).
  const applied = await s.incident(
    (i) =>
      i.groupLabels.deployment === SLOW &&
      ['performance-degradation', 'sev1-status-update'].every(
        (policy) => i.plans.find((p) => p.policy === policy)?.remediations[0]?.status === 'applied',
      ),
    'the scale and the status update to get through',
    40_000,
  );
  const unavailable = faultsAnswered(s, 503);
  s.step(
    `fake kube answered ${unavailable} × 503 and ${faultsAnswered(s, 429)} × 429 before the API recovered`,
  );
  expect(unavailable).toBeGreaterThan(0);
  expect(faultsAnswered(s, 429)).toBe(2);
  expect(await r.metric('remediator_kube_requests_total', { outcome: 'unavailable' })).toBe(
    unavailable,
  );
  expect(await r.metric('remediator_kube_requests_total', { outcome: 'rate_limited' })).toBe(2);
  // Every failure was retried; none made a step fail.
  expect(
    r.runLogs().filter((l) => l.message === 'Kubernetes request will be retried'),
  ).toHaveLength(unavailable + 2);
  expect(await r.metric('remediator_remediations_total', { outcome: 'failed' })).toBe(0);
  expect(scalePatches(s.kube, NS, SLOW).map((p) => [p.status, p.body])).toEqual([
    [200, { spec: { replicas: 6 } }],
  ]);
  expect(s.kube.get('apps/v1', 'Deployment', NS, SLOW).spec.replicas).toBe(6);

  s.step(`alertmanager: HighLatency on ${SLOW} resolved`);
  await postAlerts(s.alertmanager, resolvedNow([alert]));
  await s.incident(
    (i) =>
      i.id === applied.id &&
      i.status === 'resolved' &&
      i.plans.some((p) => p.policy === 'performance-degradation' && p.status === 'effective') &&
      i.timeline.some((e) => e.message.startsWith('Resolution notice to oncall: delivered')),
    'the incident to resolve, the scale verified effective, and on-call told',
    15_000,
  );
}, 60_000);

it('with the API down for longer than the retry deadline, the circuit opens and on-call is told once per incident', async () => {
  const s = started();
  const r = s.remediator;
  const escalated = (i: IncidentView) =>
    i.timeline.some((e) => e.message.startsWith('Escalation to on-call (oncall): delivered'));
  s.step('fake kube: every request answers 503 until the circuit opens');
  const recover = s.kube.fault({ status: 503 });
  const alerts = DOWN.map((d) => alertFor('HighErrorRate', d));
  await postAlerts(s.alertmanager, alerts);
  const opened = await r.waitForLog(
    (l) => l.message === 'circuit breaker opened' && l.policy === 'service-disruption',
    'the circuit breaker of service-disruption to open',
    50_000,
  );
  s.step(`fake kube: the API recovers (circuit opened after ${String(opened.failures)} failures)`);
  recover();
  expect(opened.failures).toBe(2);
  expect(await r.metric('remediator_circuit_open', { policy: 'service-disruption' })).toBe(1);

  for (const deployment of DOWN) {
    const incident = await s.incident(
      (i) => i.groupLabels.deployment === deployment && escalated(i),
      `on-call to be told about ${deployment}`,
      20_000,
    );
    const plan = incident.plans.find((p) => p.policy === 'service-disruption');
    expect(plan?.status).toBe('skipped'); // stopped by a gate; the escalation hands it over
    expect(plan?.remediations.map((x) => [x.action, x.status, x.reason])).toEqual([
      ['rollback', 'failed', 'unavailable'],
      ['restart', 'skipped', 'circuit_open'],
    ]);
    expect(incident.timeline.map((e) => e.message)).toContain(
      'Escalated to humans: policy service-disruption failed 2 times in a row; its circuit breaker is open',
    );
    expect(incident.status).toBe('investigating'); // handed back to humans
    // Nothing was written to the service while the API was down, nor after.
    expect(s.kube.writes().filter((w) => w.path.includes(`/deployments/${deployment}`))).toEqual(
      [],
    );
  }
  for (const d of DOWN) {
    const told = s.notices('oncall').filter((n) => n.text.includes(`deployment ${d}`));
    expect(told.map((n) => n.template)).toEqual(['status-update']);
  }
  expect(await r.metric('remediator_escalations_total', { reason: 'circuit_open' })).toBe(2);
  expect(
    await r.metric('remediator_remediations_total', {
      policy: 'service-disruption',
      action: 'rollback',
      outcome: 'failed',
    }),
  ).toBe(2);
}, 100_000);
