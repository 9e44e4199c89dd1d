import type { FromSchema } from 'json-schema-to-ts';
import type { MessageTemplate } from '../../notify/notifier';
import type { ActionSpec } from '../../policies/action-spec';
import type { Action, ActionContext, ActionDecision, ActionResult } from '../action';

/** Tell humans: the runbook's status update or resolution notice, to a named sink. */
const notifySpec = {
  name: 'notify',
  description:
    "Posts a message to a notification sink configured under `sinks:` (a generic JSON webhook or a Slack-compatible incoming webhook), with retries. `template` picks one of the runbook's messages: `status-update` (severity, status, impact, details, next update) or `resolution-notice` (time, duration, impact, root cause, prevention); `text` replaces it with your own template. Needs no Kubernetes target. A notification changes no cluster, so in a dry run (the server's or the policy's) it is still sent, its title marked `[Dry run: nothing was changed]`, unless remediator runs with `--dry-run-notify=false`.",
  targetKinds: [],
  remediates: false,
  runsInDryRun: true,
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['sink'],
    properties: {
      sink: { type: 'string', minLength: 1, description: 'Name of a sink under `sinks:`.' },
      template: {
        enum: ['status-update', 'resolution-notice'],
        default: 'status-update',
        description: 'Which runbook message to send.',
      },
      text: {
        type: 'string',
        minLength: 1,
        description: "Your own message (a template), instead of the runbook's.",
      },
    },
  },
  rbac: [],
  example: { action: 'notify', params: { sink: 'oncall', template: 'status-update' } },
} as const satisfies ActionSpec;

export type NotifyParams = FromSchema<
  typeof notifySpec.params,
  { keepDefaultedPropertiesOptional: true }
>;

/** What `apply()` needs; journaled before the send. */
export interface NotifyIntent {
  readonly sink: string;
  readonly template: MessageTemplate;
  readonly text?: string;
}

function plan(ctx: ActionContext): Promise<ActionDecision> {
  const params = ctx.params as NotifyParams;
  const intent: NotifyIntent = {
    sink: params.sink,
    template: params.template ?? notifySpec.params.properties.template.default,
    ...(params.text === undefined ? {} : { text: params.text }),
  };
  const what = intent.text === undefined ? intent.template : 'custom text';
  return Promise.resolve({
    kind: 'act',
    summary: `notify ${intent.sink} (${what})`,
    intent: { ...intent },
  });
}

async function apply(
  ctx: ActionContext,
  raw: Readonly<Record<string, unknown>>,
): Promise<ActionResult> {
  const intent = raw as unknown as NotifyIntent;
  const notification = {
    sink: intent.sink,
    template: intent.template,
    ...(intent.text === undefined ? {} : { text: intent.text }),
    incident: ctx.incident,
    reason: `policy ${ctx.policy}`,
    ...(ctx.dryRunPlan ? { dryRun: true } : {}),
  };
  // Kept back only when asked to (`--dry-run-notify=false`); counted all the same.
  if (ctx.dryRun) {
    ctx.notifier.withhold(notification);
    return { summary: `would notify ${intent.sink} (not sent: --dry-run-notify=false)` };
  }
  const delivery = await ctx.notifier.send(notification);
  const attempts = delivery.attempts === 1 ? '1 attempt' : `${delivery.attempts} attempts`;
  const marked = ctx.dryRunPlan ? ', marked as a dry run' : '';
  return {
    summary: `notified ${intent.sink} (HTTP ${delivery.status}, ${attempts}${marked})`,
    data: { status: delivery.status, attempts: delivery.attempts },
  };
}

/**
 * Always `not_done`: whether a message reached its sink cannot be read back, and after a crash a
 * notice sent twice is better than one lost.
 */
function reconcile(): Promise<'done' | 'not_done' | 'unknown'> {
  return Promise.resolve('not_done');
}

/** The `notify` action: no Kubernetes target. */
export const notify: Action = { ...notifySpec, plan, apply, reconcile };
