import type { AlertState, Incident } from '../incidents/incident';
import type { KubePort, ObjectRef } from '../kube/port';
import type { Notifier } from '../notify/notifier';
import type { RenderedTarget } from '../policies/planner';

/**
 * What every remediation action declares about itself. Each action is one file in this folder
 * exporting one `ActionSpec`; `index.ts` lists them explicitly. The name is the same everywhere:
 * the YAML `action:` value, the metric label, the log field, the file name.
 */

/** Kinds a policy's `target` can name. */
export const TARGET_KINDS = ['Deployment', 'Pod'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** One RBAC rule, as in a Role. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** A JSON Schema object for an action's `params` (validated by ajv with defaults applied). */
export interface ParamsSchema {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly description?: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly required?: readonly string[];
}

export interface ActionSpec {
  readonly name: string;
  /** One paragraph for the reference docs. */
  readonly description: string;
  /** Target kinds the action works on; empty when it needs no Kubernetes target (notify). */
  readonly targetKinds: readonly TargetKind[];
  /**
   * True when the action changes something to fix the incident: its step is then verified (did
   * the alerts resolve?), moves the incident to Resolving and counts for the circuit breaker.
   * Telling humans (notify) and diagnosing (run-job) fix nothing, so they are not judged.
   */
  readonly remediates: boolean;
  readonly params: ParamsSchema;
  /**
   * Checks across params that JSON Schema says badly ("exactly one of to, by, factor"); returns
   * problems as `[param, message]`, param '' for the whole params object.
   */
  readonly checkParams?: (params: Readonly<Record<string, unknown>>) => [string, string][];
  /** What the action needs in each target namespace; deploy/k8s RBAC is the union (a test compares). */
  readonly rbac: readonly RbacRule[];
  /** A step using this action, as an SRE would write it. */
  readonly example: Readonly<Record<string, unknown>>;
}

/** A duration as policies write it: `30s`, `5m`, `1h30m`, `2d`; units largest first, each once. */
export const durationSchema = {
  type: 'string',
  pattern: '^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m(?!s))?([0-9]+s)?([0-9]+ms)?$',
  description:
    'A duration: numbers with units, largest first (d, h, m, s, ms), e.g. 30s, 5m, 1h30m.',
} as const;

/** A Kubernetes object name (DNS-1123 subdomain), or a template rendering one. */
export const nameSchema = { type: 'string', minLength: 1, maxLength: 253 } as const;

// ---------------------------------------------------------------------------------------------
// Running an action

/** What a running action knows. Built by the executor for one step of one plan. */
export interface ActionContext<P = Readonly<Record<string, unknown>>> {
  readonly kube: KubePort;
  readonly target?: RenderedTarget;
  readonly params: P;
  /** Writes go out with `dryRun=All`: checked by the server, stored nowhere. */
  readonly dryRun: boolean;
  readonly now: Date;
  /** The alert instances that triggered the plan, with their labels. */
  readonly alerts: readonly AlertState[];
  readonly incident: Incident;
  readonly policy: string;
  /** The journaled plan and the index of the step being run. */
  readonly planId: number;
  readonly step: number;
  /** This remediator instance (pod name), for Job names and Event reporting. */
  readonly instance: string;
  readonly notifier: Notifier;
  /** Aborted when remediator shuts down: long waits (`awaitOutcome`) end early. */
  readonly signal?: AbortSignal;
}

/** What `plan()` decided: act (and what will change), or skip because it does not apply. */
export type ActionDecision =
  | { readonly kind: 'skip'; readonly reason: string }
  | {
      readonly kind: 'act';
      /** The change in words, e.g. `replicas 4 → 8`; journaled and shown as the dry-run diff. */
      readonly summary: string;
      /** Everything `apply()` and `reconcile()` need; journaled as the intent before the write. */
      readonly intent: Readonly<Record<string, unknown>>;
      /** The object the change is about (the Event goes on it). */
      readonly regarding?: ObjectRef;
    };

export interface ActionResult {
  /** What was done, e.g. `scaled prod/web 4 → 8`, or what would have been, in a dry run. */
  readonly summary: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * An action: its spec, `plan()` (reads only; may skip, with a reason), `apply()` (the only
 * write), and `reconcile()` for a restart that finds an intent without a result: it re-reads the
 * target and says whether the change is in place, so a crash never leads to a second blind write.
 */
export interface Action extends ActionSpec {
  plan(ctx: ActionContext): Promise<ActionDecision>;
  apply(ctx: ActionContext, intent: Readonly<Record<string, unknown>>): Promise<ActionResult>;
  /**
   * For actions whose effect finishes later (a diagnostic Job): waits for it, up to the action's
   * own deadline, and says how it ended. The executor records the outcome in the timeline.
   */
  awaitOutcome?(
    ctx: ActionContext,
    intent: Readonly<Record<string, unknown>>,
  ): Promise<{ readonly succeeded: boolean; readonly summary: string }>;
  reconcile(
    ctx: ActionContext,
    intent: Readonly<Record<string, unknown>>,
  ): Promise<'done' | 'not_done' | 'unknown'>;
}
