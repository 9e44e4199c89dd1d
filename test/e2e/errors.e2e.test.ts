import {
  phase,
  REVISION,
  type IncidentView,
  type PlanView,
  type ServiceSpec,
  type Stack,
} from './support';
import { stackForFile } from './support/suite';

/*
 * Scenario 3, the error rate rises on two Deployments of one cluster at once → Prometheus fires
 * HighErrorRate for each → two incidents, both answered by the service-disruption policy
 * (rollback onlyIfChangedWithin 2h → restart → notify; 2h is 720 s here):
 * - heart-disease-api was rolled out moments ago (its current ReplicaSet is seconds old): the
 *   rollout is the likely cause, so remediator rolls back to the previous revision with kubectl's
 *   JSON patch;
 * - risk-score-api was last rolled out two days ago: the rollback step skips as not applicable,
 *   with its reason, and the restart step runs instead (kubectl's restartedAt strategic merge patch).
 * The errors stop → both alerts resolve → both incidents resolve, each acting step verified effective.
 */

const NAMESPACE = 'prod';
const RECENT: ServiceSpec = {
  namespace: NAMESPACE,
  name: 'heart-disease-api',
  replicas: 3,
  revisions: [
    {
      image: 'registry.example/heart-disease-api:1.5.1',
      modelVersion: '2024.06',
      ageSeconds: 3 * 86_400,
    },
    // "Moments ago": seeded 15 s before the stack starts, some 30 s old when remediator reads it.
    { image: 'registry.example/heart-disease-api:1.6.0', modelVersion: '2024.06', ageSeconds: 15 },
  ],
};
const SETTLED: ServiceSpec = {
  namespace: NAMESPACE,
  name: 'risk-score-api',
  replicas: 2,
  revisions: [
    { image: 'registry.example/risk-score-api:2.0.0', modelVersion: '7', ageSeconds: 9 * 86_400 },
    { image: 'registry.example/risk-score-api:2.0.1', modelVersion: '7', ageSeconds: 2 * 86_400 },
  ],
};
const ERROR_RATIO = 0.2; // over HighErrorRate's 5 %, under ServerErrorSurge's 50 %
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const HISTORY = 'remediator.dev/history';

const incidents: Record<string, number> = {};

function deploymentPath(spec: ServiceSpec): string {
  return `/apis/apps/v1/namespaces/${spec.namespace}/deployments/${spec.name}`;
}

function patchesOf(s: Stack, spec: ServiceSpec) {
  return s.kube.writes().filter((w) => w.method === 'PATCH' && w.path === deploymentPath(spec));
}

function isErrorIncident(spec: ServiceSpec) {
  return (i: IncidentView) =>
    i.groupLabels.alertname === 'HighErrorRate' && i.groupLabels.deployment === spec.name;
}

function disruptionPlan(i: IncidentView): PlanView | undefined {
  return i.plans.find((p) => p.policy === 'service-disruption');
}

/** The ReplicaSet of `spec` at `revision`, as the fake stores it. */
function replicaSet(s: Stack, spec: ServiceSpec, revision: number): any {
  const found = s.kube
    .list('apps/v1', 'ReplicaSet', spec.namespace)
    .find(
      (rs) =>
        rs.metadata.ownerReferences?.[0]?.name === spec.name &&
        rs.metadata.annotations?.[REVISION] === String(revision),
    );
  if (found === undefined) throw new Error(`no ReplicaSet of ${spec.name} at revision ${revision}`);
  return found;
}

const started = stackForFile({ name: 'errors', service: RECENT, extraServices: [SETTLED] });

describe('high error rate, end to end: rollback after a recent rollout, restart otherwise', () => {
  it('fires HighErrorRate for both Deployments and opens one Sev2 incident for each', async () => {
    const s = started();
    const recentSim = s.sims[RECENT.name];
    const settledSim = s.sims[SETTLED.name];
    if (recentSim === undefined || settledSim === undefined) throw new Error('a sim is missing');

    await phase('errors rise on both: Prometheus fires HighErrorRate twice', async () => {
      s.step(`sim: ${ERROR_RATIO * 100} % of requests answer 500 on ${RECENT.name}`);
      recentSim.setErrorRatio(ERROR_RATIO);
      s.step(`sim: ${ERROR_RATIO * 100} % of requests answer 500 on ${SETTLED.name}`);
      settledSim.setErrorRatio(ERROR_RATIO);
      const firing = await s.waitFor(
        async () => {
          const alerts = await s.prometheus.alertsNamed('HighErrorRate');
          return alerts.length === 2 ? alerts : undefined;
        },
        'Prometheus to fire HighErrorRate for both Deployments',
        25_000,
      );
      for (const alert of firing) {
        s.step(
          `prometheus: HighErrorRate firing for ${alert.labels.deployment}, error_ratio = ${alert.annotations.error_ratio}`,
        );
        expect(Number(alert.annotations.error_ratio)).toBeCloseTo(ERROR_RATIO, 1);
      }
      expect(firing.map((a) => a.labels.deployment).sort()).toEqual(
        [RECENT.name, SETTLED.name].sort(),
      );
      expect(await s.prometheus.alertsNamed('ServerErrorSurge')).toEqual([]);
    });

    await phase('Alertmanager delivers two groups; remediator opens two incidents', async () => {
      for (const spec of [RECENT, SETTLED]) {
        const incident = await s.incident(
          isErrorIncident(spec),
          `the incident for ${spec.name}`,
          15_000,
        );
        incidents[spec.name] = incident.id;
        s.step(`remediator: incident #${incident.id} for ${spec.name}, ${incident.severity}`);
        expect(incident.severity).toBe('Sev2');
        expect(incident.groupKey).toBe(
          `{}:{alertname="HighErrorRate", deployment="${spec.name}", namespace="${NAMESPACE}"}`,
        );
      }
      expect(incidents[RECENT.name]).not.toBe(incidents[SETTLED.name]);
    });
  }, 60_000);

  it('rolls the recently rolled-out Deployment back to its previous revision', async () => {
    const s = started();
    const previous = replicaSet(s, RECENT, 1);
    const [patch] = await phase(`remediator rolls ${RECENT.name} back`, () =>
      s.waitFor(
        () => {
          const patches = patchesOf(s, RECENT).filter((w) => w.status === 200);
          return patches.length > 0 ? patches : undefined;
        },
        `a PATCH of ${deploymentPath(RECENT)}`,
        15_000,
      ),
    );
    s.step(`fake kube: PATCH ${deploymentPath(RECENT)} (${patch?.contentType})`);

    // kubectl rollout undo's patch: revision 1's template without pod-template-hash, and the
    // annotations rebuilt from the Deployment's own revision (plus remediator's history), guarded
    // by tests on the Deployment's uid and generation as read when the step was planned.
    const template = structuredClone(previous.spec.template);
    expect(template.metadata.labels['pod-template-hash']).toBeDefined();
    delete template.metadata.labels['pod-template-hash'];
    expect(patch).toMatchObject({
      contentType: expect.stringMatching(/^application\/json-patch\+json/),
      dryRun: false,
      fault: false,
    });
    expect(patch?.body).toEqual([
      { op: 'test', path: '/metadata/uid', value: expect.any(String) },
      { op: 'test', path: '/metadata/generation', value: expect.any(Number) },
      { op: 'replace', path: '/spec/template', value: template },
      {
        op: 'replace',
        path: '/metadata/annotations',
        value: { [REVISION]: '2', [HISTORY]: expect.any(String) },
      },
    ]);
    expect(JSON.stringify(patch?.body)).not.toContain('pod-template-hash');

    const deployment = s.kube.get('apps/v1', 'Deployment', NAMESPACE, RECENT.name);
    expect(deployment.spec.template).toEqual(template);
    expect(deployment.spec.template.spec.containers[0].image).toBe(RECENT.revisions[0]?.image);

    const incident = await s.incident(
      (i) =>
        i.id === incidents[RECENT.name] && disruptionPlan(i)?.remediations[0]?.status === 'applied',
      'the rollback step to be journaled',
      10_000,
    );
    const plan = disruptionPlan(incident);
    expect(plan).toMatchObject({
      trigger: 'firing',
      status: 'running',
      target: { kind: 'Deployment', namespace: NAMESPACE, name: RECENT.name },
      steps: [{ action: 'rollback' }, { action: 'restart' }, { action: 'notify' }],
    });
    expect(plan?.remediations).toHaveLength(1);
    expect(plan?.remediations[0]).toMatchObject({
      action: 'rollback',
      status: 'applied',
      summary: `rolled back ${NAMESPACE}/${RECENT.name} from revision 2 to revision 1 (model: ${RECENT.revisions[1]?.image} → ${RECENT.revisions[0]?.image})`,
    });
    expect(patchesOf(s, RECENT)).toHaveLength(1); // rolled back, not restarted as well
  }, 30_000);

  it('restarts the Deployment rolled out long ago instead, the rollback step skipped as not applicable', async () => {
    const s = started();
    const current = replicaSet(s, SETTLED, 2);
    const [patch] = await phase(`remediator restarts ${SETTLED.name}`, () =>
      s.waitFor(
        () => {
          const patches = patchesOf(s, SETTLED).filter((w) => w.status === 200);
          return patches.length > 0 ? patches : undefined;
        },
        `a PATCH of ${deploymentPath(SETTLED)}`,
        15_000,
      ),
    );
    s.step(`fake kube: PATCH ${deploymentPath(SETTLED)} (${patch?.contentType})`);
    expect(patch).toMatchObject({
      contentType: expect.stringMatching(/^application\/strategic-merge-patch\+json/),
      dryRun: false,
      fault: false,
    });
    expect(patch?.body).toEqual({
      metadata: { annotations: { [HISTORY]: expect.any(String) } },
      spec: {
        template: {
          metadata: {
            annotations: {
              [RESTARTED_AT]: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            },
          },
        },
      },
    });
    const restartedAt = (patch?.body as any).spec.template.metadata.annotations[RESTARTED_AT];
    const deployment = s.kube.get('apps/v1', 'Deployment', NAMESPACE, SETTLED.name);
    expect(deployment.spec.template.metadata.annotations).toEqual({ [RESTARTED_AT]: restartedAt });
    // Still the current revision's template otherwise: nothing was rolled back.
    expect(deployment.spec.template.spec.containers[0].image).toBe(SETTLED.revisions[1]?.image);

    const incident = await s.incident(
      (i) =>
        i.id === incidents[SETTLED.name] &&
        disruptionPlan(i)?.remediations[1]?.status === 'applied',
      'the restart step to be journaled',
      10_000,
    );
    const plan = disruptionPlan(incident);
    expect(plan?.status).toBe('running');
    expect(plan?.remediations).toHaveLength(2);
    const [rollback, restart] = plan?.remediations ?? [];
    s.step(
      `remediator: rollback step ${rollback?.status} (${rollback?.reason ?? ''}): ${rollback?.summary ?? ''}`,
    );
    expect(rollback).toMatchObject({
      action: 'rollback',
      status: 'skipped',
      reason: 'not_applicable',
      verification: null,
    });
    expect(rollback?.summary).toMatch(
      new RegExp(
        `^current revision 2 \\(ReplicaSet ${current.metadata.name}\\) was created 2d ago, not within 720s \\(onlyIfChangedWithin\\): a recent rollout is not the likely cause$`,
      ),
    );
    // The timeline says it too, in the order it happened.
    const messages = incident.timeline.map((e) => e.message);
    const skipped = messages.findIndex((m) =>
      /^Step 1\/3 rollback .*skipped.*not within 720s \(onlyIfChangedWithin\)/.test(m),
    );
    const restarted = messages.findIndex((m) => /^Step 2\/3 restart .*: restarted /.test(m));
    s.step(`incident #${incident.id} timeline:\n  ${messages.join('\n  ')}`);
    expect(skipped).toBeGreaterThanOrEqual(0);
    expect(restarted).toBeGreaterThan(skipped);
    expect(restart).toMatchObject({
      action: 'restart',
      status: 'applied',
      summary: `restarted ${NAMESPACE}/${SETTLED.name} (restartedAt ${restartedAt})`,
    });
    expect(patchesOf(s, SETTLED)).toHaveLength(1);
  }, 30_000);

  it('resolves both incidents once the errors stop, each acting step verified effective', async () => {
    const s = started();
    await phase('errors stop: HighErrorRate resolves for both', async () => {
      for (const spec of [RECENT, SETTLED]) {
        s.step(`sim: no more 500s on ${spec.name}`);
        s.sims[spec.name]?.setErrorRatio(0);
      }
      await s.waitFor(
        async () => (await s.alertsFiring('HighErrorRate')).length === 0,
        'Alertmanager to resolve both HighErrorRate alerts',
        25_000,
      );
    });
    for (const [spec, action, steps] of [
      [RECENT, 'rollback', 1],
      [SETTLED, 'restart', 2],
    ] as const) {
      const resolved = await phase(`incident for ${spec.name} resolves, ${action} verified`, () =>
        s.incident(
          (i) =>
            i.id === incidents[spec.name] &&
            i.status === 'resolved' &&
            disruptionPlan(i)?.status === 'effective',
          `the incident for ${spec.name} to resolve with an effective ${action}`,
          15_000,
        ),
      );
      const plan = disruptionPlan(resolved);
      expect(plan?.remediations).toHaveLength(steps); // notify (step 3) never ran
      expect(plan?.remediations.at(-1)).toMatchObject({ action, verification: 'effective' });
      expect(resolved.timeline.map((e) => e.message)).toContainEqual(
        expect.stringMatching(
          new RegExp(`^Step ${steps} ${action} effective: its alerts resolved`),
        ),
      );
    }
  }, 60_000);

  it('counts one rollback, one skipped rollback and one restart in /metrics, and wrote each Deployment once', async () => {
    const s = started();
    const metric = (n: string, labels: Record<string, string>) => s.remediator.metric(n, labels);
    const policy = 'service-disruption';
    expect(
      await metric('remediator_remediations_total', {
        policy,
        action: 'rollback',
        outcome: 'applied',
      }),
    ).toBe(1);
    expect(
      await metric('remediator_remediations_total', {
        policy,
        action: 'rollback',
        outcome: 'skipped',
      }),
    ).toBe(1);
    expect(
      await metric('remediator_remediations_total', {
        policy,
        action: 'restart',
        outcome: 'applied',
      }),
    ).toBe(1);
    expect(await metric('remediator_skips_total', { policy, reason: 'not_applicable' })).toBe(1);
    for (const action of ['rollback', 'restart']) {
      expect(
        await metric('remediator_verifications_total', { policy, action, result: 'effective' }),
      ).toBe(1);
    }
    expect(await metric('remediator_plans_total', { policy, action: 'rollback' })).toBe(2);
    expect(await metric('remediator_incidents_opened_total', { severity: 'sev2' })).toBe(2);
    expect(await metric('remediator_incidents_resolved_total', { severity: 'sev2' })).toBe(2);
    expect(await metric('remediator_incidents_open', {})).toBe(0);
    expect(patchesOf(s, RECENT)).toHaveLength(1);
    expect(patchesOf(s, SETTLED)).toHaveLength(1);
    expect(s.kube.internalErrors).toEqual([]);
  });
});
