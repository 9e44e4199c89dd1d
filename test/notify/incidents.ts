import type { AlertState, Incident } from '../../src/incidents/incident';
import type { Notification } from '../../src/notify/notifier';

export const OPENED = Date.parse('2026-11-27T14:00:00Z');

let fingerprints = 0;

/** A firing (or resolved) alert instance with these labels. */
export function alert(
  labels: Record<string, string>,
  status: AlertState['status'] = 'firing',
): AlertState {
  fingerprints += 1;
  const fingerprint = `fp${fingerprints.toString(16).padStart(6, '0')}`;
  return {
    fingerprint,
    startsAt: '2026-11-27T13:59:30Z',
    status,
    labels,
    annotations: {},
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example/graph',
    firstSeenAt: OPENED,
    updatedAt: OPENED,
    ...(status === 'resolved' ? { resolvedAt: OPENED } : {}),
  };
}

/** An incident holding these alerts; extra properties (rootCause, timeline...) pass through. */
export function incident(
  alerts: readonly AlertState[],
  overrides: Partial<Incident> & Record<string, unknown> = {},
): Incident {
  return {
    id: 42,
    groupKey: '{}:{alertname="HighLatency"}',
    receiver: 'remediator',
    groupLabels: { alertname: 'HighLatency' },
    status: 'investigating',
    severity: 1,
    severityReasons: ['HighLatency: alertname="HighLatency" → Sev1'],
    openedAt: OPENED,
    updatedAt: OPENED,
    alerts: new Map(alerts.map((a) => [`${a.fingerprint}@${a.startsAt}`, a])),
    ...overrides,
  };
}

/** The heart-disease API under latency: two HighLatency alerts and a HighErrorRate, in prod. */
export function latencyIncident(overrides: Partial<Incident> & Record<string, unknown> = {}) {
  const where = { namespace: 'prod', deployment: 'heart-api', service: 'heart-api' };
  return incident(
    [
      alert({ alertname: 'HighLatency', pod: 'heart-api-1', ...where }),
      alert({ alertname: 'HighLatency', pod: 'heart-api-2', ...where }),
      alert({ alertname: 'HighErrorRate', ...where }),
    ],
    overrides,
  );
}

export function notification(
  incidentValue: Incident,
  overrides: Partial<Notification> = {},
): Notification {
  return {
    sink: 'oncall',
    template: 'status-update',
    incident: incidentValue,
    reason: 'policy scale-out-on-latency, step 1',
    ...overrides,
  };
}
