import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every `remediator_` metric, created on one injected registry (never prom-client's global one).
 * Label values come only from the closed sets below, and every series exists at zero from start-up
 * so that dashboards and `rate()` see it before the first event.
 */

/** Every HTTP status code the webhook answers with. */
export const WEBHOOK_CODES = [
  '200',
  '400',
  '401',
  '404',
  '405',
  '413',
  '415',
  '500',
  '503',
] as const;
export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export const SEVERITY_LABELS = ['sev1', 'sev2', 'sev3', 'sev4'] as const;

export type SeverityLabel = (typeof SEVERITY_LABELS)[number];
/** Why a matched policy did not act (plan time and, later, the safety gates). */
export const SKIP_REASONS = ['severity_below_minimum', 'template_missing_value'] as const;
export const RELOAD_RESULTS = ['success', 'failure'] as const;

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop, GC); off in unit tests to keep them fast. */
  processMetrics?: boolean;
  version?: string;
}

export function createMetrics(registry: Registry, options: MetricsOptions = {}) {
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // These three are gauges named like counters (promtool flags them); the per-type gauges
    // nodejs_active_{handles,requests,resources} carry the same numbers.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      registry.removeSingleMetric(name);
    }
  }

  let openIncidentsSource: () => Readonly<Record<SeverityLabel, number>> = () => ({
    sev1: 0,
    sev2: 0,
    sev3: 0,
    sev4: 0,
  });

  const metrics = {
    buildInfo: new Gauge({
      name: 'remediator_build_info',
      help: 'Always 1; the version label says which remediator is running.',
      labelNames: ['version'],
      registers: [registry],
    }),
    webhookRequests: new Counter({
      name: 'remediator_webhook_requests_total',
      help: 'Webhook requests answered, by HTTP status code.',
      labelNames: ['code'],
      registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: 'remediator_webhook_request_duration_seconds',
      help: 'Time from the start of a webhook request to its answer, by HTTP status code.',
      labelNames: ['code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    alertsReceived: new Counter({
      name: 'remediator_alerts_received_total',
      help: 'Alerts received in accepted webhook payloads (repeats included), by alert status.',
      labelNames: ['status'],
      registers: [registry],
    }),
    incidentsOpened: new Counter({
      name: 'remediator_incidents_opened_total',
      help: 'Incidents opened, by the severity they were opened with.',
      labelNames: ['severity'],
      registers: [registry],
    }),
    incidentsResolved: new Counter({
      name: 'remediator_incidents_resolved_total',
      help: 'Incidents resolved, by their severity at resolution.',
      labelNames: ['severity'],
      registers: [registry],
    }),
    incidentsOpen: new Gauge({
      name: 'remediator_incidents_open',
      help: 'Incidents currently open, by severity.',
      labelNames: ['severity'],
      registers: [registry],
      collect() {
        const counts = openIncidentsSource();
        for (const severity of SEVERITY_LABELS) this.set({ severity }, counts[severity]);
      },
    }),
    journalWriteFailures: new Counter({
      name: 'remediator_journal_write_failures_total',
      help: 'Journal transactions that failed to commit (each one makes the webhook answer 503).',
      registers: [registry],
    }),
    journalCommitDuration: new Histogram({
      name: 'remediator_journal_commit_duration_seconds',
      help: 'Time to commit one journal transaction (several webhook requests may share one).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    policiesLoaded: new Gauge({
      name: 'remediator_policies_loaded',
      help: 'Remediation policies in force.',
      registers: [registry],
    }),
    policyReloads: new Counter({
      name: 'remediator_policy_reloads_total',
      help: 'Reloads of the policies file, by result (a failed reload keeps the last good policies).',
      labelNames: ['result'],
      registers: [registry],
    }),
    policyLastReloadSuccessful: new Gauge({
      name: 'remediator_policy_last_reload_successful',
      help: '1 when the last load of the policies file succeeded, 0 when the file in place is invalid.',
      registers: [registry],
    }),
    policyLastReloadSuccessTime: new Gauge({
      name: 'remediator_policy_last_reload_success_timestamp_seconds',
      help: 'When the policies in force were loaded.',
      registers: [registry],
    }),
    policyMatches: new Counter({
      name: 'remediator_policy_matches_total',
      help: 'Alert instances that matched a policy (repeats excluded), by policy.',
      labelNames: ['policy'],
      registers: [registry],
    }),
    plans: new Counter({
      name: 'remediator_plans_total',
      help: 'Remediation plans made, by policy and first action.',
      labelNames: ['policy', 'action'],
      registers: [registry],
    }),
    skips: new Counter({
      name: 'remediator_skips_total',
      help: 'Matched policies that did not act, by policy and reason.',
      labelNames: ['policy', 'reason'],
      registers: [registry],
    }),
    /** Creates every per-policy series at zero, so dashboards see a policy before it first acts. */
    initPolicies(
      policies: readonly { name: string; steps: readonly { action: string }[] }[],
    ): void {
      metrics.policiesLoaded.set(policies.length);
      for (const policy of policies) {
        metrics.policyMatches.inc({ policy: policy.name }, 0);
        const first = policy.steps[0]?.action;
        if (first !== undefined) metrics.plans.inc({ policy: policy.name, action: first }, 0);
        for (const reason of SKIP_REASONS) metrics.skips.inc({ policy: policy.name, reason }, 0);
      }
    },
    /** Lets the incident book report open incidents at scrape time, so the gauge cannot drift. */
    bindOpenIncidents(source: () => Readonly<Record<SeverityLabel, number>>): void {
      openIncidentsSource = source;
    },
  };

  metrics.buildInfo.set({ version: options.version ?? 'dev' }, 1);
  for (const code of WEBHOOK_CODES) {
    metrics.webhookRequests.inc({ code }, 0);
    metrics.webhookDuration.zero({ code });
  }
  for (const status of ALERT_STATUSES) metrics.alertsReceived.inc({ status }, 0);
  for (const result of RELOAD_RESULTS) metrics.policyReloads.inc({ result }, 0);
  for (const severity of SEVERITY_LABELS) {
    metrics.incidentsOpened.inc({ severity }, 0);
    metrics.incidentsResolved.inc({ severity }, 0);
  }
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
