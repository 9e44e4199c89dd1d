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
}
