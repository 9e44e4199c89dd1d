import type { WebhookPayload } from '../alertmanager/payload';
import {
  applyNotification,
  notificationSlices,
  type Incident,
  type IncidentChange,
} from '../incidents/incident';
import { applyPlan, planChange, type AlertRef, type Plan, type Trigger } from './planner';
import type { PolicySet } from './policy';

export interface DecideInput {
  /** The group's latest incident, open or resolved, if any. */
  readonly current: Incident | undefined;
  readonly payload: WebhookPayload;
  readonly policySet: PolicySet;
  readonly now: number;
  /** Id for the incident this notification would open. */
  readonly nextId: number;
  /** True when this policy already planned for this alert instance and trigger (a repeat). */
  readonly isPlanned: (policy: string, alert: AlertRef, trigger: Trigger) => boolean;
  /** The server runs every plan as a dry run (`--dry-run`, or no Kubernetes credentials). */
  readonly dryRun?: boolean;
  /** More slices of this notification follow: the incident must not resolve on this one. */
  readonly more?: boolean;
  /** Plans this notification may still make, of `safety.maxPlansPerNotification`. */
  readonly plansLeft?: number;
}

/** What one notification leads to: the incident change (plan included) and the plan. */
export interface Decision {
  /** The change with the plan applied: `incident` as it stands after both, their timelines joined. */
  readonly change: IncidentChange;
  readonly plan: Plan;
}

/**
 * Everything one notification decides, in one pure function used by `remediator serve` and by
 * `remediator plan` and `test` alike: fold the notification into its incident (alerts, severity,
 * status), plan the policies that match, and apply the plan to the incident. Undefined when the
 * notification changes nothing (a repeat).
 */
export function decide(input: DecideInput): Decision | undefined {
  const { current, payload, policySet, now } = input;
  const change = applyNotification({
    current,
    payload,
    severity: policySet.severity,
    now,
    nextId: input.nextId,
    ...(input.more === true ? { more: true } : {}),
  });
  if (change === undefined) return undefined;
  const of = policySet.safety.maxPlansPerNotification;
  const plan = planChange({
    change,
    policies: policySet.policies,
    isPlanned: input.isPlanned,
    ...(input.dryRun === undefined ? {} : { dryRun: input.dryRun }),
    planLimit: { left: Math.max(0, input.plansLeft ?? of), of },
  });
  const planned = applyPlan(change.incident, plan, now);
  return {
    change: {
      ...change,
      incident: planned.incident ?? change.incident,
      timeline: [...change.timeline, ...planned.timeline],
    },
    plan,
  };
}

/**
 * Alerts decided (and journaled) at a time. A notification may carry some 15,000 alerts (4 MiB);
 * deciding and journaling such a group in one piece held the event loop for seconds (health
 * probes and other webhooks waited) and its garbage in memory at once. A slice of 500 takes some
 * tens of milliseconds.
 */
export const SLICE_ALERTS = 500;

export interface NotificationInput {
  readonly payload: WebhookPayload;
  readonly policySet: PolicySet;
  readonly now: number;
  /** The group's latest incident, read again before each slice (the last slice changed it). */
  readonly current: () => Incident | undefined;
  /** Id for the incident a slice would open, read again before each slice. */
  readonly nextId: () => number;
  /** As in `DecideInput`; it must see the plans earlier slices made. */
  readonly isPlanned: (policy: string, alert: AlertRef, trigger: Trigger) => boolean;
  /** Alerts per slice; `SLICE_ALERTS` by default. */
  readonly sliceAlerts?: number;
  /** As in `DecideInput`. */
  readonly dryRun?: boolean;
}

/**
 * Decides a notification a slice at a time (see `notificationSlices`): a decision per slice
 * that changes something, each to be applied (journaled) before the next is asked for. The
 * slices share the notification's plan limit. `remediator serve` and `remediator plan` both
 * decide through this, so what the server does and what the offline tools predict are the same
 * for a large group too.
 */
export function* decideNotification(input: NotificationInput): Generator<Decision, void, void> {
  const { payload, policySet, now } = input;
  const slices = notificationSlices(input.current(), payload, input.sliceAlerts ?? SLICE_ALERTS);
  let plansLeft = policySet.safety.maxPlansPerNotification;
  for (const [i, slice] of slices.entries()) {
    const decision = decide({
      current: input.current(),
      payload: slice,
      policySet,
      now,
      nextId: input.nextId(),
      isPlanned: input.isPlanned,
      more: i < slices.length - 1,
      plansLeft,
      ...(input.dryRun === undefined ? {} : { dryRun: input.dryRun }),
    });
    if (decision === undefined) continue;
    plansLeft -= decision.plan.entries.length;
    yield decision;
  }
}

/** One key per (policy, alert instance, trigger): a plan is made once for each. */
export function plannedKey(policy: string, alert: AlertRef, trigger: Trigger): string {
  return `${policy}\0${alert.fingerprint}\0${alert.startsAt}\0${trigger}`;
}

/** The keys a plan's entries claim. */
export function plannedKeys(plan: Pick<Plan, 'entries'>): string[] {
  return plan.entries.flatMap((e) => e.alerts.map((a) => plannedKey(e.policy, a, e.trigger)));
}
