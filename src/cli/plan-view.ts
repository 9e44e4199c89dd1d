import type { PlanEntry, PlanSkip, RenderedTarget } from '../policies/planner';
import type { SimulationStep } from '../policies/simulate';

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

/** `Deployment prod/heart-disease-api`, as tests write targets; null without one. */
export function targetText(target: RenderedTarget | undefined): string | null {
  return target === undefined ? null : `${target.kind} ${target.namespace}/${target.name}`;
}

/** 300000 → `5m`; 5400000 → `1h30m`; 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ];
  let rest = ms;
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
