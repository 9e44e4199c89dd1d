import { parseMatcher } from '../../src/labels/matchers';
import { statusPage } from '../../src/notify/status-page';
import type { StatusPageConfig } from '../../src/policies/policy';
import { alert, incident, OPENED } from './incidents';

const LISTED: StatusPageConfig = {
  title: 'Heart-disease service',
  components: [
    { name: 'Prediction API', match: [parseMatcher('deployment="heart-api"')] },
    { name: 'Worker', match: [parseMatcher('deployment="heart-worker"')] },
  ],
  componentLabel: 'service',
  outageSeverity: 1,
  publicAnnotations: ['public_summary'],
};

const DERIVED: StatusPageConfig = { ...LISTED, components: [] };

const api = (labels: Record<string, string> = {}, status: 'firing' | 'resolved' = 'firing') =>
  alert(
    { alertname: 'HighErrorRate', namespace: 'prod', deployment: 'heart-api', ...labels },
    status,
  );

describe('the public status page', () => {
  it('lists every component as operational when nothing is open', () => {
    expect(statusPage(LISTED, [])).toEqual({
      title: 'Heart-disease service',
      status: 'operational',
      components: [
        { name: 'Prediction API', status: 'operational' },
        { name: 'Worker', status: 'operational' },
      ],
      incidents: [],
    });
  });

  it('shows a component degraded by a less severe incident, down by one of outageSeverity or worse', () => {
    const degraded = statusPage(LISTED, [incident([api()], { id: 1, severity: 2 })]);
    expect(degraded.status).toBe('degraded');
    expect(degraded.components).toEqual([
      { name: 'Prediction API', status: 'degraded' },
      { name: 'Worker', status: 'operational' },
    ]);
    const down = statusPage(LISTED, [
      incident([api()], { id: 1, severity: 2 }),
      incident([api({ pod: 'p2' })], { id: 2, severity: 1 }),
    ]);
    expect(down.status).toBe('outage');
    expect(down.components[0]).toEqual({ name: 'Prediction API', status: 'outage' });
    expect(down.incidents.map((i) => i.id)).toEqual([2, 1]);
  });

  it('gives each open incident a public summary: no label, alert name or internal detail', () => {
    const secret = api({ pod: 'heart-api-7d9f-xyz', team: 'internal-team-x' });
    const page = statusPage(LISTED, [
      incident(
        [
          {
            ...secret,
            annotations: {
              public_summary: 'Some predictions fail',
              runbook: 'http://wiki/internal',
            },
          },
        ],
        {
          id: 7,
          severity: 2,
          status: 'identified',
          updatedAt: OPENED + 60_000,
        },
      ),
    ]);
    expect(page.incidents).toEqual([
      {
        id: 7,
        title: 'Service disruption affecting Prediction API',
        severity: 'Sev2',
        status: 'Identified',
        impact: 'Service',
        components: ['Prediction API'],
        startedAt: OPENED,
        updatedAt: OPENED + 60_000,
        notes: ['Some predictions fail'],
      },
    ]);
    const text = JSON.stringify(page);
    for (const internal of [
      'HighErrorRate',
      'heart-api-7d9f',
      'internal-team-x',
      'wiki/internal',
      'prod',
    ])
      expect(text).not.toContain(internal);
  });

  it('leaves out incidents that affect no component, and resolved ones', () => {
    const page = statusPage(LISTED, [
      incident([alert({ alertname: 'DiskFull', deployment: 'batch' })], { id: 1, severity: 1 }),
      incident([api()], { id: 2, severity: 1, status: 'resolved' }),
    ]);
    expect(page.status).toBe('operational');
    expect(page.incidents).toEqual([]);
  });

  it('judges by the firing alerts, or by all of them once none fires (held open)', () => {
    const both = [api({}, 'resolved'), alert({ alertname: 'X', deployment: 'heart-worker' })];
    expect(statusPage(LISTED, [incident(both, { severity: 3 })]).components).toEqual([
      { name: 'Prediction API', status: 'operational' },
      { name: 'Worker', status: 'degraded' },
    ]);
    const held = statusPage(LISTED, [incident([api({}, 'resolved')], { severity: 3 })]);
    expect(held.components[0]).toEqual({ name: 'Prediction API', status: 'degraded' });
  });

  it('without listed components, names them by the component label, affected ones only', () => {
    const page = statusPage(DERIVED, [
      incident([api({ service: 'checkout' }), api({ service: 'search', pod: 'x' })], {
        severity: 3,
      }),
      incident([alert({ alertname: 'NoService' })], { id: 2, severity: 1 }),
    ]);
    expect(page.components).toEqual([
      { name: 'checkout', status: 'degraded' },
      { name: 'search', status: 'degraded' },
    ]);
    expect(page.incidents.map((i) => i.id)).toEqual([42]);
  });

  it('calls a security incident a security issue', () => {
    const page = statusPage(DERIVED, [
      incident([alert({ alertname: 'AuthFailureSpike', service: 'login' })], { severity: 2 }),
    ]);
    expect(page.incidents[0]).toMatchObject({
      impact: 'Security',
      title: 'Security issue affecting login',
    });
  });
});
