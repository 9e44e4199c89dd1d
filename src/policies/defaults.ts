/**
 * The runbook's severity levels, as remediator applies them when a policies file does not say
 * otherwise. Written in the policy language itself, so they are compiled and checked like any file.
 *
 * | level | runbook signals |
 * |---|---|
 * | Sev1 | system unavailable, incorrect predictions, data breach, response time > 1 s, multiple alerts firing |
 * | Sev2 | degraded performance, model accuracy drop, high error rates, resource warnings, security warnings |
 * | Sev3 | minor performance issues, single component issues, non-critical errors, warning alerts |
 * | Sev4 | cosmetic issues, minor bugs, single error alerts, performance warnings |
 */
export const DEFAULT_SEVERITY_SPEC = {
  rules: [
    // System unavailable, incorrect predictions, data breach.
    {
      level: 1,
      when: [
        'alertname=~"ServiceDown|ServerErrorSurge|IncorrectPredictions|DataBreach|DataExfiltrationSuspected"',
      ],
    },
    // Response time over 1 s: the HighLatency rule itself fires only when p99 > 1 s ...
    { level: 1, when: ['alertname="HighLatency"'] },
    // ... and any alert that carries its latency is judged on the value.
    { level: 1, value: { annotation: 'latency_seconds', above: 1 } },
    { level: 1, value: { annotation: 'p99_seconds', above: 1 } },
    // Degraded performance, model accuracy, error rates, resources, security warnings.
    {
      level: 2,
      when: [
        'alertname=~"DegradedPerformance|ModelAccuracyDrop|PredictionAnomaly|HighErrorRate|ResourceWarning|HighCPUUsage|HighMemoryUsage|PodRestartingFrequently|SecurityWarning|AuthFailureSpike|UnusualAccessPattern"',
      ],
    },
    // Warning alerts.
    { level: 3, when: ['severity="warning"'] },
  ],
  multipleAlerts: { atLeast: 3, level: 1 },
  default: 4,
} as const;
