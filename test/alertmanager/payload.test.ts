import { checkWebhookPayload, jsonPointerToPath } from '../../src/alertmanager/payload';
import { fixture, FIXTURE_NAMES } from '../support/fixtures';

describe('the Alertmanager webhook payload schema', () => {
  it.each(FIXTURE_NAMES)('accepts the captured payload %s', (name) => {
    expect(checkWebhookPayload(fixture(name))).toMatchObject({ ok: true });
  });

  it('accepts unknown fields, at the top and in alerts', () => {
    const payload = { ...fixture('am-api-single-firing-bearer'), futureField: { x: 1 } } as Record<
      string,
      unknown
    >;
    (payload.alerts as Record<string, unknown>[])[0]!.silencedBy = [];
    expect(checkWebhookPayload(payload)).toMatchObject({ ok: true });
  });

  it('fills the optional fields Alertmanager always sends', () => {
    const minimal = {
      version: '4',
      groupKey: '{}:{alertname="X"}',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'X' },
          startsAt: '2026-11-27T14:00:00Z',
          fingerprint: 'abc123',
        },
      ],
    };
    const check = checkWebhookPayload(minimal);
    if (!check.ok) throw new Error(check.message);
    expect(check.payload).toMatchObject({
      truncatedAlerts: 0,
      receiver: '',
      groupLabels: {},
      alerts: [{ annotations: {}, endsAt: '0001-01-01T00:00:00Z', generatorURL: '' }],
    });
  });

  it('accepts nanosecond and whole-second timestamps as Alertmanager writes them', () => {
    const payload = fixture('amtool-single-firing');
    payload.alerts[0]!.startsAt = '2026-11-27T13:56:49.887849981Z';
    payload.alerts[0]!.endsAt = '2026-11-27T13:56:53Z';
    expect(checkWebhookPayload(payload)).toMatchObject({ ok: true });
  });

  const mutated = (mutate: (p: Record<string, any>) => unknown) => () => {
    const payload: Record<string, any> = fixture('am-api-group-3-alerts-firing');
    mutate(payload);
    return payload;
  };
  it.each([
    ['a missing groupKey', mutated((p) => delete p.groupKey), 'groupKey', 'groupKey is required'],
    ['another version', mutated((p) => (p.version = '3')), 'version', 'version must be "4"'],
    [
      'a bad top-level status',
      mutated((p) => (p.status = 'pending')),
      'status',
      'status must be one of "firing", "resolved"',
    ],
    [
      'no alerts',
      mutated((p) => (p.alerts = [])),
      'alerts',
      'alerts must NOT have fewer than 1 items',
    ],
    [
      'alerts that are not an array',
      mutated((p) => (p.alerts = {})),
      'alerts',
      'alerts must be array',
    ],
    [
      'an alert without fingerprint',
      mutated((p) => delete p.alerts[0].fingerprint),
      'alerts[0].fingerprint',
      'alerts[0].fingerprint is required',
    ],
    [
      'a fingerprint that is not hex',
      mutated((p) => (p.alerts[0].fingerprint = '../../etc')),
      'alerts[0].fingerprint',
      'alerts[0].fingerprint must match pattern',
    ],
    [
      'a startsAt that is not a time',
      mutated((p) => (p.alerts[0].startsAt = 'yesterday')),
      'alerts[0].startsAt',
      'alerts[0].startsAt must be an RFC 3339 time (e.g. 2026-11-27T13:56:01.123Z)',
    ],
    [
      'a label value that is a number',
      mutated((p) => (p.alerts[0].labels.replicas = 3)),
      'alerts[0].labels.replicas',
      'alerts[0].labels.replicas must be string',
    ],
    [
      'a label name with a slash',
      mutated((p) => (p.alerts[0].labels['app.kubernetes.io/name'] = 1)),
      'alerts[0].labels["app.kubernetes.io/name"]',
      'must be string',
    ],
    [
      'a negative truncatedAlerts',
      mutated((p) => (p.truncatedAlerts = -1)),
      'truncatedAlerts',
      'truncatedAlerts must be >= 0',
    ],
    ['a body that is an array', () => [], 'payload', 'payload must be object'],
    ['a body that is null', () => null, 'payload', 'payload must be object'],
  ])('rejects %s and names the field', (_case, make, field, message) => {
    const check = checkWebhookPayload(make());
    expect(check).toMatchObject({ ok: false, field });
    if (!check.ok) expect(check.message).toContain(message);
  });

  it.each([
    ['', ''],
    ['/alerts/0/startsAt', 'alerts[0].startsAt'],
    ['/alerts/12/labels/foo~1bar', 'alerts[12].labels["foo/bar"]'],
    ['/commonLabels/a~0b', 'commonLabels["a~b"]'],
  ])('writes the JSON pointer %j as the path %j', (pointer, path) => {
    expect(jsonPointerToPath(pointer)).toBe(path);
  });
});
