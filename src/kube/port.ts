/**
 * kube/: the only code that talks to the Kubernetes API. `KubePort` lists exactly the calls
 * remediator makes; `adapter.ts` implements it on client-node with retries and one error type.
 * Imports nothing of remediator's but errors.ts, so every stage that acts may use it.
 */
import type {
  EventsV1Event,
  V1ConfigMap,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Lease,
  V1NetworkPolicy,
  V1Pod,
  V1ReplicaSet,
  V1Scale,
  V1StatefulSet,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { CustomObject, CustomResource } from './custom-resources';

/**
 * The only Kubernetes calls remediator makes: a narrow port that the actions, the safety gates
 * and the audit trail are written against. `adapter.ts` implements it over client-node; tests use
 * the fake API server through that same adapter. Every method either resolves or rejects with a
 * `KubeError` (see errors.ts). A namespace that is not a DNS-1123 label or a name that is not a
 * DNS-1123 subdomain (see names.ts) is refused before anything is sent: `invalid`, status 0.
 * Requests and their answers follow the API contract in docs/kubernetes-api.md.
 */
export interface KubePort {
  readDeployment(namespace: string, name: string): Promise<V1Deployment>;
  /** JSON patch (rollback), or strategic merge patch (restart, env var); never merge on lists. */
  patchDeployment(
    namespace: string,
    name: string,
    patch: Patch,
    options?: WriteOptions,
  ): Promise<V1Deployment>;
  /** Follows `continue` tokens; items carry no kind (a long-standing list quirk). */
  listReplicaSets(namespace: string, labelSelector: string): Promise<V1ReplicaSet[]>;
  /** A pod's ReplicaSet, to find the Deployment that owns the pod. */
  readReplicaSet(namespace: string, name: string): Promise<V1ReplicaSet>;

  readStatefulSet(namespace: string, name: string): Promise<V1StatefulSet>;
  /** Strategic merge patch (restart). */
  patchStatefulSet(
    namespace: string,
    name: string,
    patch: Patch,
    options?: WriteOptions,
  ): Promise<V1StatefulSet>;
  readDaemonSet(namespace: string, name: string): Promise<V1DaemonSet>;
  /** Strategic merge patch (restart). */
  patchDaemonSet(
    namespace: string,
    name: string,
    patch: Patch,
    options?: WriteOptions,
  ): Promise<V1DaemonSet>;

  readDeploymentScale(namespace: string, name: string): Promise<V1Scale>;
  /** Merge patch `{"spec":{"replicas":n}}` on the scale subresource. */
  patchDeploymentScale(
    namespace: string,
    name: string,
    replicas: number,
    options?: WriteOptions,
  ): Promise<V1Scale>;

  listHorizontalPodAutoscalers(namespace: string): Promise<V2HorizontalPodAutoscaler[]>;
  /** Merge patch, e.g. `{"spec":{"minReplicas":6}}`. */
  patchHorizontalPodAutoscaler(
    namespace: string,
    name: string,
    body: object,
    options?: WriteOptions,
  ): Promise<V2HorizontalPodAutoscaler>;

  readConfigMap(namespace: string, name: string): Promise<V1ConfigMap>;
  /** Merge patch, e.g. `{"data":{"MODEL_VERSION":"v41"}}`. */
  patchConfigMap(
    namespace: string,
    name: string,
    body: object,
    options?: WriteOptions,
  ): Promise<V1ConfigMap>;

  readPod(namespace: string, name: string): Promise<V1Pod>;
  /** Merge patch, e.g. labels with `null` to remove one. */
  patchPod(namespace: string, name: string, body: object, options?: WriteOptions): Promise<V1Pod>;

  readNetworkPolicy(namespace: string, name: string): Promise<V1NetworkPolicy>;
  createNetworkPolicy(
    namespace: string,
    body: V1NetworkPolicy,
    options?: WriteOptions,
  ): Promise<V1NetworkPolicy>;

  createJob(namespace: string, body: V1Job, options?: WriteOptions): Promise<V1Job>;
  readJob(namespace: string, name: string): Promise<V1Job>;

  readLease(namespace: string, name: string): Promise<V1Lease>;
  listLeases(namespace: string, labelSelector: string): Promise<V1Lease[]>;
  /** POST: a race surfaces as 409 AlreadyExists. */
  createLease(namespace: string, body: V1Lease): Promise<V1Lease>;
  /** PUT with `metadata.resourceVersion`: a lost race surfaces as 409 Conflict. */
  replaceLease(namespace: string, name: string, body: V1Lease): Promise<V1Lease>;
  deleteLease(namespace: string, name: string): Promise<void>;

  /** A custom object (an Argo CD Application, a Flux Kustomization, a KEDA ScaledObject). */
  readCustomObject(
    resource: CustomResource,
    namespace: string,
    name: string,
  ): Promise<CustomObject>;
  /** Merge patch: custom resources refuse strategic merge patch with a 415. */
  patchCustomObject(
    resource: CustomResource,
    namespace: string,
    name: string,
    body: object,
    options?: WriteOptions,
  ): Promise<CustomObject>;
  /** Follows `continue` tokens. */
  listCustomObjects(resource: CustomResource, namespace: string): Promise<CustomObject[]>;

  /** events.k8s.io/v1, with `regarding.uid` so that `kubectl describe` shows it. */
  createEvent(namespace: string, body: EventsV1Event): Promise<EventsV1Event>;
}

export type PatchType = 'json' | 'merge' | 'strategic';

export interface Patch {
  readonly type: PatchType;
  readonly body: unknown;
}

export interface WriteOptions {
  /** Sent as `dryRun=All`: validated and authorised by the server, stored nowhere. */
  readonly dryRun?: boolean;
}

/** What an Event or a log line says a change was about. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

/** The field manager remediator writes under, so `managedFields` say who changed what. */
export const FIELD_MANAGER = 'remediator';

/**
 * The label on every object remediator creates (Leases, Jobs, NetworkPolicies), so that
 * `kubectl get -l app.kubernetes.io/managed-by=remediator` finds them all.
 */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'remediator' } as const;
