/**
 * Alertmanager webhook bodies (version 4) shaped like the captured fixtures in
 * test/fixtures/alertmanager: labels alertname/namespace/deployment/pod/service/severity, a
 * description and summary, 16-hex fingerprints, RFC 3339 `startsAt`.
 *
 * A body is built once as a template holding {@link ID} wherever a request must differ from the
 * others (group key, deployment and pod names, the low half of every fingerprint). Substituting
 * a fresh 8-hex-digit id per request gives distinct alert instances (every request journals new
 * data); substituting the same id every time gives repeats, which is what Alertmanager's
 * `repeat_interval` sends.
 */

/** The placeholder replaced by a request's id (8 hex digits, or more once a counter overflows). */
export const ID = '@@ID@@';

/** The id repeats use. */
export const REPEAT_ID = '0000beef';

export interface BodyTemplate {
  readonly alerts: number;
  /** The body with {@link ID} placeholders; valid JSON once they are substituted. */
  readonly text: string;
  /** `text` split at the placeholders: `parts.join(id)` renders a body. */
  readonly parts: readonly string[];
}

export interface BodyOptions {
  alerts: number;
  status?: 'firing' | 'resolved';
  alertname?: string;
  namespace?: string;
  /** Deployment name; {@link ID} is appended, so each id is its own Alertmanager group. */
  deploymentPrefix?: string;
  severity?: string;
  /** `startsAt` of every alert (RFC 3339); default one minute before the template is made. */
  startsAt?: string;
}

const POD_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** A ReplicaSet-hash-and-suffix pod name, stable for an alert index. */
function podName(deployment: string, index: number): string {
  let suffix = '';
  let n = index + 7919;
  for (let i = 0; i < 5; i++) {
    suffix += POD_SUFFIX_CHARS[n % POD_SUFFIX_CHARS.length] ?? 'x';
    n = Math.floor(n / POD_SUFFIX_CHARS.length);
  }
  return `${deployment}-7d9f8b6c5-${suffix}`;
}

/** Builds a body template with `alerts` alerts of one group. */
export function bodyTemplate(options: BodyOptions): BodyTemplate {
  const status = options.status ?? 'firing';
  const alertname = options.alertname ?? 'HighErrorRate';
  const namespace = options.namespace ?? 'prod';
  const deployment = `${options.deploymentPrefix ?? 'checkout-api-'}${ID}`;
  const severity = options.severity ?? 'critical';
  const startsAt = options.startsAt ?? new Date(Date.now() - 60_000).toISOString();
  const endsAt = status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z';
  const alerts = Array.from({ length: options.alerts }, (_, i) => {
    const pod = podName(deployment, i);
    return {
      status,
      labels: { alertname, deployment, namespace, pod, service: deployment, severity },
      annotations: {
        description: `Pod ${pod} is answering more than 5% of requests with 5xx`,
        summary: `High 5xx error rate on ${deployment}`,
      },
      startsAt,
      endsAt,
      generatorURL: `http://prometheus.monitoring.svc:9090/graph?g0.expr=sum+by+%28pod%29+%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29&g0.tab=1`,
      fingerprint: `${i.toString(16).padStart(8, '0')}${ID}`,
    };
  });
  const body = {
    receiver: 'remediator',
    status,
    alerts,
    groupLabels: { alertname, deployment, namespace },
    commonLabels: { alertname, deployment, namespace, service: deployment, severity },
    commonAnnotations: { summary: `High 5xx error rate on ${deployment}` },
    externalURL: 'http://alertmanager.monitoring.svc:9093',
    version: '4',
    groupKey: `{}:{alertname="${alertname}", deployment="${deployment}", namespace="${namespace}"}`,
    truncatedAlerts: 0,
  };
  const text = JSON.stringify(body);
  return { alerts: options.alerts, text, parts: text.split(ID) };
}

export function render(template: BodyTemplate, id: string): string {
  return template.parts.join(id);
}

/**
 * Unique ids: `prefix` (2 hex digits, unique per run of a load generator within a benchmark run)
 * then a counter. wrk's script uses the same scheme with the thread number between the two.
 */
export class IdSource {
  private counter = 0;
  constructor(private readonly prefix: number) {}

  next(): string {
    const n = this.counter++;
    return `${this.prefix.toString(16).padStart(2, '0')}${n.toString(16).padStart(6, '0')}`;
  }
}
