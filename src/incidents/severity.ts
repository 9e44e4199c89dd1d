import { matchesLabels, type Matcher } from '../policies/matchers';
import { evaluateNumericCondition, type NumericCondition } from '../policies/numeric';

/** Sev1 (critical) … Sev4 (low), as the runbook defines them. A lower number is more severe. */
export type Severity = 1 | 2 | 3 | 4;
export const SEVERITIES: readonly Severity[] = [1, 2, 3, 4];

export function formatSeverity(level: Severity): `Sev${Severity}` {
  return `Sev${level}`;
}

/** One compiled `severity.rules[]` entry: every matcher and the value condition must hold. */
export interface SeverityRule {
  readonly level: Severity;
  readonly when: readonly Matcher[];
  readonly value?: NumericCondition;
}

export interface SeverityConfig {
  readonly rules: readonly SeverityRule[];
  /** "Multiple alerts firing": at least `atLeast` firing alerts raise the incident to `level`. */
  readonly multipleAlerts?: { readonly atLeast: number; readonly level: Severity };
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
 * Scores an incident from its firing alerts: each alert gets the most severe level of the rules it
 * satisfies (or the default), the incident gets the most severe level of its alerts and of the
 * multiple-alerts rule. Pure; the reasons name the rules that decided the level.
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

  for (const alert of firing) {
    const scored = scoreAlert(alert, config);
    addReason(scored.level, scored.reason);
  }
  const multiple = config.multipleAlerts;
  if (multiple !== undefined && firing.length >= multiple.atLeast) {
    addReason(
      multiple.level,
      `${firing.length} alerts firing (at least ${multiple.atLeast}) → ${formatSeverity(multiple.level)}`,
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
