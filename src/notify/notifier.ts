/**
 * notify/: telling humans. The runbook's messages (messages.ts), the sinks that deliver them
 * (sinks.ts: Slack-compatible and generic webhooks, with retries) and the post-incident report
 * (report.ts). Imports incidents/, policies/ (sink specs) and journal/ (stored plans and steps).
 */
import type { Incident } from '../incidents/incident';
import type { ApprovalState } from '../journal/plan-records';

/** The runbook's two messages, and approval requests with their answers. */
export type MessageTemplate = 'status-update' | 'resolution-notice' | 'approval';

export interface Notification {
  readonly sink: string;
  readonly template: MessageTemplate;
  /** A rendered custom text replacing the template's body, if the policy gave one. */
  readonly text?: string;
  readonly incident: Incident;
  /** Why it is sent, e.g. `policy scale-out, step 2` or `escalation: budget exhausted`. */
  readonly reason: string;
  /** When the next update is due (status updates), if known. */
  readonly nextUpdate?: Date;
  /**
   * Sent for a dry run (the server's or a policy's): the message says so, since on-call reads it
   * as what remediator would have done, not what it did.
   */
  readonly dryRun?: boolean;
  /** With the `approval` template: the request or its answer. */
  readonly approval?: ApprovalNotice;
}

export interface DeliveryResult {
  readonly sink: string;
  readonly attempts: number;
  readonly status: number;
}

/**
 * Sends notifications to the sinks configured under `sinks:`. Rejects with a reason when a sink
 * is unknown, has no URL, or keeps failing after its retries; never blocks a remediation for
 * longer than its timeouts allow.
 */
export interface Notifier {
  send(notification: Notification): Promise<DeliveryResult>;
  /**
   * A notification a dry run keeps back (`--dry-run-notify=false`, or an escalation): nothing
   * leaves, and it is counted like a sent one, as `result="dry_run"`.
   */
  withhold(notification: Notification): void;
}

/**
 * An approval request, or what became of it, as the sinks are told. Pure: every value is read
 * from the journal; the rendering takes `now` from its caller.
 */
export interface ApprovalNotice {
  readonly planId: number;
  readonly policy: string;
  readonly state: ApprovalState;
  /** The exact change the first writing step would make, as its action worded it. */
  readonly change: string;
  /** The plan's steps, one line each (`scale {by: 2}`). */
  readonly steps: readonly string[];
  /** Why approval is asked (the policy's rule and the severity). */
  readonly why: string;
  readonly deadline: number;
  readonly by?: string;
  readonly comment?: string;
  /** After an approval: what the step did once the gates were checked again. */
  readonly outcome?: string;
}
