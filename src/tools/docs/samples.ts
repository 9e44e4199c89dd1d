/**
 * Live samples: an alert, its incident and template context, which the reference page evaluates
 * its examples against with the real code, so that a wrong example fails `npm run generate`
 * instead of misleading a reader.
 */
import type { AlertState, Incident } from '../../incidents/incident';
import { formatProblem, loadPolicies } from '../../policies/loader';
import { templateContext } from '../../policies/planner';
import { TEMPLATE_ROOTS } from '../../policies/policy';
import { compileTemplate, type TemplateContext } from '../../policies/template';
import { ACTIONS } from '../../remediations/actions/index';
import { code } from './markdown';

/** The labels of the alert the template examples render against. */
export const SAMPLE_LABELS: Readonly<Record<string, string>> = {
  alertname: 'HighLatency',
  namespace: 'shop',
  deployment: 'checkout',
  pod: 'Checkout_API.v2-7d9f',
  'app.kubernetes.io/name': 'checkout',
  severity: 'critical',
};

/** The annotations of every sample alert. */
export const SAMPLE_ANNOTATIONS: Readonly<Record<string, string>> = {
  summary: 'p99 latency above 1 s',
  p99_seconds: '1.9',
};

/** A firing alert with these labels and {@link SAMPLE_ANNOTATIONS}. */
export function sampleAlert(labels: Readonly<Record<string, string>>): AlertState {
  return {
    fingerprint: 'c0ffee0123456789',
    startsAt: '2025-01-15T09:30:00Z',
    status: 'firing',
    labels,
    annotations: SAMPLE_ANNOTATIONS,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.example/graph',
    firstSeenAt: 0,
    updatedAt: 0,
  };
}

/** An incident holding only this alert. */
export function sampleIncident(alert: AlertState): Incident {
  return {
    id: 42,
    groupKey: '{}:{alertname="HighLatency"}',
    receiver: 'remediator',
    groupLabels: { alertname: alert.labels.alertname ?? '' },
    status: 'investigating',
    severity: 1,
    severityReasons: [],
    openedAt: 0,
    updatedAt: 0,
    alerts: new Map([[`${alert.fingerprint}@${alert.startsAt}`, alert]]),
  };
}

/** What a template reads for the alert with {@link SAMPLE_LABELS}, built by the planner's own code. */
export function sampleContext(): TemplateContext {
  const alert = sampleAlert(SAMPLE_LABELS);
  return templateContext(alert, sampleIncident(alert));
}

/** Renders a template against the sample alert; throws when the docs' own example is wrong. */
export function renderSample(source: string, ctx: TemplateContext): string {
  const result = compileTemplate(source, { allowedRoots: TEMPLATE_ROOTS }).render(ctx);
  if (!result.ok) throw new Error(`docs example ${source} does not render: ${result.reason}`);
  return result.value;
}

/** Loads a policies file the docs show; throws, listing every problem, when it does not load. */
export function loadOrThrow(
  text: string,
  file: string,
): ReturnType<typeof loadPolicies> & { ok: true } {
  const result = loadPolicies(text, file, ACTIONS);
  if (!result.ok) {
    throw new Error(
      `docs example ${file} does not load:\n${result.problems.map(formatProblem).join('\n')}`,
    );
  }
  return result;
}

/** Labels as code spans: `` `namespace="shop"` `pod="x"` ``. */
export function labelsText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '(none)';
  return entries.map(([k, v]) => code(`${k}=${JSON.stringify(v)}`)).join(' ');
}
