import { phase, WEBHOOK_TOKEN, type IncidentView, type ServiceSpec, type Stack } from './support';
import { stackForFile } from './support/suite';

/*
 * Human approval, end to end with the shipped policies (their `approval:` kept): a service stops
 * answering → Prometheus fires ServiceDown → Alertmanager → a Sev1 incident, whose
 * service-disruption plan (rollback, restart, notify) asks the Incident Commander first. Three
 * Deployments, three answers:
 * - api: the plan waits, nothing is written, the request reaches on-call with the exact change;
 *   an approval through the API lets the rollback write;
 * - risk: denied through the API: nothing is written, the incident escalates;
 * - scoring: nobody answers within the timeout (15 s here): denied ("approval timed out"),
 *   nothing written, escalated.
 */

const NAMESPACE = 'prod';
/** Rolled out moments ago, so that the rollback applies (its window is 720 s here). */
function recent(name: string): ServiceSpec {
  return {
    namespace: NAMESPACE,
    name,
    replicas: 3,
    revisions: [
      { image: `registry.example/${name}:1.0.0`, modelVersion: '1', ageSeconds: 3 * 86_400 },
      { image: `registry.example/${name}:1.1.0`, modelVersion: '1', ageSeconds: 15 },
    ],
  };
}
const API = recent('heart-disease-api');
const RISK = recent('risk-score-api');
const SCORING = recent('scoring-api');
const TIMEOUT = '15s';

const started = stackForFile({
  name: 'approval',
  service: API,
  extraServices: [RISK, SCORING],
  policies: {
    approvals: true,
    transform: (doc) => {
      const policy = doc.policies?.find((p) => p.name === 'service-disruption');
      if (policy === undefined) throw new Error('the shipped policies lost service-disruption');
      policy.approval = { ...(policy.approval as object), timeout: TIMEOUT };
    },
  },
});

const deploymentWrites = (s: Stack, spec: ServiceSpec) =>
  s.kube
    .writes()
    .filter(
      (w) =>
        w.method !== 'GET' &&
        w.path.startsWith(`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${spec.name}`),
    );

const disruption = (i: IncidentView) => i.plans.find((p) => p.policy === 'service-disruption');

/** Takes `spec`'s service down and waits for its Sev1 plan to await approval. */
async function awaitingApproval(s: Stack, spec: ServiceSpec): Promise<IncidentView> {
  s.step(`sim: ${spec.name} stops answering → ServiceDown`);
  const sim = s.sims[spec.name];
  if (sim === undefined) throw new Error(`no sim for ${spec.name}`);
  sim.setDown(true);
  const incident = await s.incident(
    (i) =>
      i.groupLabels.alertname === 'ServiceDown' &&
      i.groupLabels.deployment === spec.name &&
      disruption(i)?.status === 'awaiting_approval',
    `the service-disruption plan for ${spec.name} to await approval`,
    30_000,
  );
  s.step(
    `remediator: incident #${incident.id} ${incident.severity}, plan #${disruption(incident)?.id} awaiting approval: ${disruption(incident)?.approval?.change}`,
  );
  return incident;
}

async function answer(
  s: Stack,
  plan: number,
  verb: 'approve' | 'deny',
  body: object,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.remediator.url}/api/v1/plans/${plan}/${verb}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, body: await res.json() };
}

describe('human approval with the real Prometheus and Alertmanager', () => {
  let apiPlan = 0;

  it('keeps a Sev1 rollback waiting for approval: nothing is written, on-call is asked', async () => {
    const s = started();
    const incident = await awaitingApproval(s, API);
    expect(incident.severity).toBe('Sev1');
    const plan = disruption(incident);
    apiPlan = plan?.id ?? 0;
    expect(plan?.approval).toMatchObject({ state: 'pending', step: 0 });
    expect(plan?.approval?.change).toMatch(
      new RegExp(`^rollback on Deployment prod/${API.name}: .*revision 2 .*revision 1`),
    );
    expect(plan?.remediations).toEqual([]);
    const pending = (await s.remediator.getJson('/api/v1/approvals')).approvals as any[];
    expect(pending.map((a) => a.plan)).toEqual([apiPlan]);
    const request = await s.waitFor(
      () => s.notices('oncall').find((n) => n.template === 'approval'),
      'the approval request on on-call',
      10_000,
    );
    s.step(`sink oncall: ${request.text.split('\n')[0]}`);
    expect(request.text).toContain(`remediator approve ${apiPlan}`);
    expect(request.body.blocks.at(-1).elements.map((b: any) => b.text.text)).toEqual([
      'Approve',
      'Deny',
    ]);
    expect(deploymentWrites(s, API)).toEqual([]);
  }, 60_000);

  it('lets the rollback write once approved through the API', async () => {
    const s = started();
    const approved = await phase('approving through the API', () =>
      answer(s, apiPlan, 'approve', { by: 'ic-alice', comment: 'roll it back' }),
    );
    s.step(`remediator: ${approved.status} ${approved.body.outcome}`);
    expect(approved.status).toBe(200);
    expect(approved.body.approval).toMatchObject({ state: 'approved', by: 'ic-alice' });
    expect(approved.body.outcome).toMatch(/^applied: rolled back prod\/heart-disease-api/);
    const patches = deploymentWrites(s, API);
    expect(patches).toHaveLength(1);
    expect(patches[0]).toMatchObject({ method: 'PATCH', status: 200, dryRun: false });
    const events = s.kube
      .list('events.k8s.io/v1', 'Event', NAMESPACE)
      .filter((e) => e.regarding?.name === API.name)
      .map((e) => e.reason);
    expect(events).toEqual(expect.arrayContaining(['ApprovalGranted', 'RemediationApplied']));
    expect(
      await s.remediator.metric('remediator_approvals_total', {
        policy: 'service-disruption',
        result: 'approved',
      }),
    ).toBe(1);
  }, 30_000);

  it('writes nothing and escalates when the plan is denied', async () => {
    const s = started();
    const incident = await awaitingApproval(s, RISK);
    const plan = disruption(incident)?.id ?? 0;
    const denied = await answer(s, plan, 'deny', { by: 'ic-bob', comment: 'deploy freeze' });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ status: 'denied', approval: { state: 'denied' } });
    const escalated = await s.incident(
      (i) => i.id === incident.id && i.timeline.some((e) => e.kind === 'escalated'),
      'the escalation after the denial',
      10_000,
    );
    const entry = escalated.timeline.find((e) => e.kind === 'escalated');
    s.step(`remediator: ${entry?.message}`);
    expect(entry?.message).toContain(`ic-bob denied plan #${plan}`);
    expect(deploymentWrites(s, RISK)).toEqual([]);
    expect((await answer(s, plan, 'approve', { by: 'late' })).status).toBe(409);
  }, 60_000);

  it('denies a request nobody answers within its timeout, writes nothing, and escalates', async () => {
    const s = started();
    const incident = await awaitingApproval(s, SCORING);
    const plan = disruption(incident)?.id ?? 0;
    const timedOut = await phase(`waiting out the ${TIMEOUT} approval timeout`, () =>
      s.incident(
        (i) =>
          i.id === incident.id &&
          disruption(i)?.status === 'denied' &&
          i.timeline.some((e) => e.kind === 'escalated'),
        'the approval timeout',
        30_000,
      ),
    );
    expect(disruption(timedOut)?.approval).toMatchObject({ state: 'timed_out' });
    expect(timedOut.timeline.find((e) => e.kind === 'escalated')?.message).toContain(
      `approval timed out: nobody approved plan #${plan}`,
    );
    expect(deploymentWrites(s, SCORING)).toEqual([]);
    expect(
      await s.remediator.metric('remediator_escalations_total', { reason: 'approval_timed_out' }),
    ).toBe(1);
  }, 60_000);
});
