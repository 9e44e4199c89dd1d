import { randomUUID } from 'node:crypto';
import {
  startFakeAlertmanager,
  startFakePrometheus,
  type FakeAlertmanager,
  type FakePrometheus,
} from '../support/fake-sources';
import {
  alert,
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
 * Verification against the source of truth, and silences during the fix, with remediator serve
 * in this process and stand-ins for Alertmanager's and Prometheus' APIs
 * (test/support/fake-sources.ts, in the shapes captured from the real ones).
 */

const LABELS = { alertname: 'HighLatency', namespace: 'prod', deployment: 'web', pod: 'web-1' };
const TIME = /\d\d:\d\d:\d\d/.source;

/** A scale step verified by `verify`, then a restart, for HighLatency; `extra` policy keys. */
function policies(verify: string, extra = ''): string {
  return `
sinks:
  oncall: { type: webhook, url: RECEIVER/oncall }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: oncall }]
policies:
  - name: latency
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
${extra}
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: ${verify}
      - action: restart
        verify: 400ms
`;
}

async function withSources(
  test: (s: Scenario, am: FakeAlertmanager, prom: FakePrometheus) => Promise<void>,
): Promise<void> {
  const am = await startFakeAlertmanager();
  const prom = await startFakePrometheus();
  try {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      seedDeployment(s.fake, 'prod', 'api');
      await test(s, am, prom);
    });
  } finally {
    await am.close();
    await prom.close();
  }
}

const scaled = (s: Scenario) => s.fake.writes().filter((w) => w.path.endsWith('/scale'));
const restarted = (s: Scenario) =>
  s.fake.writes().filter((w) => w.path === '/apis/apps/v1/namespaces/prod/deployments/web');

describe('verification by Alertmanager', () => {
  it('judges a fix effective when Alertmanager no longer holds its alert, without a resolved notification', async () => {
    await withSources(async (s, am) => {
      const firing = alert(LABELS);
      am.alerts = [{ fingerprint: firing.spec.fingerprint, labels: LABELS }];
      s.policies(policies('1s'));
      const server = await s.start({
        alertmanager: { url: am.url, authorization: 'Bearer am-token' },
      });
      const id = await post(server, firing.firing());
      await incidentWhen(server, id, (v) => steps(v)[0]?.status === 'applied', 'the scale');
      // The fix works: Alertmanager resolves the alert; no notification reaches remediator.
      am.alerts = [];
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.verification === 'effective',
        'the verdict',
      );
      expect(messages(view, 'verification')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Step 1 scale effective: Alertmanager has no active HighLatency for deployment=web, pod=web-1 as of ${TIME}$`,
          ),
        ),
      ]);
      expect(view.plans[0]?.status).toBe('effective');
      expect(restarted(s)).toEqual([]);
      // No resolved notification will ever come (a silence mutes it, or send_resolved is off):
      // Alertmanager's word resolves the alert and the incident, through the notification log.
      const closed = await incidentWhen(
        server,
        id,
        (v) => v.status === 'resolved',
        'the incident resolved on Alertmanager`s word',
      );
      expect(closed.alerts.map((a) => a.status)).toEqual(['resolved']);
      // The query is bounded by the alert's identifying labels, with the credentials.
      const asked = am.requests.filter((r) => r.url.startsWith('/api/v2/alerts'));
      expect(asked.length).toBeGreaterThan(0);
      const params = new URLSearchParams(asked[0]?.url.split('?')[1]);
      expect(params.getAll('filter').sort()).toEqual([
        'alertname="HighLatency"',
        'deployment="web"',
        'namespace="prod"',
        'pod="web-1"',
      ]);
      expect(asked[0]?.authorization).toBe('Bearer am-token');
    });
  });

  it('judges a fix ineffective when Alertmanager still holds the alert this replica was told resolved', async () => {
    await withSources(async (s, am) => {
      const firing = alert(LABELS);
      am.alerts = [{ fingerprint: firing.spec.fingerprint, labels: LABELS }];
      s.policies(policies('1s'));
      const server = await s.start({ alertmanager: { url: am.url } });
      const id = await post(server, firing.firing());
      await incidentWhen(server, id, (v) => steps(v)[0]?.status === 'applied', 'the scale');
      // A resolved notification arrives, but Alertmanager holds the alert again (it fired anew).
      await post(server, firing.resolved());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.verification === 'ineffective',
        'the verdict',
      );
      expect(messages(view, 'verification')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Step 1 scale ineffective: Alertmanager still has HighLatency for deployment=web, pod=web-1 active at ${TIME}$`,
          ),
        ),
      ]);
      expect(scaled(s)).toHaveLength(1);
    });
  });

  it('falls back to the notifications when Alertmanager cannot be asked, and says so', async () => {
    await withSources(async (s, am) => {
      am.failWith = 503;
      s.policies(policies('400ms'));
      const server = await s.start({ alertmanager: { url: am.url } });
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.verification === 'ineffective' && steps(v)[1]?.status === 'applied',
        'the verdict and the next step',
      );
      expect(messages(view, 'verification')[0]).toBe(
        `Step 1 scale ineffective: Alertmanager could not be asked (Alertmanager at ${am.url}: answered 503: unavailable), so the notifications received decide: its alerts still fire after 0.4s`,
      );
    });
  });
});

describe('verification by a PromQL query', () => {
  const QUERY = `{ window: 600ms, name: p99, below: 1, query: 'p99_seconds{deployment="{{ labels.deployment }}", pod=~"{{ labels.pod }}"}' }`;

  it('fails when a sample breaks a bound, passes when every sample meets them; the query is escaped', async () => {
    await withSources(async (s, _am, prom) => {
      prom.result = [{ metric: { deployment: 'web' }, value: 1.4 }];
      s.policies(policies(QUERY));
      const server = await s.start({ prometheus: { url: prom.url } });
      const id = await post(server, alert({ ...LABELS, pod: 'web-1.x' }).firing());
      const failed = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.verification === 'ineffective',
        'the verdict',
      );
      expect(messages(failed, 'verification')[0]).toMatch(
        new RegExp(`^Step 1 scale ineffective: p99 1.4 is not < 1 at ${TIME}$`),
      );
      const query = new URLSearchParams(prom.requests[0]?.url.split('?')[1]).get('query');
      expect(query).toBe('p99_seconds{deployment="web", pod=~"web-1\\\\.x"}');

      prom.result = [
        { metric: { pod: 'a' }, value: 0.2 },
        { metric: { pod: 'b' }, value: 0.4 },
      ];
      const second = await post(server, alert({ ...LABELS, deployment: 'api', pod: 'b' }).firing());
      const passed = await incidentWhen(
        server,
        second,
        (v) => steps(v).some((r) => r.verification === 'effective'),
        'the second verdict',
      );
      expect(messages(passed, 'verification').at(-1)).toMatch(
        new RegExp(`^Step 1 scale effective: p99 < 1 in all 2 series \\(0.2 to 0.4\\) at ${TIME}$`),
      );
    });
  });

  it('counts an empty result or a failed query as inconclusive, not effective', async () => {
    await withSources(async (s, _am, prom) => {
      prom.result = [];
      s.policies(policies(QUERY));
      const server = await s.start({ prometheus: { url: prom.url } });
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.verification === 'ineffective',
        'the verdict',
      );
      expect(messages(view, 'verification')[0]).toMatch(
        new RegExp(
          `^Step 1 scale ineffective \\(inconclusive\\): the query returned no data at ${TIME}, so it counts as not effective$`,
        ),
      );
      prom.error = 'parse error';
      const other = await post(server, alert({ ...LABELS, deployment: 'api' }).firing());
      const failed = await incidentWhen(
        server,
        other,
        (v) => steps(v).some((r) => r.verification === 'ineffective'),
        'the second verdict',
      );
      expect(messages(failed, 'verification').at(-1)).toContain(
        `(inconclusive): the query failed at`,
      );
      expect(messages(failed, 'verification').at(-1)).toContain(
        `Prometheus at ${prom.url}: bad_data: parse error, so it counts as not effective`,
      );
    });
  });

  it('with an interval, is effective as soon as the bounds have held for `for`', async () => {
    await withSources(async (s, _am, prom) => {
      prom.result = [{ metric: {}, value: 0.4 }];
      s.policies(
        policies(
          `{ window: 20s, interval: 100ms, for: 500ms, name: p99, below: 1, query: 'p99_seconds' }`,
        ),
      );
      const server = await s.start({ prometheus: { url: prom.url } });
      const started = Date.now();
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.verification === 'effective',
        'the verdict',
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(messages(view, 'verification')[0]).toMatch(
        new RegExp(
          `^Step 1 scale effective: p99 0.4 < 1 at ${TIME}, holding for 500ms since ${TIME}$`,
        ),
      );
      expect(prom.requests.length).toBeGreaterThanOrEqual(5);
    });
  });

  it('is refused at start-up without --prometheus-url, where it is written', async () => {
    await withSources(async (s) => {
      s.policies(policies(QUERY));
      await expect(s.start()).rejects.toThrow(
        /policies\.yaml:\d+:\d+: policies\[0\]\.steps\[0\]\.verify\.query: verifying by a PromQL query needs Prometheus: start remediator with --prometheus-url/,
      );
    });
  });
});

describe('silences during the fix', () => {
  it('silences the alert before the write and lifts the silence when the plan is effective', async () => {
    await withSources(async (s, am) => {
      const firing = alert(LABELS);
      am.alerts = [{ fingerprint: firing.spec.fingerprint, labels: LABELS }];
      s.policies(policies('5s', '    silence: true'));
      const server = await s.start({ alertmanager: { url: am.url }, instance: 'r0' });
      const id = await post(server, firing.firing());
      const acting = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.status === 'applied',
        'the scale',
      );
      const [silence] = am.silences;
      expect(silence).toMatchObject({
        state: 'active',
        createdBy: 'remediator',
        comment: `remediator r0: incident ${id}, plan ${acting.plans[0]?.id}, policy latency silences HighLatency while it remediates`,
        matchers: [
          { name: 'alertname', value: 'HighLatency', isRegex: false, isEqual: true },
          { name: 'namespace', value: 'prod', isRegex: false, isEqual: true },
          { name: 'deployment', value: 'web', isRegex: false, isEqual: true },
          { name: 'pod', value: 'web-1', isRegex: false, isEqual: true },
        ],
      });
      // The verify windows of both steps (5.4s) plus the 5-minute margin.
      const lasts = Date.parse(silence?.endsAt ?? '') - Date.parse(silence?.startsAt ?? '');
      expect(lasts).toBe(305_400);
      // Silenced before the write.
      const kinds = acting.timeline.map((e) => e.kind);
      expect(kinds.indexOf('silence')).toBeLessThan(kinds.indexOf('remediation'));
      expect(messages(acting, 'silence')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Silenced HighLatency for deployment=web, pod=web-1 in Alertmanager until ${TIME} \\(5m5s400ms\\) while policy latency works: silence ${silence?.id}$`,
          ),
        ),
      ]);

      am.alerts = [];
      await post(server, firing.resolved());
      const done = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'silence').length === 2,
        'the silence lifted',
      );
      expect(done.plans[0]?.status).toBe('effective');
      expect(am.silences[0]?.state).toBe('expired');
      expect(messages(done, 'silence')[1]).toBe(
        `Lifted silence ${silence?.id} of HighLatency: the plan of policy latency is over (effective)`,
      );
    });
  });

  it('lifts the silence when automation gives up, and the escalation says so', async () => {
    await withSources(async (s, am) => {
      const firing = alert(LABELS);
      am.alerts = [{ fingerprint: firing.spec.fingerprint, labels: LABELS }];
      s.policies(policies('300ms', '    silence: { for: 30m }'));
      const server = await s.start({ alertmanager: { url: am.url } });
      const id = await post(server, firing.firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => messages(v, 'escalated').length === 1,
        'the escalation',
      );
      const [silence] = am.silences;
      expect(am.silences).toHaveLength(1);
      expect(Date.parse(silence?.endsAt ?? '') - Date.parse(silence?.startsAt ?? '')).toBeLessThan(
        1_800_000,
      );
      expect(silence?.state).toBe('expired');
      expect(messages(view, 'escalated')).toEqual([
        `Escalated to humans: all 2 step(s) of policy latency ran and its alerts still fire; the Alertmanager silence of its alerts (${silence?.id}) was lifted, so they notify again`,
      ]);
      expect(scaled(s)).toHaveLength(1);
      expect(restarted(s)).toHaveLength(1);
      expect(
        await metric(server, 'remediator_escalations_total', { reason: 'steps_exhausted' }),
      ).toBe(1);
    });
  });

  it('silences nothing in a dry run, and says so', async () => {
    await withSources(async (s, am) => {
      s.policies(policies('300ms', '    silence: true\n    dryRun: true'));
      const server = await s.start({ alertmanager: { url: am.url } });
      const id = await post(server, alert(LABELS).firing());
      const view = await incidentWhen(
        server,
        id,
        (v) => steps(v)[0]?.status === 'dry_run',
        'the dry-run step',
      );
      expect(messages(view, 'silence')).toEqual([
        'No silence for policy latency: the plan is a dry run, so on-call is paged as usual',
      ]);
      expect(am.silences).toEqual([]);
    });
  });

  it('at start-up, expires the silences this replica left for plans that are over, and only those', async () => {
    await withSources(async (s, am) => {
      const silence = (comment: string, createdBy = 'remediator') => ({
        id: randomUUID(),
        matchers: [{ name: 'alertname', value: 'X', isRegex: false, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy,
        comment,
        state: 'active' as const,
      });
      am.silences.push(
        silence(
          'remediator r0: incident 4, plan 999, policy latency silences X while it remediates',
        ),
        silence(
          'remediator r1: incident 4, plan 999, policy latency silences X while it remediates',
        ),
        silence('maintenance window', 'alice'),
      );
      s.policies(policies('5s', '    silence: true'));
      await s.start({ alertmanager: { url: am.url }, instance: 'r0' });
      await waitFor(() => am.silences[0]?.state === 'expired', 'the leftover expired');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(am.silences.map((x) => x.state)).toEqual(['expired', 'active', 'active']);
    });
  });
});
