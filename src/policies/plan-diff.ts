/**
 * What a policy change would change in the plans of one incident: the plans recorded (as the
 * journal holds them) against the plans a replay through other policies makes, for
 * `remediator replay`. Pure.
 */
import type { PlannedTarget, RenderedStep, Trigger } from './planner';

/** A plan as the comparison sees it: who acts, on what, with which steps. */
export interface PlanSummary {
  readonly policy: string;
  readonly trigger: Trigger;
  /** The target as the plan was made (`Deployment prod/web`, `Deployment that owns pod …`). */
  readonly target: string | null;
  /** The steps' actions, in order, with their params (`scale {by: 2}`). */
  readonly steps: readonly string[];
}

/** One incident's plans and severity, recorded and replayed. */
export interface IncidentDiff {
  readonly groupKey: string;
  /** The recorded incident, when the replayed one matches one in the journal. */
  readonly recordedId?: number;
  readonly severity: { readonly recorded?: string; readonly replayed?: string };
  readonly added: readonly PlanSummary[];
  readonly removed: readonly PlanSummary[];
  readonly changed: readonly { readonly before: PlanSummary; readonly after: PlanSummary }[];
  /** Plans the same either way. */
  readonly same: number;
}

/** A plan entry or a stored plan, as compared. */
export function summarisePlan(plan: {
  readonly policy: string;
  readonly trigger: Trigger;
  readonly target?: PlannedTarget;
  readonly steps: readonly RenderedStep[];
}): PlanSummary {
  return {
    policy: plan.policy,
    trigger: plan.trigger,
    target: plan.target === undefined ? null : plannedTargetText(plan.target),
    steps: plan.steps.map((s) => `${s.action} ${JSON.stringify(s.params)}`),
  };
}

/**
 * The target as planned: an object found later through a pod or an HPA (the journal records what
 * was found) reads as the planner wrote it, so that a replay, which finds nothing, compares equal.
 */
function plannedTargetText(target: PlannedTarget): string {
  if (target.from !== undefined) {
    const how = target.from.kind === 'Pod' ? 'that owns pod' : 'scaled by HPA';
    return `${target.kind} ${how} ${target.namespace}/${target.from.name}`;
  }
  return `${target.kind} ${target.namespace}/${'name' in target ? target.name : '?'}`;
}

/**
 * Plans matched by policy, trigger and target: present on one side only they are added or
 * removed, present on both with other steps they changed.
 */
export function diffIncident(input: {
  readonly groupKey: string;
  readonly recordedId?: number;
  readonly recorded: readonly PlanSummary[];
  readonly replayed: readonly PlanSummary[];
  /** `Sev1` … `Sev4`. */
  readonly recordedSeverity?: string;
  readonly replayedSeverity?: string;
}): IncidentDiff {
  const key = (p: PlanSummary): string => `${p.policy}\0${p.trigger}\0${p.target ?? ''}`;
  const before = new Map<string, PlanSummary>();
  for (const plan of input.recorded) before.set(key(plan), plan);
  const after = new Map<string, PlanSummary>();
  for (const plan of input.replayed) after.set(key(plan), plan);
  const added: PlanSummary[] = [];
  const changed: { before: PlanSummary; after: PlanSummary }[] = [];
  let same = 0;
  for (const [k, plan] of after) {
    const was = before.get(k);
    if (was === undefined) added.push(plan);
    else if (JSON.stringify(was.steps) === JSON.stringify(plan.steps)) same++;
    else changed.push({ before: was, after: plan });
  }
  const removed = [...before].filter(([k]) => !after.has(k)).map(([, plan]) => plan);
  return {
    groupKey: input.groupKey,
    ...(input.recordedId === undefined ? {} : { recordedId: input.recordedId }),
    severity: {
      ...(input.recordedSeverity === undefined ? {} : { recorded: input.recordedSeverity }),
      ...(input.replayedSeverity === undefined ? {} : { replayed: input.replayedSeverity }),
    },
    added,
    removed,
    changed,
    same,
  };
}

/** Whether anything differs: a plan added, removed or changed, or another severity. */
export function differs(diff: IncidentDiff): boolean {
  return (
    diff.added.length + diff.removed.length + diff.changed.length > 0 ||
    diff.severity.recorded !== diff.severity.replayed
  );
}
