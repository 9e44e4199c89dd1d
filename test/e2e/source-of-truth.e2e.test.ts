import type { IncidentView } from './support';
import {
  injected,
  postAlerts,
  resolvedNow,
  scalePatches,
  seedDeployment,
} from './support/injected-alerts';
import { stackForFile } from './support/suite';

/*
 * Verification against the source of truth and silences during the fix, with the real Prometheus
 * and Alertmanager: remediator runs with --alertmanager-url and --prometheus-url, and Alertmanager
 * is configured with `send_resolved: false`, so no resolved notification ever reaches remediator.
 * (b) a fix that works is judged effective from Alertmanager's API; (c) a PromQL verification
 * fails, then passes, on the simulated service's latency; (d) a silence exists in Alertmanager
 * while a plan runs and is expired after.
 */

const NS = 'prod';
const TIME = /\d\d:\d\d:\d\d/.source;
const P99 =
  'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{deployment="{{ labels.deployment }}"}[3s])))';

const POLICIES = `
sinks:
  oncall: { type: webhook, url: RECEIVER/sinks/oncall }
escalation:
  ladders:
    - name: technical
      rungs: [{ who: on-call, sink: oncall }]
policies:
  - name: by-alertmanager
    match: ['alertname="CartSlow"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 1, max: 10 }
        verify: 6s
  - name: by-query
    match: ['alertname="LatencyProbe"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 1, max: 10 }
        verify: { window: 5s, name: p99, below: 1, query: '${P99}' }
      - action: restart
        verify: { window: 8s, name: p99, below: 1, query: '${P99}' }
  - name: silenced
    match: ['alertname="CatalogSlow"']
    silence: true
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 1, max: 10 }
        verify: 8s
`;

const started = stackForFile(
  {
    name: 'source-of-truth',
    sources: true,
    alertmanager: { sendResolved: false },
    policies: { text: POLICIES },
  },
  (s) => {
    seedDeployment(s.kube, NS, 'cart', 2);
    seedDeployment(s.kube, NS, 'catalog', 2);
  },
);

const verdicts = (i: IncidentView) =>
  i.timeline.filter((e) => e.kind === 'verification').map((e) => e.message);

it('(b) judges a fix effective from Alertmanager, which sends no resolved notification', async () => {
  const s = started();
  const alert = injected({
    alertname: 'CartSlow',
    severity: 'critical',
    namespace: NS,
    deployment: 'cart',
  });
  s.step('alertmanager: CartSlow posted (send_resolved: false)');
  await postAlerts(s.alertmanager, [alert]);
  await s.waitFor(() => scalePatches(s.kube, NS, 'cart').length === 1, 'the scale of cart', 20_000);
  s.step('the fix works: CartSlow resolved in Alertmanager, which tells remediator nothing');
  await postAlerts(s.alertmanager, resolvedNow([alert]));
  const view = await s.incident(
    (i) => i.groupLabels.deployment === 'cart' && verdicts(i).length > 0,
    'the verdict on the scale of cart',
    20_000,
  );
  expect(verdicts(view)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^Step 1 scale effective: Alertmanager has no active CartSlow for deployment=cart, namespace=prod as of ${TIME}$`,
      ),
    ),
  ]);
  expect(view.plans[0]?.status).toBe('effective');
  // No resolved notification came, nor will one: Alertmanager's word resolves the alert and the
  // incident (through the notification log), not a notification of remediator's own inbox.
  const closed = await s.incident(
    (i) => i.id === view.id && i.status === 'resolved',
    'cart`s incident resolved on Alertmanager`s word',
    20_000,
  );
  expect(closed.alerts.map((a) => a.status)).toEqual(['resolved']);
});

it('(c) a PromQL verification fails on the service`s latency, then passes once it recovers', async () => {
  const s = started();
  s.step('sim: p99 2s');
  s.sim.setLatency(2);
  const alert = injected({
    alertname: 'LatencyProbe',
    severity: 'critical',
    namespace: NS,
    deployment: 'heart-disease-api',
  });
  await postAlerts(s.alertmanager, [alert]);
  const failed = await s.incident(
    (i) => i.groupLabels.alertname === 'LatencyProbe' && verdicts(i).length === 1,
    'the verdict on the scale',
    25_000,
  );
  expect(verdicts(failed)[0]).toMatch(
    new RegExp(`^Step 1 scale ineffective: p99 [\\d.]+ is not < 1 at ${TIME}$`),
  );
  s.step('sim: p99 back to 0.12s while the restart is verified');
  s.sim.setLatency(0.12);
  const passed = await s.incident(
    (i) => i.groupLabels.alertname === 'LatencyProbe' && verdicts(i).length === 2,
    'the verdict on the restart',
    25_000,
  );
  expect(verdicts(passed)[1]).toMatch(
    new RegExp(`^Step 2 restart effective: p99 0\\.\\d+ < 1 at ${TIME}$`),
  );
  expect(passed.plans[0]?.status).toBe('effective');
});

it('(d) a silence exists in Alertmanager while the plan runs, and is expired after', async () => {
  const s = started();
  const alert = injected({
    alertname: 'CatalogSlow',
    severity: 'critical',
    namespace: NS,
    deployment: 'catalog',
  });
  await postAlerts(s.alertmanager, [alert]);
  await s.waitFor(
    () => scalePatches(s.kube, NS, 'catalog').length === 1,
    'the scale of catalog',
    20_000,
  );
  const silences = async () =>
    (await (await fetch(`${s.alertmanager.url}/api/v2/silences`)).json()) as {
      id: string;
      status: { state: string };
      createdBy: string;
      comment: string;
    }[];
  const active = (await silences()).filter((x) => x.status.state === 'active');
  expect(active).toEqual([
    expect.objectContaining({
      createdBy: 'remediator',
      comment: expect.stringMatching(
        /^remediator remediator-0: incident \d+, plan \d+, policy silenced silences CatalogSlow while it remediates$/,
      ),
    }),
  ]);
  // Alertmanager holds the alert, silenced by it.
  const [held] = await s.alertmanager.alerts({ alertname: 'CatalogSlow' });
  expect(held?.status).toMatchObject({ state: 'suppressed', silencedBy: [active[0]?.id] });
  s.step('the fix works: CatalogSlow resolved in Alertmanager');
  await postAlerts(s.alertmanager, resolvedNow([alert]));
  const view = await s.incident(
    (i) => i.groupLabels.deployment === 'catalog' && i.plans[0]?.status === 'effective',
    'the plan of catalog to end',
    20_000,
  );
  await s.waitFor(
    async () => (await silences()).find((x) => x.id === active[0]?.id)?.status.state === 'expired',
    'the silence to be expired',
    10_000,
  );
  expect(view.timeline.filter((e) => e.kind === 'silence').map((e) => e.message)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^Silenced CatalogSlow for deployment=catalog, namespace=prod in Alertmanager until ${TIME} \\(5m8s\\) while policy silenced works: silence ${active[0]?.id}$`,
      ),
    ),
    `Lifted silence ${active[0]?.id} of CatalogSlow: the plan of policy silenced is over (effective)`,
  ]);
});
