/**
 * notify/: telling humans. The runbook's messages (messages.ts), the sinks that deliver them
 * (sinks.ts: Slack-compatible and generic webhooks, with retries) and the post-incident report
 * (report.ts). Imports incidents/, policies/ (sink specs) and journal/ (stored plans and steps).
 */
import type { Incident } from '../incidents/incident';

/** The runbook's two messages. */
export type MessageTemplate = 'status-update' | 'resolution-notice';

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
