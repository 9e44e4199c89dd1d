import type { Severity } from '../incidents/severity';
import { formatSeverity } from '../incidents/severity';
import type { ApprovalConfig } from './policy';

/** What a plan carries when a human must approve it: how long to wait, and whom to ask. */
export interface PlanApproval {
  readonly timeoutMs: number;
  readonly sinks: readonly string[];
  /** Why approval is asked, for the plan's reason and the request. */
  readonly why: string;
}

/**
 * Whether a policy's plan for an incident of `severity` needs a human's approval, and on what
 * terms. Pure: the policy's `approval` and the severity when the plan is made decide it (a plan
 * made at Sev2 does not start asking if the incident later turns Sev1; the next plan does).
 */
export function approvalFor(
  approval: ApprovalConfig | undefined,
  severity: Severity,
): PlanApproval | undefined {
  if (approval === undefined) return undefined;
  const { minSeverity } = approval;
  if (minSeverity !== undefined && severity > minSeverity) return undefined;
  return {
    timeoutMs: approval.timeoutMs,
    sinks: approval.sinks,
    why:
      minSeverity === undefined
        ? 'the policy always asks for approval'
        : `the incident is ${formatSeverity(severity)} and the policy asks for approval on ${formatSeverity(minSeverity)} or worse`,
  };
}
