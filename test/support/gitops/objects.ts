import type { KubeObject } from '../fake-kube';

/**
 * GitOps and autoscaler objects as their controllers' CRDs define them, for seeding the fake API
 * server: the fields each CRD requires, and nothing it would not accept.
 */

export function kustomization(namespace: string, name: string, spec: KubeObject = {}): KubeObject {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace },
    spec: {
      interval: '10m',
      path: './apps/prod',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      ...spec,
    },
  };
}

export function helmRelease(namespace: string, name: string, spec: KubeObject = {}): KubeObject {
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name, namespace },
    spec: {
      interval: '5m',
      chart: { spec: { chart: 'web', sourceRef: { kind: 'HelmRepository', name: 'charts' } } },
      ...spec,
    },
  };
}

export function application(
  namespace: string,
  name: string,
  /** `spec.syncPolicy.automated`; null: automated sync off. */
  automated: Record<string, boolean> | null = { prune: true, selfHeal: true },
): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example/apps.git', path: 'web', targetRevision: 'main' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'prod' },
      syncPolicy: {
        ...(automated === null ? {} : { automated }),
        syncOptions: ['CreateNamespace=true'],
      },
    },
  };
}

export function scaledObject(
  namespace: string,
  name: string,
  target: string,
  counts: { min?: number; max?: number } = {},
): KubeObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name, namespace },
    spec: {
      scaleTargetRef: { name: target },
      ...(counts.min === undefined ? {} : { minReplicaCount: counts.min }),
      ...(counts.max === undefined ? {} : { maxReplicaCount: counts.max }),
      triggers: [
        {
          type: 'prometheus',
          metadata: {
            serverAddress: 'http://prometheus.monitoring:9090',
            query: 'sum(rate(http_requests_total[1m]))',
            threshold: '100',
          },
        },
      ],
    },
  };
}

/**
 * A KServe InferenceService serving a scikit-learn model from `storageUri`, as its status looks
 * in Serverless mode: with `canary`, a rollout to revision 2 at that traffic percent, revision 1
 * the previous rolled-out one (KServe's canary documentation shows these fields).
 */
export function inferenceService(
  namespace: string,
  name: string,
  options: { storageUri?: string; canary?: number; annotations?: Record<string, string> } = {},
): KubeObject {
  const { canary } = options;
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name,
      namespace,
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
    },
    spec: {
      predictor: {
        ...(canary === undefined ? {} : { canaryTrafficPercent: canary }),
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri: options.storageUri ?? 'gs://models/heart/v42',
        },
      },
    },
    status: {
      components: {
        predictor: {
          latestCreatedRevision: `${name}-predictor-00002`,
          latestReadyRevision: `${name}-predictor-00002`,
          ...(canary === undefined
            ? { latestRolledoutRevision: `${name}-predictor-00002` }
            : {
                latestRolledoutRevision: `${name}-predictor-00001`,
                previousRolledoutRevision: `${name}-predictor-00001`,
                traffic: [
                  {
                    latestRevision: true,
                    percent: canary,
                    revisionName: `${name}-predictor-00002`,
                    tag: 'latest',
                  },
                  {
                    latestRevision: false,
                    percent: 100 - canary,
                    revisionName: `${name}-predictor-00001`,
                    tag: 'prev',
                  },
                ],
              }),
        },
      },
    },
  };
}
