import { Registry } from 'prom-client';
import { createMetrics } from '../../src/metrics';
import { DASHBOARD_FILE } from '../../src/tools/generate-manifests';
import { startServer, tempDir, type TestServer } from '../support/server';
import {
  all,
  exportedFamily,
  labelNames,
  metricNames,
  metricTypes,
  one,
  read,
  renderKustomization,
  selectors,
} from './manifests';

/*
 * Every metric the Grafana dashboard and the PrometheusRules query is one remediator exports, with
 * labels it has: a renamed metric or label must not leave a dashboard panel or an alert silently
 * empty. Metrics of the protected service (used by the service rules) are not remediator's and
 * are left out; `up` is made by Prometheus, and is checked against the ServiceMonitor's job.
 */

const OURS = /^(remediator_|process_|nodejs_)/;
/** Labels Prometheus adds to every sample it scrapes through the ServiceMonitor. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'service', 'pod', 'container', 'endpoint'];

describe('metricNames', () => {
  it.each([
    ['max by (namespace) (up{job="remediator"}) == 0 or absent(up{job="remediator"})', ['up']],
    [
      'histogram_quantile(0.99, sum by (le) (rate(remediator_webhook_request_duration_seconds_bucket{code="200"}[5m])))',
      ['remediator_webhook_request_duration_seconds_bucket'],
    ],
    [
      'sum(a_total{x=~"$namespace"}[$__rate_interval] offset 1h) / ignoring(x) group_left(y) b > 1e6',
      ['a_total', 'b'],
    ],
    ['label_replace(x{pod!=""}, "deployment", "$1", "pod", "(.+)-[bcd2]{1,10}-[bcd2]{5}")', ['x']],
    [
      'ns:http_requests:rate5m > 5 * quantile_over_time(0.5, ns:http_requests:rate5m[1h])',
      ['ns:http_requests:rate5m'],
    ],
    [
      'time() - max by (pod) (process_start_time_seconds{job="remediator"})',
      ['process_start_time_seconds'],
    ],
    ['sum without (le) (c) unless on (a, b) d and bool e # a comment naming f', ['c', 'd', 'e']],
  ])('finds the metrics of %s', (expr, expected) => {
    expect(metricNames(expr)).toEqual(expected);
  });

  it('reads matchers and grouping labels', () => {
    expect(
      labelNames('sum by (policy, action) (rate(m{outcome!="x", le=~"1"}[5m])) / on (policy) n'),
    ).toEqual(['outcome', 'le', 'policy', 'action']);
  });
});

describe('exportedFamily', () => {
  const types = new Map([
    ['h_seconds', 'histogram'],
    ['s_seconds', 'summary'],
    ['c_total', 'counter'],
  ]);
  it.each([
    ['c_total', 'c_total'],
    ['h_seconds_bucket', 'h_seconds'],
    ['h_seconds_sum', 'h_seconds'],
    ['h_seconds_count', 'h_seconds'],
    ['s_seconds_count', 's_seconds'],
    ['s_seconds_bucket', undefined],
    ['c_total_count', undefined],
    ['h_seconds_total', undefined],
    ['unknown', undefined],
  ])('reads %s as a sample of %s', (name, family) => {
    expect(exportedFamily(name, types)).toBe(family);
  });
});

interface Query {
  readonly where: string;
  readonly expr: string;
}

/** Every PromQL expression of the dashboard: panels (rows included), annotations, variables. */
function dashboardQueries(dashboard: any): Query[] {
  const out: Query[] = [];
  const panels = (list: any[]): void => {
    for (const panel of list) {
      for (const target of panel.targets ?? []) {
        out.push({ where: `panel "${panel.title}"`, expr: target.expr });
      }
      panels(panel.panels ?? []);
    }
  };
  panels(dashboard.panels);
  for (const a of dashboard.annotations?.list ?? []) {
    if (a.expr !== undefined) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  }
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const query: string = typeof v.query === 'string' ? v.query : v.query.query;
    // Grafana's own functions around a selector or an expression.
    const inner =
      /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1] ?? /^query_result\((.*)\)$/.exec(query)?.[1];
    out.push({ where: `variable $${v.name}`, expr: inner ?? query });
  }
  return out;
}

const dashboard = JSON.parse(read(DASHBOARD_FILE));
const objects = renderKustomization();
const ruleQueries: Query[] = all(objects, 'PrometheusRule').flatMap((rule) =>
  rule.spec.groups.flatMap((group: any) =>
    group.rules.map((r: any) => ({
      where: `${rule.metadata.name} ${r.alert ?? r.record}`,
      expr: r.expr,
    })),
  ),
);
const queries = [...dashboardQueries(dashboard), ...ruleQueries];

/** The label names of every metric remediator creates, from prom-client's own objects. */
function metricLabels(): Map<string, readonly string[]> {
  const registry = new Registry();
  createMetrics(registry, { processMetrics: true });
  return new Map(
    registry.getMetricsAsArray().map((m) => {
      const metric = m as unknown as { name: string; labelNames?: readonly string[] };
      return [metric.name, metric.labelNames ?? []];
    }),
  );
}
const familyLabels = metricLabels();

describe('the metrics the dashboard and the alert rules query', () => {
  let server: TestServer;
  let removeDir: () => void;
  let types: Map<string, string>;

  beforeAll(async () => {
    const dir = tempDir('remediator-deploy-metrics-');
    removeDir = dir.remove;
    server = await startServer(
      { dataDir: dir.path, policiesFile: 'deploy/k8s/policies' },
      { processMetrics: true },
    );
    const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    types = metricTypes(await res.text());
  });
  afterAll(async () => {
    await server.close();
    removeDir();
  });

  it('are found in the dashboard and the rules at all', () => {
    const names = new Set(queries.flatMap((q) => metricNames(q.expr)));
    expect([...names].filter((n) => n.startsWith('remediator_')).length).toBeGreaterThan(15);
    expect(names).toContain('up');
    expect([...names].some((n) => n.startsWith('process_'))).toBe(true);
    expect([...names].some((n) => n.startsWith('nodejs_'))).toBe(true);
  });

  it.each(queries.map((q) => [q.where, q.expr]))(
    '%s queries only metrics that /metrics of a running remediator exports',
    (_, expr) => {
      const missing = metricNames(expr)
        .filter((n) => OURS.test(n))
        .filter((n) => exportedFamily(n, types) === undefined);
      expect(missing).toEqual([]);
    },
  );

  it.each(queries.map((q) => [q.where, q.expr]))(
    '%s uses only labels that its metrics (or the scrape) have',
    (_, expr) => {
      const names = metricNames(expr);
      // Service rules (and `up` of the service) read the service's metrics: not checked here.
      if (!names.some((n) => OURS.test(n)) || !names.every((n) => OURS.test(n) || n === 'up'))
        return;
      const labels = new Set([...TARGET_LABELS, 'le', 'quantile']);
      for (const name of names) {
        const family = exportedFamily(name, types);
        for (const label of family === undefined ? [] : (familyLabels.get(family) ?? []))
          labels.add(label);
      }
      expect(labelNames(expr).filter((l) => !labels.has(l))).toEqual([]);
    },
  );

  it('select up only by the job the ServiceMonitor gives remediator', () => {
    const service = one(objects, 'Service', 'remediator');
    const monitor = one(objects, 'ServiceMonitor');
    const job = service.metadata.labels?.[monitor.spec.jobLabel] ?? service.metadata.name;
    const jobs = queries
      .flatMap((q) => selectors(q.expr))
      .filter((s) => s.metric === 'up')
      .flatMap((s) => s.matchers.filter((m) => m.label === 'job').map((m) => m.value));
    expect(jobs.length).toBeGreaterThan(0);
    expect(new Set(jobs)).toEqual(new Set([job]));
  });
});
