import { DASHBOARD_FILE } from '../../src/tools/generate-manifests';
import { metricNames, read } from './manifests';
import { VERIFICATION_RESULTS } from '../../src/metrics';

/*
 * deploy/grafana/remediator.json imports into any Grafana (10 or later) with any Prometheus data
 * source: schema 39, the data source chosen through a variable, never a uid of someone's Grafana.
 */

const dashboard = JSON.parse(read(DASHBOARD_FILE));
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** Every panel, those inside rows included. */
function panels(list: any[] = dashboard.panels): any[] {
  return list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
}
const queryPanels = panels().filter((p) => p.type !== 'row');

/** Every value under a `uid` key, with its path. */
function uids(value: unknown, path = '$'): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => uids(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'uid' ? [[`${path}.${k}`, v] as [string, unknown]] : uids(v, `${path}.${k}`),
  );
}

describe('the Grafana dashboard', () => {
  it('has schema 39, a stable uid and a Prometheus data source variable', () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBe('remediator');
    expect(dashboard.id).toBeNull();
    const variable = dashboard.templating.list.find((v: any) => v.name === 'datasource');
    expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
  });

  it('names no data source uid but ${datasource}', () => {
    const found = uids(dashboard).filter(([path]) => path !== '$.uid');
    expect(found.length).toBeGreaterThan(0);
    for (const [path, uid] of found) expect([path, uid]).toEqual([path, '${datasource}']);
  });

  it('queries through the variable in every panel and target', () => {
    for (const panel of queryPanels) {
      expect([panel.title, panel.datasource]).toEqual([panel.title, DATASOURCE]);
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.datasource).toEqual(DATASOURCE);
    }
  });

  it('has unique panel ids and titles, and panels within the 24-column grid that do not overlap', () => {
    const all = panels();
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    expect(new Set(queryPanels.map((p) => p.title)).size).toBe(queryPanels.length);
    const cells = new Set<string>();
    for (const { gridPos: g, title } of all) {
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect([title, cells.has(`${x},${y}`)]).toEqual([title, false]);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('gives every query a distinct refId within its panel, and every panel a description', () => {
    for (const panel of queryPanels) {
      const refIds = panel.targets.map((t: any) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      expect(panel.description).toEqual(expect.any(String));
    }
  });

  it.each([
    ['alerts received', 'remediator_alerts_received_total'],
    ['open incidents by severity', 'remediator_incidents_open'],
    ['remediations by action and outcome', 'remediator_remediations_total'],
    ['skips by reason', 'remediator_skips_total'],
    ['verification effectiveness', 'remediator_verifications_total'],
    ['time to resolve', 'remediator_incident_time_to_resolve_seconds_bucket'],
    ['webhook latency', 'remediator_webhook_request_duration_seconds_bucket'],
    ['webhook codes', 'remediator_webhook_requests_total'],
    ['Kubernetes API errors', 'remediator_kube_requests_total'],
    ['circuit state', 'remediator_circuit_open'],
    ['pause state', 'remediator_paused'],
    ['policy reloads', 'remediator_policy_reloads_total'],
    ['last reload success', 'remediator_policy_last_reload_successful'],
    ['notifications', 'remediator_notifications_total'],
    ['escalations', 'remediator_escalations_total'],
  ])('shows %s (%s)', (_, metric) => {
    const used = queryPanels.flatMap((p) => p.targets.flatMap((t: any) => metricNames(t.expr)));
    expect(used).toContain(metric);
  });

  it('divides by verdicts only: dry-run steps get none, so the metric has no result for them', () => {
    expect(VERIFICATION_RESULTS).toEqual(['effective', 'ineffective']);
  });

  it('shows verification effectiveness as effective verdicts over all verdicts', () => {
    const effectiveness = queryPanels
      .flatMap((p) => p.targets.map((t: any) => t.expr as string))
      .filter((e) => e.includes('remediator_verifications_total{result="effective"'));
    expect(effectiveness.length).toBeGreaterThan(0);
    for (const expr of effectiveness) {
      expect(expr).toMatch(/result="effective".*\/.*remediator_verifications_total\{namespace/s);
    }
  });
});
