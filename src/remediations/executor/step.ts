/**
 * What a step is while the executor runs it: how it ended (`StepOutcome`), what it left behind
 * (`StepResult`), and the context its action runs in. Pure: every other executor file reads a
 * plan's step through these.
 */
import { describeError } from '../../errors';
import { alertKey, type AlertState, type Incident } from '../../incidents/incident';
import type { StoredPlan } from '../../journal/plan-records';
import { KubeError } from '../../kube/errors';
import type { KubePort } from '../../kube/port';
import type { Notifier } from '../../notify/notifier';
import type { ModelRegistry } from '../../sources/mlflow';
import { isNamedTarget, targetText, type RenderedTarget } from '../../policies/planner';
import type { Action, ActionContext, ActionDecision } from '../action';
import type { SuspensionResult } from '../gitops-suspension';
import type { Skip } from './gates';

/** One step of a plan as it runs: the plan and incident as read at its start, its action and context. */
export interface RunningStep {
  readonly plan: StoredPlan;
  readonly incident: Incident;
  readonly index: number;
  readonly action: Action;
  readonly ctx: ActionContext;
}

/** How one step ended, before it is journaled. */
export type StepOutcome =
  | { status: 'applied' | 'dry_run'; summary: string; result?: Readonly<Record<string, unknown>> }
  | { status: 'skipped'; skip: Skip }
  | { status: 'failed'; reason: string; summary: string };

/** A step's outcome, with what the action decided and the journaled intent, when there were. */
export interface StepResult {
  outcome: StepOutcome;
  decision?: ActionDecision;
  intentId?: number;
  /** The GitOps owners the step suspended (or, in a dry run, would have) before its write. */
  suspensions?: readonly SuspensionResult[];
}

export function failure(err: unknown, what: string): Extract<StepOutcome, { status: 'failed' }> {
  if (err instanceof KubeError)
    return { status: 'failed', reason: err.reason, summary: err.message };
  return { status: 'failed', reason: 'error', summary: `${what}: ${describeError(err)}` };
}

/** The plan's alert instances as the incident now knows them. */
export function alertsOf(plan: StoredPlan, incident: Incident): AlertState[] {
  return plan.alerts.flatMap((ref) => {
    const alert = incident.alerts.get(alertKey(ref));
    return alert ? [alert] : [];
  });
}

/**
 * ` on Deployment prod/web`, ` on the Deployment that owns pod prod/web-7d9f-abcde` before it is
 * found, or nothing for a plan without a target.
 */
export function describeTarget(plan: StoredPlan): string {
  if (plan.target === undefined) return '';
  return ` on ${isNamedTarget(plan.target) ? '' : 'the '}${targetText(plan.target)}`;
}

/**
 * The plan's target once named (found, for one named through a pod or an HPA); undefined for a
 * plan without one. Only called where the executor has found it first.
 */
export function namedTarget(plan: StoredPlan): RenderedTarget | undefined {
  const { target } = plan;
  if (target === undefined) return undefined;
  if (!isNamedTarget(target)) throw new Error(`the target of plan ${plan.id} was not found yet`);
  return target;
}

/** What every step's context shares: the cluster, this replica, and the shutdown signal. */
export interface StepSurroundings {
  /** Absent without Kubernetes credentials. */
  readonly kube?: KubePort | undefined;
  readonly instance: string;
  readonly notifier: Notifier;
  readonly signal: AbortSignal;
  readonly modelRegistry?: ModelRegistry | undefined;
}

/** The context one step's action runs in. */
export function stepContext(
  plan: StoredPlan,
  incident: Incident,
  index: number,
  run: { readonly now: Date; readonly dryRun: boolean; readonly dryRunPlan: boolean },
  surroundings: StepSurroundings,
): ActionContext {
  return {
    kube: surroundings.kube ?? NO_CLUSTER,
    // A target still to be found through a pod reaches no action: without credentials nothing
    // is read, and with them the executor finds it before the step runs.
    ...(plan.target && isNamedTarget(plan.target) ? { target: plan.target } : {}),
    params: plan.steps[index]?.params ?? {},
    dryRun: run.dryRun,
    dryRunPlan: run.dryRunPlan,
    now: run.now,
    alerts: alertsOf(plan, incident),
    incident,
    policy: plan.policy,
    planId: plan.id,
    step: index,
    instance: surroundings.instance,
    notifier: surroundings.notifier,
    signal: surroundings.signal,
    ...(surroundings.modelRegistry === undefined
      ? {}
      : { modelRegistry: surroundings.modelRegistry }),
  };
}

/** Stands in for the cluster without credentials; the executor never lets an action reach it. */
const NO_CLUSTER: KubePort = new Proxy({} as KubePort, {
  get: () => () =>
    Promise.reject(new KubeError('unavailable', 'no Kubernetes credentials', { status: 0 })),
});

/** ` {by: 2, max: 10, min: 1}`: the params a step was given, cut to a line; nothing without any. */
export function describeParams(params: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(params).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  if (entries.length === 0) return '';
  const text = entries.join(', ');
  return ` {${text.length > 160 ? `${text.slice(0, 160)}…` : text}}`;
}
