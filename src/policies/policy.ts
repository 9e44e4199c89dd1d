/**
 * policies/: the policy language. YAML → schema (composed from the action catalogue it is handed,
 * see action-spec.ts) → compiled `PolicySet` (this file's types) → `decide` (decide.ts): one pure
 * function from a notification and the incident to the incident change and its plan, used by
 * `serve` and by `plan`/`test` alike. Imports incidents/ and the shared folders, never the actions.
 */
import type { Severity, SeverityConfig } from '../incidents/severity';
import type { OwnerSourceKind, TargetKind } from './action-spec';
import type { Matcher } from '../labels/matchers';
import type { Bounds, NumericCondition } from '../labels/numeric';
import type { GitOpsMode, SinkSpec } from './schema';

export type { GitOpsMode } from './schema';
import type { Template } from './template';

/** A params value with every string compiled to a template. */
export type CompiledParam =
  Template | number | boolean | null | readonly CompiledParam[] | CompiledParamMap;

/** An interface, not a Record: a recursive type alias cannot refer to itself through Record. */
export interface CompiledParamMap {
  readonly [key: string]: CompiledParam;
}

export interface CompiledStep {
  readonly action: string;
  readonly params: CompiledParamMap;
  readonly verifyMs: number;
  /** A step verified by a PromQL query rather than by its alerts. */
  readonly check?: CompiledCheck;
}

/** `verify: { query, above/atLeast/below/atMost, interval, for }`, its query compiled. */
export interface CompiledCheck {
  /** Escapes what it prints for PromQL (policies/promql.ts). */
  readonly query: Template;
  /** What the query measures, for verdicts: `p99`. */
  readonly name: string;
  readonly bounds: Bounds;
  /** Run every this long during the window too; absent: once, at its end. */
  readonly intervalMs?: number;
  /** With `intervalMs`: how long the bounds must hold without a break. */
  readonly forMs: number;
}

/** `silence:`: the plan silences its alerts in Alertmanager while it works. */
export interface SilenceConfig {
  /** How long at most; absent: the plan's verify windows plus a margin. */
  readonly forMs?: number;
}

/** `approval:`: a human approves before the plan changes anything. */
export interface ApprovalConfig {
  /** Ask only when the incident is this severe or worse; absent: always. */
  readonly minSeverity?: Severity;
  readonly timeoutMs: number;
  /** Where the request and its outcome go. */
  readonly sinks: readonly string[];
}

export interface CompiledTarget {
  readonly kind: TargetKind;
  readonly namespace: Template;
  /** The target's own name, or, with `from`, the name of the object it is found through. */
  readonly name: Template;
  /** Set when the target is found through a pod (`fromPod`) or an HPA (`fromHpa`). */
  readonly from?: OwnerSourceKind;
}

/** One policy, validated and compiled: ready to match and render, many times. */
export interface CompiledPolicy {
  readonly name: string;
  readonly description?: string;
  readonly match: readonly Matcher[];
  readonly value?: NumericCondition;
  readonly minSeverity: Severity;
  /** The alert transitions the policy acts on: `firing` by default, `resolved` on request. */
  readonly on: readonly ('firing' | 'resolved')[];
  /**
   * False: once this policy matches an alert, the policies after it are not evaluated for that
   * alert (Alertmanager's route `continue`). True by default, so every matching policy acts.
   */
  readonly continue: boolean;
  readonly target?: CompiledTarget;
  readonly steps: readonly CompiledStep[];
  readonly cooldownMs: number;
  readonly budget: { readonly max: number; readonly perMs: number };
  readonly dryRun: boolean;
  readonly autoResolve: boolean;
  readonly silence?: SilenceConfig;
  readonly approval?: ApprovalConfig;
  readonly gitops: GitOpsMode;
}

export interface SafetyConfig {
  readonly protectedNamespaces: readonly string[];
  readonly optOutAnnotation: string;
  readonly blastRadius: {
    readonly perNamespace: number;
    readonly cluster: number;
    readonly windowMs: number;
  };
  readonly circuitBreaker: { readonly failures: number; readonly openForMs: number };
  readonly lockTimeoutMs: number;
  /** Plans one notification may make; the rest are skipped as `too_many_plans`. */
  readonly maxPlansPerNotification: number;
}

export interface EscalationRung {
  readonly who?: string;
  readonly sink: string;
  readonly afterMs: number;
  readonly minSeverity: Severity;
}

export interface EscalationLadder {
  readonly name: string;
  /** Empty: the default ladder. */
  readonly match: readonly Matcher[];
  readonly rungs: readonly EscalationRung[];
}

/** The public status page's settings (`status:`). */
export interface StatusPageConfig {
  readonly title: string;
  /** Empty: components are named by `componentLabel`. */
  readonly components: readonly { readonly name: string; readonly match: readonly Matcher[] }[];
  readonly componentLabel: string;
  readonly outageSeverity: Severity;
  readonly publicAnnotations: readonly string[];
}

/** Validated, compiled policies: what the running server decides with. */
export interface PolicySet {
  /** The file it came from, or `(defaults)`. */
  readonly source: string;
  /** SHA-256 of the file's text (empty for the defaults), to tell reloads apart in logs. */
  readonly digest: string;
  /** Whether the file has a `policies:` section, `policies: []` included. */
  readonly declaresPolicies: boolean;
  readonly severity: SeverityConfig;
  readonly policies: readonly CompiledPolicy[];
  readonly sinks: Readonly<Record<string, SinkSpec>>;
  readonly safety: SafetyConfig;
  readonly ladders: readonly EscalationLadder[];
  readonly status: StatusPageConfig;
  /**
   * The file as validated (defaults filled in), with the sink URLs written in it replaced by
   * `[redacted]`: what the console shows as the policies in force.
   */
  readonly view: Readonly<Record<string, unknown>>;
}

/** What templates may read: `labels.x`, `annotations.x`, `severity`, `incident.id`, `alert.fingerprint`. */
export const TEMPLATE_ROOTS = ['labels', 'annotations', 'severity', 'incident', 'alert'] as const;
