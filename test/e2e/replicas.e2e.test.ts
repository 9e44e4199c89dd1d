import { OWN_NAMESPACE, sleep, type IncidentView } from './support';
import { stackForFile } from './support/suite';
import {
  injected,
  postAlerts,
  resolvedNow,
  scalePatches,
  seedDeployment,
} from './support/injected-alerts';

/*
 * Scenario 8: two remediator replicas behind one Alertmanager, each its own receiver, so both get
 * every group. HighLatency fires for three services. Both replicas record every incident and plan
 * the same steps; the Leases let one of them act: one scale PATCH per service, one Sev1 status
 * update per incident, and, once the alerts resolve, one resolution notice per incident.
 */

const NS = 'prod';
const SERVICES = ['cart', 'catalog', 'pricing'];

const started = stackForFile({ name: 'replicas', remediators: 2 }, (s) => {
  for (const name of SERVICES) seedDeployment(s.kube, NS, name, 2);
});

const scaleStep = (i: IncidentView) =>
  i.plans.find((p) => p.policy === 'performance-degradation')?.remediations[0];

it('each action happens once, each incident is recorded by both replicas, humans are told once', async () => {
  const s = started();
  const alerts = SERVICES.map((deployment) =>
    injected({ alertname: 'HighLatency', severity: 'critical', namespace: NS, deployment }),
  );
  s.step(`alertmanager: HighLatency posted for ${SERVICES.join(', ')}`);
  await postAlerts(s.alertmanager, alerts);

  for (const deployment of SERVICES) {
    // Both replicas recorded the incident and settled its scale step: one applied, one stood back.
    const views = await Promise.all(
      s.remediators.map((r) =>
        s.incident(
          (i) =>
            i.groupLabels.deployment === deployment &&
            !['intent', undefined].includes(scaleStep(i)?.status),
          `${r.name} to record ${deployment} and settle its scale step`,
          20_000,
          r,
        ),
      ),
    );
    const outcomes = views.map((v) => `${scaleStep(v)?.status} ${scaleStep(v)?.reason ?? ''}`);
    s.step(`${deployment}: ${outcomes.map((o, i) => `remediator-${i} ${o}`).join('; ')}`);
    expect(outcomes.filter((o) => o.startsWith('applied'))).toHaveLength(1);
    expect(outcomes.filter((o) => /^skipped (cooldown|locked)$/.test(o))).toHaveLength(1);
    expect(views.map((v) => v.groupKey)).toEqual([views[0]?.groupKey, views[0]?.groupKey]);
    expect(scalePatches(s.kube, NS, deployment).map((p) => [p.status, p.body])).toEqual([
      [200, { spec: { replicas: 4 } }],
    ]);
  }
  await s.waitFor(
    () => s.notices('oncall').length >= SERVICES.length,
    'a status update per incident',
    10_000,
  );

  s.step('alertmanager: all three resolved');
  await postAlerts(s.alertmanager, resolvedNow(alerts));
  for (const r of s.remediators) {
    await s.waitFor(
      async () => (await r.incidents('status=open')).length === 0,
      `${r.name} to resolve every incident`,
      15_000,
    );
  }
  await s.waitFor(
    () =>
      s.notices('oncall').filter((n) => n.template === 'resolution-notice').length ===
      SERVICES.length,
    'a resolution notice per incident',
    10_000,
  );
  // Give a duplicate time to show up before counting.
  await sleep(2_000);
  for (const deployment of SERVICES) {
    const mine = s.notices('oncall').filter((n) => n.text.includes(`deployment ${deployment}`));
    expect(mine.map((n) => n.template)).toEqual(['status-update', 'resolution-notice']);
    expect(s.kube.get('apps/v1', 'Deployment', NS, deployment).spec.replicas).toBe(4);
  }
  expect(s.notices()).toHaveLength(2 * SERVICES.length);

  const sum = async (name: string, labels: Record<string, string>) =>
    (await Promise.all(s.remediators.map((r) => r.metric(name, labels)))).reduce((a, b) => a + b);
  expect(await sum('remediator_remediations_total', { action: 'scale', outcome: 'applied' })).toBe(
    SERVICES.length,
  );
  expect(await sum('remediator_incidents_opened_total', {})).toBe(2 * SERVICES.length);
  expect(await sum('remediator_notifications_total', { sink: 'oncall', result: 'delivered' })).toBe(
    2 * SERVICES.length,
  );
  // One attempt per service in the shared record, whichever replica made it.
  const records = s.kube
    .list('coordination.k8s.io/v1', 'Lease', OWN_NAMESPACE)
    .filter((l: any) => l.metadata.labels?.['remediator.dev/policy'] === 'performance-degradation');
  expect(records).toHaveLength(SERVICES.length);
  for (const lease of records)
    expect(JSON.parse(lease.metadata.annotations['remediator.dev/attempts'])).toHaveLength(1);
}, 90_000);
