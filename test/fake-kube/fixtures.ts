import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  KubeConfig,
  NetworkingV1Api,
} from '@kubernetes/client-node';

import type { FakeKube, KubeObject } from '../support/fake-kube';

/** The Deployment the reference page uses: `ns/web`, serving container `model`, plus a sidecar. */
export function webDeployment(
  overrides: { annotations?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'ns',
      labels: { app: 'web' },
      ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'model',
              image: 'reg/model:v40',
              env: [
                { name: 'MODEL_VERSION', value: 'v40' },
                { name: 'THREADS', value: '4' },
              ],
            },
            { name: 'sidecar', image: 'reg/proxy:1.0' },
          ],
        },
      },
    },
  };
}

/** A ReplicaSet owned by `owner` (a stored Deployment) at a given revision. */
export function ownedReplicaSet(owner: KubeObject, revision: number, image: string): KubeObject {
  const hash = `h${revision}`;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'ns',
      labels: { app: 'web', 'pod-template-hash': hash },
      annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'web',
          uid: owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } },
      template: {
        metadata: { labels: { app: 'web', 'pod-template-hash': hash } },
        spec: { containers: [{ name: 'model', image }] },
      },
    },
  };
}

/** Typed client-node clients pointed at the fake. */
export function clients(fake: FakeKube) {
  const kc = new KubeConfig();
  fake.loadInto(kc);
  return {
    kc,
    apps: kc.makeApiClient(AppsV1Api),
    autoscaling: kc.makeApiClient(AutoscalingV2Api),
    batch: kc.makeApiClient(BatchV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    core: kc.makeApiClient(CoreV1Api),
    events: kc.makeApiClient(EventsV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
  };
}

/** The raw answer of one HTTP request to the fake. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: KubeObject;
}

/** Sends one request with fetch; `body` objects are JSON-encoded, strings sent as is. */
export async function raw(
  fake: FakeKube,
  method: string,
  path: string,
  options: { body?: unknown; contentType?: string } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${fake.token}` };
  if (options.contentType !== undefined) headers['Content-Type'] = options.contentType;
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const response = await fetch(`${fake.url}${path}`, { method, headers, body });
  const text = await response.text();
  let json: KubeObject;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The ApiException a client-node call rejects with, with its body parsed. */
export async function apiFailure(
  call: Promise<unknown>,
): Promise<{ code: number; body: KubeObject; text: string; headers: Record<string, string> }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiException) {
      const text = String(error.body);
      let body: KubeObject;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { code: error.code, body, text, headers: error.headers };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** The paths used throughout the tests. */
export const PATHS = {
  deployment: '/apis/apps/v1/namespaces/ns/deployments/web',
  deployments: '/apis/apps/v1/namespaces/ns/deployments',
  scale: '/apis/apps/v1/namespaces/ns/deployments/web/scale',
  replicaSets: '/apis/apps/v1/namespaces/ns/replicasets',
  hpa: '/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers/web',
  configMap: '/api/v1/namespaces/ns/configmaps/model-config',
  leases: '/apis/coordination.k8s.io/v1/namespaces/rem/leases',
  networkPolicies: '/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies',
  events: '/apis/events.k8s.io/v1/namespaces/ns/events',
  coreEvents: '/api/v1/namespaces/ns/events',
  jobs: '/apis/batch/v1/namespaces/ns/jobs',
} as const;
