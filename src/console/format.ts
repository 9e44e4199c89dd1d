/** Pure helpers for what the console shows: times, durations, label sets, links. */

/** `2026-11-28 13:42:05 UTC`, the way every time is shown: one zone for everyone in an incident. */
export function formatTime(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `45s`, `12m`, `3h 5m`, `2d 4h`: the two largest units. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

/** `5m ago`, from an ISO time and now. */
export function formatAgo(iso: string, now: number): string {
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return iso;
  return `${formatDuration(now - at)} ago`;
}

/** `alertname="HighLatency", namespace="prod"`: a label set as Alertmanager prints it, sorted. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ');
}

/** An incident's name: its alertname if it is grouped by one, then the other group labels. */
export function incidentTitle(groupLabels: Readonly<Record<string, string>>): string {
  const { alertname, ...rest } = groupLabels;
  const others = formatLabels(rest);
  if (alertname === undefined) return others === '' ? '(no group labels)' : others;
  return others === '' ? alertname : `${alertname} · ${others}`;
}

/**
 * A URL safe to put in `href`: absolute http(s) only. The server checks the URLs it derives from
 * alerts already; this is the second check, where the link is made.
 */
export function safeHref(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || !/^https?:\/\//i.test(value)) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an incident's row matches the text filter: id, labels, components, activity. */
export function matchesText(
  incident: {
    readonly id: number;
    readonly groupLabels: Readonly<Record<string, string>>;
    readonly components: Readonly<Record<string, readonly string[]>>;
    readonly activity: { readonly text: string };
  },
  text: string,
): boolean {
  const needle = text.trim().toLowerCase();
  if (needle === '') return true;
  const haystack = [
    `#${incident.id}`,
    formatLabels(incident.groupLabels),
    ...Object.entries(incident.components).map(([k, v]) => `${k} ${v.join(' ')}`),
    incident.activity.text,
  ]
    .join(' ')
    .toLowerCase();
  return needle.split(/\s+/).every((word) => haystack.includes(word));
}
