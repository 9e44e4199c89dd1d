/**
 * incidents/: pure decisions about incidents. `applyNotification` folds a notification into its
 * group's incident (alert instances by fingerprint and startsAt, resolution), `scoreSeverity`
 * (severity.ts) scores it with its reasons, `transition` moves it through the runbook's statuses.
 * Imports only alertmanager/ and labels/; no I/O, no clock (time comes in as an argument).
 */
import type { WebhookAlert, WebhookPayload } from '../alertmanager/payload';
import { formatSeverity, scoreSeverity, type Severity, type SeverityConfig } from './severity';

/** The runbook's incident statuses, in the order an incident normally moves through them. */
export const INCIDENT_STATUSES = ['investigating', 'identified', 'resolving', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/**
 * Allowed moves. Investigating: alerts are in, nobody (no policy) has a fix yet. Identified: a
 * remediation is planned. Resolving: it was applied and is being verified. A failed or
 * ineffective remediation hands the incident back (identified → the next step, or investigating
 * when humans must take over). Resolved is final: a new firing opens a new incident.
 */
const TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  investigating: ['identified', 'resolving', 'resolved'],
  identified: ['investigating', 'resolving', 'resolved'],
  resolving: ['investigating', 'identified', 'resolved'],
  resolved: [],
};

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function formatStatus(status: IncidentStatus): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

/** One alert instance: an alert (fingerprint) in one firing episode (startsAt). */
export interface AlertState {
  readonly fingerprint: string;
  readonly startsAt: string;
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly endsAt: string;
  readonly generatorURL: string;
  /** Epoch ms when remediator first received this instance. */
  readonly firstSeenAt: number;
  readonly updatedAt: number;
  readonly resolvedAt?: number;
}

export function alertKey(alert: { fingerprint: string; startsAt: string }): string {
  return `${alert.fingerprint}@${alert.startsAt}`;
}

export interface Incident {
  readonly id: number;
  readonly groupKey: string;
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly status: IncidentStatus;
  readonly severity: Severity;
  readonly severityReasons: readonly string[];
  readonly openedAt: number;
  readonly updatedAt: number;
  readonly resolvedAt?: number;
  /** By `alertKey`. */
  readonly alerts: ReadonlyMap<string, AlertState>;
  /**
   * Set when a policy with `autoResolve: false` acted (a security incident): the incident then
   * stays open after its alerts resolve, until a human resolves it.
   */
  readonly holdOpen?: string;
  /** What a human found to be the cause (set through the incident API, for the report). */
  readonly rootCause?: string;
  /** What a human decided so that it does not happen again. */
  readonly prevention?: string;
  /**
   * The sending Alertmanager's `externalURL`, as its notifications last gave it (unchecked: the
   * console validates it before it links to it).
   */
  readonly externalURL?: string;
}

export const TIMELINE_KINDS = [
  'opened',
  'alerts_firing',
  'alerts_resolved',
  'severity',
  'status',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number] | (string & {});

export interface TimelineEntry {
  readonly at: number;
  readonly kind: TimelineKind;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** What one notification changed; `undefined` from `applyNotification` means nothing did. */
export interface IncidentChange {
  readonly incident: Incident;
  readonly previous?: Incident;
  /** Rows to write: new instances and instances whose status or annotations changed. */
  readonly alerts: readonly AlertState[];
  readonly newlyFiring: readonly AlertState[];
  readonly newlyResolved: readonly AlertState[];
  readonly timeline: readonly TimelineEntry[];
}

export interface NotificationInput {
  /** The group's latest incident, open or resolved, if any. */
  readonly current: Incident | undefined;
  readonly payload: WebhookPayload;
  readonly severity: SeverityConfig;
  readonly now: number;
  /** Id for the incident this notification would open. */
  readonly nextId: number;
  /**
   * More alerts of the same notification follow (a large one is applied in slices, see
   * `notificationSlices`): the incident must not resolve on this slice, whose alerts are not
   * all the notification says.
   */
  readonly more?: boolean;
}

/** Fingerprints listed in a timeline entry's data; the count is always exact. */
const LISTED_FINGERPRINTS = 20;

/**
 * Folds one Alertmanager notification into its group's incident. Pure. Rules:
 * - a notification belongs to the group's open incident; without one it opens a new incident when
 *   it carries an instance that fires and was not already resolved in the group's last incident;
 * - each alert instance moves only from firing to resolved (a late firing copy of a resolved
 *   instance is ignored, so out-of-order deliveries cannot re-open it);
 * - the incident resolves once every alert it knows is resolved and none is hidden by truncation;
 * - its severity only rises while it is open;
 * - a notification that changes nothing returns `undefined`: repeats add nothing.
 */
export function applyNotification(input: NotificationInput): IncidentChange | undefined {
  const { current, payload, now } = input;
  const more = input.more === true;
  if (current !== undefined && current.status !== 'resolved') {
    return foldInto(current, payload, input.severity, now, false, more);
  }
  const unseen = payload.alerts.filter((a) => current?.alerts.get(alertKey(a)) === undefined);
  if (unseen.length === 0) return undefined;
  const opensEpisode = current === undefined || unseen.some((a) => a.status === 'firing');
  if (!opensEpisode) {
    // Late resolved notices for instances this group's last episode never saw: they belong to it.
    return foldInto(current, payload, input.severity, now, false, more);
  }
  const opened: Incident = {
    id: input.nextId,
    groupKey: payload.groupKey,
    receiver: payload.receiver,
    groupLabels: payload.groupLabels,
    status: 'investigating',
    severity: input.severity.default,
    severityReasons: [],
    openedAt: now,
    updatedAt: now,
    alerts: new Map(),
    ...(payload.externalURL === '' ? {} : { externalURL: payload.externalURL }),
  };
  const fresh: WebhookPayload = { ...payload, alerts: unseen };
  return foldInto(opened, fresh, input.severity, now, true, more);
}

/**
 * A notification cut into slices of at most `size` alerts, for a caller that applies (and
 * journals) a large one a slice at a time, passing `more` for every slice but the last. Applied
 * in order, the slices leave the incident as the whole notification would, but for the
 * timeline's steps (an entry per slice):
 * - a notification that opens a new episode over a resolved incident keeps only the alerts that
 *   episode has not seen, as `applyNotification` does, so that later slices do not count
 *   alerts of the old episode into the new one;
 * - when the notification opens an incident, its firing alerts come first, so the first slice
 *   opens it as the whole would; otherwise its resolved alerts come first: the firing alerts at
 *   each slice are then a subset of those at the end, so severity, which only rises while an
 *   incident is open, rises no higher than the whole notification would raise it;
 * - no slice but the last may resolve the incident (`more`).
 */
export function notificationSlices(
  current: Incident | undefined,
  payload: WebhookPayload,
  size: number,
): WebhookPayload[] {
  if (payload.alerts.length <= size) return [payload];
  let alerts = payload.alerts;
  let opens = current === undefined;
  if (current?.status === 'resolved') {
    const unseen = alerts.filter((a) => current.alerts.get(alertKey(a)) === undefined);
    if (unseen.some((a) => a.status === 'firing')) {
      alerts = unseen;
      opens = true;
    }
  }
  const firing = alerts.filter((a) => a.status === 'firing');
  const resolved = alerts.filter((a) => a.status !== 'firing');
  const ordered = opens ? [...firing, ...resolved] : [...resolved, ...firing];
  const slices: WebhookPayload[] = [];
  for (let i = 0; i < ordered.length; i += size)
    slices.push({ ...payload, alerts: ordered.slice(i, i + size) });
  return slices;
}

function foldInto(
  incident: Incident,
  payload: WebhookPayload,
  config: SeverityConfig,
  now: number,
  opening: boolean,
  more: boolean,
): IncidentChange | undefined {
  // Copied on the first change only: a repeat (the common case) allocates nothing.
  let copy: Map<string, AlertState> | undefined;
  const changed: AlertState[] = [];
  const newlyFiring: AlertState[] = [];
  const newlyResolved: AlertState[] = [];

  for (const received of payload.alerts) {
    const key = alertKey(received);
    const known = (copy ?? incident.alerts).get(key);
    const next = nextAlertState(known, received, now);
    if (next === known) continue;
    copy ??= new Map(incident.alerts);
    copy.set(key, next);
    changed.push(next);
    if (known === undefined && next.status === 'firing') newlyFiring.push(next);
    if (next.status === 'resolved' && known?.status !== 'resolved') newlyResolved.push(next);
  }
  // Alerts Alertmanager left out, or later slices of this notification, may still fire.
  const hidden = (payload.truncatedAlerts > 0 && payload.status === 'firing') || more;
  // A notification that changes no alert still settles an incident whose alerts have all
  // resolved when nothing is hidden any more: the last slice of a large notification whose
  // earlier slices resolved them (or its resend, after a crash between two slices).
  if (copy === undefined && (hidden || !allResolvedButOpen(incident))) return undefined;
  const alerts = copy ?? incident.alerts;

  const timeline: TimelineEntry[] = [];
  if (opening) {
    timeline.push({
      at: now,
      kind: 'opened',
      message: `Incident opened for ${describeLabels(incident.groupLabels)}`,
      data: { groupKey: incident.groupKey, receiver: incident.receiver },
    });
  }
  if (newlyFiring.length > 0)
    timeline.push(alertsEntry('alerts_firing', 'firing', newlyFiring, now));
  if (newlyResolved.length > 0) {
    timeline.push(alertsEntry('alerts_resolved', 'resolved', newlyResolved, now));
  }

  let { severity, severityReasons, status, resolvedAt } = incident;
  const firing = [...alerts.values()].filter((a) => a.status === 'firing');
  // An incident that opens already resolved is scored on what it received, for the record.
  const scored = firing.length > 0 || !opening ? firing : [...alerts.values()];
  // Severity only rises while an incident is open: an incident that was Sev1 stays a Sev1
  // incident (for its notices, escalation and report) when some of its alerts resolve.
  const score = scored.length > 0 ? scoreSeverity(scored, config) : undefined;
  if (score !== undefined && (opening || score.level < severity)) {
    timeline.push({
      at: now,
      kind: 'severity',
      message: opening
        ? `Severity ${formatSeverity(score.level)}: ${score.reasons.join('; ')}`
        : `Severity ${formatSeverity(severity)} → ${formatSeverity(score.level)}: ${score.reasons.join('; ')}`,
      data: { from: opening ? null : severity, to: score.level, reasons: score.reasons },
    });
    severity = score.level;
    severityReasons = score.reasons;
  }

  if (status !== 'resolved' && firing.length === 0 && !hidden && incident.holdOpen !== undefined) {
    timeline.push({
      at: now,
      kind: 'held_open',
      message: `All ${alerts.size} alert(s) resolved; the incident stays open until a human resolves it (${incident.holdOpen})`,
    });
  } else if (status !== 'resolved' && firing.length === 0 && !hidden) {
    timeline.push({
      at: now,
      kind: 'status',
      message: `Status ${formatStatus(status)} → Resolved: all ${alerts.size} alert(s) resolved`,
      data: { from: status, to: 'resolved' },
    });
    status = 'resolved';
    resolvedAt = now;
  }

  const next: Incident = {
    ...incident,
    severity,
    severityReasons,
    status,
    updatedAt: now,
    alerts,
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
    // Kept up to date with the change a notification brings anyway: a new URL alone is no change.
    ...(payload.externalURL === '' ? {} : { externalURL: payload.externalURL }),
  };
  return {
    incident: next,
    ...(opening ? {} : { previous: incident }),
    alerts: changed,
    newlyFiring,
    newlyResolved,
    timeline,
  };
}

/** Open, not held open for a human, and every alert it knows resolved. */
function allResolvedButOpen(incident: Incident): boolean {
  if (incident.status === 'resolved' || incident.holdOpen !== undefined) return false;
  if (incident.alerts.size === 0) return false;
  for (const alert of incident.alerts.values()) if (alert.status === 'firing') return false;
  return true;
}

/** The instance's next state, or `known` itself when the notification changes nothing about it. */
function nextAlertState(
  known: AlertState | undefined,
  received: WebhookAlert,
  now: number,
): AlertState {
  if (known === undefined) {
    return {
      fingerprint: received.fingerprint,
      startsAt: received.startsAt,
      status: received.status,
      labels: received.labels,
      annotations: received.annotations,
      endsAt: received.endsAt,
      generatorURL: received.generatorURL,
      firstSeenAt: now,
      updatedAt: now,
      ...(received.status === 'resolved' ? { resolvedAt: now } : {}),
    };
  }
  if (known.status === 'resolved') return known;
  if (received.status === 'resolved') {
    return {
      ...known,
      status: 'resolved',
      annotations: received.annotations,
      endsAt: received.endsAt,
      updatedAt: now,
      resolvedAt: now,
    };
  }
  // Still firing. Annotations are re-rendered at every evaluation (the current latency, say) and
  // severity rules may read them, so a new value is kept; anything else is a repeat.
  if (sameRecord(known.annotations, received.annotations)) return known;
  return { ...known, annotations: received.annotations, updatedAt: now };
}

function alertsEntry(
  kind: 'alerts_firing' | 'alerts_resolved',
  verb: string,
  alerts: readonly AlertState[],
  now: number,
): TimelineEntry {
  const names = new Map<string, number>();
  for (const a of alerts) {
    const name = a.labels.alertname ?? '(no alertname)';
    names.set(name, (names.get(name) ?? 0) + 1);
  }
  const summary = [...names].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
  const count = alerts.length === 1 ? '1 alert' : `${alerts.length} alerts`;
  return {
    at: now,
    kind,
    message: `${count} ${verb}: ${summary}`,
    data: {
      count: alerts.length,
      fingerprints: alerts.slice(0, LISTED_FINGERPRINTS).map((a) => a.fingerprint),
    },
  };
}

/** `{alertname="HighLatency", namespace="prod"}`, as Alertmanager prints label sets. */
export function describeLabels(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${pairs.join(', ')}}`;
}

function sameRecord(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** Moves an open incident to another status; returns the incident and its timeline entry. */
export function transition(
  incident: Incident,
  to: IncidentStatus,
  reason: string,
  now: number,
): { incident: Incident; entry: TimelineEntry } {
  if (!canTransition(incident.status, to)) {
    throw new Error(`incident ${incident.id}: cannot move from ${incident.status} to ${to}`);
  }
  const entry: TimelineEntry = {
    at: now,
    kind: 'status',
    message: `Status ${formatStatus(incident.status)} → ${formatStatus(to)}: ${reason}`,
    data: { from: incident.status, to },
  };
  return {
    incident: {
      ...incident,
      status: to,
      updatedAt: now,
      ...(to === 'resolved' ? { resolvedAt: now } : {}),
    },
    entry,
  };
}
