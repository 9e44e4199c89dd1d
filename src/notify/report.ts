import type { StoredPlan } from '../journal/plan-records';
import type { StoredRemediation } from '../journal/remediation-records';
import { impactOf, impactSummary, PREVENTION_PENDING, UNDER_INVESTIGATION } from './messages';
import {
  describeLabels,
  formatStatus,
  type Incident,
  type TimelineEntry,
} from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import { formatElapsed } from '../labels/durations';
import { targetText } from '../policies/planner';

/** Everything the post-incident report is made of, as the journal holds it. */
export interface ReportInput {
  readonly incident: Incident;
  readonly timeline: readonly TimelineEntry[];
  readonly plans: readonly StoredPlan[];
  readonly remediations: readonly StoredRemediation[];
  /** For the duration of an incident still open. */
  readonly now: number;
}

/** The post-incident report as JSON (the Markdown is rendered from this). */
export function reportData(input: ReportInput) {
  const { incident } = input;
  const alerts = [...incident.alerts.values()];
  const end = incident.resolvedAt ?? input.now;
  return {
    id: incident.id,
    title: `Incident ${incident.id}: ${describeLabels(incident.groupLabels)}`,
    severity: formatSeverity(incident.severity),
    severityReasons: incident.severityReasons,
    status: formatStatus(incident.status),
    impact: impactOf(alerts),
    impactSummary: impactSummary(incident),
    openedAt: new Date(incident.openedAt).toISOString(),
    resolvedAt:
      incident.resolvedAt === undefined ? null : new Date(incident.resolvedAt).toISOString(),
    duration: formatElapsed(end - incident.openedAt),
    durationSeconds: Math.round((end - incident.openedAt) / 1000),
    rootCause: incident.rootCause ?? null,
    prevention: incident.prevention ?? null,
    alerts: alerts.map((a) => ({
      alertname: a.labels.alertname ?? '',
      fingerprint: a.fingerprint,
      labels: a.labels,
      startsAt: a.startsAt,
      status: a.status,
      resolvedAt: a.resolvedAt === undefined ? null : new Date(a.resolvedAt).toISOString(),
    })),
    actions: input.remediations.map((r) => {
      const plan = input.plans.find((p) => p.id === r.planId);
      return {
        at: new Date(r.startedAt).toISOString(),
        policy: r.policy,
        step: r.step + 1,
        steps: plan?.steps.length ?? r.step + 1,
        action: r.action,
        target: r.target === undefined ? null : targetText(r.target),
        outcome: r.status,
        reason: r.reason ?? null,
        summary: r.summary ?? null,
        dryRun: r.dryRun,
        verification: r.verification ?? (r.verifyUntil === undefined ? null : 'pending'),
      };
    }),
    timeline: input.timeline.map((e) => ({
      at: new Date(e.at).toISOString(),
      kind: e.kind,
      message: e.message,
    })),
  };
}

export type Report = ReturnType<typeof reportData>;

/**
 * Text for the Markdown report, most of it from alerts (labels, annotations, names) and so
 * attacker-controlled: on one line, with HTML's metacharacters as entities (no tag, comment or
 * entity of the sender's survives) and every character that opens a Markdown construct inside a
 * line (emphasis, code, links and images, table cells, strike-through) backslash-escaped. Text is
 * never placed at the start of a line, where `#`, `-` or `1.` would mean something.
 */
export function markdownText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, '\\$&');
}

/** The post-incident document in Markdown: summary, alerts, actions and their outcomes, timeline. */
export function renderReportMarkdown(report: Report): string {
  const cell = (text: string | null): string => markdownText(text ?? '—');
  const lines = [
    `# ${markdownText(report.title)}`,
    '',
    '| | |',
    '|---|---|',
    `| Severity | ${report.severity} (${cell(report.severityReasons.join('; '))}) |`,
    `| Status | ${report.status} |`,
    `| Impact | ${cell(report.impactSummary)} |`,
    `| Opened | ${report.openedAt} |`,
    `| Resolved | ${report.resolvedAt ?? 'not yet'} |`,
    `| Duration | ${report.duration}${report.resolvedAt === null ? ' so far' : ''} |`,
    `| Root cause | ${cell(report.rootCause ?? UNDER_INVESTIGATION)} |`,
    `| Prevention | ${cell(report.prevention ?? PREVENTION_PENDING)} |`,
    '',
    '## Alerts',
    '',
    '| Alert | Fingerprint | Started | Status | Resolved |',
    '|---|---|---|---|---|',
    ...report.alerts.map(
      (a) =>
        `| ${cell(a.alertname)} | ${cell(a.fingerprint)} | ${cell(a.startsAt)} | ${a.status} | ${a.resolvedAt ?? '—'} |`,
    ),
    '',
    '## Actions taken',
    '',
    ...(report.actions.length === 0
      ? ['No remediation ran.']
      : [
          '| Time | Policy | Step | Action | Target | Outcome | Verification | Details |',
          '|---|---|---|---|---|---|---|---|',
          ...report.actions.map(
            (a) =>
              `| ${a.at} | ${cell(a.policy)} | ${a.step}/${a.steps} | ${cell(a.action)} | ${cell(a.target)} | ${a.outcome}${a.reason === null ? '' : ` (${cell(a.reason)})`}${a.dryRun && a.outcome !== 'dry_run' ? ' [dry run]' : ''} | ${a.verification ?? '—'} | ${cell(a.summary)} |`,
          ),
        ]),
    '',
    '## Timeline',
    '',
    ...report.timeline.map((e) => `- ${e.at} ${markdownText(e.message)}`),
    '',
  ];
  return lines.join('\n');
}
