import type { IncidentRecords, IncidentSummary } from '../journal/incident-records';
import type { PlanRecords } from '../journal/plan-records';
import type { RemediationRecords } from '../journal/remediation-records';
import { activityOf, LIST_COMPONENT_LABELS, summaryView } from './views';
import type { IncidentSummaryView } from './wire';

/** Where a list row's components and activity are read from. */
export interface SummarySources {
  readonly records: IncidentRecords;
  readonly plans: PlanRecords;
  readonly remediations: RemediationRecords;
  readonly paused: () => boolean;
}

/** Values shown per component label in a list row. */
const VALUES_PER_LABEL = 5;

/**
 * Incidents as lists and live events show them: the stored summary, its components (one query
 * for all of them) and what remediator is doing about each open one (its plans and steps).
 */
export function describeSummaries(
  sources: SummarySources,
  summaries: readonly IncidentSummary[],
): IncidentSummaryView[] {
  const ids = summaries.map((s) => s.id);
  const components = sources.records.labelValues(ids, LIST_COMPONENT_LABELS, VALUES_PER_LABEL);
  const open = summaries.filter((s) => s.status !== 'resolved').map((s) => s.id);
  const escalated = sources.records.escalated(open);
  const paused = sources.paused();
  return summaries.map((s) =>
    summaryView(s, {
      components: components.get(s.id) ?? {},
      activity: activityOf({
        status: s.status,
        holdOpen: s.holdOpen,
        plans: s.status === 'resolved' ? [] : sources.plans.forIncident(s.id),
        remediations: s.status === 'resolved' ? [] : sources.remediations.forIncident(s.id),
        escalated: escalated.has(s.id),
        paused,
      }),
    }),
  );
}
