import fc from 'fast-check';
import {
  applyNotification,
  canTransition,
  INCIDENT_STATUSES,
  notificationSlices,
  transition,
  type Incident,
  type IncidentChange,
} from '../../src/incidents/incident';
import type { WebhookAlert, WebhookPayload } from '../../src/alertmanager/payload';
import { defaultPolicySet } from '../../src/policies/loader';
import { fixture } from '../support/fixtures';
import { ACTIONS } from '../../src/remediations/actions/index';

const severity = defaultPolicySet(ACTIONS).severity;
const T0 = Date.parse('2026-11-27T14:00:00Z');

function apply(current: Incident | undefined, payload: WebhookPayload, now = T0, nextId = 1) {
  return applyNotification({ current, payload, severity, now, nextId });
}

function applied(
  current: Incident | undefined,
  payload: WebhookPayload,
  now = T0,
  nextId = 1,
): IncidentChange {
  const change = apply(current, payload, now, nextId);
  if (change === undefined) throw new Error('expected a change');
  return change;
}

function resolveAlerts(payload: WebhookPayload, count = payload.alerts.length): WebhookPayload {
  const copy = structuredClone(payload);
  copy.alerts.slice(0, count).forEach((a) => {
    a.status = 'resolved';
    a.endsAt = '2026-11-27T14:05:00Z';
  });
  copy.status = copy.alerts.every((a) => a.status === 'resolved') ? 'resolved' : 'firing';
  return copy;
}

describe('an incident per Alertmanager group', () => {
  it('opens an Investigating incident with every alert of the first notification', () => {
    const change = applied(undefined, fixture('am-api-group-3-alerts-firing'), T0, 7);
    expect(change.incident).toMatchObject({
      id: 7,
      status: 'investigating',
      openedAt: T0,
      severity: 1,
    });
    expect(change.incident.alerts.size).toBe(3);
    expect(change.newlyFiring).toHaveLength(3);
    expect(change.previous).toBeUndefined();
    expect(change.timeline.map((e) => e.kind)).toEqual(['opened', 'alerts_firing', 'severity']);
    expect(change.timeline[1]?.message).toBe('3 alerts firing: HighErrorRate ×3');
    expect(change.timeline[2]?.message).toMatch(
      /^Severity Sev1: 3 alerts firing at Sev3 or worse \(at least 3\) → Sev1/,
    );
  });

  it('adds nothing for a repeated notification of the same state', () => {
    const payload = fixture('am-api-group-3-alerts-firing');
    const opened = applied(undefined, payload).incident;
    expect(apply(opened, fixture('am-api-group-3-alerts-firing'), T0 + 10_000)).toBeUndefined();
  });

  it('marks only the resolved alerts of a partly resolved group, and stays open', () => {
    const payload = fixture('am-api-group-3-alerts-firing');
    const opened = applied(undefined, payload).incident;
    const change = applied(opened, resolveAlerts(payload, 1), T0 + 60_000);
    expect(change.newlyResolved.map((a) => a.fingerprint)).toEqual([
      payload.alerts[0]?.fingerprint,
    ]);
    expect(change.alerts).toHaveLength(1);
    expect(change.incident.status).toBe('investigating');
    expect([...change.incident.alerts.values()].filter((a) => a.status === 'firing')).toHaveLength(
      2,
    );
    // Two alerts left would score Sev2, but an open incident's severity only rises.
    expect(change.incident.severity).toBe(1);
    expect(change.incident.severityReasons).toEqual([
      '3 alerts firing at Sev3 or worse (at least 3) → Sev1',
    ]);
    expect(change.timeline.map((e) => e.message)).toEqual(['1 alert resolved: HighErrorRate']);
  });

  it('resolves the incident when all its alerts have resolved', () => {
    const opened = applied(undefined, fixture('am-api-group-3-alerts-firing')).incident;
    const change = applied(opened, fixture('am-api-group-all-resolved'), T0 + 120_000);
    expect(change.incident).toMatchObject({
      status: 'resolved',
      resolvedAt: T0 + 120_000,
      severity: 1,
    });
    expect(change.newlyResolved).toHaveLength(3);
    expect(change.timeline.at(-1)?.message).toBe(
      'Status Investigating → Resolved: all 3 alert(s) resolved',
    );
  });

  it('does not resolve while truncation hides alerts that may still fire', () => {
    const payload = fixture('am-api-group-3-alerts-firing');
    const opened = applied(undefined, payload).incident;
    const truncated = resolveAlerts(payload);
    truncated.status = 'firing';
    truncated.truncatedAlerts = 2;
    const change = applied(opened, truncated, T0 + 1000);
    expect(change.incident.status).toBe('investigating');
  });

  it('ignores a late firing copy of an alert instance that already resolved', () => {
    const payload = fixture('am-api-group-3-alerts-firing');
    const opened = applied(undefined, payload).incident;
    const partly = applied(opened, resolveAlerts(payload, 1), T0 + 1000).incident;
    expect(apply(partly, fixture('am-api-group-3-alerts-firing'), T0 + 2000)).toBeUndefined();
  });

  it('opens a new incident when the group fires again after it resolved', () => {
    const opened = applied(undefined, fixture('am-api-single-firing-bearer'), T0, 1).incident;
    const resolved = applied(opened, fixture('am-api-single-resolved'), T0 + 60_000).incident;
    const again = fixture('am-api-single-firing-bearer');
    const first = again.alerts[0];
    if (first) first.startsAt = '2026-11-27T15:00:00Z';
    const change = applied(resolved, again, T0 + 3_600_000, 2);
    expect(change.incident).toMatchObject({ id: 2, status: 'investigating' });
    expect(change.previous).toBeUndefined();
  });

  it('treats a repeated resolved notice after resolution as a repeat', () => {
    const opened = applied(undefined, fixture('am-api-single-firing-bearer')).incident;
    const resolved = applied(opened, fixture('am-api-single-resolved'), T0 + 60_000).incident;
    expect(apply(resolved, fixture('am-api-single-resolved'), T0 + 70_000)).toBeUndefined();
  });

  it('records a group first seen already resolved as an incident that opened resolved', () => {
    const change = applied(undefined, fixture('am-api-single-resolved'));
    expect(change.incident.status).toBe('resolved');
    expect(change.incident.severity).toBe(1);
    expect(change.timeline.map((e) => e.kind)).toEqual([
      'opened',
      'alerts_resolved',
      'severity',
      'status',
    ]);
  });

  it('keeps new annotation values and re-scores on them', () => {
    const payload = fixture('am-api-single-firing-bearer');
    const alert = payload.alerts[0]!;
    alert.labels.alertname = 'LatencyObserved';
    delete alert.labels.severity; // severity="critical" alone would make it Sev2
    alert.annotations.p99_seconds = '0.4';
    const opened = applied(undefined, payload).incident;
    expect(opened.severity).toBe(4);
    const slower = structuredClone(payload);
    slower.alerts[0]!.annotations.p99_seconds = '1.9';
    const change = applied(opened, slower, T0 + 10_000);
    expect(change.incident.severity).toBe(1);
    expect(change.alerts).toHaveLength(1);
    expect(change.newlyFiring).toHaveLength(0);
    expect(change.timeline).toEqual([
      expect.objectContaining({
        kind: 'severity',
        message:
          'Severity Sev4 → Sev1: LatencyObserved: annotation p99_seconds="1.9" (1.9) > 1 → Sev1',
      }),
    ]);
  });

  it('tracks the same alert firing twice in one incident as two instances', () => {
    const payload = fixture('am-api-single-firing-bearer');
    const opened = applied(undefined, payload).incident;
    const refired = structuredClone(payload);
    refired.alerts[0]!.startsAt = '2026-11-27T14:30:00Z';
    const change = applied(opened, refired, T0 + 1000);
    expect(change.incident.alerts.size).toBe(2);
    expect(change.newlyFiring).toHaveLength(1);
  });
});

describe('the status lifecycle', () => {
  it.each([
    ['investigating', 'identified', true],
    ['investigating', 'resolved', true],
    ['identified', 'resolving', true],
    ['resolving', 'identified', true],
    ['resolving', 'investigating', true],
    ['resolving', 'resolved', true],
    ['resolved', 'investigating', false],
    ['resolved', 'resolving', false],
    ['identified', 'identified', false],
  ] as const)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('never leaves Resolved', () => {
    for (const to of INCIDENT_STATUSES) expect(canTransition('resolved', to)).toBe(false);
  });

  it('records a timeline entry for each move and refuses illegal ones', () => {
    const opened = applied(undefined, fixture('am-api-single-firing-bearer')).incident;
    const { incident, entry } = transition(
      opened,
      'identified',
      'policy scale-out matched',
      T0 + 5,
    );
    expect(incident.status).toBe('identified');
    expect(entry).toEqual({
      at: T0 + 5,
      kind: 'status',
      message: 'Status Investigating → Identified: policy scale-out matched',
      data: { from: 'investigating', to: 'identified' },
    });
    const closed = transition(incident, 'resolved', 'alerts resolved', T0 + 6).incident;
    expect(closed.resolvedAt).toBe(T0 + 6);
    expect(() => transition(closed, 'identified', 'x', T0 + 7)).toThrow(
      /cannot move from resolved to identified/,
    );
  });
});

describe('a large notification applied in slices', () => {
  const FC_SEED = process.env.FC_SEED === undefined ? 42 : Number(process.env.FC_SEED);
  /** Alert names that score differently under the default severity rules. */
  const NAMES = ['HighLatency', 'HighErrorRate', 'DiskAlmostFull', 'Watchdog'];

  const alertOf = (n: number, status: 'firing' | 'resolved', name: string): WebhookAlert => ({
    status,
    labels: {
      alertname: name,
      instance: `host-${n}`,
      ...(n % 3 === 0 ? { severity: 'warning' } : {}),
    },
    annotations: {},
    startsAt: '2026-11-27T13:56:00Z',
    endsAt: status === 'resolved' ? '2026-11-27T14:00:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: n.toString(16).padStart(16, '0'),
  });
  const notification = (alerts: WebhookAlert[], truncatedAlerts = 0): WebhookPayload => {
    const payload = fixture('am-api-group-3-alerts-firing');
    payload.alerts = alerts;
    payload.truncatedAlerts = truncatedAlerts;
    payload.status = alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
    return payload;
  };
  /** Applies the slices in order, `more` on all but the last, as serve and plan do. */
  const inSlices = (current: Incident | undefined, payload: WebhookPayload, size: number) => {
    let incident = current;
    const slices = notificationSlices(current, payload, size);
    slices.forEach((slice, i) => {
      const change = applyNotification({
        current: incident,
        payload: slice,
        severity,
        now: T0 + 60_000,
        nextId: (incident?.id ?? 0) + 1,
        more: i < slices.length - 1,
      });
      if (change !== undefined) incident = change.incident;
    });
    return incident;
  };
  const whole = (current: Incident | undefined, payload: WebhookPayload) =>
    apply(current, payload, T0 + 60_000, (current?.id ?? 0) + 1)?.incident ?? current;
  const alertStates = (incident: Incident | undefined) =>
    [...(incident?.alerts.values() ?? [])].map((a) => `${a.fingerprint}:${a.status}`).sort();

  it('leaves a notification no larger than a slice whole', () => {
    const payload = notification([alertOf(1, 'firing', 'Watchdog')]);
    expect(notificationSlices(undefined, payload, 1)).toEqual([payload]);
  });

  it('opens with the firing alerts first, and otherwise puts the resolved ones first', () => {
    const payload = notification([
      alertOf(1, 'resolved', 'Watchdog'),
      alertOf(2, 'firing', 'Watchdog'),
      alertOf(3, 'resolved', 'Watchdog'),
    ]);
    const order = (current: Incident | undefined) =>
      notificationSlices(current, payload, 2).map((slice) =>
        slice.alerts.map((a) => `${Number.parseInt(a.fingerprint, 16)}:${a.status}`),
      );
    expect(order(undefined)).toEqual([['2:firing', '1:resolved'], ['3:resolved']]);
    const open = applied(undefined, notification([alertOf(2, 'firing', 'Watchdog')])).incident;
    expect(order(open)).toEqual([['1:resolved', '3:resolved'], ['2:firing']]);
  });

  it('resolves the incident on the last slice only, even when that slice changes no alert', () => {
    const open = applied(
      undefined,
      notification([alertOf(1, 'firing', 'Watchdog'), alertOf(2, 'firing', 'Watchdog')]),
    ).incident;
    const bothResolved = notification([
      alertOf(1, 'resolved', 'Watchdog'),
      alertOf(2, 'resolved', 'Watchdog'),
    ]);
    const partial = applyNotification({
      current: open,
      payload: bothResolved,
      severity,
      now: T0,
      nextId: 2,
      more: true,
    });
    expect(partial?.incident.status).toBe('investigating');
    expect(partial?.timeline.map((e) => e.kind)).toEqual(['alerts_resolved']);
    // The last slice repeats an alert already resolved: it still settles the incident.
    const last = applied(partial?.incident, notification([alertOf(2, 'resolved', 'Watchdog')]));
    expect(last.incident.status).toBe('resolved');
    expect(last.alerts).toEqual([]);
    expect(last.timeline.map((e) => e.message)).toEqual([
      'Status Investigating → Resolved: all 2 alert(s) resolved',
    ]);
    // Alerts left out of a firing notification still hold it open.
    const truncated = notification([alertOf(2, 'resolved', 'Watchdog')], 3);
    truncated.status = 'firing';
    expect(apply(partial?.incident, truncated)).toBeUndefined();
  });

  it('keeps the alerts of the episode before out of a new episode opened over it', () => {
    const old = applied(
      undefined,
      notification([alertOf(1, 'firing', 'Watchdog'), alertOf(2, 'firing', 'Watchdog')]),
    ).incident;
    const resolved = applied(
      old,
      notification([alertOf(1, 'resolved', 'Watchdog'), alertOf(2, 'resolved', 'Watchdog')]),
    ).incident;
    expect(resolved.status).toBe('resolved');
    // A late firing copy of #1 (already resolved) comes with a new alert #3.
    const payload = notification([
      alertOf(3, 'firing', 'Watchdog'),
      alertOf(1, 'firing', 'Watchdog'),
      alertOf(4, 'resolved', 'Watchdog'),
    ]);
    const sliced = inSlices(resolved, payload, 1);
    expect(sliced?.id).toBe(2);
    expect(alertStates(sliced)).toEqual(alertStates(whole(resolved, payload)));
    expect(alertStates(sliced)).toEqual(['0000000000000003:firing', '0000000000000004:resolved']);
  });

  it('ends where the whole notification would (same incident, alerts, status and severity), also when resent after a crash between two slices', () => {
    const alert = fc.record({
      n: fc.integer({ min: 1, max: 12 }),
      firing: fc.boolean(),
      name: fc.constantFrom(...NAMES),
    });
    const notificationArb = fc
      .record({
        alerts: fc.uniqueArray(alert, { selector: (a) => a.n, maxLength: 12 }),
        truncated: fc.constantFrom(0, 0, 0, 2),
      })
      .map(({ alerts, truncated }) =>
        notification(
          alerts.map((a) => alertOf(a.n, a.firing ? 'firing' : 'resolved', a.name)),
          truncated,
        ),
      );
    fc.assert(
      fc.property(
        fc.array(notificationArb, { minLength: 0, maxLength: 3 }),
        notificationArb,
        fc.integer({ min: 1, max: 4 }),
        (history, payload, size) => {
          let current: Incident | undefined;
          for (const earlier of history) current = whole(current, earlier);
          const expected = whole(current, payload);
          const sliced = inSlices(current, payload, size);
          expect(sliced?.id).toBe(expected?.id);
          expect(sliced?.status).toBe(expected?.status);
          expect(alertStates(sliced)).toEqual(alertStates(expected));
          // An incident first seen with nothing firing is scored, for the record, on its first
          // slice only; otherwise severity ends the same.
          const opensQuiet =
            expected !== undefined &&
            expected.id !== current?.id &&
            !payload.alerts.some((a) => a.status === 'firing');
          if (!opensQuiet) expect(sliced?.severity).toBe(expected?.severity);

          // A crash after some slices, then Alertmanager's resend of the same notification:
          // the journaled part is a repeat, and the incident ends between the whole
          // notification and the whole notification resent (a resend to the episode it opened
          // also folds in the alerts it had left to the episode before; so may a resend after
          // a crash).
          const slices = notificationSlices(current, payload, size);
          let crashed = current;
          slices.slice(0, -1).forEach((slice) => {
            crashed =
              applyNotification({
                current: crashed,
                payload: slice,
                severity,
                now: T0 + 60_000,
                nextId: (current?.id ?? 0) + 1,
                more: true,
              })?.incident ?? crashed;
          });
          const resent = inSlices(crashed, payload, size);
          const expectedResend = whole(expected, payload);
          expect(resent?.id).toBe(expected?.id);
          expect([expected?.status, expectedResend?.status]).toContain(resent?.status);
          expect(alertStates(resent)).toEqual(expect.arrayContaining(alertStates(expected)));
          expect(alertStates(expectedResend)).toEqual(expect.arrayContaining(alertStates(resent)));
        },
      ),
      { seed: FC_SEED, numRuns: 500 },
    );
  });
});
