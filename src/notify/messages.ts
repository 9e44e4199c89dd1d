import { formatStatus, type AlertState, type Incident } from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import { formatElapsed } from '../labels/durations';
import type { Notification } from './notifier';

/**
 * The runbook's two messages, rendered for one incident: the status update
 * (`[Sev1] Incident Update` / Status / Impact / Details / Next Update) and the resolution notice
 * (`Incident Resolution` / Time / Duration / Impact / Root Cause / Prevention).
 *
 * Pure: takes `now` as an argument, imports nothing from `node:*`.
 */

/** The runbook's impact classes. */
export type Impact = 'Service' | 'Performance' | 'Security';

/** One `Label: value` line of a message. */
export interface MessageField {
  readonly label: string;
  readonly value: string;
}

/** A rendered message: `text` is complete on its own (title and every field, one a line). */
export interface RenderedMessage {
  readonly title: string;
  readonly text: string;
  /** The template's fields, in order; empty when a custom text replaced the body. */
  readonly fields: readonly MessageField[];
}

/**
 * Facts the incident API may add to an incident later. Read defensively: any of them may be
 * missing, or of an unexpected type in an older record, and is then ignored.
 */
export interface IncidentNarrative {
  /** What a human found to be the cause. */
  readonly rootCause?: unknown;
  /** What a human decided to do so that it does not happen again. */
  readonly prevention?: unknown;
  /** The incident's timeline, oldest first (`{ message }` entries); the last line is quoted. */
  readonly timeline?: unknown;
}

/** Opens the title of a message sent for a dry run: nothing it reports was changed. */
export const DRY_RUN_MARK = '[Dry run: nothing was changed] ';

export const UNDER_INVESTIGATION = 'under investigation';
export const PREVENTION_PENDING = 'to be decided in the post-incident review';
export const ON_CHANGE = 'on change';

// Alert names, as the runbook's impact classes. Case-insensitive, anywhere in the name, so that
// `HighCPUUsage`, `high_memory` and `AuthFailures` all count. Security wins over performance.
const SECURITY = /auth|security|breach|exfiltration|unusualaccess/i;
const PERFORMANCE = /latency|cpu|memory|resource/i;

/** Labels that say what an incident affects, as the Details line names them. */
const AFFECTED_LABELS = ['namespace', 'deployment', 'service'] as const;
const MAX_NAMES = 5;
const MAX_VALUES = 3;
/** Details and impact summaries stay short: they are one line in a chat message. */
const MAX_DETAILS = 600;

/**
 * Renders a notification's message. A custom `text` replaces the template's fields and keeps its
 * title; otherwise the template named by `notification.template` is filled in from the incident.
 */
export function renderMessage(notification: Notification, now: Date | number): RenderedMessage {
  const nowMs = typeof now === 'number' ? now : now.getTime();
  const { incident } = notification;

  const title = `${notification.dryRun === true ? DRY_RUN_MARK : ''}${
    notification.template === 'resolution-notice'
      ? 'Incident Resolution'
      : `[${formatSeverity(incident.severity)}] Incident Update`
  }`;
  const custom = notification.text?.trim();
  if (custom !== undefined && custom !== '') {
    return { title, text: `${title}\n${custom}`, fields: [] };
  }
  const fields =
    notification.template === 'resolution-notice'
      ? resolutionFields(incident, nowMs)
      : statusUpdateFields(notification, nowMs);
  const text = [title, ...fields.map((f) => `${f.label}: ${f.value}`)].join('\n');
  return { title, text, fields };
}

function statusUpdateFields(notification: Notification, nowMs: number): MessageField[] {
  const { incident } = notification;
  const summary = summarize(incident.alerts);
  const latest = latestTimelineLine(incident) ?? notification.reason.trim();
  const details = [summary.described, latest].filter((s) => s !== '').join('; ');
  return [
    { label: 'Status', value: formatStatus(incident.status) },
    // Every alert, resolved ones included: a security incident stays one after its alert resolves.
    { label: 'Impact', value: summary.impact },
    { label: 'Details', value: clip(details, MAX_DETAILS) },
    { label: 'Next Update', value: formatNextUpdate(notification.nextUpdate, nowMs) },
  ];
}

/**
 * What a status update says of an incident's alerts, worked out once per version of them (an
 * incident's alert map is replaced, never changed): every notify step and escalation of an
 * incident renders one, and for a group of thousands of alerts each took milliseconds, dozens
 * of them at once after a restart.
 */
const summaries = new WeakMap<
  ReadonlyMap<string, AlertState>,
  { readonly described: string; readonly impact: Impact }
>();

function summarize(alertMap: ReadonlyMap<string, AlertState>) {
  let summary = summaries.get(alertMap);
  if (summary === undefined) {
    const alerts = [...alertMap.values()];
    summary = { described: describeAlerts(alerts), impact: impactOf(alerts) };
    summaries.set(alertMap, summary);
  }
  return summary;
}

function resolutionFields(incident: Incident, nowMs: number): MessageField[] {
  const resolvedAt = incident.resolvedAt ?? nowMs;
  const narrative = incident as Incident & IncidentNarrative;
  return [
    { label: 'Time', value: new Date(resolvedAt).toISOString() },
    { label: 'Duration', value: formatElapsed(resolvedAt - incident.openedAt) },
    { label: 'Impact', value: clip(impactSummary(incident), MAX_DETAILS) },
    { label: 'Root Cause', value: nonBlank(narrative.rootCause) ?? UNDER_INVESTIGATION },
    { label: 'Prevention', value: nonBlank(narrative.prevention) ?? PREVENTION_PENDING },
  ];
}

/**
 * The runbook's impact class of a set of alerts, from their names: Security when any name looks
 * like a security alert (Auth, Security, Breach, Exfiltration, UnusualAccess), else Performance
 * when any looks like a resource alert (latency, CPU, memory, resource), else Service.
 */
export function impactOf(alerts: readonly Pick<AlertState, 'labels'>[]): Impact {
  const names = alerts.map((a) => a.labels.alertname ?? '');
  if (names.some((n) => SECURITY.test(n))) return 'Security';
  if (names.some((n) => PERFORMANCE.test(n))) return 'Performance';
  return 'Service';
}

/** `Sev1 Performance impact: 3 alerts (HighLatency ×2, HighErrorRate) in namespace prod`. */
export function impactSummary(incident: Incident): string {
  const alerts = [...incident.alerts.values()];
  const head = `${formatSeverity(incident.severity)} ${impactOf(alerts)} impact`;
  if (alerts.length === 0) return head;
  const where = describeAffected(alerts);
  return `${head}: ${countAlerts(alerts.length)} (${describeNames(alerts)})${where === '' ? '' : ` in ${where}`}`;
}

/**
 * `2 of 3 alerts firing (HighLatency ×2) in namespace prod, deployment api`: what fires (or, when
 * nothing does any more, what did), and where.
 */
export function describeAlerts(alerts: readonly AlertState[]): string {
  if (alerts.length === 0) return 'no alerts';
  const firing = alerts.filter((a) => a.status === 'firing');
  let head: string;
  if (firing.length === 0) {
    head = `${alerts.length === 1 ? '1 alert' : `all ${alerts.length} alerts`} resolved (${describeNames(alerts)})`;
  } else if (firing.length === alerts.length) {
    head = `${countAlerts(firing.length)} firing (${describeNames(firing)})`;
  } else {
    head = `${firing.length} of ${alerts.length} alerts firing (${describeNames(firing)})`;
  }
  const where = describeAffected(firing.length > 0 ? firing : alerts);
  return where === '' ? head : `${head} in ${where}`;
}

/** `HighLatency ×2, HighErrorRate`: most frequent first, then by name. */
function describeNames(alerts: readonly Pick<AlertState, 'labels'>[]): string {
  const counts = new Map<string, number>();
  for (const a of alerts) {
    const name = a.labels.alertname ?? '(no alertname)';
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const sorted = [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
  const shown = sorted.slice(0, MAX_NAMES).map(([name, n]) => (n > 1 ? `${name} ×${n}` : name));
  if (sorted.length > MAX_NAMES) shown.push(`${sorted.length - MAX_NAMES} more`);
  return shown.join(', ');
}

/** `namespace prod, deployment api/worker, service api`; empty when no alert names any. */
function describeAffected(alerts: readonly Pick<AlertState, 'labels'>[]): string {
  const parts: string[] = [];
  for (const label of AFFECTED_LABELS) {
    const values = [
      ...new Set(alerts.map((a) => a.labels[label]).filter((v): v is string => !!v)),
    ].sort();
    if (values.length === 0) continue;
    const shown = values.slice(0, MAX_VALUES).join('/');
    const more = values.length > MAX_VALUES ? ` +${values.length - MAX_VALUES} more` : '';
    parts.push(`${label} ${shown}${more}`);
  }
  return parts.join(', ');
}

function countAlerts(n: number): string {
  return n === 1 ? '1 alert' : `${n} alerts`;
}

/**
 * `14:30 UTC`; with the date (`2026-11-28 09:00 UTC`) when it is not on the same UTC day as
 * `now`; `on change` when no time is known.
 */
export function formatNextUpdate(next: Date | undefined, now: Date | number): string {
  if (next === undefined || Number.isNaN(next.getTime())) return ON_CHANGE;
  const iso = next.toISOString();
  const sameDay = new Date(now).toISOString().slice(0, 10) === iso.slice(0, 10);
  const hhmm = `${iso.slice(11, 16)} UTC`;
  return sameDay ? hhmm : `${iso.slice(0, 10)} ${hhmm}`;
}

function latestTimelineLine(incident: Incident): string | undefined {
  const timeline = (incident as Incident & IncidentNarrative).timeline;
  if (!Array.isArray(timeline) || timeline.length === 0) return undefined;
  const last: unknown = timeline[timeline.length - 1];
  if (typeof last === 'string') return nonBlank(last);
  if (typeof last === 'object' && last !== null && 'message' in last) return nonBlank(last.message);
  return undefined;
}

/** A non-blank string, trimmed; anything else is `undefined`. */
function nonBlank(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
