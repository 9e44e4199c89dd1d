/**
 * What a verdict rests on, in words for the timeline: Alertmanager's answer about a plan's alerts
 * ("Alertmanager has no active HighLatency for deployment=web since 13:42:10"), or a PromQL
 * query's samples against the step's bounds ("p99 1.4 is not < 1 at 13:47:00"). Pure: the
 * executor asks, these judge.
 */
import { compareBounds, formatNumber } from '../../labels/numeric';
import type { RenderedCheck } from '../../policies/planner';
import type { HeldAlert } from '../../sources/alertmanager';
import type { Series } from '../../sources/prometheus';
import { describeGroup, type AlertGroup } from './alert-identity';

/** A judgement of one step: whether it did what it should, and what says so. */
export interface Judgement {
  readonly passed: boolean;
  readonly evidence: string;
  /** No data or no answer: not passed, and said to be inconclusive. */
  readonly inconclusive?: boolean;
}

/** `13:42:10` (UTC): the time of day, as the timeline shows it beside each entry. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/**
 * The plan's alerts, by name, against those Alertmanager still holds (`held[i]` answers
 * `groups[i]`), matched by fingerprint: an alert it no longer holds has resolved, whatever
 * notification this replica did or did not receive; one it holds (silenced or inhibited
 * included) still fires.
 */
export function judgeByHeldAlerts(
  groups: readonly AlertGroup[],
  held: readonly (readonly HeldAlert[])[],
  at: number,
): Judgement {
  const firing = groups.flatMap((group, i) => {
    const active = group.alerts.filter((a) =>
      held[i]?.some((h) => h.fingerprint === a.fingerprint),
    );
    return active.length === 0 ? [] : [{ group, active }];
  });
  if (firing.length === 0) {
    const gone = groups.map((group) => {
      const resolvedAts = group.alerts.flatMap((a) =>
        a.resolvedAt === undefined ? [] : [a.resolvedAt],
      );
      const known =
        resolvedAts.length === group.alerts.length ? Math.max(...resolvedAts) : undefined;
      return `${describeGroup(group)} ${known === undefined ? `as of ${clockTime(at)}` : `since ${clockTime(known)}`}`;
    });
    return { passed: true, evidence: `Alertmanager has no active ${gone.join(' and no active ')}` };
  }
  const still = firing.map(
    ({ group, active }) =>
      `${describeGroup(group)}${group.alerts.length > 1 ? ` (${active.length} of ${group.alerts.length} alerts)` : ''}`,
  );
  return {
    passed: false,
    evidence: `Alertmanager still has ${still.join(' and ')} active at ${clockTime(at)}`,
  };
}

/**
 * A query's result against the step's bounds: every sample of every series must meet every
 * bound. No series is inconclusive.
 */
export function judgeBySamples(
  check: RenderedCheck,
  series: readonly Series[],
  at: number,
): Judgement {
  const values = series.flatMap((s) => s.samples.map(([, value]) => ({ metric: s.metric, value })));
  const first = values[0];
  if (first === undefined) {
    return {
      passed: false,
      inconclusive: true,
      evidence: `the query returned no data at ${clockTime(at)}`,
    };
  }
  for (const { metric, value } of values) {
    const { failed } = compareBounds(value, check.bounds);
    if (failed.length > 0) {
      const which = values.length > 1 ? ` (${describeSeries(metric)})` : '';
      return {
        passed: false,
        evidence: `${check.name} ${formatNumber(value)} ${failed.join(' and ')}${which} at ${clockTime(at)}`,
      };
    }
  }
  const { held } = compareBounds(first.value, check.bounds);
  if (values.length === 1) {
    return {
      passed: true,
      evidence: `${check.name} ${formatNumber(first.value)} ${held.join(' and ')} at ${clockTime(at)}`,
    };
  }
  const sorted = values.map((v) => v.value).sort((a, b) => a - b);
  return {
    passed: true,
    evidence: `${check.name} ${held.join(' and ')} in all ${values.length} series (${formatNumber(sorted[0] ?? 0)} to ${formatNumber(sorted.at(-1) ?? 0)}) at ${clockTime(at)}`,
  };
}

/** `{pod="web-1"}`: a series' labels, cut to a line. */
function describeSeries(metric: Readonly<Record<string, string>>): string {
  const text = `{${Object.entries(metric)
    .filter(([key]) => key !== '__name__')
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(', ')}}`;
  return text.length > 100 ? `${text.slice(0, 99)}…}` : text;
}
