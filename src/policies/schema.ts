import type { FromSchema } from 'json-schema-to-ts';
import { durationSchema, TARGET_KINDS } from '../remediations/action';
import { ACTION_NAMES, ACTION_SPECS } from '../remediations/index';

/**
 * The policies file's JSON Schema: the single source of truth for validation (ajv, defaults
 * applied, unknown keys rejected), for the TypeScript types below, for the generated editor
 * schema (deploy/k8s/policy.schema.json) and for the reference docs (docs/policies.md).
 * Each action contributes its own `params` schema.
 */

/** Policy, sink and ladder names: they end up in metric labels and Kubernetes object names. */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

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
    action: {
      enum: ACTION_NAMES,
      description: 'The action to run: one of the actions in docs/policies.md.',
    },
    params: {
      type: 'object',
      default: {},
      description:
        'The action\'s parameters. Every string in them is a template (`{{ labels.x }}`); write a literal `{{` as `{{ "{{" }}`.',
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
      pattern: NAME_PATTERN,
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
        'Which alert transitions the policy acts on: `firing` (the default), `resolved` (e.g. to send a resolution notice), or both. A policy that acts on `firing` only does nothing when the alert resolves.',
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
        'Plan and record, change nothing. With Kubernetes credentials the requests are still sent, with `dryRun=All`, so the API server checks permissions and validity without storing anything.',
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
    timeout: {
      ...durationSchema,
      default: '5s',
      description: 'Timeout of one attempt; a failed delivery is tried up to 3 times in all.',
    },
  },
} as const;

export const safetySchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description: 'Limits in front of every change, whatever the policies say.',
  properties: {
    protectedNamespaces: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: ['kube-system'],
      description: 'Namespaces remediator never changes anything in.',
      examples: [['kube-system', 'monitoring']],
    },
    optOutAnnotation: {
      type: 'string',
      minLength: 1,
      default: 'remediator.dev/disabled',
      description: 'A workload with this annotation set to "true" is never changed.',
    },
    blastRadius: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        "At most this many plans that change their target may start acting in one namespace, and in the whole cluster, per window. Counted across replicas through their Leases: a replica counts its own plans at once and the other replicas' within a second.",
      properties: {
        perNamespace: { type: 'integer', minimum: 1, default: 5, description: 'Per namespace.' },
        cluster: { type: 'integer', minimum: 1, default: 20, description: 'In the whole cluster.' },
        window: { ...durationSchema, default: '10m', description: 'The window.' },
      },
    },
    circuitBreaker: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'After `failures` failed or ineffective runs in a row, a policy stops acting for `openFor`; then one trial run decides (half-open).',
      properties: {
        failures: {
          type: 'integer',
          minimum: 1,
          default: 3,
          description: 'Failures in a row that open it.',
        },
        openFor: { ...durationSchema, default: '15m', description: 'How long it stays open.' },
      },
    },
    lockTimeout: {
      ...durationSchema,
      default: '2m',
      description: 'A per-target lock held by a replica that died frees itself after this long.',
    },
  },
} as const;

export const ladderSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'rungs'],
  description:
    'An escalation ladder: who hears about an incident that automation could not fix, and who next while it stays unresolved.',
  properties: {
    name: {
      type: 'string',
      pattern: NAME_PATTERN,
      description: 'Name, e.g. technical or security.',
      examples: ['technical'],
    },
    match: {
      ...matcherListSchema,
      description:
        'Incidents with an alert matching all of these use this ladder; the first matching ladder wins, and a ladder without `match` takes the rest.',
    },
    rungs: {
      type: 'array',
      minItems: 1,
      description: 'In order. A rung is notified once per incident.',
      examples: [
        [
          { who: 'on-call', sink: 'oncall' },
          { who: 'sysadmin', sink: 'sysadmin', after: '30m' },
        ],
      ],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sink'],
        properties: {
          who: {
            type: 'string',
            description: 'Who this is, for messages.',
            examples: ['tech lead'],
          },
          sink: {
            type: 'string',
            minLength: 1,
            description: 'Name of a sink under `sinks:`.',
            examples: ['oncall'],
          },
          after: {
            ...durationSchema,
            default: '0s',
            description:
              'Notify once the incident has been open this long (0s: as soon as automation gives up).',
          },
          minSeverity: {
            ...level,
            default: 4,
            description: 'Only for incidents this severe or worse.',
          },
        },
      },
    },
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
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: sinkSchema,
    },
    safety: safetySchema,
    escalation: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Escalation ladders, by incident kind.',
      properties: {
        ladders: {
          type: 'array',
          default: [],
          items: ladderSchema,
          description:
            'Ladders, tried in order: the first whose `match` fits the incident is used.',
          examples: [
            [
              {
                name: 'security',
                match: ['alertname=~"AuthFailureSpike|DataExfiltrationSuspected"'],
                rungs: [{ who: 'security team', sink: 'security' }],
              },
              { name: 'technical', rungs: [{ who: 'on-call', sink: 'oncall' }] },
            ],
          ],
        },
      },
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
export type SafetySpec = FromSchema<typeof safetySchema>;
