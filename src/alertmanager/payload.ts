/**
 * alertmanager/: the webhook payload Alertmanager sends (version 4): its types, its JSON Schema
 * and the check every stage relies on, plus builders of payloads for `remediator test`. Shared
 * vocabulary: it imports nothing of remediator's, and receivers, incidents, policies and the CLI
 * all import it (docs/architecture.md).
 */
import Ajv, { type ErrorObject } from 'ajv';

/** One alert as Alertmanager's webhook (version 4) sends it. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339 with 0 to 9 fraction digits; kept as sent, it is half of the alert instance's identity. */
  startsAt: string;
  /** `0001-01-01T00:00:00Z` while firing. */
  endsAt: string;
  generatorURL: string;
  /** 16 hex digits, stable for a label set. */
  fingerprint: string;
}

/** Alertmanager's webhook body, version 4. Unknown fields are accepted and ignored. */
export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  /** `firing` when any alert of the group fires: branch on each alert's own status instead. */
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

const stringMap = { type: 'object', additionalProperties: { type: 'string' }, default: {} };
/**
 * RFC 3339, as Alertmanager writes times (0 to 9 fraction digits). A pattern, not ajv-formats'
 * `date-time`: the same answer for what Alertmanager sends, at a fraction of the cost per alert.
 */
export const RFC3339_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$';
const status = { enum: ['firing', 'resolved'] };

/**
 * Strict on what remediator relies on, tolerant of everything else: unknown fields pass, optional
 * fields Alertmanager always sends get defaults so that hand-written payloads work too.
 */
export const webhookPayloadSchema = {
  $id: 'https://remediator.dev/schemas/alertmanager-webhook-v4.json',
  type: 'object',
  required: ['version', 'groupKey', 'status', 'alerts'],
  properties: {
    version: { const: '4' },
    groupKey: { type: 'string', minLength: 1 },
    truncatedAlerts: { type: 'integer', minimum: 0, default: 0 },
    status,
    receiver: { type: 'string', default: '' },
    groupLabels: stringMap,
    commonLabels: stringMap,
    commonAnnotations: stringMap,
    externalURL: { type: 'string', default: '' },
    alerts: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['status', 'labels', 'startsAt', 'fingerprint'],
        properties: {
          status,
          labels: stringMap,
          annotations: stringMap,
          startsAt: { type: 'string', pattern: RFC3339_PATTERN },
          endsAt: { type: 'string', pattern: RFC3339_PATTERN, default: '0001-01-01T00:00:00Z' },
          generatorURL: { type: 'string', default: '' },
          fingerprint: { type: 'string', pattern: '^[0-9a-fA-F]{1,64}$' },
        },
      },
    },
  },
} as const;

/** Compiled once, at module load. `allErrors` stays off: the input is untrusted and one error is enough. */
const ajv = new Ajv({ useDefaults: true, strict: true });
const validate = ajv.compile<WebhookPayload>(webhookPayloadSchema);

export type PayloadCheck =
  { ok: true; payload: WebhookPayload } | { ok: false; field: string; message: string };

/** Validates (and fills defaults into) an already parsed JSON value. */
export function checkWebhookPayload(value: unknown): PayloadCheck {
  if (validate(value)) return { ok: true, payload: value };
  const error = validate.errors?.[0];
  if (error === undefined) return { ok: false, field: '', message: 'payload is invalid' };
  return describeSchemaError(error);
}

/** `/alerts/0/startsAt` → `alerts[0].startsAt`; the root is `payload`. */
export function jsonPointerToPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

function describeSchemaError(error: ErrorObject): { ok: false; field: string; message: string } {
  const base = jsonPointerToPath(error.instancePath);
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    const field = base === '' ? missing : `${base}.${missing}`;
    return { ok: false, field, message: `${field} is required` };
  }
  const field = base === '' ? 'payload' : base;
  let detail = error.message ?? 'is invalid';
  if (error.keyword === 'const') {
    detail = `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
  } else if (error.keyword === 'pattern' && error.schemaPath.endsWith('At/pattern')) {
    detail = 'must be an RFC 3339 time (e.g. 2026-11-27T13:56:01.123Z)';
  } else if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    detail = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return { ok: false, field, message: `${field} ${detail}` };
}
