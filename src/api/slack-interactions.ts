import express from 'express';
import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { IncidentStore } from '../journal/incident-store';
import type { Logger } from '../logger';
import { renderApproval } from '../notify/approval-message';
import { escapeSlack, slackBody } from '../notify/sink-bodies';
import type { SlackSignatureVerifier } from '../receivers/slack-signature';
import {
  ApprovalConflictError,
  approvalNotice,
  type AnsweredApproval,
} from '../remediations/executor/approvals';
import type { Executor } from '../remediations/executor/executor';
import { route } from './http';

export const SLACK_INTERACTIONS_PATH = '/slack/interactions';

export interface SlackInteractionDeps {
  executor: Executor;
  store: IncidentStore;
  /** Absent without a signing secret: the route then answers 404 and says what is missing. */
  slack?: SlackSignatureVerifier | undefined;
  clock: Clock;
  logger: Logger;
  /** Where `response_url` is posted; the global fetch by default. */
  fetch?: typeof fetch;
}

/** The parts of Slack's `block_actions` payload used here. */
interface SlackClick {
  readonly verb: 'approve' | 'deny';
  readonly planId: number;
  readonly by: string;
  readonly responseUrl: string;
}

/** Slack's interaction payloads are small; this bounds the work of a forged one. */
const MAX_BODY = '64kb';
const RESPONSE_TIMEOUT_MS = 5_000;

/**
 * `POST /slack/interactions`: Slack's interactivity callback for the Approve and Deny buttons of
 * an approval request. The form body (`payload=<JSON>`) is read raw, its signature checked
 * (receivers/slack-signature.ts) before it is parsed, and Slack is answered at once with an empty
 * 200 (it wants an answer within 3 seconds); the approval or denial then runs, recorded as the
 * Slack user's, and the message is replaced through the payload's `response_url` with the answer
 * (or, for a plan no longer awaiting approval, the reason is posted to the clicker alone).
 */
export function slackInteractionRoutes(app: express.Express, deps: SlackInteractionDeps): void {
  const send = deps.fetch ?? ((input, init) => fetch(input, init));
  route(app, SLACK_INTERACTIONS_PATH, ['POST']).post(
    express.raw({ type: () => true, limit: MAX_BODY }),
    (req, res) => {
      const { slack } = deps;
      if (slack === undefined) {
        res.status(404).json({
          error: 'not_configured',
          message:
            'Slack interactivity is off: set REMEDIATOR_SLACK_SIGNING_SECRET_FILE (or REMEDIATOR_SLACK_SIGNING_SECRET) to the Slack app signing secret',
        });
        return;
      }
      if (!req.is('application/x-www-form-urlencoded')) {
        res.status(415).json({
          error: 'unsupported_media_type',
          message: 'Slack posts interactions as application/x-www-form-urlencoded',
        });
        return;
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const verdict = slack.verify(
        header(req.headers['x-slack-request-timestamp']),
        header(req.headers['x-slack-signature']),
        body,
      );
      if (!verdict.ok) {
        deps.logger.warn('Slack interaction refused', { reason: verdict.message });
        res.status(401).json({ error: 'unauthorized', message: verdict.message });
        return;
      }
      const click = parseClick(body.toString('utf8'));
      if (typeof click === 'string') {
        res.status(400).json({ error: 'invalid_payload', message: click });
        return;
      }
      res.status(200).end();
      void answer(click).catch((err: unknown) => {
        deps.logger.error('answering a Slack interaction failed', {
          plan: click.planId,
          error: describeError(err),
        });
      });
    },
  );

  async function answer(click: SlackClick): Promise<void> {
    let answered: AnsweredApproval;
    try {
      answered =
        click.verb === 'approve'
          ? await deps.executor.approve(click.planId, { by: click.by })
          : await deps.executor.deny(click.planId, { by: click.by });
    } catch (err) {
      if (!(err instanceof ApprovalConflictError)) throw err;
      await respond(click.responseUrl, {
        response_type: 'ephemeral',
        replace_original: false,
        text: escapeSlack(`Not recorded: ${err.message}`),
      });
      return;
    }
    const incident = deps.store.get(answered.plan.incidentId);
    const notice = approvalNotice(answered.plan, answered.outcome);
    if (incident === undefined || notice === undefined) return;
    const now = deps.clock.now().getTime();
    const message = renderApproval(notice, incident, now, '');
    const reply = slackBody(
      {
        sink: 'slack',
        template: 'approval',
        incident,
        reason: `approval of plan #${notice.planId} (policy ${notice.policy})`,
        approval: notice,
      },
      message,
    );
    await respond(click.responseUrl, { ...reply, replace_original: true });
  }

  async function respond(url: string, body: object): Promise<void> {
    const res = await send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
      redirect: 'manual',
    });
    // The URL is a secret of sorts (it posts into the channel): only the status is logged.
    if (!res.ok) deps.logger.warn('Slack response_url refused the update', { status: res.status });
    await res.body?.cancel();
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Slack's `block_actions` payload, as far as an Approve or Deny click goes: the clicking user,
 * the button (`action_id` approve or deny, `value` the plan id) and the `response_url`, which
 * must be an https URL on Slack's own domains. The message of a 400 otherwise.
 */
export function parseClick(form: string): SlackClick | string {
  const raw = new URLSearchParams(form).get('payload');
  if (raw === null) return 'the form has no payload field';
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return 'payload is not JSON';
  }
  if (!isRecord(payload) || payload.type !== 'block_actions')
    return 'only block_actions payloads (button clicks) are handled';
  const { user, actions, response_url: responseUrl } = payload;
  if (!isRecord(user) || typeof user.id !== 'string' || !/^[A-Z0-9]{1,32}$/.test(user.id))
    return 'payload.user.id is missing or not a Slack user id';
  const action = Array.isArray(actions) ? (actions[0] as unknown) : undefined;
  if (!isRecord(action) || (action.action_id !== 'approve' && action.action_id !== 'deny'))
    return 'payload.actions[0].action_id must be approve or deny';
  const planId = typeof action.value === 'string' ? Number(action.value) : Number.NaN;
  if (!/^\d{1,15}$/.test(String(action.value)) || !Number.isSafeInteger(planId) || planId < 1)
    return 'payload.actions[0].value must be a plan id';
  if (typeof responseUrl !== 'string' || !isSlackUrl(responseUrl))
    return 'payload.response_url must be an https URL on slack.com';
  const name = isRecord(user) && typeof user.username === 'string' ? user.username : '';
  // Names are the user's to choose: kept printable and short, the id is what identifies them.
  // eslint-disable-next-line no-control-regex
  const shown = name.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 64);
  return {
    verb: action.action_id,
    planId,
    by: `slack:${shown === '' ? user.id : `${shown} (${user.id})`}`,
    responseUrl,
  };
}

function isSlackUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  const host = url.hostname;
  return (
    url.protocol === 'https:' &&
    url.username === '' &&
    url.password === '' &&
    (host === 'slack.com' || host.endsWith('.slack.com') || host.endsWith('.slack-gov.com'))
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
