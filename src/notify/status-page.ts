import { formatStatus, type AlertState, type Incident } from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import { matchesLabels } from '../labels/matchers';
import type { StatusPageConfig } from '../policies/policy';
import { impactOf, type Impact } from './messages';

/**
 * The public status page, as the runbook's communication step describes it: each component's
 * status and each open incident's public summary. Pure. What it shows of an incident is chosen
 * here, on purpose narrow: the component names of the policies file, the severity, the runbook's
 * status and impact class, times, and the values of the annotations the policies mark public.
 * No label, alert name, group key or timeline entry reaches it.
 */

export type ComponentStatus = 'operational' | 'degraded' | 'outage';

export interface StatusPage {
  readonly title: string;
  readonly status: ComponentStatus;
  readonly components: readonly { readonly name: string; readonly status: ComponentStatus }[];
  readonly incidents: readonly PublicIncident[];
}

export interface PublicIncident {
  readonly id: number;
  readonly title: string;
  readonly severity: ReturnType<typeof formatSeverity>;
  readonly status: string;
  readonly impact: Impact;
  readonly components: readonly string[];
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly notes: readonly string[];
}

/** Components named per incident from a label, and notes shown per incident: both bounded. */
const MAX_DERIVED = 20;
const MAX_NOTES = 5;
const MAX_NOTE_LENGTH = 500;

const RANK: Readonly<Record<ComponentStatus, number>> = { operational: 0, degraded: 1, outage: 2 };

function worse(a: ComponentStatus, b: ComponentStatus): ComponentStatus {
  return RANK[b] > RANK[a] ? b : a;
}

/** The firing alerts, or all of them once none fires (an incident held open for a human). */
function relevantAlerts(incident: Incident): AlertState[] {
  const alerts = [...incident.alerts.values()];
  const firing = alerts.filter((a) => a.status === 'firing');
  return firing.length > 0 ? firing : alerts;
}

/** The status page for the open incidents given (resolved ones are ignored). */
export function statusPage(config: StatusPageConfig, incidents: readonly Incident[]): StatusPage {
  const status = new Map<string, ComponentStatus>(
    config.components.map((c) => [c.name, 'operational']),
  );
  const shown: PublicIncident[] = [];
  const open = incidents
    .filter((i) => i.status !== 'resolved')
    .sort((a, b) => a.severity - b.severity || b.openedAt - a.openedAt);
  for (const incident of open) {
    const alerts = relevantAlerts(incident);
    const components =
      config.components.length > 0
        ? config.components
            .filter((c) => alerts.some((a) => matchesLabels(c.match, a.labels)))
            .map((c) => c.name)
        : [
            ...new Set(
              alerts
                .map((a) => a.labels[config.componentLabel] ?? '')
                .filter((v) => v.trim() !== ''),
            ),
          ]
            .sort()
            .slice(0, MAX_DERIVED);
    if (components.length === 0) continue;
    const level: ComponentStatus =
      incident.severity <= config.outageSeverity ? 'outage' : 'degraded';
    for (const name of components)
      status.set(name, worse(status.get(name) ?? 'operational', level));
    const impact = impactOf([...incident.alerts.values()]);
    shown.push({
      id: incident.id,
      title: `${impact === 'Service' ? 'Service disruption' : `${impact} issue`} affecting ${components.join(', ')}`,
      severity: formatSeverity(incident.severity),
      status: formatStatus(incident.status),
      impact,
      components,
      startedAt: incident.openedAt,
      updatedAt: incident.updatedAt,
      notes: publicNotes(config.publicAnnotations, alerts),
    });
  }
  const list = [...status].map(([name, s]) => ({ name, status: s }));
  return {
    title: config.title,
    status: list.reduce<ComponentStatus>((acc, c) => worse(acc, c.status), 'operational'),
    components:
      config.components.length > 0 ? list : list.sort((a, b) => (a.name < b.name ? -1 : 1)),
    incidents: shown,
  };
}

function publicNotes(names: readonly string[], alerts: readonly AlertState[]): string[] {
  const notes = new Set<string>();
  for (const name of names) {
    for (const alert of alerts) {
      const value = alert.annotations[name]?.trim();
      if (value !== undefined && value !== '') notes.add(value.slice(0, MAX_NOTE_LENGTH));
      if (notes.size >= MAX_NOTES) return [...notes];
    }
  }
  return [...notes];
}
