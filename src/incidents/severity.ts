import { matchesLabels, type Matcher } from '../labels/matchers';
import { evaluateNumericCondition, type NumericCondition } from '../labels/numeric';

/** Sev1 (critical) … Sev4 (low), as the runbook defines them. A lower number is more severe. */
export type Severity = 1 | 2 | 3 | 4;
export const SEVERITIES: readonly Severity[] = [1, 2, 3, 4];

export function formatSeverity(level: Severity): `Sev${Severity}` {
  return `Sev${level}`;
}

/**
 * A level as a policies file writes it, `2`, `Sev2` or `sev2`, as a Severity; undefined for
 * anything else.
 */
export function parseSeverity(written: number | string): Severity | undefined {
  const n = typeof written === 'number' ? written : /^[Ss]ev([1-4])$/.exec(written)?.[1];
  const level = Number(n);
  return SEVERITIES.find((s) => s === level);
}

/** One compiled `severity.rules[]` entry: every matcher and the value condition must hold. */
export interface SeverityRule {
  readonly level: Severity;
  readonly when: readonly Matcher[];
  readonly value?: NumericCondition;
}

export interface SeverityConfig {
  readonly rules: readonly SeverityRule[];
  /**
   * "Multiple alerts firing": at least `atLeast` firing alerts that are each `minAlertSeverity`
   * or more severe on their own raise the incident to `level` (three `severity="info"` alerts are
   * not an emergency).
   */
  readonly multipleAlerts?: {
    readonly atLeast: number;
    readonly level: Severity;
    readonly minAlertSeverity: Severity;
  };
  readonly default: Severity;
}

export interface AlertFacts {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface SeverityScore {
  readonly level: Severity;
  /** Why, most severe first, e.g. `HighLatency: annotation p99_seconds="1.9" (1.9) > 1 → Sev1`. */
  readonly reasons: readonly string[];
}

const MAX_REASONS = 5;

/**
 * Each alert's own score, kept while the alert and the configuration live: alert states are
 * immutable and carried from one version of an incident to the next, and an incident is scored
 * again at every change. A large notification is applied in slices (incident.ts), each scoring
 * every firing alert of the incident: matching each against every rule again made the slices
 * cost the square of the group's size.
 */
const scoresByConfig = new WeakMap<
  SeverityConfig,
  WeakMap<AlertFacts, { level: Severity; reason: string }>
>();

/**
 * Scores an incident from its firing alerts: each alert gets the most severe level of the rules it
 * satisfies (or the default), the incident gets the most severe level of its alerts and of the
 * multiple-alerts rule (which counts only the alerts severe enough on their own). Pure; the reasons name the rules that decided the level.
 */
export function scoreSeverity(
  firing: readonly AlertFacts[],
  config: SeverityConfig,
): SeverityScore {
  if (firing.length === 0) {
    return {
      level: config.default,
      reasons: [`no alerts firing → ${formatSeverity(config.default)} (default)`],
    };
  }
  let level: Severity = config.default;
  const reasonsByLevel = new Map<Severity, Map<string, number>>();
  const addReason = (at: Severity, reason: string): void => {
    let reasons = reasonsByLevel.get(at);
    if (reasons === undefined) reasonsByLevel.set(at, (reasons = new Map<string, number>()));
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    if (at < level) level = at;
  };

  const multiple = config.multipleAlerts;
  let counted = 0;
  let scores = scoresByConfig.get(config);
  if (scores === undefined) scoresByConfig.set(config, (scores = new WeakMap()));
  for (const alert of firing) {
    let scored = scores.get(alert);
    if (scored === undefined) scores.set(alert, (scored = scoreAlert(alert, config)));
    addReason(scored.level, scored.reason);
    if (multiple !== undefined && scored.level <= multiple.minAlertSeverity) counted++;
  }
  if (multiple !== undefined && counted >= multiple.atLeast) {
    addReason(
      multiple.level,
      `${counted} alerts firing at ${formatSeverity(multiple.minAlertSeverity)} or worse (at least ${multiple.atLeast}) → ${formatSeverity(multiple.level)}`,
    );
  }

  const decisive = [...(reasonsByLevel.get(level) ?? new Map<string, number>())].map(
    ([reason, count]) => (count > 1 ? `${reason} (${count} alerts)` : reason),
  );
  const reasons = decisive.slice(0, MAX_REASONS);
  if (decisive.length > MAX_REASONS) reasons.push(`and ${decisive.length - MAX_REASONS} more`);
  return { level, reasons };
}

/** The level one alert earns on its own, and the reason for it. */
export function scoreAlert(
  alert: AlertFacts,
  config: SeverityConfig,
): { level: Severity; reason: string } {
  const name = alert.labels.alertname ?? '(no alertname)';
  let best: { level: Severity; reason: string } | undefined;
  for (const rule of config.rules) {
    if (best !== undefined && rule.level >= best.level) continue;
    if (!matchesLabels(rule.when, alert.labels)) continue;
    let why = rule.when.map((m) => m.toString()).join(', ');
    if (rule.value !== undefined) {
      const result = evaluateNumericCondition(rule.value, alert);
      if (!result.matched) continue;
      why = why === '' ? result.reason : `${why}, ${result.reason}`;
    }
    best = { level: rule.level, reason: `${name}: ${why} → ${formatSeverity(rule.level)}` };
  }
  return (
    best ?? {
      level: config.default,
      reason: `${name}: no rule matched → ${formatSeverity(config.default)} (default)`,
    }
  );
}
