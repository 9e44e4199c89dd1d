import {
  applyNotification,
  canTransition,
  INCIDENT_STATUSES,
  transition,
  type Incident,
  type IncidentChange,
} from '../../src/incidents/incident';
import type { WebhookPayload } from '../../src/receivers/payload';
import { defaultPolicySet } from '../../src/policies/loader';
import { fixture } from '../support/fixtures';

const severity = defaultPolicySet().severity;
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
      /^Severity Sev1: 3 alerts firing \(at least 3\) → Sev1/,
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
    expect(change.incident.severityReasons).toEqual(['3 alerts firing (at least 3) → Sev1']);
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
