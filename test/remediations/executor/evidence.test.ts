import { alertState } from '../../support/alert-state';
import { groupByName } from '../../../src/remediations/executor/alert-identity';
import {
  clockTime,
  judgeByHeldAlerts,
  judgeBySamples,
} from '../../../src/remediations/executor/evidence';

const AT = Date.parse('2026-11-27T13:47:00Z');

const held = (fingerprint: string) => ({
  fingerprint,
  labels: {},
  startsAt: '2026-11-27T13:40:00Z',
  state: 'suppressed',
});

describe("a plan's alerts as Alertmanager knows them", () => {
  const web1 = alertState('a1', {
    alertname: 'HighLatency',
    namespace: 'prod',
    deployment: 'web',
    pod: 'web-1',
    severity: 'critical',
  });
  const web2 = alertState('a2', {
    alertname: 'HighLatency',
    namespace: 'prod',
    deployment: 'web',
    pod: 'web-2',
    severity: 'critical',
  });

  it('are resolved when Alertmanager holds none of them, firing while it holds one, matched by fingerprint', () => {
    const groups = groupByName([web1, web2]);
    expect(judgeByHeldAlerts(groups, [[held('zz')]], AT)).toEqual({
      passed: true,
      evidence:
        'Alertmanager has no active HighLatency for deployment=web, namespace=prod as of 13:47:00',
    });
    expect(judgeByHeldAlerts(groups, [[held('a2')]], AT)).toEqual({
      passed: false,
      evidence:
        'Alertmanager still has HighLatency for deployment=web, namespace=prod (1 of 2 alerts) active at 13:47:00',
    });
    const resolved = groupByName([
      alertState('a1', web1.labels, Date.parse('2026-11-27T13:42:10Z')),
    ]);
    expect(judgeByHeldAlerts(resolved, [[]], AT).evidence).toBe(
      'Alertmanager has no active HighLatency for deployment=web, pod=web-1 since 13:42:10',
    );
  });
});

describe("a query's samples against a step's bounds", () => {
  const check = { query: 'q', name: 'p99', bounds: { below: 1 }, forMs: 0 };
  const series = (...values: number[]) =>
    values.map((v, i) => ({
      metric: { __name__: 'p99', pod: `p${i}` },
      samples: [[AT, v] as const],
    }));

  it('pass only when every sample meets every bound; the first that does not is named', () => {
    expect(judgeBySamples(check, series(0.4), AT)).toEqual({
      passed: true,
      evidence: 'p99 0.4 < 1 at 13:47:00',
    });
    expect(judgeBySamples(check, series(0.2, 1.4, 0.3), AT)).toEqual({
      passed: false,
      evidence: 'p99 1.4 is not < 1 ({pod="p1"}) at 13:47:00',
    });
    expect(judgeBySamples(check, series(Number.NaN), AT)).toEqual({
      passed: false,
      evidence: 'p99 NaN is not < 1 at 13:47:00',
    });
    expect(
      judgeBySamples({ ...check, bounds: { atLeast: 0.9, atMost: 1 } }, series(0.95, 1), AT),
    ).toEqual({
      passed: true,
      evidence: 'p99 >= 0.9 and <= 1 in all 2 series (0.95 to 1) at 13:47:00',
    });
  });

  it('are inconclusive when there are none', () => {
    expect(judgeBySamples(check, [], AT)).toEqual({
      passed: false,
      inconclusive: true,
      evidence: 'the query returned no data at 13:47:00',
    });
    expect(clockTime(AT)).toBe('13:47:00');
  });
});
