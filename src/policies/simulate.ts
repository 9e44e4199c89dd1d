import type { Incident, TimelineEntry } from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import type { WebhookPayload } from '../alertmanager/payload';
import { decideNotification, plannedKey, plannedKeys } from './decide';
import type { PlanEntry, PlanSkip } from './planner';
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
 * The server's decisions over a stream of notifications, with in-memory state: each `step` feeds
 * one through the same pure decisions the server makes (incident fold, severity, planning, its
 * effect on the incident), with an in-memory record of what was planned. Nothing touches a
 * cluster, a journal or a clock. `remediator replay` streams a journal's log through one.
 */
export class Simulation {
  private readonly latest = new Map<string, Incident>();
  private readonly planned = new Set<string>();
  private nextId = 1;

  constructor(
    private readonly policySet: PolicySet,
    private readonly options: { readonly dryRun?: boolean } = {},
  ) {}

  step({ payload, at }: SimulatedNotification): SimulationStep {
    const step = {
      plan: [] as PlanEntry[],
      skips: [] as PlanSkip[],
      timeline: [] as TimelineEntry[],
    };
    let changed = false;
    for (const { change, plan } of decideNotification({
      payload,
      policySet: this.policySet,
      now: at,
      current: () => this.latest.get(payload.groupKey),
      nextId: () => this.nextId,
      isPlanned: (policy, alert, trigger) => this.planned.has(plannedKey(policy, alert, trigger)),
      ...(this.options.dryRun === undefined ? {} : { dryRun: this.options.dryRun }),
    })) {
      changed = true;
      if (change.incident.id === this.nextId) this.nextId++;
      for (const key of plannedKeys(plan)) this.planned.add(key);
      this.latest.set(payload.groupKey, change.incident);
      step.plan.push(...plan.entries);
      step.skips.push(...plan.skips);
      step.timeline.push(...change.timeline);
    }
    const incident = this.latest.get(payload.groupKey);
    return { at, changed, ...(incident ? { incident: summary(incident) } : {}), ...step };
  }
}

/** Feeds notifications, in order, through a fresh `Simulation`: what `plan` and `test` show. */
export function simulate(
  policySet: PolicySet,
  notifications: readonly SimulatedNotification[],
  options: { readonly dryRun?: boolean } = {},
): SimulationStep[] {
  const simulation = new Simulation(policySet, options);
  return notifications.map((n) => simulation.step(n));
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
