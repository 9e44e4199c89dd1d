import type { FakeKube, KubeObject } from '../../support/fake-kube';
import { formatTime } from '../../support/fake-kube';

/** The annotation the deployment controller numbers rollouts with. */
export const REVISION = 'deployment.kubernetes.io/revision';

/** One rollout of the service: its image tag, its model version, and when it happened. */
export interface Revision {
  readonly image: string;
  readonly modelVersion: string;
  /** How long ago (seconds) this revision's ReplicaSet was created. */
  readonly ageSeconds: number;
}

export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  /** Oldest first; the last one is the current revision. */
  readonly revisions: readonly Revision[];
  /** Seeds an HPA over the Deployment with these bounds. */
  readonly hpa?: { minReplicas: number; maxReplicas: number };
}

/**
 * The default: `prod/heart-disease-api` at 3 replicas after three rollouts, the last one two days
 * ago (so not a "recent rollout" for the shipped rollback policy, even with its window scaled).
 */
export const HEART_DISEASE_API: ServiceSpec = {
  namespace: 'prod',
  name: 'heart-disease-api',
  replicas: 3,
  revisions: [
    {
      image: 'registry.example/heart-disease-api:1.4.0',
      modelVersion: '2024.05',
      ageSeconds: 9 * 86_400,
    },
    {
      image: 'registry.example/heart-disease-api:1.5.0',
      modelVersion: '2024.06',
      ageSeconds: 5 * 86_400,
    },
    {
      image: 'registry.example/heart-disease-api:1.5.1',
      modelVersion: '2024.07',
      ageSeconds: 2 * 86_400,
    },
  ],
};

function podTemplate(
  spec: ServiceSpec,
  revision: Revision,
  extraLabels: Record<string, string> = {},
) {
  return {
    metadata: { labels: { app: spec.name, ...extraLabels } },
    spec: {
      containers: [
        {
          name: 'model',
          image: revision.image,
          env: [
            { name: 'MODEL_VERSION', value: revision.modelVersion },
            { name: 'WORKERS', value: '4' },
          ],
          ports: [{ containerPort: 8080, name: 'http' }],
        },
      ],
    },
  };
}

/**
 * Seeds the Deployment, one controlled ReplicaSet per revision (as the deployment controller leaves
 * them: the current one scaled to the Deployment's replicas, the older ones to 0) and, if asked,
 * an HPA. Returns the stored Deployment.
 */
export function seedService(kube: FakeKube, spec: ServiceSpec = HEART_DISEASE_API): KubeObject {
  const current = spec.revisions.at(-1);
  if (current === undefined) throw new Error('seedService: at least one revision is needed');
  const now = Date.now();
  const deployment = kube.seed({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: { app: spec.name },
      annotations: { [REVISION]: String(spec.revisions.length) },
      creationTimestamp: formatTime(new Date(now - (spec.revisions[0]?.ageSeconds ?? 0) * 1000)),
    },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: { app: spec.name } },
      template: podTemplate(spec, current),
    },
  });
  spec.revisions.forEach((revision, i) => {
    // Ten characters of Kubernetes' name alphabet, as the resource rules expect of pod names.
    const hash = `${'bcdfghjklm'.charAt(i % 10)}7f9d5b6c8`;
    const labels = { app: spec.name, 'pod-template-hash': hash };
    kube.seed({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${spec.name}-${hash}`,
        namespace: spec.namespace,
        labels,
        annotations: { [REVISION]: String(i + 1) },
        creationTimestamp: formatTime(new Date(now - revision.ageSeconds * 1000)),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: spec.name,
            uid: deployment.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: i === spec.revisions.length - 1 ? spec.replicas : 0,
        selector: { matchLabels: labels },
        template: podTemplate(spec, revision, { 'pod-template-hash': hash }),
      },
    });
  });
  if (spec.hpa !== undefined) {
    kube.seed({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: spec.name, namespace: spec.namespace },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: spec.name },
        minReplicas: spec.hpa.minReplicas,
        maxReplicas: spec.hpa.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
    });
  }
  return kube.get('apps/v1', 'Deployment', spec.namespace, spec.name);
}

export type JobFate = 'succeeded' | 'failed' | 'never';

/**
 * Stands in for the Job controller, which the fake does not have: every Job that has no outcome
 * yet gets one (`Complete` or `Failed`) `afterMs` after it was first seen, so that run-job's wait
 * for the outcome ends. Returns a function that stops it.
 */
export function runJobController(kube: FakeKube, fate: () => JobFate, afterMs = 1000): () => void {
  const firstSeen = new Map<string, number>();
  const timer = setInterval(() => {
    if (fate() === 'never') return;
    for (const job of kube.list('batch/v1', 'Job')) {
      const key = `${job.metadata.namespace}/${job.metadata.name}`;
      const conditions: { type: string }[] = job.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Complete' || c.type === 'Failed')) continue;
      const seen = firstSeen.get(key) ?? Date.now();
      firstSeen.set(key, seen);
      if (Date.now() - seen < afterMs) continue;
      const start = formatTime(new Date(seen));
      const end = formatTime(new Date());
      const succeeded = fate() === 'succeeded';
      kube.setJobStatus(job.metadata.namespace, job.metadata.name, {
        startTime: start,
        ...(succeeded ? { completionTime: end, succeeded: 1 } : { failed: 1 }),
        conditions: [
          {
            type: succeeded ? 'Complete' : 'Failed',
            status: 'True',
            lastProbeTime: end,
            lastTransitionTime: end,
            ...(succeeded
              ? {}
              : {
                  reason: 'BackoffLimitExceeded',
                  message: 'Job has reached the specified backoff limit',
                }),
          },
        ],
      });
    }
  }, 250);
  timer.unref();
  return () => clearInterval(timer);
}
