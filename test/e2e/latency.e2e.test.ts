import { HEART_DISEASE_API, phase, type IncidentView, type Stack } from './support';
import { stackForFile } from './support/suite';

/*
 * Scenario 1, the whole chain for real: the service's p99 latency rises over 1 s → Prometheus fires
 * HighLatency → Alertmanager delivers it → remediator scores the incident Sev1 and scales the
 * Deployment out within the policy's bounds → the latency falls back → the alert resolves →
 * Alertmanager sends the resolved notice → the incident resolves, the scale step is verified
 * effective, and on-call gets the resolution notice.
 */

const { namespace, name } = HEART_DISEASE_API;
const SCALE_PATH = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/scale`;
const SLOW = 1.6; // seconds: every request falls in the (1, 2.5] bucket, so p99 ≈ 2.49 s
const FAST = 0.12;

let incidentId: number | undefined;

function isLatencyIncident(i: IncidentView): boolean {
  return i.groupLabels.alertname === 'HighLatency' && i.groupLabels.deployment === name;
}

function scalePatches(s: Stack) {
  return s.kube.writes().filter((w) => w.method === 'PATCH' && w.path === SCALE_PATH);
}

const started = stackForFile({ name: 'latency' });

describe('p99 latency over 1 s, end to end', () => {
  it('fires HighLatency, which remediator scores Sev1 and answers by scaling the Deployment out within bounds', async () => {
    const s = started();
    const replicasBefore = s.kube.get('apps/v1', 'Deployment', namespace, name).spec.replicas;
    expect(replicasBefore).toBe(HEART_DISEASE_API.replicas);

    await phase('latency rises: Prometheus fires HighLatency', async () => {
      s.step(`sim: every request now takes ${SLOW} s (was ${FAST} s)`);
      s.sim.setLatency(SLOW);
      const [alert] = await s.waitFor(
        async () => {
          const firing = await s.prometheus.alertsNamed('HighLatency');
          return firing.length > 0 ? firing : undefined;
        },
        'Prometheus to fire HighLatency',
        20_000,
      );
      s.step(`prometheus: HighLatency firing, p99 = ${alert?.annotations.p99_seconds ?? '?'} s`);
      expect(Number(alert?.annotations.p99_seconds)).toBeGreaterThan(1);
      expect(alert?.labels).toMatchObject({ namespace, deployment: name, service: name });
    });

    await phase('Alertmanager has it and delivers it to remediator', async () => {
      await s.waitFor(
        async () => (await s.alertsFiring('HighLatency', { deployment: name })).length === 1,
        'Alertmanager to hold HighLatency as active',
        10_000,
      );
      const incident = await s.incident(
        isLatencyIncident,
        'remediator to open the incident',
        10_000,
      );
      incidentId = incident.id;
      s.step(`remediator: incident #${incident.id} ${incident.severity} (${incident.status})`);
      expect(incident.severity).toBe('Sev1');
      expect(incident.severityReasons).toContain('HighLatency: alertname="HighLatency" → Sev1');
      expect(incident.groupKey).toBe(
        `{}:{alertname="HighLatency", deployment="${name}", namespace="${namespace}"}`,
      );
      expect(incident.affected).toMatchObject({ namespace: [namespace], deployment: [name] });
    });

    await phase('remediator scales the Deployment out', async () => {
      const [patch] = await s.waitFor(
        () => {
          const patches = scalePatches(s).filter((w) => w.status === 200);
          return patches.length > 0 ? patches : undefined;
        },
        `a PATCH of ${SCALE_PATH}`,
        15_000,
      );
      s.step(`fake kube: PATCH ${SCALE_PATH} ${JSON.stringify(patch?.body)}`);
      // The shipped policy: factor 2, min 2, max 12; from 3 that is 6.
      expect(patch).toMatchObject({
        contentType: expect.stringMatching(/^application\/merge-patch\+json/),
        body: { spec: { replicas: 6 } },
        dryRun: false,
        fault: false,
      });
      expect(s.kube.get('apps/v1', 'Deployment', namespace, name).spec.replicas).toBe(6);
    });

    const incident = await s.incident(
      (i) =>
        i.id === incidentId &&
        i.plans.some(
          (p) =>
            p.policy === 'performance-degradation' &&
            p.remediations.some((r) => r.action === 'scale' && r.status === 'applied'),
        ),
      'the scale step to be journaled as applied',
      10_000,
    );
    const plan = incident.plans.find((p) => p.policy === 'performance-degradation');
    expect(plan).toMatchObject({
      trigger: 'firing',
      status: 'running',
      dryRun: false,
      target: { kind: 'Deployment', namespace, name },
    });
    expect(plan?.remediations[0]).toMatchObject({
      action: 'scale',
      status: 'applied',
      summary: `scaled ${namespace}/${name} 3 → 6`,
      verification: null,
    });
    expect(incident.status).toBe('resolving');
    // The audit Event on the Deployment is written after the result is journaled.
    await s.waitFor(
      () =>
        s.kube
          .list('events.k8s.io/v1', 'Event', namespace)
          .some((e: any) => String(e.note).includes('scaled prod/heart-disease-api 3 → 6')),
      'the audit Event of the scale-out',
      5_000,
    );

    // Every Sev1 incident pages on-call (sev1-status-update).
    await s.waitFor(
      () => s.notices('oncall').some((n) => n.template === 'status-update'),
      'the Sev1 status update to reach on-call',
      10_000,
    );
    s.step(`receiver: on-call got "${s.notices('oncall')[0]?.text.split('\n')[0] ?? ''}"`);
  }, 60_000);

  it('resolves once the latency falls back: the alert, the incident, an effective scale, and a resolution notice', async () => {
    const s = started();
    if (incidentId === undefined) throw new Error('no incident from the previous test');
    const id = incidentId;

    await phase(
      'latency falls back: the alert resolves in Prometheus and Alertmanager',
      async () => {
        s.step(`sim: every request now takes ${FAST} s`);
        s.sim.setLatency(FAST);
        await s.waitFor(
          async () =>
            (await s.prometheus.alerts()).every((a) => a.labels.alertname !== 'HighLatency'),
          'Prometheus to stop firing HighLatency',
          20_000,
        );
        s.step('prometheus: HighLatency no longer fires');
        await s.waitFor(
          async () => (await s.alertsFiring('HighLatency')).length === 0,
          'Alertmanager to resolve HighLatency',
          10_000,
        );
      },
    );

    const resolved = await phase('remediator resolves the incident', () =>
      s.incident((i) => i.id === id && i.status === 'resolved', 'the incident to resolve', 15_000),
    );
    expect(resolved.alerts.every((a) => a.status === 'resolved')).toBe(true);
    expect(resolved.resolvedAt).not.toBeNull();

    const verified = await phase('the scale step is verified effective', () =>
      s.incident(
        (i) =>
          i.id === id &&
          i.plans.some(
            (p) =>
              p.policy === 'performance-degradation' && p.remediations[0]?.verification !== null,
          ),
        'the verdict on the scale step',
        10_000,
      ),
    );
    const plan = verified.plans.find((p) => p.policy === 'performance-degradation');
    expect(plan?.status).toBe('effective');
    expect(plan?.remediations).toHaveLength(1); // notify (step 2) runs only when scaling did not help
    expect(plan?.remediations[0]).toMatchObject({ action: 'scale', verification: 'effective' });

    await phase('on-call gets the resolution notice', () =>
      s.waitFor(
        () => s.notices('oncall').some((n) => n.template === 'resolution-notice'),
        'a resolution notice at the on-call sink',
        10_000,
      ),
    );
    const notice = s.notices('oncall').find((n) => n.template === 'resolution-notice');
    expect(notice?.text).toContain('Incident Resolution');
    expect(notice?.text).toContain('Duration');

    const final = await s.incident(
      (i) =>
        i.id === id && i.timeline.some((e) => e.message.startsWith('Resolution notice to oncall')),
      'the resolution notice in the timeline',
      5_000,
    );
    const messages = final.timeline.map((e) => `${e.kind}: ${e.message}`);
    s.step(`incident #${id} timeline:\n  ${messages.join('\n  ')}`);
    const order = [
      /^remediation: Step 1\/2 scale on Deployment prod\/heart-disease-api \(policy performance-degradation\): scaled prod\/heart-disease-api 3 → 6$/,
      /^verification: Step 1 scale effective: its alerts resolved [\d.]+s after it \(verify window [\d.]+s\)$/,
      /^notification: Resolution notice to oncall: delivered \(HTTP 200, 1 attempt\)$/,
    ].map((pattern) => messages.findIndex((m) => pattern.test(m)));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(final.severity).toBe('Sev1'); // an open incident's severity only rises; resolution keeps it
  }, 60_000);

  it('counts what it did in /metrics, and wrote nothing twice', async () => {
    const s = started();
    const r = s.remediator;
    const metric = (n: string, labels: Record<string, string>) => r.metric(n, labels);
    expect(
      await metric('remediator_remediations_total', {
        policy: 'performance-degradation',
        action: 'scale',
        outcome: 'applied',
      }),
    ).toBe(1);
    expect(
      await metric('remediator_verifications_total', {
        policy: 'performance-degradation',
        action: 'scale',
        result: 'effective',
      }),
    ).toBe(1);
    expect(await metric('remediator_incidents_opened_total', { severity: 'sev1' })).toBe(1);
    expect(await metric('remediator_incidents_resolved_total', { severity: 'sev1' })).toBe(1);
    expect(await metric('remediator_incidents_open', {})).toBe(0);
    expect(
      await metric('remediator_notifications_total', {
        template: 'resolution-notice',
        result: 'delivered',
      }),
    ).toBe(1);
    expect(
      await metric('remediator_webhook_requests_total', { code: '200' }),
    ).toBeGreaterThanOrEqual(2);
    expect(await metric('remediator_webhook_requests_total', {})).toBe(
      await metric('remediator_webhook_requests_total', { code: '200' }),
    );
    // Alertmanager's repeats (repeat_interval 10 s) added nothing: one scale, one resolution notice.
    expect(scalePatches(s)).toHaveLength(1);
    expect(s.notices('oncall').filter((n) => n.template === 'resolution-notice')).toHaveLength(1);
    expect(s.kube.internalErrors).toEqual([]);
  });
});
