import { alertState } from '../../support/alert-state';
import {
  describeGroup,
  filtersOf,
  groupByName,
} from '../../../src/remediations/executor/alert-identity';

describe("a plan's alerts by name", () => {
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
  const errors = alertState('b1', {
    alertname: 'HighErrorRate',
    namespace: 'prod',
    deployment: 'web',
    'bad-name': 'x',
    empty: '',
  });

  it('are grouped by name with the labels they share (valid names, values not empty), as escaped filters', () => {
    const groups = groupByName([web1, errors, web2]);
    expect(groups.map((g) => [g.alertname, g.labels, g.alerts.length])).toEqual([
      [
        'HighLatency',
        { alertname: 'HighLatency', namespace: 'prod', deployment: 'web', severity: 'critical' },
        2,
      ],
      ['HighErrorRate', { alertname: 'HighErrorRate', namespace: 'prod', deployment: 'web' }, 1],
    ]);
    const odd = groupByName([alertState('c', { alertname: 'X', deployment: 'a"b\\c\nd' })]);
    expect(filtersOf(odd[0]!)).toEqual(['alertname="X"', 'deployment="a\\"b\\\\c\\nd"']);
    expect(describeGroup(groups[0]!)).toBe('HighLatency for deployment=web, namespace=prod');
    expect(describeGroup(odd[0]!)).toBe('X for deployment="a\\"b\\\\c\\nd"');
  });
});
