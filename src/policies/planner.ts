import {
  transition,
  type AlertState,
  type Incident,
  type IncidentChange,
  type TimelineEntry,
} from '../incidents/incident';
import { formatSeverity } from '../incidents/severity';
import type { PlanSkipCode } from '../skip-codes';
import type { OwnerSourceKind, TargetKind } from './action-spec';
import { objectNameProblem, quoteName } from '../kube/names';
import { matchesLabels } from '../labels/matchers';
import { evaluateNumericCondition, type Bounds } from '../labels/numeric';
import { approvalFor, type PlanApproval } from './approval';
import type {
  CompiledParam,
  CompiledPolicy,
  CompiledTarget,
  GitOpsMode,
  SilenceConfig,
} from './policy';
import type { Template, TemplateContext } from './template';

/** What made an alert instance a candidate: it started firing, or it resolved. */
export type Trigger = 'firing' | 'resolved';

export interface AlertRef {
  readonly fingerprint: string;
  readonly startsAt: string;
}

/** A target named by the policy (or found by the executor): the object itself. */
export interface RenderedTarget {
  readonly kind: TargetKind;
  readonly namespace: string;
  readonly name: string;
  /** What it was found through, when the policy named a pod or an HPA (set once resolved). */
  readonly from?: OwnerSource;
}

/** The pod or HPA, in the target's namespace, that a target is found through. */
export interface OwnerSource {
  readonly kind: OwnerSourceKind;
  readonly name: string;
}

/**
 * A target the policy names through a pod or an HPA: the `kind` that owns the pod, or that the
 * HPA scales. Planning reads no cluster, so the executor finds it when the plan's first step runs.
 */
export interface OwnerTarget {
  readonly kind: TargetKind;
  readonly namespace: string;
  readonly from: OwnerSource;
}

/** A plan's target: named, or still to be found through a pod or an HPA. */
export type PlannedTarget = RenderedTarget | OwnerTarget;

export function isNamedTarget(target: PlannedTarget): target is RenderedTarget {
  return 'name' in target;
}

/**
 * A target in words: `Deployment prod/web`, `Deployment that owns pod prod/web-7d9f-abcde`,
 * `Deployment scaled by HPA prod/web`; once found through a pod or an HPA,
 * `Deployment prod/web (owns pod prod/web-7d9f-abcde)`.
 */
export function targetText(target: PlannedTarget): string {
  const { kind, namespace, from } = target;
  const source =
    from === undefined
      ? undefined
      : from.kind === 'Pod'
        ? {
            owner: `that owns pod ${namespace}/${from.name}`,
            found: `owns pod ${namespace}/${from.name}`,
          }
        : {
            owner: `scaled by HPA ${namespace}/${from.name}`,
            found: `scaled by HPA ${namespace}/${from.name}`,
          };
  if (!isNamedTarget(target)) return `${kind} ${source?.owner ?? ''}`;
  const named = `${kind} ${namespace}/${target.name}`;
  return source === undefined ? named : `${named} (${source.found})`;
}

export interface RenderedStep {
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly verifyMs: number;
  /** Verified by this PromQL query (rendered for the alert) rather than by the plan's alerts. */
  readonly check?: RenderedCheck;
}

/** A step's `verify.query`, rendered: what the executor asks Prometheus, and the bounds. */
export interface RenderedCheck {
  readonly query: string;
  readonly name: string;
  readonly bounds: Bounds;
  readonly intervalMs?: number;
  readonly forMs: number;
}

/** One policy's plan for one target: its steps rendered, and the alert instances it answers. */
export interface PlanEntry {
  readonly policy: string;
  readonly trigger: Trigger;
  readonly incidentId: number;
  readonly alerts: readonly AlertRef[];
  readonly alertnames: readonly string[];
  readonly target?: PlannedTarget;
  readonly steps: readonly RenderedStep[];
  /** Whether the plan is a dry run: its policy's `dryRun`, or the server's own dry run. */
  readonly dryRun: boolean;
  /** False when the policy keeps the incident open for a human once it acted. */
  readonly autoResolve: boolean;
  /** Set when the policy silences its alerts in Alertmanager while it works. */
  readonly silence?: SilenceConfig;
  /** Set when a human must approve the plan before it changes anything. */
  readonly approval?: PlanApproval;
  /** What a write to a GitOps-managed target does; plans journaled before it existed: `skip`. */
  readonly gitops?: GitOpsMode;
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
  /** The server runs every plan as a dry run (`--dry-run`, or no Kubernetes credentials). */
  readonly dryRun?: boolean;
  /**
   * How many plan entries this change may still make (`safety.maxPlansPerNotification`, less
   * those the same notification made in earlier slices); past it, alerts that would make a new
   * entry are skipped as `too_many_plans`. Unlimited when omitted.
   */
  readonly planLimit?: { readonly left: number; readonly of: number };
}

/**
 * Turns an incident change into plan entries. Pure. Candidates are the alert instances that
 * changed state (and, when the incident became more severe, every firing one, since policies
 * gated on severity may now apply). A policy is selected by the alert's own labels (never the
 * group's), its status and the incident's severity; entries for the same policy, target and
 * rendered steps are merged, so three pods of one Deployment make one plan, not three. Past the
 * plan limit, the plans of the first alerts are kept, and the others' policies skip them.
 */
const alertnameIndex = new WeakMap<CompiledPolicy, ReadonlySet<string> | null>();

/**
 * The only alertnames a policy can match, when its matchers say (`alertname="X"`,
 * `alertname=~"X|Y"`): most policies name their alerts, and this one Set lookup spares the rest
 * of the matchers for every other alert (200 policies against a notification of 10 alerts are
 * 2,000 pairs). Undefined when any alertname may match.
 */
function alertnamesOf(policy: CompiledPolicy): ReadonlySet<string> | undefined {
  let known = alertnameIndex.get(policy);
  if (known === undefined) {
    known =
      policy.match.find((m) => m.name === 'alertname' && m.values !== undefined)?.values ?? null;
    alertnameIndex.set(policy, known);
  }
  return known ?? undefined;
}

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
  // Candidates (by index) that a policy with `continue: false` matched: later policies skip them.
  const stopped = new Set<number>();
  // The candidate (by index) that made each entry, to keep the first alerts' plans at the limit.
  const firstCandidate = new Map<string, number>();
  // Plain arrays and index loops: this runs policies × alerts times per notification.
  const candidateAlertnames = candidates.map(([alert]) => alert.labels.alertname ?? '');
  for (const policy of input.policies) {
    const alertnames = alertnamesOf(policy);
    const firing = policy.on.includes('firing');
    const resolved = policy.on.includes('resolved');
    for (let c = 0; c < candidates.length; c++) {
      if (alertnames !== undefined && !alertnames.has(candidateAlertnames[c] ?? '')) continue;
      const candidate = candidates[c];
      if (candidate === undefined || stopped.has(c)) continue;
      const [alert, trigger] = candidate;
      if (!(trigger === 'firing' ? firing : resolved)) continue;
      if (!matchesLabels(policy.match, alert.labels)) continue;
      const value =
        policy.value === undefined ? undefined : evaluateNumericCondition(policy.value, alert);
      const matched = value?.matched ?? true;
      if (matched) {
        if (changed.has(alert)) matches.set(policy.name, (matches.get(policy.name) ?? 0) + 1);
        if (!policy.continue) stopped.add(c);
      }
      const ref: AlertRef = { fingerprint: alert.fingerprint, startsAt: alert.startsAt };
      if (input.isPlanned(policy.name, ref, trigger)) continue;

      const stops = matched && !policy.continue ? STOPS : '';
      const skip = (code: PlanSkipCode, reason: string): void => {
        addSkip(skips, { policy: policy.name, trigger, code, reason }, [ref]);
      };
      if (value !== undefined && !value.matched) {
        skip('value_condition_not_met', `value condition not met: ${value.reason}`);
        continue;
      }
      if (incident.severity > policy.minSeverity) {
        skip(
          'severity_below_minimum',
          `incident is ${formatSeverity(incident.severity)}; the policy acts on ${formatSeverity(policy.minSeverity)} or worse${stops}`,
        );
        continue;
      }
      const rendered = render(policy, alert, incident);
      if (!rendered.ok) {
        skip('template_missing_value', `${rendered.reason}${stops}`);
        continue;
      }
      const invalid = rendered.target === undefined ? undefined : targetProblem(rendered.target);
      if (invalid !== undefined) {
        skip('invalid_target', `${invalid}${stops}`);
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
      firstCandidate.set(key, c);
      const approval = approvalFor(policy.approval, incident.severity);
      entries.set(key, {
        policy: policy.name,
        trigger,
        incidentId: incident.id,
        alerts: [ref],
        alertnames: [alertname],
        ...(rendered.target === undefined ? {} : { target: rendered.target }),
        steps: rendered.steps,
        dryRun: policy.dryRun || input.dryRun === true,
        autoResolve: policy.autoResolve,
        ...(policy.silence === undefined ? {} : { silence: policy.silence }),
        ...(approval === undefined ? {} : { approval }),
        gitops: policy.gitops,
        cooldownMs: policy.cooldownMs,
        budget: policy.budget,
        reason: `${alertname} ${trigger}, matched ${policy.match.map((m) => m.toString()).join(', ')}${value === undefined ? '' : ` and ${value.reason}`}; incident ${formatSeverity(incident.severity)} (acts on ${formatSeverity(policy.minSeverity)} or worse)${approval === undefined ? '' : `; needs approval (${approval.why})`}${stops}`,
      });
    }
  }
  const limit = input.planLimit;
  let planned = [...entries];
  if (limit !== undefined && planned.length > limit.left) {
    // The plans kept are those of the first alerts, every policy of an alert before the next
    // alert's: a policy early in the file must not take them all (after a thousand restarts
    // planned, the status update to on-call would never be).
    const kept = new Set(
      planned
        .map(([key], i) => ({ key, first: firstCandidate.get(key) ?? 0, i }))
        .sort((a, b) => a.first - b.first || a.i - b.i)
        .slice(0, limit.left)
        .map((e) => e.key),
    );
    const reason = `the notification would make more than ${limit.of} remediation plans, the most one notification may make (safety.maxPlansPerNotification)`;
    for (const [key, entry] of planned) {
      if (kept.has(key)) continue;
      const dropped = {
        policy: entry.policy,
        trigger: entry.trigger,
        code: 'too_many_plans' as const,
      };
      addSkip(skips, { ...dropped, reason }, entry.alerts);
    }
    planned = planned.filter(([key]) => kept.has(key));
  }
  return { entries: planned.map(([, entry]) => entry), skips: [...skips.values()], matches };
}

/** Adds alerts to the skip with this policy, trigger and reason, made when it is the first. */
function addSkip(
  skips: Map<string, PlanSkip & { alerts: AlertRef[] }>,
  skip: Omit<PlanSkip, 'alerts'>,
  alerts: readonly AlertRef[],
): void {
  const key = `${skip.policy}\0${skip.trigger}\0${skip.reason}`;
  const existing = skips.get(key);
  if (existing) existing.alerts.push(...alerts);
  else skips.set(key, { ...skip, alerts: [...alerts] });
}

/** Said of a policy with `continue: false` that matched, where it acted or was skipped. */
const STOPS = '; continue: false, so no later policy is evaluated for this alert';

/**
 * Why the API server would refuse the rendered target's namespace or name, or the name of the pod
 * or HPA it is found through (or, worse, read it as another path: `..`, `a/b`), quoting the
 * values escaped and cut; undefined when all are valid.
 */
function targetProblem(target: PlannedTarget): string | undefined {
  const problems: string[] = [];
  const namespace = objectNameProblem('Namespace', target.namespace);
  if (namespace !== undefined) {
    problems.push(
      `target namespace ${quoteName(target.namespace)} is not a valid Namespace name: it ${namespace}`,
    );
  }
  const [kind, name, what] = isNamedTarget(target)
    ? [target.kind, target.name, 'target name']
    : [target.from.kind, target.from.name, `target ${target.from.kind === 'Pod' ? 'pod' : 'HPA'}`];
  const problem = objectNameProblem(kind, name);
  if (problem !== undefined) {
    problems.push(`${what} ${quoteName(name)} is not a valid ${kind} name: it ${problem}`);
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}

type Rendered =
  { ok: true; target?: PlannedTarget; steps: RenderedStep[] } | { ok: false; reason: string };

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
  const target = policy.target === undefined ? undefined : renderTarget(policy.target, text);
  const steps = policy.steps.map((step, i): RenderedStep => {
    const { check } = step;
    return {
      action: step.action,
      params: renderParam(step.params, `steps[${i}].params`, text) as Record<string, unknown>,
      verifyMs: step.verifyMs,
      ...(check === undefined
        ? {}
        : {
            check: {
              query: text(check.query, `steps[${i}].verify.query`),
              name: check.name,
              bounds: check.bounds,
              ...(check.intervalMs === undefined ? {} : { intervalMs: check.intervalMs }),
              forMs: check.forMs,
            },
          }),
    };
  });
  if (problems.length > 0) return { ok: false, reason: `cannot render ${problems.join('; ')}` };
  return { ok: true, ...(target === undefined ? {} : { target }), steps };
}

function renderTarget(
  target: CompiledTarget,
  text: (t: Template, path: string) => string,
): PlannedTarget {
  const { kind, from } = target;
  const namespace = text(target.namespace, 'target.namespace');
  if (from === undefined) return { kind, namespace, name: text(target.name, 'target.name') };
  const field = from === 'Pod' ? 'target.fromPod' : 'target.fromHpa';
  return { kind, namespace, from: { kind: from, name: text(target.name, field) } };
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
    : ` on ${isNamedTarget(entry.target) ? '' : 'the '}${targetText(entry.target)}`;
}

function describeAlerts(
  item: Pick<PlanEntry | PlanSkip, 'alerts' | 'trigger'> & { alertnames?: readonly string[] },
): string {
  const count = item.alerts.length === 1 ? '1 alert' : `${item.alerts.length} alerts`;
  const names = item.alertnames === undefined ? '' : `${item.alertnames.join(', ')}: `;
  return `${names}${count} ${item.trigger}`;
}
