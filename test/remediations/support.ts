import { KubeConfig } from '@kubernetes/client-node';

import type { AlertState, Incident } from '../../src/incidents/incident';
import { ClientNodeKube } from '../../src/kube/adapter';
import { KubeError } from '../../src/kube/errors';
import type { DeliveryResult, Notification, Notifier } from '../../src/notify/notifier';
import type { RenderedTarget } from '../../src/policies/planner';
import type { Action, ActionContext, ActionDecision } from '../../src/remediations/action';
import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';

/** The fixed clock of every remediation test: `ctx.now` and the fake's creation times. */
export const NOW = new Date('2024-05-01T10:00:00.000Z');
export const NOW_SECONDS = '2024-05-01T10:00:00Z';

/** A time `ms` before {@link NOW}, as `metav1.Time` is written. */
export function before(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export const HOUR = 3_600_000;

/** A fake API server and the real adapter pointed at it. */
export async function startKube(): Promise<{ fake: FakeKube; kube: ClientNodeKube }> {
  const fake = await startFakeKube({ now: () => NOW });
  const kc = new KubeConfig();
  fake.loadInto(kc);
  return { fake, kube: new ClientNodeKube(kc) };
}

export function alert(labels: Record<string, string>, fingerprint = '3f2a0c1d'): AlertState {
  return {
    fingerprint,
    startsAt: '2024-05-01T09:55:00Z',
    status: 'firing',
    labels,
    annotations: {},
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    firstSeenAt: NOW.getTime() - 60_000,
    updatedAt: NOW.getTime() - 60_000,
  };
}

export const ALERT = alert({ alertname: 'HighErrorRate', namespace: 'ns', deployment: 'web' });

export function incident(alerts: readonly AlertState[] = [ALERT]): Incident {
  return {
    id: 42,
    groupKey: '{}:{alertname="HighErrorRate"}',
    receiver: 'remediator',
    groupLabels: { alertname: 'HighErrorRate' },
    status: 'identified',
    severity: 2,
    severityReasons: ['HighErrorRate → Sev2'],
    openedAt: NOW.getTime() - 120_000,
    updatedAt: NOW.getTime() - 60_000,
    alerts: new Map(alerts.map((a) => [`${a.fingerprint}@${a.startsAt}`, a])),
  };
}

/** A Notifier that records what it is asked to send and answers as told. */
export class StubNotifier implements Notifier {
  readonly sent: Notification[] = [];
  constructor(private readonly answer: (n: Notification) => Promise<DeliveryResult>) {}

  readonly withheld: Notification[] = [];

  send(notification: Notification): Promise<DeliveryResult> {
    this.sent.push(notification);
    return this.answer(notification);
  }

  withhold(notification: Notification): void {
    this.withheld.push(notification);
  }
}

export const okNotifier = (): StubNotifier =>
  new StubNotifier((n) => Promise.resolve({ sink: n.sink, attempts: 1, status: 200 }));

/** An ActionContext for one step, with the fixed clock. */
export function context(
  kube: ActionContext['kube'],
  options: {
    target?: RenderedTarget;
    params?: Record<string, unknown>;
    dryRun?: boolean;
    /** Default: `dryRun`; true with `dryRun` false for a notification sent in a dry run. */
    dryRunPlan?: boolean;
    alerts?: readonly AlertState[];
    notifier?: Notifier;
    policy?: string;
    now?: Date;
  } = {},
): ActionContext {
  const alerts = options.alerts ?? [ALERT];
  return {
    kube,
    ...(options.target === undefined ? {} : { target: options.target }),
    params: options.params ?? {},
    dryRun: options.dryRun ?? false,
    dryRunPlan: options.dryRunPlan ?? options.dryRun ?? false,
    now: options.now ?? NOW,
    alerts,
    incident: incident(alerts),
    policy: options.policy ?? 'web-errors',
    planId: 1,
    step: 0,
    instance: 'remediator-7d9f-abcde',
    notifier: options.notifier ?? okNotifier(),
  };
}

export const WEB: RenderedTarget = { kind: 'Deployment', namespace: 'ns', name: 'web' };

/** The decision, asserted to be `act`. */
export async function planned(
  action: Action,
  ctx: ActionContext,
): Promise<Extract<ActionDecision, { kind: 'act' }>> {
  const decision = await action.plan(ctx);
  if (decision.kind !== 'act') throw new Error(`expected act, got skip: ${decision.reason}`);
  return decision;
}

/** The error a promise rejects with, asserted to be a KubeError. */
export async function kubeFailure(promise: Promise<unknown>): Promise<KubeError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KubeError) return err;
    throw err;
  }
  throw new Error('expected a KubeError');
}

/** The serving container's pod template at a model version, plus a sidecar. */
export function webTemplate(version: string, extraLabels: Record<string, string> = {}): KubeObject {
  return {
    metadata: { labels: { app: 'web', ...extraLabels } },
    spec: {
      containers: [
        {
          name: 'model',
          image: `reg/model:${version}`,
          env: [
            { name: 'MODEL_VERSION', value: version },
            { name: 'THREADS', value: '4' },
          ],
        },
        { name: 'sidecar', image: 'reg/proxy:1.0' },
      ],
    },
  };
}

/** A Deployment `ns/web` as a cluster holds it after a few rollouts. */
export function webDeployment(
  options: {
    version?: string;
    annotations?: Record<string, string> | null;
    paused?: boolean;
    template?: KubeObject;
    selector?: KubeObject;
  } = {},
): KubeObject {
  const annotations =
    options.annotations === null
      ? undefined
      : (options.annotations ?? { 'deployment.kubernetes.io/revision': '3' });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'ns',
      labels: { app: 'web' },
      ...(annotations === undefined ? {} : { annotations }),
    },
    spec: {
      replicas: 4,
      selector: options.selector ?? { matchLabels: { app: 'web' } },
      template: options.template ?? webTemplate(options.version ?? 'v41'),
      ...(options.paused === undefined ? {} : { paused: options.paused }),
    },
  };
}

/**
 * A ReplicaSet as the deployment controller makes it: `pod-template-hash` on its labels,
 * selector and template, a controller ownerReference, the revision annotation (a string, or
 * none when `revision` is null).
 */
export function replicaSet(
  owner: KubeObject,
  revision: number | string | null,
  template: KubeObject,
  options: {
    hash?: string;
    annotations?: Record<string, string>;
    ownerUid?: string;
    createdAt?: string;
  } = {},
): KubeObject {
  const hash = options.hash ?? `h${String(revision ?? 'none')}`;
  const labels = { ...template.metadata.labels, 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'ns',
      labels,
      annotations: {
        ...(revision === null ? {} : { 'deployment.kubernetes.io/revision': String(revision) }),
        ...options.annotations,
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          uid: options.ownerUid ?? owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      ...(options.createdAt === undefined ? {} : { creationTimestamp: options.createdAt }),
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { ...labels } },
      template: { ...template, metadata: { ...template.metadata, labels } },
    },
  };
}

/** A stored object's template without the hash label, as the rollback patch carries it. */
export function templateWithoutHash(stored: KubeObject): KubeObject {
  const template = structuredClone(stored.spec.template);
  delete template.metadata.labels['pod-template-hash'];
  return template;
}
