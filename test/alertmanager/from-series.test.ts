import { groupKeyOf, labelsFingerprint } from '../../src/alertmanager/build';
import {
  episodesFromSeries,
  notificationsFrom,
  type AlertEpisodes,
} from '../../src/alertmanager/from-series';
import { checkWebhookPayload } from '../../src/alertmanager/payload';

const S = 1000;
const MIN = 60 * S;
const T0 = Date.parse('2026-12-01T10:00:00Z');

describe('episodesFromSeries', () => {
  const metric = { __name__: 'ALERTS', alertname: 'HighLatency', alertstate: 'firing', pod: 'a' };

  it('drops Prometheus` own labels and keeps the alert`s', () => {
    expect(episodesFromSeries(metric, [T0], MIN, T0 + 10 * MIN).labels).toEqual({
      alertname: 'HighLatency',
      pod: 'a',
    });
  });

  it('reads consecutive samples as one episode, resolved a step after the last', () => {
    const samples = [T0, T0 + MIN, T0 + 2 * MIN];
    expect(episodesFromSeries(metric, samples, MIN, T0 + 10 * MIN).episodes).toEqual([
      { start: T0, end: T0 + 3 * MIN },
    ]);
  });

  it('splits at a missing sample, and leaves a series sampled up to the end firing', () => {
    const samples = [T0, T0 + MIN, T0 + 5 * MIN, T0 + 6 * MIN, T0 + 7 * MIN];
    expect(episodesFromSeries(metric, samples, MIN, T0 + 7 * MIN).episodes).toEqual([
      { start: T0, end: T0 + 2 * MIN },
      { start: T0 + 5 * MIN },
    ]);
  });
});

describe('notificationsFrom', () => {
  const options = {
    groupBy: ['alertname', 'namespace'],
    groupWaitMs: 30 * S,
    groupIntervalMs: 5 * MIN,
    receiver: 'remediator',
    externalURL: 'http://alertmanager.example:9093',
    untilMs: T0 + 60 * MIN,
  };
  const alert = (
    pod: string,
    start: number,
    end?: number,
    name = 'HighLatency',
  ): AlertEpisodes => ({
    labels: { alertname: name, namespace: 'prod', pod },
    episodes: [end === undefined ? { start } : { start, end }],
  });
  const summary = (n: ReturnType<typeof notificationsFrom>[number]) => ({
    at: (n.at - T0) / S,
    alerts: n.payload.alerts.map((a) => `${a.labels.pod}:${a.status}`),
  });

  it('sends a group after group_wait, again only when it changed, and its resolution', () => {
    const sent = notificationsFrom([alert('a', T0, T0 + 8 * MIN)], options);
    expect(sent.map(summary)).toEqual([
      { at: 30, alerts: ['a:firing'] },
      { at: 630, alerts: ['a:resolved'] },
    ]);
  });

  it('adds an instance that joined its group at the next group_interval tick', () => {
    const sent = notificationsFrom([alert('a', T0), alert('b', T0 + 2 * MIN)], options);
    expect(sent.map(summary)).toEqual([
      { at: 30, alerts: ['a:firing'] },
      { at: 330, alerts: ['a:firing', 'b:firing'] },
    ]);
  });

  it('keeps groups apart by group_by, and starts a new group after one ended', () => {
    const sent = notificationsFrom(
      [
        alert('a', T0, T0 + MIN),
        alert('x', T0 + 10 * S, undefined, 'HighErrorRate'),
        {
          labels: { alertname: 'HighLatency', namespace: 'prod', pod: 'a' },
          episodes: [{ start: T0 + 20 * MIN }],
        },
      ],
      options,
    );
    expect(sent.map((n) => [(n.at - T0) / S, n.payload.groupLabels.alertname])).toEqual([
      [30, 'HighLatency'],
      [40, 'HighErrorRate'],
      [330, 'HighLatency'],
      [20 * 60 + 30, 'HighLatency'],
    ]);
  });

  it('builds payloads Alertmanager would send: valid, fingerprinted, keyed by group', () => {
    const [first] = notificationsFrom([alert('a', T0)], options);
    expect(first).toBeDefined();
    const check = checkWebhookPayload(first?.payload);
    expect(check.ok).toBe(true);
    expect(first?.payload.groupKey).toBe(
      groupKeyOf({ alertname: 'HighLatency', namespace: 'prod' }),
    );
    expect(first?.payload.alerts[0]).toMatchObject({
      fingerprint: labelsFingerprint({ alertname: 'HighLatency', namespace: 'prod', pod: 'a' }),
      startsAt: '2026-12-01T10:00:00Z',
      annotations: {},
    });
  });

  it('sends nothing after the end of the range', () => {
    expect(notificationsFrom([alert('a', T0 + 59 * MIN + 50 * S)], options)).toEqual([]);
  });
});
