import type { FakeKube, KubeObject } from '../../support/fake-kube';
import type { Alertmanager } from './alertmanager';
import { HEART_DISEASE_API, seedService } from './cluster';

/**
 * Alerts posted straight to Alertmanager's API v2, the way Prometheus posts them, for scenarios
 * that need several services (one simulated service only gives one set of labels) or alerts at an
 * exact moment. Alertmanager groups, delivers and retries them like any other: only the rule
 * evaluation is skipped.
 */
export interface InjectedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** ISO time; default now. Keep it when resolving, so it is the same alert instance. */
  startsAt?: string;
  /** ISO time; in the past resolves the alert. Without it Alertmanager keeps it 5 minutes. */
  endsAt?: string;
}

/** Posts alerts to `POST /api/v2/alerts`; throws unless Alertmanager accepts them. */
export async function postAlerts(
  am: Alertmanager,
  alerts: readonly InjectedAlert[],
): Promise<void> {
  const now = new Date().toISOString();
  const body = alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: a.startsAt ?? now,
    ...(a.endsAt === undefined ? {} : { endsAt: a.endsAt }),
    generatorURL: 'http://127.0.0.1/e2e',
  }));
  const res = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`POST /api/v2/alerts: HTTP ${res.status}: ${await res.text()}`);
}

/** The same alerts, resolved a second ago (same labels and `startsAt`). */
export function resolvedNow(alerts: readonly InjectedAlert[]): InjectedAlert[] {
  const endsAt = new Date(Date.now() - 1000).toISOString();
  return alerts.map((a) => ({ ...a, endsAt }));
}

/** A firing alert with `startsAt` fixed now, so that it can be resolved later with {@link resolvedNow}. */
export function injected(
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): InjectedAlert {
  return { labels, annotations, startsAt: new Date().toISOString() };
}

/** Seeds another Deployment like the heart-disease API (3 revisions), under another name. */
export function seedDeployment(
  kube: FakeKube,
  namespace: string,
  name: string,
  replicas = HEART_DISEASE_API.replicas,
): KubeObject {
  return seedService(kube, { ...HEART_DISEASE_API, namespace, name, replicas });
}

/** `/apis/apps/v1/namespaces/<ns>/deployments/<name>/scale`. */
export function scalePath(namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/scale`;
}

/** The PATCHes of a Deployment's scale subresource the fake received, in order. */
export function scalePatches(kube: FakeKube, namespace: string, name: string) {
  const path = scalePath(namespace, name);
  return kube.requests.filter((r) => r.method === 'PATCH' && r.path === path);
}
