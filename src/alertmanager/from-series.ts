/**
 * Notifications rebuilt from Prometheus' `ALERTS` series, for `remediator replay
 * --from-prometheus`: when each alert instance fired and resolved, grouped and timed as an
 * Alertmanager route would (`group_by`, `group_wait`, `group_interval`), so that a team without a
 * journal can see what its policies would have done over the last day or week.
 *
 * What `ALERTS` cannot give is said plainly by the caller: annotations (Prometheus keeps them only
 * in memory), the exact `startsAt` (a firing series is first sampled up to one step after it began)
 * and repeats (`repeat_interval` resends change nothing, so they are left out).
 *
 * Pure: no clock, no I/O.
 */
import { buildPayload, formatGoTime, groupLabelsOf, labelsFingerprint } from './build';
import type { WebhookPayload } from './payload';

/** One alert instance and the times it fired, from `start` until `end` (still firing without). */
export interface AlertEpisodes {
  readonly labels: Readonly<Record<string, string>>;
  readonly episodes: readonly { readonly start: number; readonly end?: number }[];
}

/**
 * The firing episodes in one `ALERTS{alertstate="firing"}` series of a range query: consecutive
 * samples one step apart belong to one episode; a missing sample ends it (resolved one step after
 * the last sample, when the next evaluation no longer saw it). A series still sampled at the end
 * of the range is still firing. The `alertstate` label is Prometheus', not the alert's: dropped.
 */
export function episodesFromSeries(
  metric: Readonly<Record<string, string>>,
  timestampsMs: readonly number[],
  stepMs: number,
  rangeEndMs: number,
): AlertEpisodes {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(metric)) {
    if (name !== '__name__' && name !== 'alertstate') labels[name] = value;
  }
  const episodes: { start: number; end?: number }[] = [];
  const sorted = [...timestampsMs].sort((a, b) => a - b);
  let start: number | undefined;
  let last = 0;
  for (const t of sorted) {
    if (start !== undefined && t - last > stepMs * 1.5) {
      episodes.push({ start, end: last + stepMs });
      start = undefined;
    }
    start ??= t;
    last = t;
  }
  if (start !== undefined) {
    episodes.push(last + stepMs * 1.5 >= rangeEndMs ? { start } : { start, end: last + stepMs });
  }
  return { labels, episodes };
}

export interface GroupingOptions {
  /** The route's `group_by`; `['...']` groups by every label. */
  readonly groupBy: readonly string[];
  /** Wait before a new group's first notification (Alertmanager's default: 30 s). */
  readonly groupWaitMs: number;
  /** Between a group's notifications when it changed (Alertmanager's default: 5 min). */
  readonly groupIntervalMs: number;
  readonly receiver: string;
  readonly externalURL: string;
  /** Nothing is notified after this (the end of the range). */
  readonly untilMs: number;
}

/** A rebuilt notification and when Alertmanager would have sent it. */
export interface TimedNotification {
  readonly at: number;
  readonly payload: WebhookPayload;
}

interface Instance {
  readonly labels: Readonly<Record<string, string>>;
  readonly start: number;
  readonly end?: number;
}

/**
 * The notifications Alertmanager would have sent for these alert instances, in time order: a
 * group's first after `group_wait` from its first alert, then one at each `group_interval` tick at
 * which the group changed (an instance started firing or resolved since the last one), carrying
 * the group's firing instances and those resolved since the last notification. A group whose every
 * instance resolved and was notified is over; a later instance opens a new one.
 */
export function notificationsFrom(
  alerts: readonly AlertEpisodes[],
  options: GroupingOptions,
): TimedNotification[] {
  const groups = new Map<string, Instance[]>();
  for (const alert of alerts) {
    const key = JSON.stringify(groupLabelsOf(alert.labels, options.groupBy));
    const instances = groups.get(key) ?? [];
    for (const episode of alert.episodes) instances.push({ labels: alert.labels, ...episode });
    groups.set(key, instances);
  }
  const out: TimedNotification[] = [];
  for (const instances of groups.values()) out.push(...groupNotifications(instances, options));
  return out.sort((a, b) => a.at - b.at || a.payload.groupKey.localeCompare(b.payload.groupKey));
}

function groupNotifications(
  instances: readonly Instance[],
  options: GroupingOptions,
): TimedNotification[] {
  const out: TimedNotification[] = [];
  const byStart = [...instances].sort((a, b) => a.start - b.start);
  let next = 0;
  while (next < byStart.length) {
    const first = byStart[next];
    if (first === undefined) break;
    // A group opens with its first instance and lives while any instance is firing or unnotified.
    let flush = first.start + options.groupWaitMs;
    let lastFlush = -Infinity;
    let lastState = '';
    let live: Instance[] = [];
    for (;;) {
      if (flush > options.untilMs) return out;
      while (next < byStart.length && (byStart[next]?.start ?? Infinity) <= flush) {
        const instance = byStart[next];
        if (instance !== undefined) live.push(instance);
        next++;
      }
      const firing = live.filter((i) => i.end === undefined || i.end > flush);
      const resolved = live.filter(
        (i) => i.end !== undefined && i.end <= flush && i.end > lastFlush,
      );
      const state = [
        ...firing.map((i) => `${labelsFingerprint(i.labels)}@${i.start}:f`),
        ...resolved.map((i) => `${labelsFingerprint(i.labels)}@${i.start}:r`),
      ]
        .sort()
        .join(',');
      if (state !== lastState && firing.length + resolved.length > 0) {
        out.push({ at: flush, payload: payloadOf(firing, resolved, options) });
        lastState = state;
      }
      lastFlush = flush;
      live = firing;
      if (live.length === 0) break;
      flush += options.groupIntervalMs;
    }
  }
  return out;
}

function payloadOf(
  firing: readonly Instance[],
  resolved: readonly Instance[],
  options: GroupingOptions,
): WebhookPayload {
  return buildPayload(
    [
      ...firing.map((i) => ({
        labels: i.labels,
        annotations: {},
        status: 'firing' as const,
        startsAt: formatGoTime(i.start),
      })),
      ...resolved.map((i) => ({
        labels: i.labels,
        annotations: {},
        status: 'resolved' as const,
        startsAt: formatGoTime(i.start),
        endsAt: formatGoTime(i.end ?? i.start),
      })),
    ],
    { groupBy: options.groupBy, receiver: options.receiver, externalURL: options.externalURL },
  );
}
