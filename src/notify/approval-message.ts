import type { Incident } from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import type { ApprovalState } from '../journal/plan-records';
import { describeAlerts, type MessageField, type RenderedMessage } from './messages';
import type { ApprovalNotice } from './notifier';

export type { ApprovalNotice } from './notifier';

const HEADLINES: Record<ApprovalState, string> = {
  pending: 'Approval needed',
  approved: 'Approved',
  denied: 'Denied',
  timed_out: 'Approval timed out',
  withdrawn: 'Approval request withdrawn',
};

const MAX_FIELD = 600;

/**
 * The request: the change, the steps, why (alerts, severity and its reasons, the policy's rule),
 * the deadline and how to answer. Its answer: who, when, the comment and what followed.
 */
export function renderApproval(
  notice: ApprovalNotice,
  incident: Incident,
  nowMs: number,
  dryRunMark: string,
): RenderedMessage {
  const title = `${dryRunMark}[${formatSeverity(incident.severity)}] ${HEADLINES[notice.state]}: plan #${notice.planId} (policy ${notice.policy})`;
  const fields: MessageField[] = [{ label: 'Change', value: clip(notice.change) }];
  if (notice.state === 'pending') {
    const alerts = [...incident.alerts.values()];
    const reasons = incident.severityReasons.join('; ');
    fields.push(
      { label: 'Steps', value: clip(notice.steps.map((s, i) => `${i + 1}. ${s}`).join('\n')) },
      {
        label: 'Why',
        value: clip(
          `${describeAlerts(alerts)}; ${formatSeverity(incident.severity)}${reasons === '' ? '' : ` (${reasons})`}; ${notice.why}`,
        ),
      },
      {
        label: 'Decide by',
        value: `${formatTime(notice.deadline, nowMs)} (no answer by then denies it and escalates)`,
      },
      {
        label: 'How to approve',
        value: `remediator approve ${notice.planId} --by NAME (or deny), POST /api/v1/plans/${notice.planId}/approve or /deny with {"by":"NAME","comment":"..."}, or the console's Approvals page`,
      },
    );
  } else {
    if (notice.by !== undefined) fields.push({ label: 'By', value: notice.by });
    if (notice.comment !== undefined && notice.comment !== '')
      fields.push({ label: 'Comment', value: clip(notice.comment) });
    const next: Record<Exclude<ApprovalState, 'pending'>, string> = {
      approved: notice.outcome ?? 'the step runs now, behind every safety gate',
      denied: 'nothing was changed; the incident is escalated',
      timed_out: 'nobody answered in time: nothing was changed; the incident is escalated',
      withdrawn: "the plan's alerts resolved while it waited: nothing was changed",
    };
    fields.push({ label: 'Outcome', value: clip(next[notice.state]) });
  }
  const text = [title, ...fields.map((f) => `${f.label}: ${f.value}`)].join('\n');
  return { title, text, fields };
}

/** `14:30 UTC`, or with its date when not today (UTC). */
function formatTime(at: number, nowMs: number): string {
  const iso = new Date(at).toISOString();
  const sameDay = new Date(nowMs).toISOString().slice(0, 10) === iso.slice(0, 10);
  return sameDay ? `${iso.slice(11, 16)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function clip(s: string): string {
  return s.length <= MAX_FIELD ? s : `${s.slice(0, MAX_FIELD - 1)}…`;
}
