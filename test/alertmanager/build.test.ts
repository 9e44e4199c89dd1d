import fc from 'fast-check';
import {
  buildPayload,
  formatGoTime,
  goQuote,
  groupKeyOf,
  groupLabelsOf,
  labelsFingerprint,
  ZERO_TIME,
  type ShorthandAlert,
} from '../../src/alertmanager/build';
import { fixture, FIXTURE_NAMES, fixtureText } from '../support/fixtures';

/** The route the fixtures were captured with (test/fixtures/alertmanager/README.md). */
const GROUP_BY = ['alertname', 'namespace', 'deployment'];
const seed = Number(process.env.FC_SEED ?? 42);

describe('labelsFingerprint', () => {
  it.each(FIXTURE_NAMES)(
    'reproduces the fingerprint Alertmanager sent for every alert of %s from its labels',
    (name) => {
      const payload = fixture(name);
      for (const alert of payload.alerts) {
        expect(labelsFingerprint(alert.labels)).toBe(alert.fingerprint);
      }
    },
  );

  it('gives the empty label set the FNV-1a 64 offset basis, as prometheus/common does', () => {
    expect(labelsFingerprint({})).toBe('cbf29ce484222325');
  });

  it('depends on the labels only, not on the order they were written in', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), fc.string({ maxLength: 12 }), {
          maxKeys: 6,
        }),
        (labels) => {
          const reversed = Object.fromEntries(Object.entries(labels).reverse());
          const fingerprint = labelsFingerprint(labels);
          expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
          expect(labelsFingerprint(reversed)).toBe(fingerprint);
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it('hashes label values as UTF-8 bytes, so that non-ASCII values differ from look-alikes', () => {
    expect(labelsFingerprint({ a: 'é' })).not.toBe(
      labelsFingerprint({ a: '\u00e9'.normalize('NFD') }),
    );
    expect(labelsFingerprint({ a: 'é' })).toBe(labelsFingerprint({ a: '\u00e9' }));
  });
});

describe('groupKeyOf', () => {
  it.each(FIXTURE_NAMES)('reproduces the group key Alertmanager sent in %s', (name) => {
    const payload = fixture(name);
    for (const alert of payload.alerts) {
      expect(groupKeyOf(groupLabelsOf(alert.labels, GROUP_BY))).toBe(payload.groupKey);
    }
  });

  it('leaves out a group_by label the alert does not have, as Alertmanager does', () => {
    const labels = { alertname: 'ServiceDown', namespace: 'prod', service: 'api' };
    expect(groupLabelsOf(labels, GROUP_BY)).toEqual({
      alertname: 'ServiceDown',
      namespace: 'prod',
    });
    expect(groupKeyOf(groupLabelsOf(labels, GROUP_BY))).toBe(
      '{}:{alertname="ServiceDown", namespace="prod"}',
    );
  });

  it("groups by every label with group_by: ['...']", () => {
    expect(groupKeyOf(groupLabelsOf({ b: '2', a: '1' }, ['...']))).toBe('{}:{a="1", b="2"}');
  });

  it('quotes values as Go does and sorts the name="value" pairs as strings', () => {
    expect(groupKeyOf({ path: 'C:\\tmp "x"\n' })).toBe('{}:{path="C:\\\\tmp \\"x\\"\\n"}');
    // `a1=` sorts before `a=` ('1' < '='), unlike sorting by name.
    expect(groupKeyOf({ a: 'x', a1: 'y' })).toBe('{}:{a1="y", a="x"}');
  });
});

describe('goQuote', () => {
  it.each([
    ['plain', '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['\x07\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['\x00\x1b\x7f', '"\\x00\\x1b\\x7f"'],
    ['café ☕ 😀', '"café ☕ 😀"'],
    ['no\u00a0break', '"no\\u00a0break"'],
    ['\u{10ffff}', '"\\U0010ffff"'],
  ])('quotes %j as strconv.Quote does', (text, quoted) => {
    expect(goQuote(text)).toBe(quoted);
  });
});

describe('formatGoTime', () => {
  it.each([
    ['2026-11-27T13:56:01.000Z', '2026-11-27T13:56:01Z'],
    ['2026-11-27T13:56:28.515Z', '2026-11-27T13:56:28.515Z'],
    ['2026-11-27T13:56:28.500Z', '2026-11-27T13:56:28.5Z'],
  ])('prints %s as Go prints RFC 3339 times: %s', (iso, go) => {
    expect(formatGoTime(Date.parse(iso))).toBe(go);
  });
});

describe('buildPayload', () => {
  it.each(FIXTURE_NAMES)(
    'rebuilds %s byte for byte from its alerts in shorthand, in any order',
    (name) => {
      const captured = fixture(name);
      const shorthand: ShorthandAlert[] = captured.alerts
        .map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          status: a.status,
          startsAt: a.startsAt,
          endsAt: a.endsAt,
          generatorURL: a.generatorURL,
        }))
        .reverse();
      const built = buildPayload(shorthand, {
        groupBy: GROUP_BY,
        receiver: captured.receiver,
        externalURL: captured.externalURL,
      });
      expect(`${JSON.stringify(built, null, 2)}\n`).toBe(fixtureText(name));
    },
  );

  it('sorts alerts as Alertmanager does: by job, then instance, then label set', () => {
    const alert = (labels: Record<string, string>): ShorthandAlert => ({
      labels,
      annotations: {},
      status: 'firing',
      startsAt: '2026-01-01T00:00:00Z',
    });
    const built = buildPayload(
      [
        alert({ alertname: 'A', x: '2' }),
        alert({ alertname: 'A', instance: 'b:9100' }),
        alert({ alertname: 'A', job: 'node', instance: 'a:9100' }),
        alert({ alertname: 'A', x: '1' }),
        alert({ alertname: 'A', instance: 'a:9100' }),
      ],
      { groupBy: ['alertname'], receiver: 'r', externalURL: '' },
    );
    expect(built.alerts.map((a) => a.labels)).toEqual([
      { alertname: 'A', instance: 'a:9100', job: 'node' },
      { alertname: 'A', instance: 'a:9100' },
      { alertname: 'A', instance: 'b:9100' },
      { alertname: 'A', x: '1' },
      { alertname: 'A', x: '2' },
    ]);
  });

  it('is firing while any alert fires, with the zero endsAt for firing alerts, and resolved after', () => {
    const labels = { alertname: 'HighLatency' };
    const options = { groupBy: GROUP_BY, receiver: 'r', externalURL: '' };
    const firing = buildPayload(
      [
        {
          labels,
          annotations: {},
          status: 'firing',
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: 'x',
        },
        {
          labels: { ...labels, pod: 'b' },
          annotations: {},
          status: 'resolved',
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: '2026-01-01T00:05:00Z',
        },
      ],
      options,
    );
    expect(firing.status).toBe('firing');
    expect(firing.alerts.map((a) => [a.status, a.endsAt])).toEqual([
      ['firing', ZERO_TIME],
      ['resolved', '2026-01-01T00:05:00Z'],
    ]);
    const resolved = buildPayload(
      [
        {
          labels,
          annotations: {},
          status: 'resolved',
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: '2026-01-01T00:05:00Z',
        },
      ],
      options,
    );
    expect(resolved).toMatchObject({ status: 'resolved', version: '4', truncatedAlerts: 0 });
  });

  it('keeps only the labels and annotations every alert shares as common ones', () => {
    const built = buildPayload(
      [
        {
          labels: { alertname: 'A', pod: 'x' },
          annotations: { s: '1', d: 'x' },
          status: 'firing',
          startsAt: '2026-01-01T00:00:00Z',
        },
        {
          labels: { alertname: 'A', pod: 'y' },
          annotations: { s: '1', d: 'y' },
          status: 'firing',
          startsAt: '2026-01-01T00:00:00Z',
        },
      ],
      { groupBy: ['alertname'], receiver: 'r', externalURL: '' },
    );
    expect(built.commonLabels).toEqual({ alertname: 'A' });
    expect(built.commonAnnotations).toEqual({ s: '1' });
    expect(built.groupLabels).toEqual({ alertname: 'A' });
  });
});
