/**
 * Alert decay, for `remediator check --rules`: how long an alert can go on firing after a fix
 * that works, from its Prometheus rule. Its expression looks back over its longest range
 * (`rate(x[5m])` still sees the bad minutes for 5 minutes), through the recording rules it reads
 * (each adds its own range and evaluation interval); the rule is evaluated every `interval` of
 * its group (Prometheus' global default 1m); `keep_firing_for` holds it longer. Judged from the
 * notifications received, Alertmanager's `group_interval` comes on top before the resolved
 * notification is sent. `for:` delays firing, not resolving: it does not count.
 *
 * A step judged by its alerts with a shorter window runs its next step for a fix that worked.
 */
import { parseAllDocuments } from 'yaml';
import { formatDuration as words } from '../labels/durations';
import { matchesLabels } from '../labels/matchers';
import { promqlDurationMs, queryReach } from '../policies/promql';
import type { PolicySet } from '../policies/policy';

/** One rule as a rule file (or a PrometheusRule's `spec`) writes it, with its group's interval. */
interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly keepFiringForMs: number;
  readonly intervalMs: number;
}

/** Prometheus' `global.evaluation_interval` default. */
export const DEFAULT_EVALUATION_INTERVAL_MS = 60_000;

/**
 * The rules of Prometheus rule files (`groups:`) or PrometheusRule manifests (`spec.groups`), in
 * the texts given; documents of any other kind are skipped. Throws on YAML that does not parse.
 */
export function readRules(texts: readonly string[], evaluationIntervalMs: number): Rule[] {
  const rules: Rule[] = [];
  for (const text of texts) {
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(doc.errors[0]?.message ?? 'YAML error');
      const value = doc.toJS() as { groups?: unknown; spec?: { groups?: unknown } } | null;
      const groups = value?.groups ?? value?.spec?.groups;
      if (!Array.isArray(groups)) continue;
      for (const group of groups as { interval?: unknown; rules?: unknown }[]) {
        const intervalMs =
          typeof group.interval === 'string'
            ? promqlDurationMs(group.interval) || evaluationIntervalMs
            : evaluationIntervalMs;
        for (const rule of Array.isArray(group.rules)
          ? (group.rules as Record<string, unknown>[])
          : []) {
          if (typeof rule.expr !== 'string') continue;
          rules.push({
            ...(typeof rule.alert === 'string' ? { alert: rule.alert } : {}),
            ...(typeof rule.record === 'string' ? { record: rule.record } : {}),
            expr: rule.expr,
            keepFiringForMs:
              typeof rule.keep_firing_for === 'string' ? promqlDurationMs(rule.keep_firing_for) : 0,
            intervalMs,
          });
        }
      }
    }
  }
  return rules;
}

/** How long after a fix a rule's expression can still hold, and why, in words. */
export interface Decay {
  readonly ms: number;
  readonly why: string;
}

/** The decay of each alert rule, by alert name (the longest when a name has several rules). */
export function alertDecays(rules: readonly Rule[]): Map<string, Decay> {
  const recorded = new Map<string, Rule>();
  for (const rule of rules) if (rule.record !== undefined) recorded.set(rule.record, rule);
  // How stale a recorded series can be: its own lookback and evaluation, recursively.
  const staleness = (expr: string, seen: ReadonlySet<string>): number => {
    const reach = queryReach(expr);
    if (reach === undefined) return 0;
    let longest = reach.lookbackMs;
    for (const metric of reach.metrics) {
      const source = recorded.get(metric);
      if (source === undefined || seen.has(metric)) continue;
      longest = Math.max(
        longest,
        staleness(source.expr, new Set([...seen, metric])) + source.intervalMs,
      );
    }
    return longest;
  };
  const decays = new Map<string, Decay>();
  for (const rule of rules) {
    if (rule.alert === undefined) continue;
    const lookback = staleness(rule.expr, new Set());
    const ms = lookback + rule.intervalMs + rule.keepFiringForMs;
    const why = `its expression looks back ${words(lookback)}, evaluated every ${words(rule.intervalMs)}${rule.keepFiringForMs > 0 ? `, kept firing for ${words(rule.keepFiringForMs)}` : ''}`;
    const known = decays.get(rule.alert);
    if (known === undefined || known.ms < ms) decays.set(rule.alert, { ms, why });
  }
  return decays;
}

/** A step whose window a rule's decay outlasts. */
export interface ShortWindow {
  readonly policy: string;
  readonly step: number;
  readonly message: string;
}

/**
 * Steps judged by their alerts (no query) whose window is shorter than the decay of an alert their
 * policy names, plus `groupIntervalMs`. A policy that names no alert name matches every rule and
 * is not judged here.
 */
export function shortWindows(
  policies: PolicySet,
  decays: ReadonlyMap<string, Decay>,
  groupIntervalMs: number,
  judged: (action: string) => boolean,
): ShortWindow[] {
  const out: ShortWindow[] = [];
  for (const policy of policies.policies) {
    const byName = policy.match.filter((m) => m.name === 'alertname');
    if (byName.length === 0) continue;
    const named = [...decays].filter(([alert]) => matchesLabels(byName, { alertname: alert }));
    policy.steps.forEach((step, index) => {
      if (step.check !== undefined || !judged(step.action)) return;
      for (const [alert, decay] of named) {
        const needed = decay.ms + groupIntervalMs;
        if (step.verifyMs >= needed) continue;
        out.push({
          policy: policy.name,
          step: index,
          message: `policy ${policy.name} steps[${index}] (${step.action}): verify ${words(step.verifyMs)} is shorter than ${alert} can fire after a fix that works: ${decay.why}${groupIntervalMs > 0 ? `, plus Alertmanager's group_interval ${words(groupIntervalMs)}` : ''}; make it at least ${words(needed)}, or verify by a query`,
        });
      }
    });
  }
  return out;
}
