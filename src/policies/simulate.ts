import { applyNotification, type Incident, type TimelineEntry } from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import type { WebhookPayload } from '../receivers/payload';
import { applyPlan, planChange, type PlanEntry, type PlanSkip } from './planner';
import type { PolicySet } from './policy';

export interface SimulatedNotification {
  readonly payload: WebhookPayload;
  /** Epoch milliseconds at which the notification arrives. */
  readonly at: number;
}

/** What one notification led to, as `remediator plan` and `remediator test` show it. */
export interface SimulationStep {
  readonly at: number;
  /** False for a repeat that changed nothing. */
  readonly changed: boolean;
  readonly incident?: {
    readonly id: number;
    readonly status: Incident['status'];
    readonly severity: ReturnType<typeof formatSeverity>;
    readonly severityReasons: readonly string[];
    readonly heldOpen: boolean;
  };
  readonly plan: readonly PlanEntry[];
  readonly skips: readonly PlanSkip[];
  readonly timeline: readonly TimelineEntry[];
}

/**
 * Feeds notifications, in order, through the same pure decisions the server makes (incident fold,
 * severity, planning, its effect on the incident), with an in-memory record of what was planned.
 * Nothing touches a cluster, a journal or a clock.
 */
export function simulate(
  policySet: PolicySet,
  notifications: readonly SimulatedNotification[],
): SimulationStep[] {
  const latest = new Map<string, Incident>();
  const planned = new Set<string>();
  let nextId = 1;
  return notifications.map(({ payload, at }) => {
    const current = latest.get(payload.groupKey);
    const change = applyNotification({
      current,
      payload,
      severity: policySet.severity,
      now: at,
      nextId,
    });
    if (change === undefined) {
      return {
        at,
        changed: false,
        ...(current ? { incident: summary(current) } : {}),
        plan: [],
        skips: [],
        timeline: [],
      };
    }
    if (change.incident.id === nextId) nextId++;
    const plan = planChange({
      change,
      policies: policySet.policies,
      isPlanned: (policy, alert, trigger) =>
        planned.has(`${policy}\0${alert.fingerprint}\0${alert.startsAt}\0${trigger}`),
    });
    for (const entry of plan.entries) {
      for (const alert of entry.alerts) {
        planned.add(`${entry.policy}\0${alert.fingerprint}\0${alert.startsAt}\0${entry.trigger}`);
      }
    }
    const afterPlan = applyPlan(change.incident, plan, at);
    const incident = afterPlan.incident ?? change.incident;
    latest.set(payload.groupKey, incident);
    return {
      at,
      changed: true,
      incident: summary(incident),
      plan: plan.entries,
      skips: plan.skips,
      timeline: [...change.timeline, ...afterPlan.timeline],
    };
  });
}

function summary(incident: Incident): NonNullable<SimulationStep['incident']> {
  return {
    id: incident.id,
    status: incident.status,
    severity: formatSeverity(incident.severity),
    severityReasons: incident.severityReasons,
    heldOpen: incident.holdOpen !== undefined,
  };
}
