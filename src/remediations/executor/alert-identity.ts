/**
 * Which labels identify a plan's alerts to Alertmanager: per alert name, the labels all of the
 * plan's alerts of that name share (for one alert, its whole label set, which is what
 * Alertmanager's fingerprint is made of). Verification asks Alertmanager for the alerts these
 * select (a bounded query), and a silence matches them. Pure.
 */
import type { AlertState } from '../../incidents/incident';
import { newMatcher } from '../../labels/matchers';

export interface AlertGroup {
  readonly alertname: string;
  /**
   * The labels every alert of the group has with the same value: only names Alertmanager's
   * classic matcher syntax and silences accept, only non-empty values (an empty one matches any
   * alert without the label).
   */
  readonly labels: Readonly<Record<string, string>>;
  readonly alerts: readonly AlertState[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The alerts by name, each name with the labels its alerts share; in order of first appearance. */
export function groupByName(alerts: readonly AlertState[]): AlertGroup[] {
  const byName = new Map<string, AlertState[]>();
  for (const alert of alerts) {
    const name = alert.labels.alertname ?? '';
    byName.set(name, [...(byName.get(name) ?? []), alert]);
  }
  return [...byName].map(([alertname, members]) => {
    const [first, ...rest] = members;
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(first?.labels ?? {})) {
      if (!LABEL_NAME.test(key) || value === '' || !wellFormed(key + value)) continue;
      if (rest.every((a) => Object.hasOwn(a.labels, key) && a.labels[key] === value))
        labels[key] = value;
    }
    return { alertname, labels, alerts: members };
  });
}

/** `name="value"` filters for Alertmanager's `GET /api/v2/alerts`, values escaped. */
export function filtersOf(group: AlertGroup): string[] {
  return Object.entries(group.labels).map(([key, value]) => newMatcher('=', key, value).toString());
}

/** The labels most telling of what an alert is about, in that order; two at most are shown. */
const TELLING = [
  'deployment',
  'statefulset',
  'daemonset',
  'pod',
  'service',
  'job',
  'instance',
  'namespace',
];

/** `deployment=heart-disease-api`: what the group's alerts are about, in a few words. */
export function describeGroup(group: AlertGroup): string {
  const keys = Object.keys(group.labels).filter((k) => k !== 'alertname' && k !== 'severity');
  const shown = [
    ...TELLING.filter((k) => keys.includes(k)),
    ...keys.filter((k) => !TELLING.includes(k)).sort(),
  ].slice(0, 2);
  const pairs = shown.map((key) => {
    const value = group.labels[key] ?? '';
    const cut = value.length > 60 ? `${value.slice(0, 59)}…` : value;
    return `${key}=${/^[\w.:/-]+$/.test(cut) ? cut : JSON.stringify(cut)}`;
  });
  const name = group.alertname === '' ? 'alerts' : group.alertname;
  return pairs.length === 0 ? name : `${name} for ${pairs.join(', ')}`;
}

/** No lone UTF-16 surrogate: such text has no UTF-8 form to send. */
function wellFormed(text: string): boolean {
  return !/[\uD800-\uDFFF]/.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}
