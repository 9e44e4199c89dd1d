import { AUTH, type TestServer } from '../support/server';
import {
  alert,
  deliveries,
  events,
  incident,
  incidentWhen,
  messages,
  metric,
  post,
  seedDeployment,
  steps,
  waitFor,
  withScenario,
  type Scenario,
} from './harness';

/*
 * Human approval (policy `approval`), end to end through `remediator serve` in this process with
 * the fake API server: the plan waits and writes nothing, the request reaches the sink with the
 * exact change and why, and an approval, a denial, a timeout or the alerts resolving decide what
 * happens next.
 */

const LABELS = { alertname: 'ServiceDown', namespace: 'prod', deployment: 'web' };
const MINOR = { alertname: 'SlowRequests', namespace: 'prod', deployment: 'web' };

/** ServiceDown is Sev1, SlowRequests Sev3; the policy scales and asks approval on Sev1. */
function policies(approval = '{ minSeverity: 1, timeout: 30m }'): string {
  return `
severity:
  rules:
    - { level: 1, when: ['alertname="ServiceDown"'] }
  default: 3
sinks:
  oncall: { type: webhook, url: RECEIVER/oncall }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: oncall }]
policies:
  - name: scale-web
    match: ['alertname=~"ServiceDown|SlowRequests"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    approval: ${approval}
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 10m
      - action: notify
        params: { sink: oncall }
`;
}

const scaled = (s: Scenario) => s.fake.writes().filter((w) => w.path.endsWith('/scale'));

async function answer(
  server: TestServer,
  plan: number,
  verb: 'approve' | 'deny',
  body: unknown = { by: 'alice', comment: 'go ahead' },
  headers: Record<string, string> = AUTH,
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${server.url}/api/v1/plans/${plan}/${verb}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function approvals(server: TestServer): Promise<Record<string, any>[]> {
  const res = await fetch(`${server.url}/api/v1/approvals`);
  return ((await res.json()) as { approvals: Record<string, any>[] }).approvals;
}

/** Starts serve, posts the alert and waits for its plan to await approval; returns the ids. */
async function awaiting(
  s: Scenario,
  yaml = policies(),
  options: Parameters<Scenario['start']>[1] = {},
): Promise<{ server: TestServer; id: number; plan: number; firing: ReturnType<typeof alert> }> {
  seedDeployment(s.fake, 'prod', 'web');
  s.policies(yaml);
  const server = await s.start({}, options);
  const firing = alert(LABELS);
  const id = await post(server, firing.firing());
  const view = await incidentWhen(
    server,
    id,
    (v) => v.plans[0]?.status === 'awaiting_approval',
    'the plan to await approval',
  );
  return { server, id, plan: view.plans[0]!.id, firing };
}

const requests = (s: Scenario) => deliveries(s.receiver).filter((d) => d.template === 'approval');

describe('human approval', () => {
  it('keeps a Sev1 plan waiting, writing nothing, and asks the sink with the change and why', async () => {
    await withScenario(async (s) => {
      const { server, id, plan } = await awaiting(s);
      expect(scaled(s)).toEqual([]);
      await waitFor(() => requests(s).length === 1, 'the approval request');
      const [request] = requests(s);
      expect(request?.title).toBe(`[Sev1] Approval needed: plan #${plan} (policy scale-web)`);
      expect(request?.text).toContain('Change: scale on Deployment prod/web: replicas 2 → 4');
      expect(request?.text).toMatch(/Why: 1 alert firing \(ServiceDown\).*Sev1/);
      expect(request?.text).toContain(`remediator approve ${plan} --by NAME`);
      const [pending] = await approvals(server);
      expect(pending).toMatchObject({
        plan,
        incident: id,
        policy: 'scale-web',
        severity: 'Sev1',
        action: 'scale',
        target: { text: 'Deployment prod/web' },
        approval: { state: 'pending', step: 0, by: null },
      });
      expect(pending?.approval.change).toBe('scale on Deployment prod/web: replicas 2 → 4');
      const view = await incident(server, id);
      expect(view.activity.kind).toBe('awaiting_approval');
      expect(messages(view, 'approval_requested')).toEqual([
        expect.stringContaining(`Approval requested for plan #${plan} (policy scale-web)`),
      ]);
    });
  });

  it('lets the step write once approved through the API, and records who approved it', async () => {
    await withScenario(async (s) => {
      const { server, id, plan } = await awaiting(s);
      const approved = await answer(server, plan, 'approve');
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({
        plan,
        status: 'running',
        approval: { state: 'approved', by: 'alice', comment: 'go ahead' },
      });
      expect(approved.body.outcome).toMatch(/^applied: scaled? /);
      expect(scaled(s)).toHaveLength(1);
      const view = await incident(server, id);
      expect(steps(view)[0]?.status).toBe('applied');
      expect(messages(view, 'approval_approved')).toEqual([
        expect.stringMatching(
          /^Approved by alice: plan #\d+ \(policy scale-web\), step 1: .*: "go ahead"$/,
        ),
      ]);
      expect(view.timeline.find((e) => e.kind === 'approval_approved')?.actor).toBe('alice');
      const audit = events(s.fake, 'prod').filter((e) => e.reason === 'ApprovalGranted');
      expect(audit).toHaveLength(1);
      expect(audit[0]?.note).toContain('Approved by alice');
      expect(
        await metric(server, 'remediator_approvals_total', {
          policy: 'scale-web',
          result: 'approved',
        }),
      ).toBe(1);
      // The sink hears the answer and what followed.
      await waitFor(() => requests(s).length === 2, 'the approval answer');
      expect(requests(s)[1]?.title).toBe(`[Sev1] Approved: plan #${plan} (policy scale-web)`);
      // Answered once: a second answer is a conflict, with the reason.
      const again = await answer(server, plan, 'deny');
      expect(again.status).toBe(409);
      expect(again.body).toEqual({
        error: 'conflict',
        message: `plan ${plan} is not awaiting approval (status running, approval approved by alice)`,
      });
      expect(await approvals(server)).toEqual([]);
      // The post-incident report keeps who approved what, when and why.
      const report = await (
        await fetch(`${server.url}/api/v1/incidents/${id}/report?format=markdown`)
      ).text();
      expect(report).toMatch(/Approved by alice: plan #\d+ \(policy scale-web\).*"go ahead"/);
    });
  });

  it('asks in a dry run without Kubernetes credentials too, and the approved step is a dry run', async () => {
    await withScenario(async (s) => {
      s.policies(policies());
      const server = await s.start({}, { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => v.plans[0]?.status === 'awaiting_approval',
        'the dry-run plan to await approval',
      );
      expect(view.plans[0]?.approval?.change).toBe(
        'scale {by: 2, max: 10, min: 1} on Deployment prod/web (no Kubernetes credentials: the exact change is read when it runs)',
      );
      await waitFor(() => requests(s).length === 1, 'the approval request');
      expect(requests(s)[0]?.title).toMatch(
        /^\[Dry run: nothing was changed\] \[Sev1\] Approval needed/,
      );
      const approved = await answer(server, view.plans[0]!.id, 'approve');
      expect(approved.body.outcome).toMatch(/^dry run: would run scale/);
      expect(s.fake.writes()).toEqual([]);
    });
  });

  it("does not ask below the policy's minSeverity", async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      s.policies(policies());
      const server = await s.start();
      const id = await post(server, alert(MINOR).firing());
      await incidentWhen(server, id, (v) => steps(v)[0]?.status === 'applied', 'the scale');
      expect(scaled(s)).toHaveLength(1);
      expect(await approvals(server)).toEqual([]);
    });
  });

  it('writes nothing and escalates when denied', async () => {
    await withScenario(async (s) => {
      const { server, id, plan } = await awaiting(s);
      const denied = await answer(server, plan, 'deny', {
        by: 'bob',
        comment: 'not during the sale',
      });
      expect(denied.status).toBe(200);
      expect(denied.body).toMatchObject({
        status: 'denied',
        approval: { state: 'denied', by: 'bob' },
      });
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'escalated').length === 1,
        'the escalation',
      );
      expect(messages(view, 'escalated')[0]).toMatch(
        /^Escalated to humans: bob denied plan #\d+ \(policy scale-web: scale on Deployment prod\/web: replicas 2 → 4\): "not during the sale"; nothing was changed$/,
      );
      expect(scaled(s)).toEqual([]);
      expect(steps(view)).toEqual([]);
      expect(events(s.fake, 'prod').map((e) => e.reason)).toEqual(['ApprovalDenied']);
      expect(
        await metric(server, 'remediator_escalations_total', { reason: 'approval_denied' }),
      ).toBe(1);
      expect(await metric(server, 'remediator_approvals_total', { result: 'denied' })).toBe(1);
    });
  });

  it('denies a request nobody answers in time, and escalates', async () => {
    await withScenario(async (s) => {
      const { server, id, plan } = await awaiting(s, policies('{ timeout: 1s }'));
      const view = await incidentWhen(
        server,
        id,
        (v) => v.plans[0]?.status === 'denied' && messages(v, 'escalated').length === 1,
        'the timeout',
      );
      expect(view.plans[0]?.approval).toMatchObject({ state: 'timed_out', by: 'remediator' });
      expect(messages(view, 'escalated')[0]).toContain(
        `approval timed out: nobody approved plan #${plan} (policy scale-web`,
      );
      expect(scaled(s)).toEqual([]);
      expect(await metric(server, 'remediator_approvals_total', { result: 'timed_out' })).toBe(1);
      expect((await answer(server, plan, 'approve')).status).toBe(409);
    });
  });

  it('withdraws the request when its alerts resolve while it waits, and tells the sink', async () => {
    await withScenario(async (s) => {
      const { server, id, plan, firing } = await awaiting(s);
      await post(server, firing.resolved());
      const view = await incidentWhen(
        server,
        id,
        (v) => v.plans[0]?.status === 'withdrawn',
        'the withdrawal',
      );
      expect(messages(view, 'approval_withdrawn')).toEqual([
        expect.stringContaining(
          `Approval request withdrawn (its alerts resolved while it waited): plan #${plan}`,
        ),
      ]);
      await waitFor(
        () => requests(s).some((r) => r.title.startsWith('[Sev1] Approval request withdrawn')),
        'the sink told',
      );
      expect(scaled(s)).toEqual([]);
      expect((await answer(server, plan, 'approve')).status).toBe(409);
    });
  });

  it('re-checks the safety gates on approval: a pause still stops the step', async () => {
    await withScenario(async (s) => {
      const { server, plan } = await awaiting(s);
      const pause = await fetch(`${server.url}/api/v1/pause`, { method: 'POST', headers: AUTH });
      expect(pause.status).toBe(200);
      const approved = await answer(server, plan, 'approve');
      expect(approved.status).toBe(200);
      expect(approved.body.outcome).toMatch(/^a safety gate stopped it \(paused\)/);
      expect(scaled(s)).toEqual([]);
    });
  });

  it('refuses answers without the API credentials, and checks the body', async () => {
    await withScenario(async (s) => {
      const { server, plan } = await awaiting(s);
      expect((await answer(server, plan, 'approve', { by: 'x' }, {})).status).toBe(401);
      const bad = await answer(server, plan, 'approve', { by: 'a\nb' });
      expect(bad).toEqual({
        status: 400,
        body: {
          error: 'invalid_body',
          message: 'by must be a name of 1 to 100 printable characters',
        },
      });
      expect((await answer(server, plan, 'approve', { by: 'x', extra: 1 })).status).toBe(400);
      expect((await answer(server, 999, 'approve')).status).toBe(404);
      expect(scaled(s)).toEqual([]);
    });
  });

  it('keeps waiting across a restart and times out at the journaled deadline', async () => {
    await withScenario(async (s) => {
      const { server, id } = await awaiting(s, policies('{ timeout: 2s }'));
      await s.stop(server);
      const again = await s.start();
      expect((await approvals(again)).map((a) => a.incident)).toEqual([id]);
      const view = await incidentWhen(
        again,
        id,
        (v) => v.plans[0]?.status === 'denied',
        'the timeout after the restart',
      );
      expect(view.plans[0]?.approval?.state).toBe('timed_out');
      expect(scaled(s)).toEqual([]);
    });
  });
});
