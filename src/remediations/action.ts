/**
 * remediations/: acting. actions/ holds one file per action and the `ACTIONS` catalogue; an action
 * implements the policy language's `ActionSpec` and this file's `Action` (plan reads, apply writes,
 * reconcile re-reads after a crash). executor/ runs plans behind the safety gates, coordination/
 * keeps locks, attempts and claims in Leases, escalation.ts hands incidents to humans. Imports
 * every stage before it; actions never import the executor or coordination.
 */
import type { AlertState, Incident } from '../incidents/incident';
import type { KubePort, ObjectRef } from '../kube/port';
import type { Notifier } from '../notify/notifier';
import type { ActionSpec } from '../policies/action-spec';
import type { RenderedTarget } from '../policies/planner';
import type { ModelRegistry } from '../sources/mlflow';

/** What a running action knows. Built by the executor for one step of one plan. */
export interface ActionContext<P = Readonly<Record<string, unknown>>> {
  readonly kube: KubePort;
  readonly target?: RenderedTarget;
  readonly params: P;
  /** This step changes nothing: writes go out with `dryRun=All` (checked, stored nowhere). */
  readonly dryRun: boolean;
  /**
   * The plan is a dry run (the server's or its policy's). The same as `dryRun`, but for a step
   * that runs anyway in a dry run (a notification, `runsInDryRun`): it then says so.
   */
  readonly dryRunPlan: boolean;
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
  /** MLflow's model registry (`--mlflow-url`); absent when not configured. */
  readonly modelRegistry?: ModelRegistry;
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
