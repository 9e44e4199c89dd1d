import { formatSeverity } from '../incidents/severity';
import type { RenderedMessage } from './messages';
import type { Notification } from './notifier';

/**
 * The JSON bodies the two sink types receive. Pure: the message is rendered by `renderMessage`;
 * these only shape it for the receiver.
 */

/** The body a `webhook` sink receives. */
export interface WebhookBody {
  readonly title: string;
  readonly text: string;
  readonly severity: string;
  readonly status: string;
  readonly template: string;
  readonly reason: string;
  readonly fields: readonly { readonly label: string; readonly value: string }[];
  readonly incident: {
    readonly id: number;
    readonly groupKey: string;
    readonly status: string;
    readonly severity: string;
    readonly openedAt: string;
    readonly resolvedAt: string | null;
  };
}

/** A Slack Block Kit block, as far as these messages use it. */
export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text?: SlackText; readonly fields?: readonly SlackText[] }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] }
  | {
      readonly type: 'actions';
      readonly block_id: string;
      readonly elements: readonly SlackButton[];
    };

/** A Block Kit button; Slack posts its `action_id` and `value` to the interactivity URL. */
export interface SlackButton {
  readonly type: 'button';
  readonly action_id: 'approve' | 'deny';
  readonly text: SlackText;
  readonly value: string;
  readonly style: 'primary' | 'danger';
}

/** The block of an approval request's buttons, as `POST /slack/interactions` reads it back. */
export const APPROVAL_BLOCK_ID = 'remediator-approval';

export interface SlackText {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
}

/** The body a `slack` sink receives: `text` alone is the complete message. */
export interface SlackBody {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
  /** Through a `response_url`: the answer replaces the message it answers (its buttons go). */
  readonly replace_original?: boolean;
}

// Slack's documented limits; longer texts make it reject the whole message (invalid_blocks).
const SLACK_HEADER_MAX = 150;
const SLACK_FIELD_MAX = 2000;
const SLACK_SECTION_MAX = 3000;
const SLACK_TEXT_MAX = 40_000;

/** `{title, text, severity, status, template, reason, fields, incident: {...}}`. */
export function webhookBody(notification: Notification, message: RenderedMessage): WebhookBody {
  const { incident } = notification;
  const severity = formatSeverity(incident.severity);
  return {
    title: message.title,
    text: message.text,
    severity,
    status: incident.status,
    template: notification.template,
    reason: notification.reason,
    fields: message.fields,
    incident: {
      id: incident.id,
      groupKey: incident.groupKey,
      status: incident.status,
      severity,
      openedAt: new Date(incident.openedAt).toISOString(),
      resolvedAt:
        incident.resolvedAt === undefined ? null : new Date(incident.resolvedAt).toISOString(),
    },
  };
}

/**
 * A Slack-compatible body: a header with the title, a section with one field per line of the
 * template (or the custom text), and a context line with the incident and the reason.
 */
export function slackBody(notification: Notification, message: RenderedMessage): SlackBody {
  const body =
    message.fields.length > 0
      ? {
          type: 'section' as const,
          fields: message.fields.map((f) =>
            mrkdwn(`*${f.label}*\n${escapeSlack(f.value)}`, SLACK_FIELD_MAX),
          ),
        }
      : {
          type: 'section' as const,
          text: mrkdwn(
            escapeSlack(message.text.slice(message.title.length).trim()),
            SLACK_SECTION_MAX,
          ),
        };
  const approval = notification.approval;
  const buttons: SlackBlock[] =
    approval?.state === 'pending'
      ? [
          {
            type: 'actions',
            block_id: APPROVAL_BLOCK_ID,
            elements: [
              button('approve', 'Approve', 'primary', approval.planId),
              button('deny', 'Deny', 'danger', approval.planId),
            ],
          },
        ]
      : [];
  return {
    text: clip(escapeSlack(message.text), SLACK_TEXT_MAX),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(message.title, SLACK_HEADER_MAX) } },
      body,
      {
        type: 'context',
        elements: [
          mrkdwn(
            escapeSlack(`Incident #${notification.incident.id} · ${notification.reason}`),
            SLACK_SECTION_MAX,
          ),
        ],
      },
      ...buttons,
    ],
  };
}

function button(
  id: SlackButton['action_id'],
  label: string,
  style: SlackButton['style'],
  planId: number,
): SlackButton {
  return {
    type: 'button',
    action_id: id,
    text: { type: 'plain_text', text: label },
    value: String(planId),
    style,
  };
}

/** Slack reads `&`, `<` and `>` as markup (links, mentions); these three must be escaped. */
export function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mrkdwn(text: string, max: number): SlackText {
  return { type: 'mrkdwn', text: clip(text === '' ? ' ' : text, max) };
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
