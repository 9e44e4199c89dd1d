/**
 * The JSON the API answers, as types only. The server's views (views.ts, status.ts, the session
 * and policy routes) are declared to return these, so the compiler holds them to it; the console
 * (src/console) imports them and nothing else of the server (.dependency-cruiser.cjs). So this
 * file imports nothing: the console's compiler reads it without the server's types.
 */

export type SeverityName = 'Sev1' | 'Sev2' | 'Sev3' | 'Sev4';
export type IncidentStatusName = 'investigating' | 'identified' | 'resolving' | 'resolved';
/** An ISO 8601 time, as every time in the API is written. */
export type IsoTime = string;

/**
 * What remediator is doing about an incident now, most pressing first: a step in flight, a verify
 * window, a plan waiting (for its next step, or for the pause to end), handed to humans, held
 * open for a human, or nothing left to do.
 */
export interface ActivityView {
  readonly kind:
    | 'running'
    | 'verifying'
    | 'awaiting_approval'
    | 'planned'
    | 'paused'
    | 'escalated'
    | 'held_open'
    | 'watching'
    | 'resolved';
  readonly text: string;
  /** The end of a verify window, or an approval request's deadline. */
  readonly until: IsoTime | null;
}

/** Label name → its values among the incident's alerts (namespace, service, deployment…). */
export type ComponentsView = Readonly<Record<string, readonly string[]>>;

/** An incident in lists (`GET /api/v1/incidents`) and in live `incident` events. */
export interface IncidentSummaryView {
  readonly id: number;
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly status: IncidentStatusName;
  readonly severity: SeverityName;
  readonly openedAt: IsoTime;
  readonly updatedAt: IsoTime;
  readonly resolvedAt: IsoTime | null;
  readonly alerts: { readonly firing: number; readonly total: number };
  readonly components: ComponentsView;
  readonly activity: ActivityView;
}

export interface AlertView {
  readonly fingerprint: string;
  readonly startsAt: string;
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly endsAt: string;
  /** As Alertmanager sent it: not checked, never a link. */
  readonly generatorURL: string;
  /** `generatorURL` when it is an http(s) URL (Prometheus' graph of the rule), else null. */
  readonly prometheusURL: string | null;
  readonly firstSeenAt: IsoTime;
  readonly resolvedAt: IsoTime | null;
}

/**
 * A plan's target: named (`name`), or still to be found through a pod or an HPA (`from`, and no
 * `name` until the executor found it); `text` says it in words either way.
 */
export interface TargetView {
  readonly kind: string;
  readonly namespace: string;
  readonly name?: string;
  readonly from?: { readonly kind: string; readonly name: string };
  readonly text: string;
}

export interface StepView {
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly verifyMs: number;
}

export interface RemediationView {
  readonly id: number;
  readonly step: number;
  readonly action: string;
  readonly status: string;
  readonly reason: string | null;
  readonly summary: string | null;
  /** The exact change, as journaled before the write (a patch, a manifest). */
  readonly intent: Readonly<Record<string, unknown>> | null;
  /** What the API server answered, or the action's own record of it. */
  readonly result: Readonly<Record<string, unknown>> | null;
  readonly dryRun: boolean;
  readonly startedAt: IsoTime;
  readonly finishedAt: IsoTime | null;
  readonly verifyUntil: IsoTime | null;
  readonly verification: 'effective' | 'ineffective' | null;
}

export interface PlanView {
  readonly id: number;
  readonly policy: string;
  readonly trigger: 'firing' | 'resolved';
  readonly status: string;
  readonly reason: string;
  readonly target: TargetView | null;
  readonly steps: readonly StepView[];
  readonly alerts: readonly { readonly fingerprint: string; readonly startsAt: string }[];
  readonly dryRun: boolean;
  readonly currentStep: number;
  readonly approval: ApprovalRecordView | null;
  readonly createdAt: IsoTime;
  readonly updatedAt: IsoTime;
  readonly remediations: readonly RemediationView[];
}

/** An approval request and, once given, its answer. */
export interface ApprovalRecordView {
  readonly state: 'pending' | 'approved' | 'denied' | 'timed_out' | 'withdrawn';
  readonly step: number;
  /** The exact change the step would make, as its action planned it when asked. */
  readonly change: string;
  readonly requestedAt: IsoTime;
  readonly deadline: IsoTime;
  readonly by: string | null;
  readonly at: IsoTime | null;
  readonly comment: string | null;
}

/** `GET /api/v1/approvals`: one plan awaiting a human's approval. */
export interface ApprovalView {
  readonly plan: number;
  readonly incident: number;
  readonly policy: string;
  readonly severity: string;
  readonly severityReasons: readonly string[];
  readonly alerts: string;
  readonly target: TargetView | null;
  readonly action: string;
  readonly steps: readonly StepView[];
  readonly why: string;
  readonly dryRun: boolean;
  readonly approval: ApprovalRecordView;
}

/** The answer of `POST /api/v1/plans/{id}/approve` and `/deny`. */
export interface ApprovalAnswerView {
  readonly plan: number;
  readonly status: string;
  readonly approval: ApprovalRecordView;
  /** After an approval: what the step did once every gate was checked again. */
  readonly outcome: string | null;
}

export interface TimelineEntryView {
  readonly at: IsoTime;
  readonly kind: string;
  readonly message: string;
  /** Who or what did it: Alertmanager, remediator, or the person or client that wrote it. */
  readonly actor: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Links to the Alertmanager that sent the incident (from its `externalURL`), when it is http(s). */
export interface AlertmanagerLinksView {
  /** Alertmanager's alert list, filtered to the incident's group labels. */
  readonly alerts: string;
  /** A new silence for the group labels, filled in. */
  readonly silence: string;
}

/** One incident, `GET /api/v1/incidents/ID`. */
export interface IncidentView {
  readonly id: number;
  readonly groupKey: string;
  readonly receiver: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly status: IncidentStatusName;
  readonly severity: SeverityName;
  readonly severityReasons: readonly string[];
  readonly openedAt: IsoTime;
  readonly updatedAt: IsoTime;
  readonly resolvedAt: IsoTime | null;
  readonly durationSeconds: number | null;
  readonly heldOpen: string | null;
  readonly rootCause: string | null;
  readonly prevention: string | null;
  readonly affected: ComponentsView;
  readonly activity: ActivityView;
  readonly alertmanager: AlertmanagerLinksView | null;
  readonly alerts: readonly AlertView[];
  readonly plans: readonly PlanView[];
  readonly timeline: readonly TimelineEntryView[];
}

/** `GET /api/v1/session`, and the answer to signing in. */
export interface SessionView {
  /** `disabled`: no credentials are configured, so every write is refused. */
  readonly writes: 'enabled' | 'disabled';
  readonly signedIn: boolean;
  readonly name: string | null;
  /** Sent back in `X-CSRF-Token` with every write of this session. */
  readonly csrfToken: string | null;
  readonly expiresAt: IsoTime | null;
  /** The credentials the server takes: a bearer token, basic auth, or both. */
  readonly schemes: readonly ('bearer' | 'basic')[];
}

/** `GET /api/v1/policies`: the policies in force, secrets left out. */
export interface PoliciesView {
  /** The file they were loaded from, or `(defaults)`. */
  readonly source: string;
  readonly digest: string;
  /** The file as validated, defaults filled in, as YAML; sink URLs written in it are redacted. */
  readonly text: string;
  readonly policies: readonly {
    readonly name: string;
    readonly description: string | null;
    readonly actions: readonly string[];
  }[];
  /** Problems of the file on disk when it was rejected (the last good policies stay in force). */
  readonly rejected: readonly string[];
}

/** `POST /api/v1/plan`: what the policies in force would do about a payload (`remediator plan`). */
export interface PlanPreviewView {
  readonly policies: { readonly source: string; readonly digest: string };
  readonly changed: boolean;
  readonly incident: {
    readonly id: number;
    readonly status: IncidentStatusName;
    readonly severity: SeverityName;
    readonly severityReasons: readonly string[];
    readonly heldOpen: boolean;
  } | null;
  readonly plan: readonly {
    readonly policy: string;
    readonly trigger: 'firing' | 'resolved';
    readonly target: TargetView | null;
    readonly steps: readonly {
      readonly action: string;
      readonly params: Readonly<Record<string, unknown>>;
      readonly verify: string;
    }[];
    readonly dryRun: boolean;
    readonly autoResolve: boolean;
    readonly alertnames: readonly string[];
    readonly alerts: readonly { readonly fingerprint: string; readonly startsAt: string }[];
    readonly reason: string;
  }[];
  readonly skips: readonly {
    readonly policy: string;
    readonly trigger: 'firing' | 'resolved';
    readonly code: string;
    readonly reason: string;
    readonly alerts: readonly { readonly fingerprint: string; readonly startsAt: string }[];
  }[];
  readonly timeline: readonly string[];
}

/** The post-incident report as `GET /api/v1/incidents/ID/report` answers it in JSON (the parts the console reads). */
export interface ReportView {
  readonly title: string;
  readonly severity: string;
  readonly severityReasons: readonly string[];
  readonly status: string;
  readonly impact: string;
  readonly impactSummary: string;
  readonly openedAt: string;
  readonly resolvedAt: string | null;
  readonly duration: string;
  readonly rootCause: string | null;
  readonly prevention: string | null;
  readonly actions: readonly {
    readonly at: string;
    readonly policy: string;
    readonly step: number;
    readonly steps: number;
    readonly action: string;
    readonly target: string | null;
    readonly outcome: string;
    readonly reason: string | null;
    readonly summary: string | null;
    readonly verification: string | null;
  }[];
}

export type ComponentStatus = 'operational' | 'degraded' | 'outage';

/** `GET /api/v1/status`: the public status page, nothing internal in it. */
export interface StatusView {
  readonly title: string;
  readonly status: ComponentStatus;
  readonly components: readonly { readonly name: string; readonly status: ComponentStatus }[];
  readonly incidents: readonly {
    readonly id: number;
    readonly title: string;
    readonly severity: SeverityName;
    /** The runbook's status: Investigating, Identified, Resolving. */
    readonly status: string;
    readonly impact: 'Service' | 'Performance' | 'Security';
    readonly components: readonly string[];
    readonly startedAt: IsoTime;
    readonly updatedAt: IsoTime;
    /** Values of the annotations the policies mark public. */
    readonly notes: readonly string[];
  }[];
  readonly updatedAt: IsoTime;
  /** How often a client should ask again. */
  readonly refreshSeconds: number;
}

/** The live events of `GET /api/v1/events` (server-sent events), by event name. */
export interface LiveEventMap {
  /** First on every connection: the state a client starts from. */
  readonly hello: { readonly paused: boolean };
  /** An incident opened or changed (resolution included). */
  readonly incident: IncidentSummaryView;
  /** Timeline entries added to an incident. */
  readonly timeline: { readonly incident: number; readonly entries: readonly TimelineEntryView[] };
  readonly pause: { readonly paused: boolean };
}
