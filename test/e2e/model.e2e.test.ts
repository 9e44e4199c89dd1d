import { phase, REVISION, type IncidentView, type ServiceSpec, type Stack } from './support';
import { stackForFile } from './support/suite';

/*
 * Scenario 2, model issues end to end: a rollout put a bad model version in place (revision 2's
 * MODEL_VERSION) → the service's reported accuracy drops to 70 % → Prometheus fires
 * ModelAccuracyDrop → Alertmanager delivers it → remediator scores it Sev2 and the model-issues
 * policy's restore-model puts revision 1's MODEL_VERSION back with a strategic merge patch of that
 * one env entry → the service serves the good model, the accuracy comes back → the alert resolves →
 * the incident resolves and the step is verified effective.
 */

const IMAGE = 'registry.example/heart-disease-api:1.5.1';
const GOOD_MODEL = '2024.06';
const BAD_MODEL = '2024.07';
/** The same image twice: the second rollout changed only the model version. */
const SERVICE: ServiceSpec = {
  namespace: 'prod',
  name: 'heart-disease-api',
  replicas: 3,
  revisions: [
    { image: IMAGE, modelVersion: GOOD_MODEL, ageSeconds: 6 * 86_400 },
    { image: IMAGE, modelVersion: BAD_MODEL, ageSeconds: 86_400 },
  ],
};
const { namespace, name } = SERVICE;
const DEPLOYMENT_PATH = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
const GOOD_ACCURACY = 0.93;
const BAD_ACCURACY = 0.7; // under ModelAccuracyDrop's 0.85, above IncorrectPredictions' 0.6

let incidentId: number | undefined;

function isModelIncident(i: IncidentView): boolean {
  return i.groupLabels.alertname === 'ModelAccuracyDrop' && i.groupLabels.deployment === name;
}

function modelPlan(i: IncidentView) {
  return i.plans.find((p) => p.policy === 'model-issues');
}

function deploymentPatches(s: Stack) {
  return s.kube.writes().filter((w) => w.method === 'PATCH' && w.path === DEPLOYMENT_PATH);
}

function modelEnv(s: Stack): { name: string; value?: string }[] {
  const deployment = s.kube.get('apps/v1', 'Deployment', namespace, name);
  const model = deployment.spec.template.spec.containers.find(
    (c: { name: string }) => c.name === 'model',
  );
  return model.env;
}

const started = stackForFile({ name: 'model', service: SERVICE, sim: { accuracy: GOOD_ACCURACY } });

describe('model accuracy drop, end to end', () => {
  it('fires ModelAccuracyDrop, which remediator answers by restoring the previous revision’s model version', async () => {
    const s = started();
    // The seeded history: two owned ReplicaSets whose templates differ only in MODEL_VERSION.
    const replicaSets = s.kube
      .list('apps/v1', 'ReplicaSet', namespace)
      .filter((rs) => rs.metadata.ownerReferences?.[0]?.name === name)
      .map((rs) => ({
        revision: rs.metadata.annotations[REVISION],
        env: rs.spec.template.spec.containers[0].env,
      }));
    expect(replicaSets).toHaveLength(2);
    expect(modelEnv(s)).toContainEqual({ name: 'MODEL_VERSION', value: BAD_MODEL });

    await phase('accuracy drops: Prometheus fires ModelAccuracyDrop', async () => {
      s.step(`sim: model_accuracy ${GOOD_ACCURACY} → ${BAD_ACCURACY} (model ${BAD_MODEL})`);
      s.sim.setAccuracy(BAD_ACCURACY);
      const [alert] = await s.waitFor(
        async () => {
          const firing = await s.prometheus.alertsNamed('ModelAccuracyDrop');
          return firing.length > 0 ? firing : undefined;
        },
        'Prometheus to fire ModelAccuracyDrop',
        20_000,
      );
      s.step(`prometheus: ModelAccuracyDrop firing, accuracy = ${alert?.annotations.accuracy}`);
      expect(Number(alert?.annotations.accuracy)).toBeCloseTo(BAD_ACCURACY, 5);
      expect(alert?.labels).toMatchObject({
        namespace,
        deployment: name,
        service: name,
        severity: 'warning',
      });
      // Not so bad that IncorrectPredictions (Sev1) fires as well.
      expect(await s.prometheus.alertsNamed('IncorrectPredictions', 'pending')).toEqual([]);
      expect(await s.prometheus.alertsNamed('IncorrectPredictions')).toEqual([]);
    });

    await phase('Alertmanager delivers it; remediator opens a Sev2 incident', async () => {
      const incident = await s.incident(isModelIncident, 'remediator to open the incident', 15_000);
      incidentId = incident.id;
      s.step(`remediator: incident #${incident.id} ${incident.severity} (${incident.status})`);
      expect(incident.severity).toBe('Sev2');
      expect(incident.severityReasons).toEqual(
        expect.arrayContaining([expect.stringMatching(/^ModelAccuracyDrop: .* → Sev2$/)]),
      );
      expect(incident.groupKey).toBe(
        `{}:{alertname="ModelAccuracyDrop", deployment="${name}", namespace="${namespace}"}`,
      );
    });

    const patch = await phase('remediator patches MODEL_VERSION back', async () => {
      const [p] = await s.waitFor(
        () => {
          const patches = deploymentPatches(s).filter((w) => w.status === 200);
          return patches.length > 0 ? patches : undefined;
        },
        `a PATCH of ${DEPLOYMENT_PATH}`,
        15_000,
      );
      s.step(`fake kube: PATCH ${DEPLOYMENT_PATH} (${p?.contentType}) ${JSON.stringify(p?.body)}`);
      return p;
    });
    // A strategic merge patch of that one env entry of that one container (merged by name), and
    // remediator's history annotation with what was there before.
    expect(patch).toMatchObject({
      contentType: expect.stringMatching(/^application\/strategic-merge-patch\+json/),
      dryRun: false,
      fault: false,
    });
    expect(patch?.body).toEqual({
      metadata: { annotations: { 'remediator.dev/history': expect.any(String) } },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'model',
                env: [{ name: 'MODEL_VERSION', value: GOOD_MODEL, valueFrom: null }],
              },
            ],
          },
        },
      },
    });
    const history = JSON.parse(
      (patch?.body as any).metadata.annotations['remediator.dev/history'],
    ) as unknown;
    expect(JSON.stringify(history)).toContain(BAD_MODEL);

    // What the fake stored: the version is back, the rest of the container is untouched.
    const deployment = s.kube.get('apps/v1', 'Deployment', namespace, name);
    expect(modelEnv(s)).toEqual([
      { name: 'MODEL_VERSION', value: GOOD_MODEL },
      { name: 'WORKERS', value: '4' },
    ]);
    expect(deployment.spec.template.spec.containers).toHaveLength(1);
    expect(deployment.spec.template.spec.containers[0].image).toBe(IMAGE);
    expect(deployment.spec.replicas).toBe(SERVICE.replicas);
    expect(deployment.metadata.annotations[REVISION]).toBe('2');

    const incident = await s.incident(
      (i) =>
        i.id === incidentId &&
        // The intent is journaled before the PATCH, the result after it.
        modelPlan(i)?.remediations[0]?.status === 'applied',
      'the restore-model step to be journaled as applied',
      10_000,
    );
    // The Sev1 policies matched too, and were journaled as plan-time skips with their reason.
    expect(
      incident.plans
        .filter((p) => p.status === 'skipped')
        .map((p) => [p.policy, p.reason, p.remediations.length]),
    ).toEqual([
      ['sev1-diagnostics', 'incident is Sev2; the policy acts on Sev1 or worse', 0],
      ['sev1-status-update', 'incident is Sev2; the policy acts on Sev1 or worse', 0],
    ]);
    const acting = incident.plans.filter((p) => p.status !== 'skipped');
    expect(acting.map((p) => p.policy)).toEqual(['model-issues']);
    const plan = acting[0];
    expect(plan).toMatchObject({
      policy: 'model-issues',
      trigger: 'firing',
      status: 'running',
      dryRun: false,
      target: { kind: 'Deployment', namespace, name },
      steps: [{ action: 'restore-model' }, { action: 'notify' }],
    });
    expect(plan?.alerts).toHaveLength(1);
    expect(plan?.remediations).toHaveLength(1);
    expect(plan?.remediations[0]).toMatchObject({
      action: 'restore-model',
      status: 'applied',
      summary: `restored ${namespace}/${name} container model MODEL_VERSION ${BAD_MODEL} → ${GOOD_MODEL}`,
      verification: null,
    });
    expect(plan?.remediations[0]?.verifyUntil).not.toBeNull();
    expect(incident.status).toBe('resolving');
    // The audit Event on the Deployment is written after the result is journaled.
    const event = await s.waitFor(
      () =>
        s.kube
          .list('events.k8s.io/v1', 'Event', namespace)
          .find((e) => String(e.note).includes(`MODEL_VERSION ${BAD_MODEL} → ${GOOD_MODEL}`)),
      'the audit Event of restore-model',
      5_000,
    );
    expect(event.regarding).toMatchObject({ kind: 'Deployment', namespace, name });
  }, 60_000);

  it('resolves once the good model serves again: the alert, the incident, and an effective restore', async () => {
    const s = started();
    if (incidentId === undefined) throw new Error('no incident from the previous test');
    const id = incidentId;

    await phase('the restored model is accurate again: the alert resolves', async () => {
      s.step(`sim: model ${GOOD_MODEL} serves again, model_accuracy → ${GOOD_ACCURACY}`);
      s.sim.setAccuracy(GOOD_ACCURACY);
      await s.waitFor(
        async () => (await s.alertsFiring('ModelAccuracyDrop')).length === 0,
        'Alertmanager to resolve ModelAccuracyDrop',
        20_000,
      );
    });

    const verified = await phase(
      'remediator resolves the incident and verifies the step effective',
      () =>
        s.incident(
          (i) =>
            i.id === id &&
            i.status === 'resolved' &&
            modelPlan(i)?.remediations[0]?.verification !== null,
          'the incident to resolve with a verdict on restore-model',
          15_000,
        ),
    );
    expect(verified.alerts.map((a) => a.status)).toEqual(['resolved']);
    const plan = modelPlan(verified);
    expect(plan).toMatchObject({ policy: 'model-issues', status: 'effective' });
    expect(plan?.remediations).toHaveLength(1); // the notify step never ran
    expect(plan?.remediations[0]).toMatchObject({
      action: 'restore-model',
      verification: 'effective',
    });
    const messages = verified.timeline.map((e) => `${e.kind}: ${e.message}`);
    s.step(`incident #${id} timeline:\n  ${messages.join('\n  ')}`);
    expect(messages).toContainEqual(
      expect.stringMatching(/^verification: Step 1 restore-model effective: its alerts resolved/),
    );
    expect(verified.severity).toBe('Sev2');
  }, 60_000);

  it('counts it in /metrics, and wrote the Deployment once', async () => {
    const s = started();
    const metric = (n: string, labels: Record<string, string>) => s.remediator.metric(n, labels);
    expect(
      await metric('remediator_remediations_total', {
        policy: 'model-issues',
        action: 'restore-model',
        outcome: 'applied',
      }),
    ).toBe(1);
    expect(
      await metric('remediator_verifications_total', {
        policy: 'model-issues',
        action: 'restore-model',
        result: 'effective',
      }),
    ).toBe(1);
    expect(await metric('remediator_plans_total', {})).toBe(1);
    expect(
      await metric('remediator_skips_total', {
        policy: 'sev1-diagnostics',
        reason: 'severity_below_minimum',
      }),
    ).toBe(1);
    expect(await metric('remediator_incidents_opened_total', { severity: 'sev2' })).toBe(1);
    expect(await metric('remediator_incidents_resolved_total', { severity: 'sev2' })).toBe(1);
    expect(await metric('remediator_incidents_open', {})).toBe(0);
    expect(await metric('remediator_webhook_requests_total', {})).toBe(
      await metric('remediator_webhook_requests_total', { code: '200' }),
    );
    // One write of the Deployment, whatever Alertmanager repeated; a Sev2 fixed by automation
    // pages nobody (no Sev1 status update, the notify step never ran).
    expect(deploymentPatches(s)).toHaveLength(1);
    expect(s.notices().filter((n) => n.template === 'status-update')).toEqual([]);
    expect(s.kube.internalErrors).toEqual([]);
  });
});
