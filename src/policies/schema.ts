import type { FromSchema } from 'json-schema-to-ts';
import { durationSchema } from '../labels/durations';
import { TARGET_KINDS, type ActionSpec } from './action-spec';

/**
 * What a policy does when a GitOps controller (Argo CD, Flux) manages the workload a step would
 * write to (`gitops:`): leave it alone and escalate, suspend the controller first, or act anyway.
 */
export const GITOPS_MODES = ['skip', 'suspend', 'ignore'] as const;
export type GitOpsMode = (typeof GITOPS_MODES)[number];

/**
 * The policies file's JSON Schema: the single source of truth for validation (ajv, defaults
 * applied, unknown keys rejected), for the TypeScript types below, for the generated editor
 * schema (deploy/k8s/policy.schema.json) and for the reference docs (docs/policies.md).
 * The constants below are the language without its actions (the types follow from them);
 * `buildPolicySchema` composes the whole schema from the action catalogue it is given: each
 * action contributes its name and its own `params` schema.
 *
 * One idea, the language's shape, in one file of about 600 lines: most of it is the description
 * of each key, which the reference docs are generated from.
 */

/** Policy, sink and ladder names: they end up in metric labels and Kubernetes object names. */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** A severity level written as its name: `Sev2` or `sev2`. */
export const LEVEL_NAME_PATTERN = '^[Ss]ev[1-4]$';

/** A severity level, as a number or as its name: `2`, `Sev2` and `sev2` are the same level. */
const level = {
  type: ['integer', 'string'],
  minimum: 1,
  maximum: 4,
  pattern: LEVEL_NAME_PATTERN,
  description: 'Severity level: 1 (Sev1, most severe) to 4 (Sev4), written `2`, `Sev2` or `sev2`.',
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
    'How alerts become Sev1–Sev4. Each key given replaces the runbook default for that key, except that `extends: defaults` adds the given `rules` to the default ones. An alert gets the most severe level of the rules it satisfies (or `default`); an incident, the most severe level of its firing alerts and of `multipleAlerts`.',
  properties: {
    extends: {
      enum: ['defaults'],
      description:
        '`defaults`: the `rules` given are added to the runbook default rules instead of replacing them (a rule can only make an alert more severe, so to lower a default, leave `extends` out and give every rule). Without it, `rules` replaces the default rules.',
    },
    rules: {
      type: 'array',
      description:
        'Rules, each giving a level to the alerts it matches. They replace the default rules, or add to them with `extends: defaults`.',
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
        '"Multiple alerts firing": this many firing alerts in one incident, each `minAlertSeverity` or more severe on its own, raise it to `level`.',
      properties: {
        atLeast: { type: 'integer', minimum: 2, description: 'Number of firing alerts.' },
        level: { ...level, description: 'The level they raise the incident to.' },
        minAlertSeverity: {
          ...level,
          default: 3,
          description:
            'Count only the alerts this severe or worse on their own (3: Sev1 to Sev3), so that a few `severity="info"` alerts do not make an emergency; 4 counts every alert.',
        },
      },
    },
    default: { ...level, description: 'Level of an alert no rule matches.' },
  },
} as const;

export const targetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'namespace'],
  description:
    "The Kubernetes object the steps act on: named by `name`, or found from the pod (`fromPod`) or HPA (`fromHpa`) an alert names, exactly one of the three. `namespace`, `name`, `fromPod` and `fromHpa` are usually templates reading the alert, e.g. `{{ labels.namespace }}`. Once rendered, they must follow Kubernetes' naming rules (the namespace a DNS-1123 label of at most 63 characters; other names DNS-1123 subdomains of at most 253), or the policy does not act for that alert and says why (skip code `invalid_target`, quoting the value): a label such as `..` or `a/b` never reaches a request. A target found through a pod or an HPA is looked up when the plan's first step runs (read only: the pod, its ReplicaSet, or the HPAs of the namespace), before the safety gates, so that the lock, cooldown, budget and blast radius apply to the object found; the timeline records how it was found, and a pod that is gone or has no such owner skips the plan (skip code `owner_not_found`). `remediator plan` and `remediator test` read no cluster: they show such a target as the Deployment that owns the pod.",
  properties: {
    kind: { enum: TARGET_KINDS, description: 'Kind of the target object.' },
    namespace: { type: 'string', minLength: 1, description: 'Namespace (template allowed).' },
    name: { type: 'string', minLength: 1, description: 'Name (template allowed).' },
    fromPod: {
      type: 'string',
      minLength: 1,
      description:
        'Instead of `name`: a pod (template allowed, e.g. `{{ labels.pod }}`) whose controller is the target, read through `ownerReferences` as the garbage collector does: Pod → ReplicaSet → Deployment, Pod → StatefulSet, Pod → DaemonSet. `kind` says which one is wanted; a pod controlled by anything else skips the plan.',
      examples: ['{{ labels.pod }}'],
    },
    fromHpa: {
      type: 'string',
      minLength: 1,
      description:
        'Instead of `name`: a HorizontalPodAutoscaler (template allowed, e.g. `{{ labels.horizontalpodautoscaler }}`) whose `scaleTargetRef` is the target (a Deployment or StatefulSet).',
      examples: ['{{ labels.horizontalpodautoscaler }}'],
    },
  },
  examples: [
    { kind: 'Deployment', namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' },
    { kind: 'Deployment', namespace: '{{ labels.namespace }}', fromPod: '{{ labels.pod }}' },
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
      type: 'string',
      description: 'The action to run: one of the actions in docs/policies.md.',
    },
    params: {
      type: 'object',
      default: {},
      description:
        'The action\'s parameters. Every string in them is a template (`{{ labels.x }}`); write a literal `{{` as `{{ "{{" }}`.',
    },
    verify: {
      type: ['string', 'object'],
      pattern: durationSchema.pattern,
      default: '5m',
      additionalProperties: false,
      required: ['window'],
      description:
        "How the step is judged once it has acted (a step that changes nothing is not judged). A duration (`5m`): by its alerts: effective when they have all resolved within it, else ineffective and the next step runs; with `--alertmanager-url`, Alertmanager's API says at the end of the window which are still active, whatever notifications this replica received. Make it longer than the rules' decay (see `remediator check --rules` and docs/verification.md). Or an object with a PromQL `query` and bounds: at the end of the `window` (and every `interval` during it, if given) the query runs through `--prometheus-url`, and the step is effective when every sample of its result meets every bound (for `for`, when given); an empty result or a query error is inconclusive and counts as not effective.",
      examples: [
        {
          window: '5m',
          query:
            'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{ labels.namespace }}", deployment="{{ labels.deployment }}"}[2m])))',
          below: 1,
          name: 'p99',
        },
        '5m',
      ],
      properties: {
        window: {
          ...durationSchema,
          description:
            'How long after the step acted it is judged (at the latest, with `interval`).',
        },
        query: {
          type: 'string',
          minLength: 1,
          maxLength: 4000,
          description:
            "A PromQL query, templated from the alert's labels like params. A value a `{{ }}` prints is escaped for where it stands: in a string literal with the literal's escapes (in the string of a regex matcher, `=~\"{{ … }}\"`, with regex metacharacters quoted too, so it matches itself only); outside a string only when it is one plain token (letters, digits, `_`, `:`, `.`), else the policy does not act for that alert and says why. Needs `--prometheus-url`: without it, remediator refuses to load the policy. `remediator check` checks its syntax (with `--prometheus-url`, by Prometheus' own parser).",
        },
        name: {
          type: 'string',
          pattern: '^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,39}$',
          description:
            'What the query measures, for the verdict in the timeline: `p99 1.4 is not < 1`. Default `value`.',
          examples: ['p99'],
        },
        above: { type: 'number', description: 'Every sample > this.', examples: [0.95] },
        atLeast: { type: 'number', description: 'Every sample ≥ this.', examples: [0.95] },
        below: { type: 'number', description: 'Every sample < this.' },
        atMost: { type: 'number', description: 'Every sample ≤ this.', examples: [0.05] },
        interval: {
          ...durationSchema,
          description:
            'Also run the query every `interval` during the window: the step is judged effective as soon as the bounds have held for `for`, and ineffective at the end of the window otherwise.',
          examples: ['30s'],
        },
        for: {
          ...durationSchema,
          description:
            'With `interval`: how long the bounds must hold without a break (default 0s: the first time they hold).',
          examples: ['2m'],
        },
      },
    },
  },
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
    value: {
      ...valueConditionSchema,
      description: `${valueConditionSchema.description} An alert whose labels match but whose value does not meet the condition is not acted on, and the plan says why, quoting the value read (skip code \`value_condition_not_met\`).`,
    },
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
    continue: {
      type: 'boolean',
      default: true,
      description:
        'Policies are evaluated in file order for each alert, like Alertmanager\'s routes. `false`: once this policy matches an alert (`match`, `value` and `on` hold), the policies after it are not evaluated for that alert, whether this one then acts or is skipped (for `minSeverity`, a template or its target). `true` (the default, unlike Alertmanager\'s route): the next policies are evaluated too, so every matching policy acts. Put an exclusive policy, such as a notify-only one for `severity="info"` alerts, before the others with `continue: false`.',
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
    gitops: {
      enum: GITOPS_MODES,
      default: 'skip',
      description:
        "What a step that writes to the target workload (`rollback`, `restart`, `scale`, `restore-model`) does when a GitOps controller manages it, since the controller would revert the change at its next sync or fight over it. Managed means: Argo CD's tracking annotation `argocd.argoproj.io/tracking-id` naming this very object (or, with `--argocd-tracking-method label`, the instance label, `app.kubernetes.io/instance` by default), or Flux's labels `kustomize.toolkit.fluxcd.io/name` + `/namespace` or `helm.toolkit.fluxcd.io/name` + `/namespace`; the Application, Kustomization or HelmRelease is read to confirm it exists. `skip`: no write; the step is skipped as `gitops_managed` and humans are told which object manages the target. `suspend`: first suspend the owner's reconciliation (Flux: `spec.suspend: true` on the Kustomization or HelmRelease; Argo CD: the Application's automated sync turned off, the previous `spec.syncPolicy.automated` kept in its annotation `remediator.dev/previous-automated-sync`), then act; an Event lands on both objects and humans are told what was suspended and how to resume. A suspension is never lifted automatically (resuming after a rollback would redeploy the bad version): fix Git, then `remediator gitops resume KIND NAMESPACE/NAME` or `POST /api/v1/gitops/resume`. `ignore`: act as if unmanaged.",
    },
    silence: {
      type: ['boolean', 'object'],
      default: false,
      additionalProperties: false,
      description:
        "Silence the policy's alerts in Alertmanager while it works, so that on-call is not paged for what is being fixed. Before its first write the plan creates a silence per alert name, matching the labels its alerts of that name share (one alert: its whole label set), `createdBy: remediator`, with a comment naming the incident, plan and policy; it ends after the plan's verify windows plus 5 minutes (or after `for`). It is expired when the plan ends, whatever the verdict, and an escalation says so. Needs `--alertmanager-url`: without it, remediator refuses to load the policy. Not in a dry run.",
      examples: [{ for: '30m' }, true],
      properties: {
        for: {
          ...durationSchema,
          description:
            "How long the silence lasts at most, instead of the plan's verify windows plus 5 minutes.",
        },
      },
    },
    approval: {
      type: 'object',
      additionalProperties: false,
      description:
        "A human approves before the plan changes anything. Before its first step that changes the cluster (notify steps before it run), the plan waits in status `awaiting_approval` and nothing is written; the approval request goes to `sinks` with the exact change (the action's own plan, read from the cluster), the plan's steps, why (alerts, severity and its reasons) and how to approve (`POST /api/v1/plans/{id}/approve` or `/deny`, `remediator approve|deny`, the console's Approvals page, or the Slack message's buttons). One approval covers the plan's later steps. Every safety gate (pause, circuit breaker, blast radius, cooldown, budget, lock) is checked again when it is approved: an approval bypasses none. No answer within `timeout` is a denial: the plan is denied (\"approval timed out\") and the incident escalates; a denial escalates too. If the plan's alerts resolve while it waits, the request is withdrawn and the sinks are told.",
      examples: [{ minSeverity: 1, timeout: '30m', sinks: ['oncall'] }, { timeout: '15m' }],
      properties: {
        minSeverity: {
          ...level,
          description:
            'Ask only when the incident is this severe or worse (1: only Sev1); without it, always ask.',
        },
        timeout: {
          ...durationSchema,
          default: '30m',
          description:
            'How long the request waits for an answer (at most 24h); then it is denied ("approval timed out") and the incident escalates.',
        },
        sinks: {
          type: 'array',
          items: { type: 'string', pattern: NAME_PATTERN },
          uniqueItems: true,
          description:
            "Sinks under `sinks:` that get the approval request and its outcome. Default: the sinks of the policy's `notify` steps; a policy with neither is refused, since a request nobody sees can only time out.",
        },
      },
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
        'After `failures` failed or ineffective runs in a row, a policy stops acting for `openFor`; then one trial run decides (half-open). A step that failed because its target does not exist (`not_found`) or its request was refused as invalid does not count: that is how the alert was written, not a remediation that failed.',
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
    maxPlansPerNotification: {
      type: 'integer',
      minimum: 1,
      maximum: 10000,
      default: 100,
      description:
        'At most this many remediation plans from one Alertmanager notification (a group of thousands of alerts, each naming its own target, would otherwise make a plan for each). Alerts past the limit are not acted on: their policies are skipped with code `too_many_plans`, and the incident is escalated to humans once for the notification, saying how many were dropped. Plans merge first (one plan per policy, target and steps), so the limit counts targets, not alerts.',
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

export const statusPageSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  description:
    "The public status page (`GET /status`) for stakeholders, as the runbook's communication step describes it: each component's status (operational, degraded, outage) and a public summary of each open incident that affects one (severity, status, impact class, times). It shows no label, alert name or timeline: only the component names (those given here or, without them, the values of `componentLabel`) and the annotations named in `publicAnnotations`.",
  properties: {
    title: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      default: 'Service status',
      description: "The page's title.",
    },
    components: {
      type: 'array',
      default: [],
      description:
        "The components stakeholders know, in the order shown. Each is listed (operational when nothing affects it) and is affected by an open incident that has an alert matching its `match` (the firing alerts, or all of them once none fires). Without components, the page names components by the value of `componentLabel` of the open incidents' alerts, and lists only affected ones.",
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'match'],
        properties: {
          name: {
            type: 'string',
            minLength: 1,
            maxLength: 100,
            description: 'The name shown.',
            examples: ['Prediction API'],
          },
          match: { ...matcherListSchema, minItems: 1 },
        },
      },
      examples: [[{ name: 'Prediction API', match: ['deployment="heart-disease-api"'] }]],
    },
    componentLabel: {
      type: 'string',
      minLength: 1,
      default: 'service',
      description:
        'Without `components`: the label whose value names the component an alert affects.',
    },
    outageSeverity: {
      ...level,
      default: 1,
      description:
        'An open incident this severe or worse shows its components as `outage`; a less severe one as `degraded`.',
    },
    publicAnnotations: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description:
        'Annotations whose values are written for stakeholders (e.g. a `public_summary` the alert rule fills in): the page shows them under the incident. Nothing else of an alert is shown.',
      examples: [['public_summary']],
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
    status: statusPageSchema,
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
      description:
        'Remediation policies, evaluated in file order for each alert: every policy that matches it acts, until one with `continue: false` matches.',
    },
  },
} as const;

/** A policies file as validated (defaults filled in). */
export type PolicyFileSpec = FromSchema<typeof policyFileSchema>;
export type PolicySpec = FromSchema<typeof policySchema>;
export type SinkSpec = FromSchema<typeof sinkSchema>;
export type SafetySpec = FromSchema<typeof safetySchema>;
export type StatusPageSpec = FromSchema<typeof statusPageSchema>;

/**
 * The policies file's whole schema for an action catalogue: the language's schema with each step's
 * `action` one of the catalogue's names and its `params` checked against that action's schema.
 */
export function buildPolicySchema(
  actions: readonly ActionSpec[],
): Readonly<Record<string, unknown>> {
  const { type: _anyString, ...action } = stepSchema.properties.action;
  const step = {
    ...stepSchema,
    properties: {
      ...stepSchema.properties,
      action: { enum: actions.map((a) => a.name), ...action },
    },
    allOf: actions.map((action) => ({
      if: { properties: { action: { const: action.name } }, required: ['action'] },
      then: { properties: { params: action.params } },
    })),
  };
  const policies = policyFileSchema.properties.policies;
  const policy = {
    ...policySchema,
    properties: {
      ...policySchema.properties,
      steps: { ...policySchema.properties.steps, items: step },
    },
  };
  return {
    ...policyFileSchema,
    properties: { ...policyFileSchema.properties, policies: { ...policies, items: policy } },
  };
}
