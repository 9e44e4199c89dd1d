/**
 * The policies file's JSON Schema: the single source of truth for validation (ajv, defaults
 * applied, unknown keys rejected), for the generated editor schema and for the reference docs.
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

export const policyFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://remediator.dev/schemas/policies.json',
  title: 'remediator policies file',
  type: 'object',
  additionalProperties: false,
  properties: {
    severity: severitySchema,
  },
} as const;
