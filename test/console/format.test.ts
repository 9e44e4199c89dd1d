import {
  formatDuration,
  formatLabels,
  formatTime,
  incidentTitle,
  matchesText,
  safeHref,
} from '../../src/console/format';

describe('safeHref', () => {
  it.each([
    ['http://alertmanager:9093/#/alerts', 'http://alertmanager:9093/#/alerts'],
    ['HTTPS://prometheus.example/graph?g0.expr=up', 'https://prometheus.example/graph?g0.expr=up'],
  ])('links to the http(s) URL %s', (given, expected) => {
    expect(safeHref(given)).toBe(expected);
  });

  it.each([
    'javascript:alert(1)',
    ' javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    '/api/v1/pause',
    '//evil.example/x',
    'http//missing-colon',
    '',
    null,
    undefined,
  ])('makes no link of %p', (given) => {
    expect(safeHref(given)).toBeUndefined();
  });
});

describe('the text filter', () => {
  const incident = {
    id: 42,
    groupLabels: { alertname: 'HighLatency', namespace: 'prod' },
    components: { deployment: ['heart-disease-api'] },
    activity: { text: 'Verifying step 1/2 scale' },
  };

  it('matches every word anywhere in the id, labels, components and activity, in any case', () => {
    expect(matchesText(incident, '')).toBe(true);
    expect(matchesText(incident, '#42')).toBe(true);
    expect(matchesText(incident, 'highlatency HEART')).toBe(true);
    expect(matchesText(incident, 'verifying prod')).toBe(true);
  });

  it('leaves out an incident missing one of the words', () => {
    expect(matchesText(incident, 'highlatency staging')).toBe(false);
    expect(matchesText(incident, '#43')).toBe(false);
  });
});

describe('formatting', () => {
  it('writes times in UTC to the second, whatever the browser zone', () => {
    expect(formatTime('2026-11-27T13:42:05.123Z')).toBe('2026-11-27 13:42:05 UTC');
    expect(formatTime(null)).toBe('—');
    expect(formatTime('not a time')).toBe('not a time');
  });

  it('writes durations with their two largest units', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(12 * 60_000)).toBe('12m');
    expect(formatDuration(3 * 3600_000 + 5 * 60_000)).toBe('3h 5m');
    expect(formatDuration(2 * 86_400_000 + 4 * 3600_000)).toBe('2d 4h');
    expect(formatDuration(-5)).toBe('0s');
  });

  it('names an incident by its alertname, then its other group labels, values quoted', () => {
    expect(incidentTitle({ alertname: 'HighLatency', namespace: 'prod' })).toBe(
      'HighLatency · namespace="prod"',
    );
    expect(incidentTitle({})).toBe('(no group labels)');
    expect(formatLabels({ b: 'x"y', a: '<b>' })).toBe('a="<b>", b="x\\"y"');
  });
});
