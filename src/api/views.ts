import { formatSeverity } from '../incidents/severity';
import type { AlertState, Incident } from '../incidents/incident';
import type { IncidentSummary, StoredTimelineEntry } from '../journal/incident-records';
import type { StoredPlan } from '../journal/plan-records';
import type { StoredRemediation } from '../journal/remediation-records';

/** Labels that name what an incident affects (the runbook's "affected components"). */
const COMPONENT_LABELS = ['namespace', 'service', 'deployment', 'pod', 'instance', 'job'] as const;

function iso(ms: number): string;
function iso(ms: number | undefined): string | null;
function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** The JSON shape of an incident in lists. */
export function summaryView(s: IncidentSummary) {
  return {
    id: s.id,
    groupKey: s.groupKey,
    groupLabels: s.groupLabels,
    status: s.status,
    severity: formatSeverity(s.severity),
    openedAt: iso(s.openedAt),
    updatedAt: iso(s.updatedAt),
    resolvedAt: iso(s.resolvedAt),
    alerts: { firing: s.alertsFiring, total: s.alertsTotal },
  };
}

/** The JSON shape of one incident with its alerts, severity reasons and timeline. */
export function incidentView(
  incident: Incident,
  timeline: readonly StoredTimelineEntry[],
  plans: readonly StoredPlan[],
  remediations: readonly StoredRemediation[],
) {
  const alerts = [...incident.alerts.values()];
  return {
    id: incident.id,
    groupKey: incident.groupKey,
    receiver: incident.receiver,
    groupLabels: incident.groupLabels,
    status: incident.status,
    severity: formatSeverity(incident.severity),
    severityReasons: incident.severityReasons,
    openedAt: iso(incident.openedAt),
    updatedAt: iso(incident.updatedAt),
    resolvedAt: iso(incident.resolvedAt),
    durationSeconds:
      incident.resolvedAt === undefined
        ? null
        : Math.round((incident.resolvedAt - incident.openedAt) / 1000),
    heldOpen: incident.holdOpen ?? null,
    affected: affectedComponents(alerts),
    alerts: alerts.map(alertView),
    plans: plans.map((p) => ({
      id: p.id,
      policy: p.policy,
      trigger: p.trigger,
      status: p.status,
      reason: p.reason,
      target: p.target ?? null,
      steps: p.steps,
      alerts: p.alerts,
      dryRun: p.dryRun,
      currentStep: p.currentStep,
      createdAt: iso(p.createdAt),
      updatedAt: iso(p.updatedAt),
      remediations: remediations
        .filter((r) => r.planId === p.id)
        .map((r) => ({
          id: r.id,
          step: r.step,
          action: r.action,
          status: r.status,
          reason: r.reason ?? null,
          summary: r.summary ?? null,
          dryRun: r.dryRun,
          startedAt: iso(r.startedAt),
          finishedAt: iso(r.finishedAt),
          verifyUntil: iso(r.verifyUntil),
          verification: r.verification ?? null,
        })),
    })),
    timeline: timeline.map((e) => ({
      at: iso(e.at),
      kind: e.kind,
      message: e.message,
      ...(e.data === undefined ? {} : { data: e.data }),
    })),
  };
}

/** An incident as `GET /api/v1/incidents/ID` answers it; the API's clients (and tests) use these. */
export type IncidentView = ReturnType<typeof incidentView>;
export type IncidentSummaryView = ReturnType<typeof summaryView>;
export type PlanView = IncidentView['plans'][number];
export type RemediationView = PlanView['remediations'][number];
export type TimelineEntryView = IncidentView['timeline'][number];

function alertView(a: AlertState) {
  return {
    fingerprint: a.fingerprint,
    startsAt: a.startsAt,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    endsAt: a.endsAt,
    generatorURL: a.generatorURL,
    firstSeenAt: iso(a.firstSeenAt),
    resolvedAt: iso(a.resolvedAt),
  };
}

function affectedComponents(alerts: readonly AlertState[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of COMPONENT_LABELS) {
    const values = [
      ...new Set(alerts.map((a) => a.labels[name]).filter((v): v is string => v !== undefined)),
    ];
    if (values.length > 0) out[name] = values.sort();
  }
  return out;
}
