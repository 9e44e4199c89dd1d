/**
 * The runbook's severity levels, as remediator applies them when a policies file does not say
 * otherwise. Written in the policy language itself, so they are compiled and checked like any file.
 *
 * | level | runbook signals |
 * |---|---|
 * | Sev1 | system unavailable, incorrect predictions, data breach, response time > 1 s, multiple alerts (of Sev3 or worse) firing |
 * | Sev2 | degraded performance, model accuracy drop, high error rates, resource warnings, security warnings; alerts labelled `severity="critical"` |
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
    // Alertmanager's conventional `severity="critical"`: at least Sev2 (rules above may say Sev1).
    { level: 2, when: ['severity="critical"'] },
    // Warning alerts.
    { level: 3, when: ['severity="warning"'] },
  ],
  // Multiple alerts firing, counting only those of Sev3 or worse on their own.
  multipleAlerts: { atLeast: 3, level: 1, minAlertSeverity: 3 },
  default: 4,
} as const;
