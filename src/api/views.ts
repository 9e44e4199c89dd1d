import { formatSeverity } from '../incidents/severity';
import type { AlertState, Incident, IncidentStatus } from '../incidents/incident';
import type { IncidentSummary, StoredTimelineEntry } from '../journal/incident-records';
import type { ApprovalRecord, StoredPlan } from '../journal/plan-records';
import type { StoredRemediation } from '../journal/remediation-records';
import type { TimelineEntry } from '../incidents/incident';
import { alertmanagerLinks, httpUrl } from './links';
import type {
  ActivityView,
  AlertView,
  ApprovalRecordView,
  ApprovalView,
  ComponentsView,
  IncidentSummaryView,
  IncidentView,
  PlanView,
  TargetView,
  TimelineEntryView,
} from './wire';
import { targetText, type PlannedTarget } from '../policies/planner';
import { describeAlerts } from '../notify/messages';

export type {
  IncidentSummaryView,
  IncidentView,
  PlanView,
  RemediationView,
  TimelineEntryView,
} from './wire';

/** Labels that name what an incident affects (the runbook's "affected components"). */
export const COMPONENT_LABELS = [
  'namespace',
  'service',
  'deployment',
  'pod',
  'instance',
  'job',
] as const;
/** In lists, only these: pods and instances come and go, and would crowd the row. */
export const LIST_COMPONENT_LABELS = ['namespace', 'service', 'deployment'] as const;

function iso(ms: number): string;
function iso(ms: number | undefined): string | null;
function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** What the list and live events show besides the stored summary. */
export interface SummaryExtras {
  readonly components: ComponentsView;
  readonly activity: ActivityView;
}

/** The JSON shape of an incident in lists and live events. */
export function summaryView(s: IncidentSummary, extras: SummaryExtras): IncidentSummaryView {
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
    components: extras.components,
    activity: extras.activity,
  };
}

/** Everything the activity of an incident is read from. */
export interface ActivityInput {
  readonly status: IncidentStatus;
  readonly holdOpen?: string | undefined;
  readonly plans: readonly StoredPlan[];
  readonly remediations: readonly StoredRemediation[];
  /** Whether automation handed the incident to humans (an `escalated` timeline entry). */
  readonly escalated: boolean;
  /** The global pause. */
  readonly paused: boolean;
}

/**
 * What remediator is doing about an incident now, the most pressing first. Pure. A plan awaiting
 * a human's approval comes after `verifying`: nothing else moves until someone answers.
 */
export function activityOf(input: ActivityInput): ActivityView {
  const none = { until: null };
  if (input.status === 'resolved') return { kind: 'resolved', text: 'Resolved', ...none };
  const planOf = (r: StoredRemediation) => input.plans.find((p) => p.id === r.planId);
  const stepText = (r: StoredRemediation) => {
    const plan = planOf(r);
    const target = plan?.target ? ` on ${targetText(plan.target)}` : '';
    return `step ${r.step + 1}/${plan?.steps.length ?? r.step + 1} ${r.action}${target} (policy ${r.policy})`;
  };
  const inFlight = input.remediations.filter((r) => r.status === 'intent').at(-1);
  if (inFlight !== undefined)
    return { kind: 'running', text: `Running ${stepText(inFlight)}`, ...none };
  const verifying = input.remediations
    .filter(
      (r) =>
        r.verifyUntil !== undefined &&
        r.verification === undefined &&
        (r.status === 'applied' || r.status === 'dry_run'),
    )
    .at(-1);
  if (verifying?.verifyUntil !== undefined) {
    const until = iso(verifying.verifyUntil);
    return {
      kind: 'verifying',
      text: `Verifying ${stepText(verifying)} until ${until.slice(11, 19)} UTC`,
      until,
    };
  }
  const awaiting = input.plans.filter((p) => p.status === 'awaiting_approval').at(-1);
  if (awaiting?.approvalRecord !== undefined) {
    const until = iso(awaiting.approvalRecord.deadline);
    return {
      kind: 'awaiting_approval',
      text: `Awaiting approval: plan #${awaiting.id} (policy ${awaiting.policy}) until ${until.slice(11, 19)} UTC`,
      until,
    };
  }
  const waiting = input.plans.filter((p) => p.status === 'planned' || p.status === 'running');
  const pausedPlans = input.plans.filter(
    (p) =>
      p.status === 'skipped' &&
      input.remediations.some((r) => r.planId === p.id && r.reason === 'paused'),
  );
  if (input.paused && (waiting.length > 0 || pausedPlans.length > 0)) {
    const names = [...waiting, ...pausedPlans].map((p) => p.policy);
    return {
      kind: 'paused',
      text: `Remediation paused: ${[...new Set(names)].join(', ')} will run on resume`,
      ...none,
    };
  }
  const next = waiting.at(-1);
  if (next !== undefined) {
    const step = next.steps[next.currentStep];
    return {
      kind: 'planned',
      text: `Planned: step ${next.currentStep + 1}/${next.steps.length} ${step?.action ?? ''} (policy ${next.policy})`,
      ...none,
    };
  }
  if (input.escalated) return { kind: 'escalated', text: 'Escalated to humans', ...none };
  if (input.holdOpen !== undefined)
    return { kind: 'held_open', text: 'Waiting for a human to resolve it', ...none };
  const acted = input.plans.some((p) => p.steps.length > 0);
  return {
    kind: 'watching',
    text: acted ? 'Watching its alerts' : 'No policy acts on it: watching its alerts',
    ...none,
  };
}

/** Who or what wrote a timeline entry: the `by` of a human's write, else by its kind. */
export function actorOf(entry: Pick<TimelineEntry, 'kind' | 'data'>): string {
  const by = entry.data?.by;
  if (typeof by === 'string' && by !== '') return by;
  switch (entry.kind) {
    case 'opened':
    case 'alerts_firing':
    case 'alerts_resolved':
      return 'Alertmanager';
    case 'narrative':
      return 'a human';
    default:
      return 'remediator';
  }
}

export function timelineEntryView(e: TimelineEntry): TimelineEntryView {
  return {
    at: iso(e.at),
    kind: e.kind,
    message: e.message,
    actor: actorOf(e),
    ...(e.data === undefined ? {} : { data: e.data }),
  };
}

/** The JSON shape of one incident with its alerts, severity reasons, plans and timeline. */
export function incidentView(
  incident: Incident,
  timeline: readonly StoredTimelineEntry[],
  plans: readonly StoredPlan[],
  remediations: readonly StoredRemediation[],
  paused: boolean,
): IncidentView {
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
    rootCause: incident.rootCause ?? null,
    prevention: incident.prevention ?? null,
    affected: affectedComponents(alerts, COMPONENT_LABELS),
    activity: activityOf({
      status: incident.status,
      holdOpen: incident.holdOpen,
      plans,
      remediations,
      escalated: timeline.some((e) => e.kind === 'escalated'),
      paused,
    }),
    alertmanager: alertmanagerLinks(incident.externalURL, incident.groupLabels),
    alerts: alerts.map(alertView),
    plans: plans.map((p) => planView(p, remediations)),
    timeline: timeline.map(timelineEntryView),
  };
}

function planView(p: StoredPlan, remediations: readonly StoredRemediation[]): PlanView {
  return {
    id: p.id,
    policy: p.policy,
    trigger: p.trigger,
    status: p.status,
    reason: p.reason,
    target: p.target === undefined ? null : targetView(p.target),
    steps: p.steps,
    alerts: p.alerts,
    dryRun: p.dryRun,
    currentStep: p.currentStep,
    approval: p.approvalRecord === undefined ? null : approvalRecordView(p.approvalRecord),
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
        intent: r.intent ?? null,
        result: r.result ?? null,
        dryRun: r.dryRun,
        startedAt: iso(r.startedAt),
        finishedAt: iso(r.finishedAt),
        verifyUntil: iso(r.verifyUntil),
        verification: r.verification ?? null,
      })),
  };
}

export function approvalRecordView(r: ApprovalRecord): ApprovalRecordView {
  return {
    state: r.state,
    step: r.step,
    change: r.change,
    requestedAt: iso(r.requestedAt),
    deadline: iso(r.deadline),
    by: r.by ?? null,
    at: iso(r.at),
    comment: r.comment ?? null,
  };
}

/** A plan awaiting approval with what a human decides on: the change, its incident, and why. */
export function approvalView(plan: StoredPlan, incident: Incident): ApprovalView | undefined {
  const record = plan.approvalRecord;
  if (record === undefined) return undefined;
  return {
    plan: plan.id,
    incident: incident.id,
    policy: plan.policy,
    severity: formatSeverity(incident.severity),
    severityReasons: incident.severityReasons,
    alerts: describeAlerts([...incident.alerts.values()]),
    target: plan.target === undefined ? null : targetView(plan.target),
    action: plan.steps[record.step]?.action ?? '',
    steps: plan.steps,
    why: plan.approval?.why ?? '',
    dryRun: plan.dryRun,
    approval: approvalRecordView(record),
  };
}

function alertView(a: AlertState): AlertView {
  return {
    fingerprint: a.fingerprint,
    startsAt: a.startsAt,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    endsAt: a.endsAt,
    generatorURL: a.generatorURL,
    prometheusURL: httpUrl(a.generatorURL),
    firstSeenAt: iso(a.firstSeenAt),
    resolvedAt: iso(a.resolvedAt),
  };
}

/** Label name → the sorted values the alerts give it, for the labels asked for. */
export function affectedComponents(
  alerts: readonly Pick<AlertState, 'labels'>[],
  labels: readonly string[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of labels) {
    const values = [
      ...new Set(alerts.map((a) => a.labels[name]).filter((v): v is string => v !== undefined)),
    ];
    if (values.length > 0) out[name] = values.sort();
  }
  return out;
}

/** A plan's target for the API and the console: its parts and, always, the words for it. */
export function targetView(target: PlannedTarget): TargetView {
  return {
    kind: target.kind,
    namespace: target.namespace,
    ...('name' in target ? { name: target.name } : {}),
    ...(target.from === undefined
      ? {}
      : { from: { kind: target.from.kind, name: target.from.name } }),
    text: targetText(target),
  };
}
