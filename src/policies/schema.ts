import type { FromSchema } from 'json-schema-to-ts';
import { durationSchema, TARGET_KINDS } from '../remediations/action';
import { ACTION_NAMES, ACTION_SPECS } from '../remediations/index';

/**
 * The policies file's JSON Schema: the single source of truth for validation (ajv, defaults
 * applied, unknown keys rejected), for the TypeScript types below, for the generated editor
 * schema (deploy/k8s/policy.schema.json) and for the reference docs (docs/policies.md).
 * Each action contributes its own `params` schema.
 */

const level = {
  type: 'integer',
  minimum: 1,
  maximum: 4,
  description: 'Severity level: 1 (Sev1, critical) to 4 (Sev4, low).',
} as const;

export const matcherListSchema = {
  type: 'array',
  items: { type: 'string', minLength: 1 },
  description:
    'Alertmanager matchers, all of which must match one alert\'s labels: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"` (regexes match the whole value; an absent label is "").',
  examples: [['alertname=~"HighLatency|HighErrorRate"', 'namespace!="kube-system"']],
} as const;

export const valueConditionSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'A numeric condition on one label or annotation value. Values such as "1.9", "1.9s", "1900ms" (durations in seconds), "95%" (a fraction: 0.95) and "1.2k" are understood. All given bounds must hold.',
  properties: {
    label: { type: 'string', minLength: 1, description: 'Read this label.' },
    annotation: { type: 'string', minLength: 1, description: 'Read this annotation.' },
    above: { type: 'number', description: 'Value > this.' },
    atLeast: { type: 'number', description: 'Value ≥ this.' },
    below: { type: 'number', description: 'Value < this.' },
    atMost: { type: 'number', description: 'Value ≤ this.' },
    equals: { type: 'number', description: 'Value = this.' },
  },
  examples: [{ annotation: 'p99_seconds', above: 1 }],
} as const;

export const severitySchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'How alerts become Sev1–Sev4. Each key given replaces the runbook default for that key. An alert gets the most severe level of the rules it satisfies (or `default`); an incident, the most severe level of its firing alerts and of `multipleAlerts`.',
  properties: {
    rules: {
      type: 'array',
      description: 'Rules, each giving a level to the alerts it matches.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['level'],
        properties: {
          level,
          when: matcherListSchema,
          value: valueConditionSchema,
        },
      },
    },
    multipleAlerts: {
      type: 'object',
      additionalProperties: false,
      required: ['atLeast', 'level'],
      description:
        '"Multiple alerts firing": this many firing alerts in one incident raise it to `level`.',
      properties: {
        atLeast: { type: 'integer', minimum: 2, description: 'Number of firing alerts.' },
        level,
      },
    },
    default: { ...level, description: 'Level of an alert no rule matches.' },
  },
} as const;

export const targetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'namespace', 'name'],
  description:
    'The Kubernetes object the steps act on. `namespace` and `name` are usually templates reading the alert, e.g. `{{ labels.namespace }}`.',
  properties: {
    kind: { enum: TARGET_KINDS, description: 'Kind of the target object.' },
    namespace: { type: 'string', minLength: 1, description: 'Namespace (template allowed).' },
    name: { type: 'string', minLength: 1, description: 'Name (template allowed).' },
  },
  examples: [
    { kind: 'Deployment', namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' },
  ],
} as const;

export const stepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  description:
    'One remediation step. Steps run in order: the next one runs only when the alert is still firing once `verify` has passed.',
  properties: {
    action: { enum: ACTION_NAMES, description: 'The action (see Actions below).' },
    params: {
      type: 'object',
      default: {},
      description: "The action's parameters; strings may be templates.",
    },
    verify: {
      ...durationSchema,
      default: '5m',
      description:
        'How long to wait for the triggering alerts to resolve before judging the step ineffective.',
    },
  },
  allOf: ACTION_SPECS.map((action) => ({
    if: { properties: { action: { const: action.name } }, required: ['action'] },
    then: { properties: { params: action.params } },
  })),
} as const;

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'match', 'steps'],
  description: 'What to do about the alerts it matches.',
  properties: {
    name: {
      type: 'string',
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      maxLength: 63,
      description:
        'Unique name (lower case, digits, dashes): the metric label and the Lease name part.',
    },
    description: { type: 'string', description: 'What the policy is for.' },
    match: { ...matcherListSchema, minItems: 1 },
    value: valueConditionSchema,
    minSeverity: {
      ...level,
      default: 4,
      description:
        'Act only when the incident is this severe or worse (1 = only Sev1; 4 = always).',
    },
    on: {
      type: 'array',
      items: { enum: ['firing', 'resolved'] },
      minItems: 1,
      uniqueItems: true,
      default: ['firing'],
      description:
        'The alert transitions the policy acts on: `firing` (the default), `resolved` (e.g. a resolution notice), or both. A resolved alert never re-runs a firing action.',
    },
    target: targetSchema,
    steps: {
      type: 'array',
      minItems: 1,
      items: stepSchema,
      description: 'The escalation ladder, in order.',
    },
    cooldown: {
      ...durationSchema,
      default: '15m',
      description:
        'After acting on a target, do not act on it again under this policy for this long (shared by all replicas).',
    },
    budget: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'At most `max` attempts on one target per `per`; then escalate to humans.',
      properties: {
        max: { type: 'integer', minimum: 1, default: 3, description: 'Attempts.' },
        per: { ...durationSchema, default: '1h', description: 'Window.' },
      },
    },
    dryRun: {
      type: 'boolean',
      default: false,
      description:
        'Plan and record, change nothing (with credentials, requests go out with dryRun=All).',
    },
    autoResolve: {
      type: 'boolean',
      default: true,
      description:
        'When false (security incidents), an incident this policy acts on stays open after its alerts resolve, until a human resolves it through the API.',
    },
  },
} as const;

export const sinkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  description:
    'Where notifications go. Give the URL in exactly one of `url`, `urlFile` (a mounted Secret) or `urlEnv`: incoming-webhook URLs are secrets.',
  properties: {
    type: {
      enum: ['webhook', 'slack'],
      description:
        '`webhook`: JSON `{title, text, incident, ...}`; `slack`: a Slack-compatible `{text, blocks}`.',
    },
    url: { type: 'string', pattern: '^https?://', description: 'The URL itself.' },
    urlFile: { type: 'string', minLength: 1, description: 'File holding the URL.' },
    urlEnv: { type: 'string', minLength: 1, description: 'Environment variable holding the URL.' },
    timeout: { ...durationSchema, default: '5s', description: 'Timeout of one attempt.' },
  },
} as const;

export const policyFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://remediator.dev/schemas/policies.json',
  title: 'remediator policies file',
  type: 'object',
  additionalProperties: false,
  properties: {
    severity: severitySchema,
    sinks: {
      type: 'object',
      default: {},
      description: 'Notification sinks by name, used by `notify` steps.',
      propertyNames: { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
      additionalProperties: sinkSchema,
    },
    policies: {
      type: 'array',
      default: [],
      items: policySchema,
      description: 'Remediation policies. Every policy that matches an alert acts, in file order.',
    },
  },
} as const;

/** A policies file as validated (defaults filled in). */
export type PolicyFileSpec = FromSchema<typeof policyFileSchema>;
export type PolicySpec = FromSchema<typeof policySchema>;
export type SinkSpec = FromSchema<typeof sinkSchema>;
