import type { ComponentChildren } from 'preact';
import type { ActivityView, ComponentStatus, SeverityName } from '../api/wire';
import { formatLabels, formatTime, safeHref } from './format';

/*
 * Small pieces the pages share. Everything from an alert is rendered as text by Preact (text
 * nodes and attribute values, escaped by the DOM): no HTML string is ever parsed
 * (eslint forbids dangerouslySetInnerHTML and innerHTML).
 */

export function SeverityBadge({ severity }: { severity: SeverityName }) {
  return <span class={`badge sev sev-${severity.toLowerCase()}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status status-${status}`}>{status}</span>;
}

export function ComponentStatusBadge({ status }: { status: ComponentStatus }) {
  const text = { operational: 'Operational', degraded: 'Degraded', outage: 'Outage' }[status];
  return <span class={`badge component component-${status}`}>{text}</span>;
}

export function Activity({ activity }: { activity: ActivityView }) {
  return <span class={`activity activity-${activity.kind}`}>{activity.text}</span>;
}

export function Time({ iso }: { iso: string | null }) {
  if (iso === null) return <span>—</span>;
  return <time dateTime={iso}>{formatTime(iso)}</time>;
}

/** A label set, one `name="value"` chip each: values are text, whatever they hold. */
export function Labels({ labels }: { labels: Readonly<Record<string, string>> }) {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="labels" aria-label={formatLabels(labels)}>
      {names.map((name) => (
        <li key={name} class="label">
          <span class="label-name">{name}</span>=<span class="label-value">{labels[name]}</span>
        </li>
      ))}
    </ul>
  );
}

/** A link out (Alertmanager, Prometheus), only for an http(s) URL; otherwise the text alone. */
export function ExternalLink({
  href,
  children,
}: {
  href: string | null;
  children: ComponentChildren;
}) {
  const safe = safeHref(href);
  if (safe === undefined) return <span>{children}</span>;
  return (
    <a href={safe} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {error instanceof Error ? error.message : typeof error === 'string' ? error : 'failed'}
    </p>
  );
}

/** JSON as text, for the exact changes a step made. */
export function JsonBlock({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}
