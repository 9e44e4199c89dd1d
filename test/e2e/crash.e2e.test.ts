import { HEART_DISEASE_API, type IncidentView } from './support';
import { stackForFile } from './support/suite';
import {
  injected,
  postAlerts,
  scalePatches,
  scalePath,
  seedDeployment,
} from './support/injected-alerts';

/*
 * Scenario 5: remediator is SIGKILLed after it accepted the webhook and journaled the scale step's
 * intent, while the step's PATCH is at the API server and unanswered; then started again on the
 * same data directory. Two services show both ways a crash can leave a write:
 * - heart-disease-api (HighLatency from Prometheus): the held PATCH lands after the crash, so the
 *   restart finds the change in place and does not write again;
 * - recommender (HighLatency posted to Alertmanager): the held PATCH is dropped, so the restart
 *   re-reads the target, finds nothing done, and applies the step once.
 * Either way: one effective PATCH per target, one plan per incident, and Alertmanager's repeats
 * after the restart add nothing.
 */

const A = HEART_DISEASE_API; // 3 → 6 replicas (factor 2)
const B = { namespace: 'prod', name: 'recommender' };
const HELD_MS = 8_000; // under the adapter's 10 s request timeout: no retry starts before the kill

const started = stackForFile({ name: 'crash' });

const scaled = (i: IncidentView) =>
  i.plans.find((p) => p.policy === 'performance-degradation')?.remediations[0];

it('a step interrupted by SIGKILL is acted on exactly once after the restart', async () => {
  const s = started();
  const r = s.remediator;
  seedDeployment(s.kube, B.namespace, B.name);
  s.step(`fake kube: hold the next scale PATCH of ${A.name} ${HELD_MS} ms, then apply it`);
  s.kube.fault({
    method: 'PATCH',
    pathPrefix: scalePath(A.namespace, A.name),
    delayMs: HELD_MS,
    times: 1,
  });
  s.step(`fake kube: hold the next scale PATCH of ${B.name} ${HELD_MS} ms, then drop it`);
  s.kube.fault({
    method: 'PATCH',
    pathPrefix: scalePath(B.namespace, B.name),
    delayMs: HELD_MS,
    dropConnection: true,
    times: 1,
  });

  s.step('sim: every request takes 1.6 s → HighLatency on heart-disease-api');
  s.sim.setLatency(1.6);
  await s.waitFor(
    () => scalePatches(s.kube, A.namespace, A.name)[0],
    `the PATCH of ${A.name}`,
    20_000,
  );
  // Posted only now, so that both PATCHes are held at once.
  s.step(`alertmanager: HighLatency posted for ${B.name}`);
  await postAlerts(s.alertmanager, [
    injected({
      alertname: 'HighLatency',
      severity: 'critical',
      namespace: B.namespace,
      deployment: B.name,
    }),
  ]);
  await s.waitFor(
    () => scalePatches(s.kube, B.namespace, B.name)[0],
    `the PATCH of ${B.name}`,
    10_000,
  );
  // The status updates went out, so only the scale steps are in flight (heart-disease-api's
  // diagnostic Job may be done, or still wait for the target's lock: it resumes after the restart).
  await s.waitFor(
    () =>
      r.runLogs().filter((l) => l.message === 'remediation step applied' && l.action === 'notify')
        .length === 2,
    'the two status updates',
    10_000,
  );
  const before = await r.incidents();
  expect(before).toHaveLength(2);
  for (const { id } of before) expect(scaled(await r.incident(id))?.status).toBe('intent');
  expect(scalePatches(s.kube, A.namespace, A.name).map((p) => p.status)).toEqual([0]);
  expect(scalePatches(s.kube, B.namespace, B.name).map((p) => p.status)).toEqual([0]);

  s.step('SIGKILL remediator-0: both intents journaled, both PATCHes unanswered');
  expect(await r.kill('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
  await s.waitFor(
    () =>
      scalePatches(s.kube, A.namespace, A.name)[0]?.status === 200 &&
      scalePatches(s.kube, B.namespace, B.name)[0]?.fault,
    `the held PATCH of ${A.name} to land and that of ${B.name} to be dropped`,
    HELD_MS + 5_000,
  );
  expect(s.kube.get('apps/v1', 'Deployment', A.namespace, A.name).spec.replicas).toBe(6);
  expect(s.kube.get('apps/v1', 'Deployment', B.namespace, B.name).spec.replicas).toBe(3);

  s.step('restart remediator-0 on the same data directory');
  await r.start();
  const a = await s.incident(
    (i) => i.groupLabels.deployment === A.name && scaled(i)?.status === 'applied',
    `the step on ${A.name} to be reconciled`,
    10_000,
  );
  const b = await s.incident(
    (i) => i.groupLabels.deployment === B.name && scaled(i)?.status === 'applied',
    `the step on ${B.name} to be applied`,
    10_000,
  );
  expect(scaled(a)?.summary).toBe('replicas 3 → 6 (found in place after a restart)');
  expect(scaled(b)?.summary).toBe(`scaled prod/${B.name} 3 → 6 (after a restart)`);
  const verdicts = r
    .runLogs()
    .filter(
      (l) => l.message === 'reconciled a step interrupted by the last run' && l.action === 'scale',
    )
    .map((l) => l.verdict)
    .sort();
  expect(verdicts).toEqual(['done', 'not_done']);

  // Alertmanager sends both groups again (repeat_interval); the restarted run adds nothing.
  await s.waitFor(
    async () => (await r.metric('remediator_webhook_requests_total', { code: '200' })) >= 2,
    'Alertmanager to deliver both groups to the restarted run',
    20_000,
  );
  for (const incident of [a, b]) {
    const view = await r.incident(incident.id);
    expect(view.plans.map((p) => p.policy).sort()).toEqual(
      incident === a
        ? ['performance-degradation', 'sev1-diagnostics', 'sev1-status-update']
        : ['performance-degradation', 'sev1-status-update'],
    );
    expect(scaled(view)).toMatchObject({ status: 'applied' });
    expect(
      view.plans.find((p) => p.policy === 'performance-degradation')?.remediations,
    ).toHaveLength(1);
  }
  expect(r.logs.filter((l) => l.message === 'remediation planned' && l.run !== 1)).toEqual([]);
  const effective = (ns: string, name: string) =>
    scalePatches(s.kube, ns, name).filter((p) => p.status === 200 && !p.fault);
  expect(effective(A.namespace, A.name)).toHaveLength(1);
  expect(scalePatches(s.kube, A.namespace, A.name)).toHaveLength(1);
  expect(effective(B.namespace, B.name)).toHaveLength(1);
  expect(effective(B.namespace, B.name)[0]?.body).toEqual({ spec: { replicas: 6 } });
  expect(s.kube.get('apps/v1', 'Deployment', B.namespace, B.name).spec.replicas).toBe(6);
  expect(
    await r.metric('remediator_remediations_total', { action: 'scale', outcome: 'applied' }),
  ).toBe(2);
  expect(await r.metric('remediator_incidents_opened_total')).toBe(0); // none new after the restart
  s.step(`run 2: ${A.name} found in place, ${B.name} applied once, nothing planned again`);
}, 90_000);
