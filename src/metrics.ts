import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KUBE_ERROR_REASONS } from './kube/errors';
import { SKIP_CODES } from './skip-codes';

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
export const RELOAD_RESULTS = ['success', 'failure'] as const;
export const REMEDIATION_OUTCOMES = ['applied', 'dry_run', 'skipped', 'failed'] as const;
export const VERIFICATION_RESULTS = ['effective', 'ineffective'] as const;
export const KUBE_VERBS = ['get', 'list', 'create', 'update', 'patch', 'delete'] as const;
export const ESCALATION_REASONS = [
  'steps_exhausted',
  'budget',
  'circuit_open',
  'blast_radius',
  'interrupted',
  'too_many_plans',
  'approval_denied',
  'approval_timed_out',
  'gitops_managed',
  'gitops_suspended',
  'unresolved',
] as const;
/** How an approval request ended. */
export const APPROVAL_RESULTS = ['approved', 'denied', 'timed_out', 'withdrawn'] as const;
/** The messages sent to sinks, as the notifications metric labels them. */
export const MESSAGE_TEMPLATES = ['status-update', 'resolution-notice', 'approval'] as const;
export const NOTIFICATION_RESULTS = [
  'delivered',
  'failed',
  'rejected',
  'unconfigured',
  'dry_run',
] as const;

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

  let journalSizeSource: () => number = () => 0;
  let logBacklogSource: () => { count: number; ageSeconds: number } = () => ({
    count: 0,
    ageSeconds: 0,
  });
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
    logAppended: new Counter({
      name: 'remediator_log_appended_total',
      help: 'Notifications appended to the notification log (each one a webhook answered 200).',
      registers: [registry],
    }),
    logApplied: new Counter({
      name: 'remediator_log_applied_total',
      help: 'Notifications of the log folded into their incidents (repeats included).',
      registers: [registry],
    }),
    logBacklog: new Gauge({
      name: 'remediator_log_backlog',
      help: 'Notifications accepted and not yet folded into their incidents; past a bound the webhook answers 503.',
      registers: [registry],
      collect() {
        this.set(logBacklogSource().count);
      },
    }),
    logBacklogAge: new Gauge({
      name: 'remediator_log_backlog_age_seconds',
      help: 'How long ago the oldest notification not yet folded into its incident was accepted (0 without one).',
      registers: [registry],
      collect() {
        this.set(logBacklogSource().ageSeconds);
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
    remediations: new Counter({
      name: 'remediator_remediations_total',
      help: 'Remediation steps run, by policy, action and outcome (applied, dry_run, skipped, failed).',
      labelNames: ['policy', 'action', 'outcome'],
      registers: [registry],
    }),
    remediationDuration: new Histogram({
      name: 'remediator_remediation_duration_seconds',
      help: "Time one remediation step took, from its gates to the API server's answer, by action.",
      labelNames: ['action'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    verifications: new Counter({
      name: 'remediator_verifications_total',
      help: 'Verdicts on applied steps: effective (the alerts resolved within the verify window) or ineffective.',
      labelNames: ['policy', 'action', 'result'],
      registers: [registry],
    }),
    timeToResolve: new Histogram({
      name: 'remediator_incident_time_to_resolve_seconds',
      help: 'Time from an incident opening to its resolution, by severity.',
      labelNames: ['severity'],
      buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400],
      registers: [registry],
    }),
    kubeRequests: new Counter({
      name: 'remediator_kube_requests_total',
      help: 'Kubernetes API requests (each attempt), by verb and outcome (success or an error reason).',
      labelNames: ['verb', 'outcome'],
      registers: [registry],
    }),
    circuitOpen: new Gauge({
      name: 'remediator_circuit_open',
      help: "1 while a policy's circuit breaker stops it from acting (open or half-open), else 0.",
      labelNames: ['policy'],
      registers: [registry],
    }),
    paused: new Gauge({
      name: 'remediator_paused',
      help: '1 while remediation is paused through the API, else 0.',
      registers: [registry],
    }),
    escalations: new Counter({
      name: 'remediator_escalations_total',
      help: 'Escalations to humans, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    approvals: new Counter({
      name: 'remediator_approvals_total',
      help: 'Approval requests answered, by policy and result (approved, denied, timed_out, withdrawn).',
      labelNames: ['policy', 'result'],
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'remediator_notifications_total',
      help: 'Notifications sent, by sink, message template and result.',
      labelNames: ['sink', 'template', 'result'],
      registers: [registry],
    }),
    kubeRequestDuration: new Histogram({
      name: 'remediator_kube_request_duration_seconds',
      help: 'Time one Kubernetes API request (one attempt) took, by verb.',
      labelNames: ['verb'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    dryRun: new Gauge({
      name: 'remediator_dry_run',
      help: '1 when remediator runs in dry-run mode (by flag, or because it found no Kubernetes credentials).',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'remediator_leader',
      help: '1 on the replica that does the work (always, on a SQLite journal); 0 on a replica that takes webhooks and forwards the API to it.',
      registers: [registry],
    }),
    stepsInFlight: new Gauge({
      name: 'remediator_remediation_steps_in_flight',
      help: 'Remediation steps running or waiting for a slot now.',
      registers: [registry],
    }),
    verificationsPending: new Gauge({
      name: 'remediator_verifications_pending',
      help: 'Applied steps whose verify window is still open.',
      registers: [registry],
    }),
    journalSize: new Gauge({
      name: 'remediator_journal_size_bytes',
      help: 'Size of the journal on disk (database and write-ahead log).',
      registers: [registry],
      collect() {
        this.set(journalSizeSource());
      },
    }),
    journalPruned: new Counter({
      name: 'remediator_journal_pruned_incidents_total',
      help: 'Resolved incidents deleted from the journal by retention.',
      registers: [registry],
    }),
    /** Creates every per-policy series at zero, so dashboards see a policy before it first acts. */
    initPolicies({
      policies,
      sinks,
    }: {
      policies: readonly {
        name: string;
        steps: readonly { action: string }[];
        approval?: unknown;
      }[];
      sinks: Readonly<Record<string, unknown>>;
    }): void {
      metrics.policiesLoaded.set(policies.length);
      for (const sink of Object.keys(sinks)) {
        for (const template of MESSAGE_TEMPLATES) {
          for (const result of NOTIFICATION_RESULTS)
            metrics.notifications.inc({ sink, template, result }, 0);
        }
      }
      for (const policy of policies) {
        metrics.policyMatches.inc({ policy: policy.name }, 0);
        const first = policy.steps[0]?.action;
        if (first !== undefined) metrics.plans.inc({ policy: policy.name, action: first }, 0);
        for (const reason of SKIP_CODES) metrics.skips.inc({ policy: policy.name, reason }, 0);
        for (const { action } of policy.steps) {
          for (const outcome of REMEDIATION_OUTCOMES) {
            metrics.remediations.inc({ policy: policy.name, action, outcome }, 0);
          }
          for (const result of VERIFICATION_RESULTS) {
            metrics.verifications.inc({ policy: policy.name, action, result }, 0);
          }
        }
        if (policy.approval !== undefined) {
          for (const result of APPROVAL_RESULTS)
            metrics.approvals.inc({ policy: policy.name, result }, 0);
        }
        // A circuit already open keeps its value; a new policy starts closed.
        metrics.circuitOpen.inc({ policy: policy.name }, 0);
      }
    },
    bindJournalSize(source: () => number): void {
      journalSizeSource = source;
    },
    /** Lets the projection report its backlog at scrape time. */
    bindLogBacklog(source: () => { count: number; ageSeconds: number }): void {
      logBacklogSource = source;
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
  for (const severity of SEVERITY_LABELS) metrics.timeToResolve.zero({ severity });
  for (const verb of KUBE_VERBS) {
    for (const outcome of ['success', ...KUBE_ERROR_REASONS])
      metrics.kubeRequests.inc({ verb, outcome }, 0);
  }
  for (const reason of ESCALATION_REASONS) metrics.escalations.inc({ reason }, 0);
  for (const verb of KUBE_VERBS) metrics.kubeRequestDuration.zero({ verb });
  metrics.paused.set(0);
  for (const severity of SEVERITY_LABELS) {
    metrics.incidentsOpened.inc({ severity }, 0);
    metrics.incidentsResolved.inc({ severity }, 0);
  }
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
