import { scoreSeverity, type AlertFacts } from '../../src/incidents/severity';
import { defaultPolicySet, loadPolicies } from '../../src/policies/loader';
import { ACTIONS } from '../../src/remediations/actions/index';

const defaults = defaultPolicySet(ACTIONS).severity;

function alert(
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): AlertFacts {
  return { labels, annotations };
}

describe('the runbook severity defaults', () => {
  // One row per signal in the runbook's severity table (DESIGN.md, "The runbook this automates").
  it.each([
    ['system unavailable', [alert({ alertname: 'ServiceDown' })], 1, 'alertname=~"ServiceDown|'],
    ['5xx surge (unavailable)', [alert({ alertname: 'ServerErrorSurge' })], 1, 'ServerErrorSurge'],
    [
      'incorrect predictions',
      [alert({ alertname: 'IncorrectPredictions' })],
      1,
      'IncorrectPredictions',
    ],
    ['data breach', [alert({ alertname: 'DataBreach' })], 1, 'DataBreach'],
    [
      'response time over 1 s (the HighLatency rule)',
      [alert({ alertname: 'HighLatency' })],
      1,
      'alertname="HighLatency" → Sev1',
    ],
    [
      'response time over 1 s (a value the alert carries)',
      [alert({ alertname: 'LatencyObserved' }, { p99_seconds: '1.9' })],
      1,
      'LatencyObserved: annotation p99_seconds="1.9" (1.9) > 1 → Sev1',
    ],
    [
      'multiple alerts (of Sev3 or worse) firing',
      [
        alert({ alertname: 'Foo', pod: 'a', severity: 'warning' }),
        alert({ alertname: 'Foo', pod: 'b', severity: 'warning' }),
        alert({ alertname: 'Bar', severity: 'critical' }),
      ],
      1,
      '3 alerts firing at Sev3 or worse (at least 3) → Sev1',
    ],
    [
      'degraded performance',
      [alert({ alertname: 'DegradedPerformance' })],
      2,
      'DegradedPerformance',
    ],
    [
      'model accuracy drop',
      [alert({ alertname: 'ModelAccuracyDrop' })],
      2,
      'ModelAccuracyDrop: alertname=~',
    ],
    ['high error rate', [alert({ alertname: 'HighErrorRate' })], 2, 'HighErrorRate: alertname=~'],
    ['resource warning', [alert({ alertname: 'HighMemoryUsage' })], 2, 'HighMemoryUsage'],
    ['security warning', [alert({ alertname: 'AuthFailureSpike' })], 2, 'AuthFailureSpike'],
    [
      'critical alerts (Alertmanager convention)',
      [alert({ alertname: 'KubePodCrashLooping', severity: 'critical' })],
      2,
      'KubePodCrashLooping: severity="critical" → Sev2',
    ],
    [
      'warning alerts',
      [alert({ alertname: 'DiskFillingUp', severity: 'warning' })],
      3,
      'severity="warning" → Sev3',
    ],
    [
      'anything else',
      [alert({ alertname: 'TypoInFooter', severity: 'info' })],
      4,
      'TypoInFooter: no rule matched → Sev4 (default)',
    ],
  ])('scores %s', (_signal, alerts, level, reason) => {
    const score = scoreSeverity(alerts, defaults);
    expect(score.level).toBe(level);
    expect(score.reasons.join('\n')).toContain(reason);
  });

  it('does not raise a latency value at or under 1 s', () => {
    const score = scoreSeverity(
      [alert({ alertname: 'LatencyObserved' }, { p99_seconds: '900ms' })],
      defaults,
    );
    expect(score.level).toBe(4);
  });

  it('gives each alert its most severe rule, whatever the rule order', () => {
    const score = scoreSeverity(
      [alert({ alertname: 'ModelAccuracyDrop', severity: 'warning' })],
      defaults,
    );
    expect(score).toEqual({
      level: 2,
      reasons: [expect.stringContaining('ModelAccuracyDrop: alertname=~')],
    });
  });

  it('counts two alerts as not yet "multiple"', () => {
    const score = scoreSeverity(
      [
        alert({ alertname: 'X', severity: 'warning' }),
        alert({ alertname: 'Y', severity: 'warning' }),
      ],
      defaults,
    );
    expect(score.level).toBe(3);
  });

  it('does not count alerts below Sev3 as "multiple alerts firing": three info alerts stay Sev4', () => {
    const info = ['a', 'b', 'c', 'd'].map((pod) =>
      alert({ alertname: 'NodeClockSkew', pod, severity: 'info' }),
    );
    expect(scoreSeverity(info, defaults)).toEqual({
      level: 4,
      reasons: ['NodeClockSkew: no rule matched → Sev4 (default) (4 alerts)'],
    });
    const mixed = [...info, alert({ alertname: 'A', severity: 'warning' })];
    expect(scoreSeverity(mixed, defaults).level).toBe(3);
    const enough = [...mixed, alert({ alertname: 'B', severity: 'warning' })];
    expect(
      scoreSeverity([...enough, alert({ alertname: 'C', severity: 'warning' })], defaults),
    ).toMatchObject({
      level: 1,
      reasons: ['3 alerts firing at Sev3 or worse (at least 3) → Sev1'],
    });
  });

  it('ranks severity="critical" under the rules that say Sev1', () => {
    expect(
      scoreSeverity([alert({ alertname: 'ServiceDown', severity: 'critical' })], defaults).level,
    ).toBe(1);
  });

  it('merges identical reasons and says how many alerts gave them', () => {
    const score = scoreSeverity(
      [
        alert({ alertname: 'HighErrorRate', pod: 'a' }),
        alert({ alertname: 'HighErrorRate', pod: 'b' }),
      ],
      defaults,
    );
    expect(score.reasons).toEqual([
      expect.stringMatching(/^HighErrorRate: alertname=~".*" → Sev2 \(2 alerts\)$/),
    ]);
  });

  it('lists at most five reasons and counts the rest', () => {
    const many = Array.from({ length: 8 }, (_, i) =>
      alert({ alertname: 'LatencyObserved' }, { p99_seconds: `${2 + i}` }),
    );
    const score = scoreSeverity(many, {
      ...defaults,
      multipleAlerts: { atLeast: 100, level: 1, minAlertSeverity: 4 },
    });
    expect(score.reasons).toHaveLength(6);
    expect(score.reasons[5]).toBe('and 3 more');
  });

  it('scores an incident with nothing firing at the default level', () => {
    expect(scoreSeverity([], defaults)).toEqual({
      level: 4,
      reasons: ['no alerts firing → Sev4 (default)'],
    });
  });
});

describe('severity configured in the policies file', () => {
  const configured = (yaml: string) => {
    const result = loadPolicies(yaml, 'policies.yaml', ACTIONS);
    if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
    return result.policySet.severity;
  };

  it('replaces the default rules with the given ones, keeping the other defaults', () => {
    const severity = configured(`
severity:
  rules:
    - level: 2
      when: ['team="ml"']
`);
    expect(scoreSeverity([alert({ alertname: 'ServiceDown', team: 'ml' })], severity).level).toBe(
      2,
    );
    expect(severity.multipleAlerts).toEqual({ atLeast: 3, level: 1, minAlertSeverity: 3 });
    expect(severity.default).toBe(4);
  });

  it('applies numeric thresholds on labels, with units', () => {
    const severity = configured(`
severity:
  rules:
    - level: 1
      when: ['alertname="ErrorBudgetBurn"']
      value: { label: burn_rate, atLeast: 14.4 }
  default: 3
`);
    expect(
      scoreSeverity([alert({ alertname: 'ErrorBudgetBurn', burn_rate: '14.4' })], severity).level,
    ).toBe(1);
    expect(
      scoreSeverity([alert({ alertname: 'ErrorBudgetBurn', burn_rate: '6' })], severity).level,
    ).toBe(3);
    expect(
      scoreSeverity([alert({ alertname: 'ErrorBudgetBurn', burn_rate: 'n/a' })], severity).level,
    ).toBe(3);
  });

  it('uses the configured count rule, counting every alert with minAlertSeverity 4', () => {
    const severity = configured(`
severity:
  multipleAlerts: { atLeast: 5, level: 2, minAlertSeverity: Sev4 }
`);
    const four = Array.from({ length: 4 }, (_, i) => alert({ alertname: 'X', pod: String(i) }));
    expect(scoreSeverity(four, severity).level).toBe(4);
    expect(scoreSeverity([...four, alert({ alertname: 'X', pod: '5' })], severity)).toEqual({
      level: 2,
      reasons: ['5 alerts firing at Sev4 or worse (at least 5) → Sev2'],
    });
  });

  it('counts only alerts as severe as the configured floor', () => {
    const severity = configured(`
severity:
  multipleAlerts: { atLeast: 2, level: 1, minAlertSeverity: 2 }
`);
    const warnings = ['a', 'b', 'c'].map((pod) =>
      alert({ alertname: 'W', pod, severity: 'warning' }),
    );
    expect(scoreSeverity(warnings, severity).level).toBe(3);
    expect(
      scoreSeverity(
        [alert({ alertname: 'HighErrorRate' }), alert({ alertname: 'X', severity: 'critical' })],
        severity,
      ).level,
    ).toBe(1);
  });

  it('adds rules to the defaults with extends: defaults, and replaces them without', () => {
    const extended = configured(`
severity:
  extends: defaults
  rules:
    - level: 2
      when: ['alertname="QueueBacklog"']
`);
    expect(extended.rules).toHaveLength(defaults.rules.length + 1);
    expect(scoreSeverity([alert({ alertname: 'QueueBacklog' })], extended).level).toBe(2);
    expect(scoreSeverity([alert({ alertname: 'ServiceDown' })], extended).level).toBe(1);
    expect(scoreSeverity([alert({ alertname: 'X', severity: 'warning' })], extended).level).toBe(3);

    const replaced = configured(`
severity:
  rules:
    - level: 2
      when: ['alertname="QueueBacklog"']
`);
    expect(replaced.rules).toHaveLength(1);
    expect(scoreSeverity([alert({ alertname: 'ServiceDown' })], replaced).level).toBe(4);
  });

  it('keeps the default rules for extends: defaults without rules of its own', () => {
    expect(configured('severity: { extends: defaults, default: 3 }')).toEqual({
      ...defaults,
      default: 3,
    });
  });

  it.each([
    ['2', 2],
    ['Sev2', 2],
    ['sev2', 2],
    ['"3"', undefined],
    ['SEV2', undefined],
    ['Sev5', undefined],
    ['0', undefined],
  ])('reads a level written %s', (written, level) => {
    const result = loadPolicies(`severity: { default: ${written} }`, 'policies.yaml', ACTIONS);
    if (level === undefined) {
      expect(result).toMatchObject({
        ok: false,
        problems: [
          {
            path: 'severity.default',
            message: 'must be a severity level from 1 (Sev1) to 4 (Sev4): 2, Sev2 or sev2',
          },
        ],
      });
    } else {
      expect(result).toMatchObject({ ok: true, policySet: { severity: { default: level } } });
    }
  });
});
