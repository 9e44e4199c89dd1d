import type { ActionSpec } from './action';

/** Diagnostics: a Job from a template in the policy, with the alert's labels in its environment. */
export const runJobSpec = {
  name: 'run-job',
  description:
    "Runs a diagnostic batch/v1 Job in the target's namespace (the runbook's quick system check or model metrics check): the image and command come from the policy, every alert label is passed as an environment variable `ALERT_LABEL_<NAME>`, the Job is deleted `ttlSecondsAfterFinished` after it ends, and its outcome (succeeded or failed) is recorded in the incident timeline.",
  targetKinds: ['Deployment', 'Pod'],
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['image'],
    properties: {
      image: { type: 'string', minLength: 1, description: 'Container image.' },
      command: {
        type: 'array',
        items: { type: 'string' },
        description: 'Entrypoint (templates allowed).',
      },
      args: {
        type: 'array',
        items: { type: 'string' },
        description: 'Arguments (templates allowed).',
      },
      env: {
        type: 'object',
        additionalProperties: { type: 'string' },
        default: {},
        description: 'Extra environment variables (templates allowed).',
      },
      serviceAccountName: {
        type: 'string',
        minLength: 1,
        description: 'Service account the Job runs as.',
      },
      activeDeadlineSeconds: {
        type: 'integer',
        minimum: 1,
        default: 600,
        description: 'Kill the Job after this long.',
      },
      ttlSecondsAfterFinished: {
        type: 'integer',
        minimum: 0,
        default: 3600,
        description: 'Delete the Job this long after it finished.',
      },
    },
  },
  rbac: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'create'] }],
  example: {
    action: 'run-job',
    params: {
      image: 'curlimages/curl:8.10.1',
      command: ['curl', '-fsS', 'http://{{ labels.service }}.{{ labels.namespace }}/health'],
    },
  },
} as const satisfies ActionSpec;
