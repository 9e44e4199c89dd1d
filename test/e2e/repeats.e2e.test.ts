import {
  HEART_DISEASE_API,
  phase,
  type IncidentView,
  type PlanView,
  type ServiceSpec,
  type Stack,
} from './support';
import { stackForFile } from './support/suite';

/** The name of a plan's target (every shipped policy names its Deployment from a label). */
function targetName(plan: { readonly target: PlanTarget | null }): string | undefined {
  return plan.target !== null && 'name' in plan.target ? plan.target.name : undefined;
}
type PlanTarget = NonNullable<PlanView['target']>;

/*
 * Scenario 4, repeated notifications and a partly resolved group. Alertmanager groups by
 * alertname and namespace here, so HighErrorRate for three Deployments of `prod` is one group and
 * one incident with three alert instances (Sev1: three alerts at once). Each instance gets exactly
 * one action of each policy on its own target: one restart of its Deployment (service-disruption,
 * after its rollback step skips: no recent rollout) and one diagnostic Job (sev1-diagnostics);
 * on-call gets one status update for the three. Then one Deployment recovers: its alert resolves
 * while the group still fires, and nothing is planned for it; the other two keep firing across
 * several of Alertmanager's repeats (repeat_interval 10 s), which remediator answers with 200 and
 * nothing else. Finally they recover and the incident resolves.
 *
 * Why three Deployments and not three pods: HighErrorRate is aggregated `by (namespace,
 * deployment, service)`, so per-pod series make one alert per Deployment, and the planner merges the
 * alerts of one policy on one target into one plan anyway.
 */

const NAMESPACE = 'prod';
/** Rolled out two days ago, like the default service: no rollback, a restart. */
function settled(name: string): ServiceSpec {
  return {
    namespace: NAMESPACE,
    name,
    replicas: 2,
    revisions: [
      { image: `registry.example/${name}:1.0.0`, modelVersion: '1', ageSeconds: 9 * 86_400 },
      { image: `registry.example/${name}:1.0.1`, modelVersion: '1', ageSeconds: 2 * 86_400 },
    ],
  };
}
const SERVICES: readonly ServiceSpec[] = [
  HEART_DISEASE_API,
  settled('risk-score-api'),
  settled('triage-api'),
];
const NAMES = SERVICES.map((s) => s.name);
/** The one that recovers first. */
const RECOVERS = 'triage-api';
const STILL_FIRING = NAMES.filter((n) => n !== RECOVERS);
const ERROR_RATIO = 0.2;
const REPEATS = 3;
const GROUP_KEY = `{}:{alertname="HighErrorRate", namespace="${NAMESPACE}"}`;

let incidentId: number | undefined;

function deploymentPath(name: string): string {
  return `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${name}`;
}

/** Every PATCH of the three Deployments (the actions' writes), successful or not. */
function deploymentPatches(s: Stack) {
  const paths = new Set(NAMES.map(deploymentPath));
  return s.kube.writes().filter((w) => w.method === 'PATCH' && paths.has(w.path));
}

function jobCreations(s: Stack) {
  return s.kube
    .writes()
    .filter((w) => w.method === 'POST' && w.path === `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`);
}

function isGroupIncident(i: IncidentView): boolean {
  return i.groupKey === GROUP_KEY;
}

function acting(i: IncidentView, policy: string): PlanView[] {
  return i.plans.filter((p) => p.policy === policy && p.status !== 'skipped');
}

/** The Deployment each plan's alert instances are about, by their fingerprints. */
function deploymentsOf(i: IncidentView, plan: PlanView): string[] {
  return plan.alerts.map(
    (ref) =>
      i.alerts.find((a) => a.fingerprint === ref.fingerprint && a.startsAt === ref.startsAt)?.labels
        .deployment ?? `(unknown alert ${ref.fingerprint})`,
  );
}

async function counters(s: Stack) {
  const r = s.remediator;
  return {
    webhooks: await r.metric('remediator_webhook_requests_total', { code: '200' }),
    amDeliveries: await s.alertmanager.metric('alertmanager_notifications_total', {
      integration: 'webhook',
    }),
    plans: await r.metric('remediator_plans_total'),
    matches: await r.metric('remediator_policy_matches_total', { policy: 'service-disruption' }),
    firingReceived: await r.metric('remediator_alerts_received_total', { status: 'firing' }),
  };
}

const started = stackForFile({
  name: 'repeats',
  extraServices: SERVICES.slice(1),
  alertmanager: { groupBy: ['alertname', 'namespace'] },
});

describe('repeated notifications and a partly resolved group, end to end', () => {
  it('answers three alert instances in one group with exactly one action each', async () => {
    const s = started();

    await phase('errors rise on three Deployments: HighErrorRate fires three times', async () => {
      for (const name of NAMES) {
        s.step(`sim: ${ERROR_RATIO * 100} % of requests answer 500 on ${name}`);
        s.sims[name]?.setErrorRatio(ERROR_RATIO);
      }
      await s.waitFor(
        async () => (await s.alertsFiring('HighErrorRate')).length === NAMES.length,
        'Alertmanager to hold HighErrorRate for the three Deployments',
        25_000,
      );
    });

    const incident = await phase('remediator restarts each Deployment once', async () => {
      await s.waitFor(
        () => deploymentPatches(s).filter((w) => w.status === 200).length >= NAMES.length,
        'a restart PATCH of each Deployment',
        20_000,
      );
      return s.incident(
        (i) =>
          isGroupIncident(i) &&
          acting(i, 'service-disruption').length === NAMES.length &&
          acting(i, 'service-disruption').every((p) => p.remediations[1]?.status === 'applied'),
        'the three restarts journaled in one incident',
        10_000,
      );
    });
    incidentId = incident.id;
    s.step(
      `remediator: incident #${incident.id} ${incident.severity}, ${incident.alerts.length} alerts, ${incident.plans.length} plans`,
    );
    expect(incident.severity).toBe('Sev1');
    expect(incident.groupLabels).toEqual({ alertname: 'HighErrorRate', namespace: NAMESPACE });
    expect(incident.alerts.map((a) => a.labels.deployment).sort()).toEqual([...NAMES].sort());
    expect(incident.alerts.every((a) => a.status === 'firing')).toBe(true);

    // One restart PATCH per Deployment, each kubectl's restartedAt strategic merge patch.
    const patches = deploymentPatches(s);
    expect(patches.map((p) => p.path).sort()).toEqual(NAMES.map(deploymentPath).sort());
    for (const patch of patches) {
      expect(patch).toMatchObject({
        status: 200,
        contentType: expect.stringMatching(/^application\/strategic-merge-patch\+json/),
        body: {
          spec: {
            template: {
              metadata: {
                annotations: { 'kubectl.kubernetes.io/restartedAt': expect.any(String) },
              },
            },
          },
        },
      });
    }

    // service-disruption: one plan per alert instance, on that alert's Deployment.
    const disruption = acting(incident, 'service-disruption');
    expect(disruption.map((p) => [targetName(p), deploymentsOf(incident, p)]).sort()).toEqual(
      NAMES.map((n) => [n, [n]]).sort(),
    );
    for (const plan of disruption) {
      expect(plan.trigger).toBe('firing');
      expect(plan.remediations.map((r) => [r.action, r.status, r.reason])).toEqual([
        ['rollback', 'skipped', 'not_applicable'],
        ['restart', 'applied', null],
      ]);
    }
    // sev1-diagnostics: one Job per Deployment, so per alert instance.
    const diagnostics = acting(incident, 'sev1-diagnostics');
    expect(diagnostics.map((p) => deploymentsOf(incident, p)).sort()).toEqual(
      NAMES.map((n) => [n]).sort(),
    );
    await s.waitFor(() => jobCreations(s).length >= NAMES.length, 'three diagnostic Jobs', 10_000);
    // sev1-status-update has no target: one plan, one status update, for the three alerts.
    const statusUpdates = acting(incident, 'sev1-status-update');
    expect(statusUpdates.flatMap((p) => deploymentsOf(incident, p)).sort()).toEqual(
      [...NAMES].sort(),
    );
    await s.waitFor(
      () => s.notices('oncall').some((n) => n.template === 'status-update'),
      'the Sev1 status update to reach on-call',
      10_000,
    );
  }, 60_000);

  it('plans nothing for an alert that resolves while its group still fires', async () => {
    const s = started();
    const id = incidentId;
    if (id === undefined) throw new Error('no incident from the previous test');
    const before = await counters(s);
    const plansBefore = (await s.remediator.incident(id)).plans.length;

    const incident = await phase(
      `${RECOVERS} recovers: its alert resolves, the group still fires`,
      async () => {
        s.step(`sim: no more 500s on ${RECOVERS}`);
        s.sims[RECOVERS]?.setErrorRatio(0);
        return s.incident(
          (i) =>
            i.id === id &&
            i.alerts.some((a) => a.labels.deployment === RECOVERS && a.status === 'resolved'),
          `remediator to record ${RECOVERS}'s alert as resolved`,
          20_000,
        );
      },
    );
    expect(incident.status).not.toBe('resolved');
    expect(incident.alerts.map((a) => [a.labels.deployment, a.status]).sort()).toEqual(
      NAMES.map((n) => [n, n === RECOVERS ? 'resolved' : 'firing']).sort(),
    );
    expect((await s.alertsFiring('HighErrorRate')).map((a) => a.labels.deployment).sort()).toEqual(
      [...STILL_FIRING].sort(),
    );
    // Nothing planned for the resolution, nothing written.
    expect(incident.plans).toHaveLength(plansBefore);
    expect(incident.plans.filter((p) => p.trigger === 'resolved')).toEqual([]);
    expect(deploymentPatches(s)).toHaveLength(NAMES.length);
    expect(jobCreations(s)).toHaveLength(NAMES.length);
    const after = await counters(s);
    expect(after.plans).toBe(before.plans);
    expect(after.matches).toBe(before.matches);

    // Its own restart worked: verified effective, while the other two are still being verified.
    const verified = await s.incident(
      (i) =>
        i.id === id &&
        acting(i, 'service-disruption').some(
          (p) => targetName(p) === RECOVERS && p.status === 'effective',
        ),
      `the restart of ${RECOVERS} to be verified effective`,
      10_000,
    );
    const recovered = acting(verified, 'service-disruption').find(
      (p) => targetName(p) === RECOVERS,
    );
    expect(recovered?.remediations[1]).toMatchObject({
      action: 'restart',
      verification: 'effective',
    });
  }, 60_000);

  it(`takes ${REPEATS} repeated notifications of the two still firing without acting again`, async () => {
    const s = started();
    const id = incidentId;
    if (id === undefined) throw new Error('no incident from the previous test');
    const before = await counters(s);
    const noticesBefore = s.notices().length;

    await phase(
      `Alertmanager repeats the group ${REPEATS} times (repeat_interval 10 s)`,
      async () => {
        let seen = before.webhooks;
        await s.waitFor(
          async () => {
            const now = await s.remediator.metric('remediator_webhook_requests_total', {
              code: '200',
            });
            if (now > seen) {
              s.step(
                `remediator: webhook request ${now - before.webhooks} of ${REPEATS} since the partial resolution`,
              );
              seen = now;
            }
            return now - before.webhooks >= REPEATS;
          },
          `${REPEATS} more webhook requests`,
          45_000,
        );
      },
    );
    const after = await counters(s);
    s.step(
      `alertmanager: ${after.amDeliveries - before.amDeliveries} webhook deliveries; remediator: ${after.webhooks - before.webhooks} requests answered 200, ${after.firingReceived - before.firingReceived} firing alerts received`,
    );
    // Really delivered, by Alertmanager's own count, and each carried the two firing alerts.
    expect(after.amDeliveries - before.amDeliveries).toBeGreaterThanOrEqual(REPEATS);
    expect(after.firingReceived - before.firingReceived).toBeGreaterThanOrEqual(
      REPEATS * STILL_FIRING.length,
    );
    // And they added nothing: no plan, no match, no write.
    expect(after.plans).toBe(before.plans);
    expect(after.matches).toBe(before.matches);
    expect(deploymentPatches(s)).toHaveLength(NAMES.length);
    expect(jobCreations(s)).toHaveLength(NAMES.length);
    expect(s.notices().filter((n) => n.template === 'status-update').length).toBeLessThanOrEqual(
      noticesBefore + STILL_FIRING.length,
    );

    // Meanwhile the restarts of the two still firing ran out their verify window (30 s):
    // ineffective, so each plan went on to its notify step, once.
    const incident = await s.incident(
      (i) =>
        i.id === id &&
        acting(i, 'service-disruption')
          .filter((p) => STILL_FIRING.includes(targetName(p) ?? ''))
          .every((p) => p.remediations[2]?.action === 'notify'),
      'the notify steps of the two restarts that did not help',
      20_000,
    );
    for (const plan of acting(incident, 'service-disruption')) {
      const steps = plan.remediations.map((r) => [r.action, r.status, r.verification]);
      s.step(
        `plan ${plan.id} on ${targetName(plan) ?? '?'}: ${plan.status} ${JSON.stringify(steps)}`,
      );
      if (targetName(plan) === RECOVERS) {
        expect(steps).toEqual([
          ['rollback', 'skipped', null],
          ['restart', 'applied', 'effective'],
        ]);
      } else {
        expect(steps).toEqual([
          ['rollback', 'skipped', null],
          ['restart', 'applied', 'ineffective'],
          ['notify', 'applied', null],
        ]);
      }
    }
  }, 75_000);

  it('resolves the incident when the last two recover, with exactly one action per alert instance in all', async () => {
    const s = started();
    const id = incidentId;
    if (id === undefined) throw new Error('no incident from the previous test');
    const before = await counters(s);

    const resolved = await phase('the other two recover: the incident resolves', async () => {
      for (const name of STILL_FIRING) {
        s.step(`sim: no more 500s on ${name}`);
        s.sims[name]?.setErrorRatio(0);
      }
      return s.incident(
        (i) => i.id === id && i.status === 'resolved',
        'the incident to resolve',
        25_000,
      );
    });
    expect(resolved.alerts.every((a) => a.status === 'resolved')).toBe(true);
    const messages = resolved.timeline.map((e) => `${e.kind}: ${e.message}`);
    s.step(`incident #${id} timeline:\n  ${messages.join('\n  ')}`);
    expect(resolved.plans.filter((p) => p.trigger === 'resolved')).toEqual([]);
    const after = await counters(s);
    expect(after.plans).toBe(before.plans);

    // Exactly one action of each policy per alert instance, over the whole incident.
    expect(deploymentPatches(s)).toHaveLength(NAMES.length);
    expect(jobCreations(s)).toHaveLength(NAMES.length);
    const metric = (n: string, labels: Record<string, string>) => s.remediator.metric(n, labels);
    const policy = 'service-disruption';
    expect(await metric('remediator_plans_total', { policy })).toBe(NAMES.length);
    expect(await metric('remediator_plans_total', { policy: 'sev1-diagnostics' })).toBe(
      NAMES.length,
    );
    expect(await metric('remediator_plans_total', { policy: 'sev1-status-update' })).toBe(1);
    // Once per alert instance, even when the alerts arrived in two notifications and the
    // incident rose from Sev2 to Sev1 in between.
    expect(await metric('remediator_policy_matches_total', { policy })).toBe(NAMES.length);
    expect(
      await metric('remediator_remediations_total', {
        policy,
        action: 'restart',
        outcome: 'applied',
      }),
    ).toBe(NAMES.length);
    expect(
      await metric('remediator_remediations_total', {
        policy,
        action: 'rollback',
        outcome: 'skipped',
      }),
    ).toBe(NAMES.length);
    expect(
      await metric('remediator_verifications_total', {
        policy,
        action: 'restart',
        result: 'effective',
      }),
    ).toBe(1);
    expect(
      await metric('remediator_verifications_total', {
        policy,
        action: 'restart',
        result: 'ineffective',
      }),
    ).toBe(STILL_FIRING.length);
    expect(await metric('remediator_incidents_opened_total', {})).toBe(1);
    expect(await metric('remediator_incidents_resolved_total', { severity: 'sev1' })).toBe(1);
    expect(await metric('remediator_webhook_requests_total', {})).toBe(
      await metric('remediator_webhook_requests_total', { code: '200' }),
    );
    expect(s.kube.internalErrors).toEqual([]);
  }, 60_000);
});
