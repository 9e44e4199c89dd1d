import { HEART_DISEASE_API, sleep, type IncidentView, type Stack } from './support';
import { stackForFile } from './support/suite';

/*
 * Scenario 6: remediator is down for 30 s while three distinct alerts start firing. Alertmanager
 * cannot deliver them (connection refused), retries with backoff and again at every flush; once
 * remediator is back, every incident is recorded and acted on by its own policy: nothing is lost.
 */

const OUTAGE_MS = 30_000;
const { namespace, name } = HEART_DISEASE_API;

/** Each alert, the policy that answers it and the step that acts. */
const EXPECTED = [
  { alertname: 'HighLatency', policy: 'performance-degradation', action: 'scale' },
  { alertname: 'ModelAccuracyDrop', policy: 'model-issues', action: 'restore-model' },
  { alertname: 'HighErrorRate', policy: 'service-disruption', action: 'restart' }, // no recent rollout: rollback does not apply
] as const;

const started = stackForFile({ name: 'outage' });

const webhookFailures = (s: Stack) =>
  s.alertmanager.metric('alertmanager_notification_requests_failed_total', {
    integration: 'webhook',
  });

it('alerts that fire while remediator is down are all delivered, recorded and acted on once it is back', async () => {
  const s = started();
  const r = s.remediator;
  expect(await webhookFailures(s)).toBe(0);

  s.step('remediator-0 stops (SIGTERM)');
  await r.stop();
  const down = Date.now();
  s.step(
    'sim: p99 1.6 s, accuracy 0.7, 20 % errors → HighLatency, ModelAccuracyDrop, HighErrorRate',
  );
  s.sim.set({ latencySeconds: 1.6, accuracy: 0.7, errorRatio: 0.2 });
  for (const { alertname } of EXPECTED) {
    await s.waitFor(
      async () => (await s.alertsFiring(alertname, { deployment: name })).length === 1,
      `Alertmanager to hold ${alertname}`,
      20_000,
    );
  }
  await sleep(down + OUTAGE_MS - Date.now());
  // Refused attempts, and notifications Alertmanager gave up on until its next flush.
  const attempts = await webhookFailures(s);
  const givenUp = await s.alertmanager.metric('alertmanager_notifications_failed_total', {
    integration: 'webhook',
  });
  s.step(`alertmanager: ${attempts} webhook attempts refused, ${givenUp} notifications given up`);
  expect(attempts).toBeGreaterThanOrEqual(EXPECTED.length);
  expect(givenUp).toBeGreaterThanOrEqual(1);
  expect(r.running).toBe(false);

  s.step(`remediator-0 starts again after ${((Date.now() - down) / 1000).toFixed(1)} s`);
  const back = Date.now();
  await r.start();
  const acted = (alertname: string, policy: string, action: string) => (i: IncidentView) =>
    i.groupLabels.alertname === alertname &&
    i.plans.some(
      (p) =>
        p.policy === policy &&
        p.remediations.some((x) => x.action === action && x.status === 'applied'),
    );
  for (const { alertname, policy, action } of EXPECTED) {
    const incident = await s.incident(
      acted(alertname, policy, action),
      `${alertname} acted on (${action})`,
      20_000,
    );
    s.step(`remediator-0: incident #${incident.id} ${alertname}: ${action} applied`);
    expect(incident.groupLabels).toEqual({ alertname, namespace, deployment: name });
    // The alert fired while remediator was down: it was waiting in Alertmanager.
    expect(incident.alerts).toHaveLength(1);
    expect(Date.parse(incident.alerts[0]?.startsAt ?? '')).toBeLessThan(back);
    expect(incident.plans.filter((p) => p.policy === policy)).toHaveLength(1);
  }
  expect((await r.incidents()).map((i) => i.groupLabels.alertname).sort()).toEqual(
    EXPECTED.map((e) => e.alertname).sort(),
  );
  expect(
    await r.metric('remediator_webhook_requests_total', { code: '200' }),
  ).toBeGreaterThanOrEqual(3);
  expect(await r.metric('remediator_webhook_requests_total')).toBe(
    await r.metric('remediator_webhook_requests_total', { code: '200' }),
  );
  const d = s.kube.get('apps/v1', 'Deployment', namespace, name);
  expect(d.spec.replicas).toBe(6);
  expect(d.spec.template.spec.containers[0].env).toContainEqual({
    name: 'MODEL_VERSION',
    value: '2024.06',
  });
  expect(d.spec.template.metadata.annotations).toHaveProperty([
    'kubectl.kubernetes.io/restartedAt',
  ]);
}, 100_000);
