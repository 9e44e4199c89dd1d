import type { ActionSpec } from './action';

/** Tell humans: the runbook's status update or resolution notice, to a named sink. */
export const notifySpec = {
  name: 'notify',
  description:
    "Posts a message to a notification sink configured under `sinks:` (a generic JSON webhook or a Slack-compatible incoming webhook), with retries. `template` picks one of the runbook's messages: `status-update` (severity, status, impact, details, next update) or `resolution-notice` (time, duration, impact, root cause, prevention); `text` replaces it with your own template. Needs no Kubernetes target.",
  targetKinds: [],
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
