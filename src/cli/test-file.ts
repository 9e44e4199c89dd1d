import addFormats from 'ajv-formats';
import type { FromSchema } from 'json-schema-to-ts';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { INCIDENT_STATUSES } from '../incidents/incident';
import { GITOPS_MODES } from '../policies/schema';
import { formatPath, type PathSegment } from '../policies/compile';
import { durationMs, durationSchema, formatDuration } from '../labels/durations';
import { PATTERN_MESSAGES, type PolicyProblem } from '../policies/loader';
import { PLAN_SKIP_CODES } from '../skip-codes';
import type { PolicySet } from '../policies/policy';
import type { SimulatedNotification } from '../policies/simulate';
import { readPolicyFile } from '../policies/store';
import { checkWebhookPayload, type WebhookPayload } from '../alertmanager/payload';
import { ACTIONS } from '../remediations/actions/index';
import {
  buildPayload,
  formatGoTime,
  GROUP_BY_ALL,
  groupKeyOf,
  groupLabelsOf,
  labelsFingerprint,
  type ShorthandAlert,
} from '../alertmanager/build';
import { parseYamlFile, readTextFile, yamlFileValidator } from '../policies/yaml-document';

const ACTION_NAMES = ACTIONS.map((a) => a.name);

/*
 * The policy unit test file of `remediator test`, like `promtool test rules`' files: notifications
 * in (alerts in shorthand, built into real Alertmanager payloads, or captured payload files),
 * expected severity, status and plan out. One JSON Schema validates it (unknown keys rejected);
 * what the schema cannot see (files, group membership, policy names) is checked after it.
 */

const LABEL_NAME = '^[a-zA-Z_][a-zA-Z0-9_]*$';
const GROUP_BY_ITEM = '^([a-zA-Z_][a-zA-Z0-9_]*|\\.\\.\\.)$';
const DEFAULT_GROUP_BY = ['alertname', 'namespace', 'deployment'];
const SEVERITY_NAMES = ['Sev1', 'Sev2', 'Sev3', 'Sev4'] as const;

const labelsSchema = {
  type: 'object',
  minProperties: 1,
  propertyNames: { pattern: LABEL_NAME },
  additionalProperties: { type: 'string', minLength: 1 },
  description: "The alert's labels (a label with an empty value is no label: leave it out).",
} as const;

const annotationsSchema = {
  type: 'object',
  additionalProperties: { type: 'string' },
  description:
    "The alert's annotations; by default those of its previous appearance in the test (Alertmanager resends them).",
} as const;

const alertSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['labels'],
  properties: {
    labels: labelsSchema,
    annotations: annotationsSchema,
    status: { enum: ['firing', 'resolved'], default: 'firing', description: "The alert's status." },
    startsAt: {
      type: 'string',
      format: 'date-time',
      description:
        'Default: the time of the notification where this alert (its labels) first appeared firing in the test, or fired again after it resolved.',
    },
    endsAt: {
      type: 'string',
      format: 'date-time',
      description:
        'Resolved alerts only. Default: the time of the notification where it first appeared resolved.',
    },
    generatorURL: { type: 'string', description: 'The link back to the rule in Prometheus.' },
  },
} as const;

const notificationSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'One notification: `alerts` in shorthand, or a captured `payload` file (exactly one).',
  properties: {
    at: {
      ...durationSchema,
      description:
        "Offset from the test's start; default: that of the previous notification (0s for the first).",
    },
    alerts: {
      type: 'array',
      minItems: 1,
      items: alertSchema,
      description:
        "The notification's alerts in shorthand, all of one Alertmanager group (under `groupBy`); fingerprints, the group key and the payload around them are computed as Alertmanager does.",
    },
    truncatedAlerts: {
      type: 'integer',
      minimum: 0,
      description: 'With `alerts`: alerts `max_alerts` left out.',
    },
    payload: {
      type: 'string',
      minLength: 1,
      description: 'A webhook body (JSON), relative to the test file.',
    },
  },
} as const;

const planExpectationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['policy'],
  description: 'One plan entry: the keys given must all hold; the keys left out are not checked.',
  properties: {
    policy: { type: 'string', minLength: 1, description: 'The policy that planned it.' },
    trigger: {
      enum: ['firing', 'resolved'],
      description: 'Whether alerts that started firing or that resolved made the plan.',
    },
    target: {
      type: ['string', 'null'],
      description:
        'As `remediator plan` shows it: `Deployment prod/heart-disease-api`; for a target found through a pod or an HPA (which planning cannot read), `Deployment that owns pod prod/web-7d9f-abcde` or `Deployment scaled by HPA prod/web`; null for a policy without target.',
    },
    steps: { type: 'array', items: { enum: ACTION_NAMES }, description: 'The actions, in order.' },
    params: {
      type: 'object',
      propertyNames: { enum: ACTION_NAMES },
      additionalProperties: { type: 'object' },
      description: 'By action: a subset of the rendered params of the first step with that action.',
    },
    dryRun: {
      type: 'boolean',
      description: "The policy's `dryRun` (tests plan as a server that is not in dry-run mode).",
    },
    autoResolve: { type: 'boolean', description: "The policy's `autoResolve`." },
    gitops: {
      enum: GITOPS_MODES,
      description:
        "The policy's `gitops`: what its writes do to a workload Argo CD or Flux manages.",
    },
    alerts: {
      type: 'integer',
      minimum: 1,
      description: 'How many alert instances the entry answers.',
    },
    alertnames: {
      type: 'array',
      items: { type: 'string' },
      description: 'The alert names of those instances, in any order.',
    },
  },
} as const;

const skipExpectationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['policy'],
  description: 'One policy that matched but did not act: the keys given must all hold.',
  properties: {
    policy: { type: 'string', minLength: 1, description: 'The policy that was skipped.' },
    trigger: {
      enum: ['firing', 'resolved'],
      description: 'Whether alerts that started firing or that resolved were skipped.',
    },
    code: { enum: PLAN_SKIP_CODES, description: 'Why, as a skip code (see docs/policies.md).' },
    reason: { type: 'string', description: 'A substring of the reason.' },
    alerts: { type: 'integer', minimum: 1, description: 'How many alert instances were skipped.' },
  },
} as const;

const expectationSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'What must hold after one notification: only the keys given are checked.',
  properties: {
    after: {
      type: 'integer',
      minimum: 0,
      description: 'Index of the notification this is checked after; default: the last.',
    },
    changed: {
      type: 'boolean',
      description: 'False when the notification was a repeat that changed nothing.',
    },
    incident: {
      type: 'integer',
      minimum: 1,
      description: 'The incident id (1 for the first incident of the test).',
    },
    severity: {
      enum: [...SEVERITY_NAMES, 1, 2, 3, 4],
      description: "The incident's severity: `Sev2` or `2`.",
    },
    severityReasons: {
      type: 'array',
      items: { type: 'string' },
      description: 'Each must be a substring of one of the severity reasons.',
    },
    status: { enum: INCIDENT_STATUSES, description: "The incident's status." },
    heldOpen: {
      type: 'boolean',
      description:
        'Whether a policy with `autoResolve: false` holds the incident open for a human.',
    },
    plan: {
      type: 'array',
      items: planExpectationSchema,
      description: 'The exact plan entries, in any order; [] asserts nothing is planned.',
    },
    skips: {
      type: 'array',
      items: skipExpectationSchema,
      description: 'The exact skips, in any order; [] asserts nothing is skipped.',
    },
    timeline: {
      type: 'array',
      items: { type: 'string' },
      description:
        'Each must be a substring of one of the timeline messages this notification added.',
    },
  },
} as const;

const testSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'notifications', 'expect'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      description: 'Unique in the file; printed with PASS or FAIL.',
    },
    notifications: {
      type: 'array',
      minItems: 1,
      items: notificationSchema,
      description:
        'What Alertmanager sends, in order: each is decided on as the server would, with the incident each earlier one left.',
    },
    expect: {
      type: 'array',
      minItems: 1,
      items: expectationSchema,
      description:
        'What must hold after a notification (by default the last): only the keys given are checked.',
    },
  },
} as const;

export const testFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://remediator.dev/schemas/policy-tests.json',
  title: 'remediator policy tests file',
  type: 'object',
  additionalProperties: false,
  required: ['policies', 'tests'],
  properties: {
    policies: {
      type: 'string',
      minLength: 1,
      description: 'The policies file, relative to the test file.',
    },
    groupBy: {
      type: 'array',
      items: { type: 'string', pattern: GROUP_BY_ITEM },
      uniqueItems: true,
      default: DEFAULT_GROUP_BY,
      description: "Alertmanager's `group_by` for the shorthand alerts (`[...]` for all labels).",
    },
    receiver: {
      type: 'string',
      default: 'remediator',
      description: "The payloads' `receiver`: the Alertmanager receiver that sends to remediator.",
    },
    externalURL: {
      type: 'string',
      default: 'http://alertmanager:9093',
      description: "The payloads' `externalURL`: Alertmanager's own address.",
    },
    start: {
      type: 'string',
      format: 'date-time',
      default: '2026-01-01T00:00:00Z',
      description: 'The time every test starts at.',
    },
    tests: {
      type: 'array',
      minItems: 1,
      items: testSchema,
      description: 'The tests; each starts from no incident at `start`.',
    },
  },
} as const;

type TestFileSpec = FromSchema<typeof testFileSchema>;
type ExpectationSpec = FromSchema<typeof expectationSchema>;
export type PlanExpectation = FromSchema<typeof planExpectationSchema>;
export type SkipExpectation = FromSchema<typeof skipExpectationSchema>;

/** One expectation, checked after notification `after`. */
export interface Expectation extends Omit<ExpectationSpec, 'after' | 'severity'> {
  readonly after: number;
  /** `tests[0].expect[1]`, to say which expectation failed. */
  readonly path: string;
  readonly severity?: (typeof SEVERITY_NAMES)[number];
}

export interface PolicyTest {
  readonly name: string;
  readonly notifications: readonly SimulatedNotification[];
  /** Each notification's offset from the test's start, in ms. */
  readonly offsets: readonly number[];
  readonly expectations: readonly Expectation[];
}

export interface TestFile {
  readonly file: string;
  readonly policySet: PolicySet;
  readonly tests: readonly PolicyTest[];
}

const ajv = yamlFileValidator();
addFormats(ajv, ['date-time']);
const validateTestFile = ajv.compile(testFileSchema);

const TEST_PATTERN_MESSAGES = new Map<string, string>([
  ...PATTERN_MESSAGES,
  [LABEL_NAME, 'is not a label name (letters, digits and _, not starting with a digit)'],
  [GROUP_BY_ITEM, `must be a label name, or ${GROUP_BY_ALL} for all labels`],
]);

/**
 * Reads and loads a policy test file, with the policies and payload files it names. Never throws
 * for a bad file: everything wrong comes back as problems with file, line, column and path.
 */
export function loadTestFile(
  file: string,
): { ok: true; testFile: TestFile } | { ok: false; problems: PolicyProblem[] } {
  const read = readTextFile(file);
  if (!read.ok) return read;
  const text = read.text;
  // Merge keys (`<<: *alert`) let a test vary one label of an alert written once.
  const parsed = parseYamlFile(text, file, validateTestFile, TEST_PATTERN_MESSAGES, {
    mergeKeys: true,
  });
  if (!parsed.ok) return parsed;
  const { document } = parsed;
  // What the schema refused cannot be read as a test: its problems come alone.
  if (document.problems.length > 0) return { ok: false, problems: [...document.problems] };
  const spec = document.value as TestFileSpec;
  const relative = (path: string): string => (isAbsolute(path) ? path : join(dirname(file), path));

  const policiesFile = relative(spec.policies);
  const policies = readPolicyFile(policiesFile, ACTIONS);
  if (!policies.ok) {
    const unreadable =
      policies.problems.length === 1 && policies.problems[0]?.message.startsWith('cannot read');
    document.report(
      ['policies'],
      unreadable
        ? `cannot read policies file ${policiesFile}: ${policies.problems[0]?.message.replace('cannot read: ', '') ?? ''}`
        : `policies file ${policiesFile} is invalid (${policies.problems.length} problem${policies.problems.length === 1 ? '' : 's'} below)`,
    );
    const problems = [...document.problems, ...(unreadable ? [] : policies.problems)];
    return { ok: false, problems };
  }
  const policyNames = new Set(policies.policySet.policies.map((p) => p.name));
  const start = Date.parse(spec.start);
  const names = new Map<string, number>();

  const tests = spec.tests.map((test, i): PolicyTest => {
    const path: PathSegment[] = ['tests', i];
    const first = names.get(test.name);
    if (first !== undefined)
      document.report([...path, 'name'], `duplicate test name (first at tests[${first}])`);
    else names.set(test.name, i);

    const instances = new Map<string, ShorthandAlert>();
    const offsets: number[] = [];
    const notifications: SimulatedNotification[] = [];
    test.notifications.forEach((n, j) => {
      const at = [...path, 'notifications', j];
      const previous = offsets[offsets.length - 1] ?? 0;
      const offset = n.at === undefined ? previous : durationMs(n.at);
      if (offset < previous) {
        document.report(
          [...at, 'at'],
          `${n.at ?? ''} is earlier than the previous notification's ${formatDuration(previous)}`,
        );
      }
      offsets.push(offset);
      const now = start + offset;
      if ((n.alerts === undefined) === (n.payload === undefined)) {
        document.report(at, 'give exactly one of `alerts` (shorthand) or `payload` (a file)');
        return;
      }
      if (n.payload !== undefined) {
        if (n.truncatedAlerts !== undefined) {
          document.report(
            [...at, 'truncatedAlerts'],
            'only with `alerts`: a payload file says it itself',
          );
        }
        const payload = readPayloadFile(relative(n.payload));
        if (!payload.ok) document.report([...at, 'payload'], payload.message);
        else notifications.push({ payload: payload.payload, at: now });
        return;
      }
      const alerts = (n.alerts ?? []).map((a) => shorthand(a, instances, now));
      const keys = alerts.map((a) => groupKeyOf(groupLabelsOf(a.labels, spec.groupBy)));
      keys.forEach((key, k) => {
        if (key !== keys[0]) {
          document.report(
            [...at, 'alerts', k, 'labels'],
            `the alert belongs to group ${key}, not ${keys[0] ?? ''} like alerts[0]: one notification carries one group (under groupBy), so write two notifications`,
          );
        }
      });
      const seen = new Map<string, number>();
      alerts.forEach((a, k) => {
        const fingerprint = labelsFingerprint(a.labels);
        const first = seen.get(fingerprint);
        if (first !== undefined) {
          document.report(
            [...at, 'alerts', k, 'labels'],
            `the same labels as alerts[${first}]: Alertmanager sends an alert once per notification`,
          );
        }
        seen.set(fingerprint, k);
        instances.set(fingerprint, a);
      });
      notifications.push({
        payload: buildPayload(alerts, {
          groupBy: spec.groupBy,
          receiver: spec.receiver,
          externalURL: spec.externalURL,
          ...(n.truncatedAlerts === undefined ? {} : { truncatedAlerts: n.truncatedAlerts }),
        }),
        at: now,
      });
    });

    const expectations = test.expect.map((e, j): Expectation => {
      const at = [...path, 'expect', j];
      const after = e.after ?? test.notifications.length - 1;
      if (after >= test.notifications.length) {
        document.report(
          [...at, 'after'],
          `there is no notification ${after}: the test has ${test.notifications.length} (0 to ${test.notifications.length - 1})`,
        );
      }
      const named = [
        ...(e.plan ?? []).map((p, k) => [[...at, 'plan', k, 'policy'], p.policy] as const),
        ...(e.skips ?? []).map((s, k) => [[...at, 'skips', k, 'policy'], s.policy] as const),
      ];
      for (const [where, policy] of named) {
        if (!policyNames.has(policy)) {
          document.report(where, `no policy named "${policy}" in ${policiesFile}`);
        }
      }
      const { severity, ...rest } = e;
      return {
        ...rest,
        after,
        path: formatPath(at),
        ...(severity === undefined
          ? {}
          : {
              severity:
                typeof severity === 'number' ? (SEVERITY_NAMES[severity - 1] ?? 'Sev4') : severity,
            }),
      };
    });
    return { name: test.name, notifications, offsets, expectations };
  });

  if (document.problems.length > 0) return { ok: false, problems: [...document.problems] };
  return { ok: true, testFile: { file, policySet: policies.policySet, tests } };
}

type AlertSpec = NonNullable<
  TestFileSpec['tests'][number]['notifications'][number]['alerts']
>[number];

/**
 * A shorthand alert with its times decided: `startsAt` is when its labels first fired in the test
 * (or fired again after resolving); annotations carry over from its previous appearance.
 */
function shorthand(
  spec: AlertSpec,
  instances: ReadonlyMap<string, ShorthandAlert>,
  now: number,
): ShorthandAlert {
  const previous = instances.get(labelsFingerprint(spec.labels));
  const newEpisode =
    previous === undefined || (previous.status === 'resolved' && spec.status === 'firing');
  const stillResolved = previous?.status === 'resolved' && spec.status === 'resolved';
  const endsAt =
    spec.status === 'resolved'
      ? (spec.endsAt ?? (stillResolved ? previous.endsAt : undefined) ?? formatGoTime(now))
      : undefined;
  const generatorURL = spec.generatorURL ?? previous?.generatorURL;
  return {
    labels: spec.labels,
    annotations: spec.annotations ?? previous?.annotations ?? {},
    status: spec.status,
    startsAt: spec.startsAt ?? (newEpisode ? formatGoTime(now) : previous.startsAt),
    ...(endsAt === undefined ? {} : { endsAt }),
    ...(generatorURL === undefined ? {} : { generatorURL }),
  };
}

/**
 * Reads a webhook body as Alertmanager would post it; a bad one names the file and the field.
 */
export function readPayloadFile(
  file: string,
): { ok: true; payload: WebhookPayload } | { ok: false; message: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `${file} is not JSON: ${(err as Error).message}` };
  }
  const checked = checkWebhookPayload(value);
  if (!checked.ok)
    return {
      ok: false,
      message: `${file} is not an Alertmanager webhook payload: ${checked.message}`,
    };
  return { ok: true, payload: checked.payload };
}
