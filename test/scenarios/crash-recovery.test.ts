/**
 * A crash is staged by copying the SQLite journal while a step's PATCH is in flight and starting
 * a new server on the copy: SQLite only (`npm run test:postgres` leaves this file out). On
 * PostgreSQL the same recovery is proven by killing the leader mid-step in test/e2e/ha.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from '../support/server';
import {
  alert,
  deliveries,
  events,
  incidentWhen,
  messages,
  metric,
  post,
  seedDeployment,
  steps,
  stored,
  waitFor,
  withScenario,
  type Scenario,
} from './harness';

const POLICIES = `
sinks:
  oncall: { type: webhook, url: RECEIVER }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: oncall }]
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 5m
`;
const SCALE = '/apis/apps/v1/namespaces/prod/deployments/web/scale';

const scalePatches = (s: Scenario) =>
  s.fake.requests.filter((r) => r.method === 'PATCH' && r.path === SCALE);

/**
 * Runs remediator until its scale PATCH is at the API server and unanswered (the fault holds it
 * for a second, then answers `answer`), and copies the data directory at that moment: the journal
 * a crash there would leave, with the step's intent and no result. The first server then runs to
 * the end and is closed. Resolves with the copy and the incident id.
 */
async function crashWhileThePatchIsInFlight(
  s: Scenario,
  answer: { status?: 403 },
): Promise<{ crashed: string; id: number }> {
  seedDeployment(s.fake, 'prod', 'web', { replicas: 2 });
  s.policies(POLICIES);
  s.fake.fault({ method: 'PATCH', pathPrefix: SCALE, delayMs: 1_000, times: 1, ...answer });
  const first = await s.start();
  const id = await post(
    first,
    alert({ alertname: 'HighLatency', namespace: 'prod', deployment: 'web' }).firing(),
  );
  await waitFor(
    () => scalePatches(s).some((r) => r.status === 0),
    'the scale PATCH to be in flight',
  );
  const crashed = join(s.dir, 'crashed');
  // Synchronous: nothing in this process can write to the journal while it is copied.
  cpSync(join(s.dir, 'data'), crashed, { recursive: true });
  await incidentWhen(first, id, (v) => steps(v)[0]?.status !== 'intent', 'the first run to end');
  await s.stop(first);
  return { crashed, id };
}

/** The restarted server found the intent without a result, and what reading the target said. */
function expectReconciled(server: TestServer, verdict: 'done' | 'not_done' | 'unknown'): void {
  expect(server.lines).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        message: 'reconciled a step interrupted by the last run',
        verdict,
      }),
    ]),
  );
}

describe('crash recovery', () => {
  it('a step whose PATCH landed before the crash is found in place on restart, not applied twice', async () => {
    await withScenario(async (s) => {
      const { crashed, id } = await crashWhileThePatchIsInFlight(s, {});
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(4);
      expect(scalePatches(s)).toHaveLength(1);
      // A real crash there would also have lost the audit Event the first run went on to write.
      const eventsBefore = events(s.fake, 'prod').length;

      const restarted = await s.start({ dataDir: crashed });
      const view = await incidentWhen(
        restarted,
        id,
        (v) => steps(v)[0]?.status === 'applied',
        'the interrupted step to be reconciled',
      );
      expect(steps(view)).toEqual([
        expect.objectContaining({
          action: 'scale',
          status: 'applied',
          summary: 'replicas 2 → 4 (found in place after a restart)',
        }),
      ]);
      expect(messages(view, 'remediation')).toEqual([
        'Step 1/1 scale on Deployment prod/web (policy scale-out): replicas 2 → 4 (found in place after a restart)',
      ]);
      expect(view.plans[0]?.status).toBe('running');
      expectReconciled(restarted, 'done');
      expect(scalePatches(s)).toHaveLength(1);
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(4);
      await waitFor(
        () => events(s.fake, 'prod').length > eventsBefore,
        'the Event for the change found in place',
        2_000,
      );
      expect(events(s.fake, 'prod').at(-1)?.note).toMatch(
        /^replicas 2 → 4 \(found in place after a restart\) \(policy scale-out, incident \d+, alerts HighLatency\)$/,
      );

      // And a further restart leaves it alone.
      await s.stop(restarted);
      const again = await s.start({ dataDir: crashed });
      await incidentWhen(again, id, (v) => steps(v).length === 1, 'the incident');
      expect(scalePatches(s)).toHaveLength(1);
    });
  });

  it('a step whose PATCH never landed is applied once on restart, and recorded on its target', async () => {
    await withScenario(async (s) => {
      // The held PATCH is refused in the end: the cluster never saw the change.
      const { crashed, id } = await crashWhileThePatchIsInFlight(s, { status: 403 });
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(2);
      const eventsBefore = events(s.fake, 'prod').length;

      const restarted = await s.start({ dataDir: crashed });
      const view = await incidentWhen(
        restarted,
        id,
        (v) => steps(v)[0]?.status === 'applied',
        'the interrupted step to be applied',
      );
      expect(steps(view)[0]).toMatchObject({
        status: 'applied',
        summary: 'scaled prod/web 2 → 4 (after a restart)',
      });
      expectReconciled(restarted, 'not_done');
      expect(stored(s.fake, 'prod', 'web').spec.replicas).toBe(4);
      const landed = scalePatches(s).filter((r) => !r.fault);
      expect(landed).toHaveLength(1);
      expect(landed[0]).toMatchObject({ status: 200, body: { spec: { replicas: 4 } } });
      // The change made after the restart is audited on the Deployment like any other.
      await waitFor(
        () => events(s.fake, 'prod').length > eventsBefore,
        'an Event for the change made after the restart',
        2_000,
      );
      expect(events(s.fake, 'prod').at(-1)).toMatchObject({
        reason: 'RemediationApplied',
        regarding: {
          kind: 'Deployment',
          name: 'web',
          uid: stored(s.fake, 'prod', 'web').metadata.uid,
        },
      });

      await s.stop(restarted);
      const again = await s.start({ dataDir: crashed });
      await incidentWhen(again, id, (v) => steps(v).length === 1, 'the incident');
      expect(scalePatches(s).filter((r) => !r.fault)).toHaveLength(1);
    });
  });

  it('a step whose effect cannot be read back after the restart is marked interrupted and handed to humans', async () => {
    await withScenario(async (s) => {
      const { crashed, id } = await crashWhileThePatchIsInFlight(s, {});
      // After the restart the scale subresource cannot be read: the change may or may not be there.
      s.fake.fault({ method: 'GET', pathPrefix: SCALE, status: 403 });

      const restarted = await s.start({ dataDir: crashed });
      const view = await incidentWhen(
        restarted,
        id,
        (v) => messages(v, 'notification').length === 1,
        'the interrupted step to be escalated',
      );
      expect(steps(view)).toEqual([
        expect.objectContaining({
          status: 'interrupted',
          summary: 'interrupted by a restart; whether it took effect cannot be told',
        }),
      ]);
      expectReconciled(restarted, 'unknown');
      expect(view.plans[0]?.status).toBe('escalated');
      expect(messages(view, 'escalated')).toEqual([
        'Escalated to humans: step 1 (scale) of policy scale-out was interrupted by a restart and its effect cannot be told',
      ]);
      expect(deliveries(s.receiver).map((d) => d.reason)).toContain(
        'escalation (technical ladder, on-call): step 1 (scale) of policy scale-out was interrupted by a restart and its effect cannot be told',
      );
      expect(
        await metric(restarted, 'remediator_escalations_total', { reason: 'interrupted' }),
      ).toBe(1);
      // Not knowing is no reason to write again.
      expect(scalePatches(s)).toHaveLength(1);
    });
  });
});
