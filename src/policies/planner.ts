import {
  transition,
  type AlertState,
  type Incident,
  type IncidentChange,
  type TimelineEntry,
} from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import type { TargetKind } from '../remediations/action';
import type { ActionName } from '../remediations/index';
import { matchesLabels } from './matchers';
import { evaluateNumericCondition } from './numeric';
import type { CompiledParam, CompiledPolicy } from './policy';
import type { Template, TemplateContext } from './template';

/** What made an alert instance a candidate: it started firing, or it resolved. */
export type Trigger = 'firing' | 'resolved';

export interface AlertRef {
  readonly fingerprint: string;
  readonly startsAt: string;
}

export interface RenderedTarget {
  readonly kind: TargetKind;
  readonly namespace: string;
  readonly name: string;
}

export interface RenderedStep {
  readonly action: ActionName;
  readonly params: Readonly<Record<string, unknown>>;
  readonly verifyMs: number;
}

/** One policy's plan for one target: its steps rendered, and the alert instances it answers. */
export interface PlanEntry {
  readonly policy: string;
  readonly trigger: Trigger;
  readonly incidentId: number;
  readonly alerts: readonly AlertRef[];
  readonly alertnames: readonly string[];
  readonly target?: RenderedTarget;
  readonly steps: readonly RenderedStep[];
  readonly dryRun: boolean;
  /** False when the policy keeps the incident open for a human once it acted. */
  readonly autoResolve: boolean;
  /** The policy's cooldown and attempt budget, carried so a plan runs as it was made. */
  readonly cooldownMs: number;
  readonly budget: { readonly max: number; readonly perMs: number };
  readonly reason: string;
}

/** A plan entry as journaled, ready for the executor. */
export interface PlannedEntry extends PlanEntry {
  readonly planId: number;
  readonly groupKey: string;
}

/** Why a policy that matched will not act: a bounded set, used as a metric label. */
export type PlanSkipCode = 'severity_below_minimum' | 'template_missing_value';

/** A policy that matched but will not act, and why. */
export interface PlanSkip {
  readonly policy: string;
  readonly trigger: Trigger;
  readonly alerts: readonly AlertRef[];
  readonly code: PlanSkipCode;
  readonly reason: string;
}

export interface Plan {
  readonly entries: readonly PlanEntry[];
  readonly skips: readonly PlanSkip[];
  /**
   * Alert instances that changed state and matched, per policy (planned or not), for the matches
   * metric. Alerts reconsidered because severity rose were counted when they started firing.
   */
  readonly matches: ReadonlyMap<string, number>;
}

export interface PlanInput {
  readonly change: Pick<IncidentChange, 'incident' | 'previous' | 'newlyFiring' | 'newlyResolved'>;
  readonly policies: readonly CompiledPolicy[];
  /** True when this policy already planned for this alert instance and trigger (a repeat). */
  readonly isPlanned: (policy: string, alert: AlertRef, trigger: Trigger) => boolean;
}

/**
 * Turns an incident change into plan entries. Pure. Candidates are the alert instances that
 * changed state (and, when the incident became more severe, every firing one, since policies
 * gated on severity may now apply). A policy is selected by the alert's own labels (never the
 * group's), its status and the incident's severity; entries for the same policy, target and
 * rendered steps are merged, so three pods of one Deployment make one plan, not three.
 */
export function planChange(input: PlanInput): Plan {
  const { incident, previous } = input.change;
  const candidates: [AlertState, Trigger][] = [
    ...input.change.newlyFiring.map((a): [AlertState, Trigger] => [a, 'firing']),
    ...input.change.newlyResolved.map((a): [AlertState, Trigger] => [a, 'resolved']),
  ];
  const changed = new Set<AlertState>([...input.change.newlyFiring, ...input.change.newlyResolved]);
  if (previous !== undefined && incident.severity < previous.severity) {
    for (const alert of incident.alerts.values()) {
      if (alert.status === 'firing' && !changed.has(alert)) candidates.push([alert, 'firing']);
    }
  }

  const entries = new Map<string, PlanEntry & { alerts: AlertRef[]; alertnames: string[] }>();
  const skips = new Map<string, PlanSkip & { alerts: AlertRef[] }>();
  const matches = new Map<string, number>();
  for (const policy of input.policies) {
    for (const [alert, trigger] of candidates) {
      if (!policy.on.includes(trigger)) continue;
      if (!matchesLabels(policy.match, alert.labels)) continue;
      if (policy.value !== undefined && !evaluateNumericCondition(policy.value, alert).matched)
        continue;
      if (changed.has(alert)) matches.set(policy.name, (matches.get(policy.name) ?? 0) + 1);
      const ref: AlertRef = { fingerprint: alert.fingerprint, startsAt: alert.startsAt };
      if (input.isPlanned(policy.name, ref, trigger)) continue;

      const skip = (code: PlanSkipCode, reason: string): void => {
        const key = `${policy.name}\0${trigger}\0${reason}`;
        const existing = skips.get(key);
        if (existing) existing.alerts.push(ref);
        else skips.set(key, { policy: policy.name, trigger, alerts: [ref], code, reason });
      };
      if (incident.severity > policy.minSeverity) {
        skip(
          'severity_below_minimum',
          `incident is ${formatSeverity(incident.severity)}; the policy acts on ${formatSeverity(policy.minSeverity)} or worse`,
        );
        continue;
      }
      const rendered = render(policy, alert, incident);
      if (!rendered.ok) {
        skip('template_missing_value', rendered.reason);
        continue;
      }
      const key = `${policy.name}\0${trigger}\0${JSON.stringify(rendered.target ?? null)}\0${JSON.stringify(rendered.steps)}`;
      const alertname = alert.labels.alertname ?? '';
      const existing = entries.get(key);
      if (existing) {
        existing.alerts.push(ref);
        if (!existing.alertnames.includes(alertname)) existing.alertnames.push(alertname);
        continue;
      }
      entries.set(key, {
        policy: policy.name,
        trigger,
        incidentId: incident.id,
        alerts: [ref],
        alertnames: [alertname],
        ...(rendered.target === undefined ? {} : { target: rendered.target }),
        steps: rendered.steps,
        dryRun: policy.dryRun,
        autoResolve: policy.autoResolve,
        cooldownMs: policy.cooldownMs,
        budget: policy.budget,
        reason: `${alertname} ${trigger}, matched ${policy.match.map((m) => m.toString()).join(', ')}; incident ${formatSeverity(incident.severity)} (acts on ${formatSeverity(policy.minSeverity)} or worse)`,
      });
    }
  }
  return { entries: [...entries.values()], skips: [...skips.values()], matches };
}

type Rendered =
  { ok: true; target?: RenderedTarget; steps: RenderedStep[] } | { ok: false; reason: string };

/** What templates see for one alert. */
export function templateContext(alert: AlertState, incident: Incident): TemplateContext {
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    severity: formatSeverity(incident.severity),
    incident: { id: incident.id, groupKey: incident.groupKey, status: incident.status },
    alert: { fingerprint: alert.fingerprint, startsAt: alert.startsAt, status: alert.status },
  };
}

function render(policy: CompiledPolicy, alert: AlertState, incident: Incident): Rendered {
  const ctx = templateContext(alert, incident);
  const problems: string[] = [];
  const text = (template: Template, path: string): string => {
    const result = template.render(ctx);
    if (result.ok) return result.value;
    problems.push(`${path}: ${result.reason}`);
    return '';
  };
  const target =
    policy.target === undefined
      ? undefined
      : {
          kind: policy.target.kind,
          namespace: text(policy.target.namespace, 'target.namespace'),
          name: text(policy.target.name, 'target.name'),
        };
  const steps = policy.steps.map((step, i) => ({
    action: step.action,
    params: renderParam(step.params, `steps[${i}].params`, text) as Record<string, unknown>,
    verifyMs: step.verifyMs,
  }));
  if (problems.length > 0) return { ok: false, reason: `cannot render ${problems.join('; ')}` };
  return { ok: true, ...(target === undefined ? {} : { target }), steps };
}

function renderParam(
  value: CompiledParam,
  path: string,
  text: (t: Template, path: string) => string,
): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isTemplate(value)) return text(value, path);
  if (Array.isArray(value))
    return value.map((v: CompiledParam, i) => renderParam(v, `${path}[${i}]`, text));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, CompiledParam>)) {
    out[k] = renderParam(v, `${path}.${k}`, text);
  }
  return out;
}

function isTemplate(value: object): value is Template {
  return 'render' in value && typeof value.render === 'function';
}

/**
 * What a plan does to its incident: a timeline entry per entry and skip, Investigating →
 * Identified when something will act, and the hold for a human when a policy asks for it. Pure.
 */
export function applyPlan(
  current: Incident,
  plan: Pick<Plan, 'entries' | 'skips'>,
  now: number,
): { incident?: Incident; timeline: TimelineEntry[] } {
  const timeline: TimelineEntry[] = [
    ...plan.entries.map((entry) => ({
      at: now,
      kind: 'plan',
      message: `Plan (policy ${entry.policy}): ${entry.steps.map((s) => s.action).join(' → ')}${describeTarget(entry)} for ${describeAlerts(entry)}${entry.dryRun ? ' [dry run]' : ''}`,
      data: {
        policy: entry.policy,
        trigger: entry.trigger,
        target: entry.target ?? null,
        steps: entry.steps,
        reason: entry.reason,
      },
    })),
    ...plan.skips.map((skip) => ({
      at: now,
      kind: 'plan_skipped',
      message: `Policy ${skip.policy} skipped: ${skip.reason} (${describeAlerts(skip)})`,
      data: { policy: skip.policy, trigger: skip.trigger, code: skip.code },
    })),
  ];
  let incident = current;
  const holding = plan.entries.find((e) => !e.autoResolve);
  if (holding !== undefined && incident.holdOpen === undefined && incident.status !== 'resolved') {
    incident = { ...incident, holdOpen: `policy ${holding.policy} does not resolve automatically` };
    timeline.push({
      at: now,
      kind: 'held_open',
      message: `The incident will stay open until a human resolves it (policy ${holding.policy} has autoResolve: false)`,
    });
  }
  if (plan.entries.length > 0 && incident.status === 'investigating') {
    const moved = transition(
      incident,
      'identified',
      `${plan.entries.length} remediation plan(s) made`,
      now,
    );
    return { incident: moved.incident, timeline: [...timeline, moved.entry] };
  }
  return incident === current ? { timeline } : { incident, timeline };
}

function describeTarget(entry: PlanEntry): string {
  return entry.target === undefined
    ? ''
    : ` on ${entry.target.kind} ${entry.target.namespace}/${entry.target.name}`;
}

function describeAlerts(
  item: Pick<PlanEntry | PlanSkip, 'alerts' | 'trigger'> & { alertnames?: readonly string[] },
): string {
  const count = item.alerts.length === 1 ? '1 alert' : `${item.alerts.length} alerts`;
  const names = item.alertnames === undefined ? '' : `${item.alertnames.join(', ')}: `;
  return `${names}${count} ${item.trigger}`;
}
