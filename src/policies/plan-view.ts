import {
  targetText as describeTarget,
  type PlanEntry,
  type PlanSkip,
  type PlannedTarget,
} from './planner';
import type { SimulationStep } from './simulate';
import { formatDuration } from '../labels/durations';

/** One plan entry as `remediator plan` prints it (JSON). */
export function planEntryJson(entry: PlanEntry) {
  return {
    policy: entry.policy,
    trigger: entry.trigger,
    target: entry.target ?? null,
    steps: entry.steps.map((s) => ({
      action: s.action,
      params: s.params,
      verify: formatDuration(s.verifyMs),
    })),
    dryRun: entry.dryRun,
    autoResolve: entry.autoResolve,
    alertnames: entry.alertnames,
    alerts: entry.alerts.map((a) => ({ fingerprint: a.fingerprint, startsAt: a.startsAt })),
    reason: entry.reason,
  };
}

/** One skip as `remediator plan` prints it (JSON). */
export function planSkipJson(skip: PlanSkip) {
  return {
    policy: skip.policy,
    trigger: skip.trigger,
    code: skip.code,
    reason: skip.reason,
    alerts: skip.alerts.map((a) => ({ fingerprint: a.fingerprint, startsAt: a.startsAt })),
  };
}

/** What one notification led to, as `remediator plan` prints it (JSON). */
export function simulationStepJson(step: SimulationStep) {
  return {
    changed: step.changed,
    incident: step.incident ?? null,
    plan: step.plan.map(planEntryJson),
    skips: step.skips.map(planSkipJson),
    timeline: step.timeline.map((t) => t.message),
  };
}

/**
 * `Deployment prod/heart-disease-api`, or `Deployment that owns pod prod/web-7d9f-abcde`, as
 * tests write targets; null without one.
 */
export function targetText(target: PlannedTarget | undefined): string | null {
  return target === undefined ? null : describeTarget(target);
}
