import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  PatchStrategy,
  type ConfigurationOptions,
  type EventsV1Event,
  type RequestContext,
  type ResponseContext,
  type V1Job,
  type V1Lease,
  type V1NetworkPolicy,
} from '@kubernetes/client-node';
import { AgentPool } from './connections';
import type { CustomObject, CustomResource } from './custom-resources';
import type { KubeCredentials } from './credentials';
import {
  KubeError,
  kubeErrorFromNetwork,
  kubeErrorFromResponse,
  type KubeErrorReason,
} from './errors';
import {
  FIELD_MANAGER,
  type KubePort,
  type Patch,
  type PatchType,
  type WriteOptions,
} from './port';
import { dns1123LabelProblem, dns1123SubdomainProblem } from './names';
import { DEFAULT_RETRY, realRetryDeps, withRetry, type RetryDeps, type RetryPolicy } from './retry';

export type KubeVerb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';

export interface AdapterOptions {
  retry?: RetryPolicy;
  retryDeps?: RetryDeps;
  /** One request's own timeout (a retry may follow); default 10 s. */
  requestTimeoutMs?: number;
  /** Every attempt's outcome and duration, for `remediator_kube_requests_total{verb,outcome}`. */
  onRequest?: (verb: KubeVerb, outcome: 'success' | KubeErrorReason, seconds: number) => void;
  /** Every failure that will be retried. */
  onRetry?: (what: string, err: KubeError, waitMs: number) => void;
}

const CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  json: PatchStrategy.JsonPatch,
  merge: PatchStrategy.MergePatch,
  strategic: PatchStrategy.StrategicMergePatch,
};

/** A KubeConfig from the credentials found at start-up (see credentials.ts). */
export function loadKubeConfig(
  credentials: Exclude<KubeCredentials, { kind: 'none' }>,
): KubeConfig {
  const kc = new KubeConfig();
  if (credentials.kind === 'in-cluster') kc.loadFromCluster();
  else kc.loadFromFile(credentials.path);
  return kc;
}

/**
 * The KubePort over @kubernetes/client-node 1.4.0. Every call: names its patch content type
 * explicitly (client-node would send JSON patch), carries a timeout, is retried under the retry
 * policy when the failure is retryable, and maps failures to KubeError once, here.
 */
export class ClientNodeKube implements KubePort {
  private readonly apps: AppsV1Api;
  private readonly autoscaling: AutoscalingV2Api;
  private readonly batch: BatchV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly events: EventsV1Api;
  private readonly networking: NetworkingV1Api;
  private readonly connections = new AgentPool();
  /** Aborted by `close()`: requests in flight are cut, no retry starts, no request goes out. */
  private readonly closing = new AbortController();

  constructor(
    kc: KubeConfig,
    private readonly options: AdapterOptions = {},
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.autoscaling = kc.makeApiClient(AutoscalingV2Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.events = kc.makeApiClient(EventsV1Api);
    this.networking = kc.makeApiClient(NetworkingV1Api);
  }

  /**
   * Shutdown, once its grace has passed: requests in flight are aborted (they fail as
   * `unavailable`), and every later call fails at once, without a retry.
   */
  close(): void {
    this.closing.abort();
  }

  readDeployment(namespace: string, name: string) {
    return this.call('get', 'get deployment', { namespace, name }, (o) =>
      this.apps.readNamespacedDeployment({ namespace, name }, o),
    );
  }

  patchDeployment(namespace: string, name: string, patch: Patch, options?: WriteOptions) {
    return this.call(
      'patch',
      'patch deployment',
      { namespace, name },
      (o) =>
        this.apps.patchNamespacedDeployment(
          { namespace, name, body: patch.body, ...writeParams(options) },
          o,
        ),
      CONTENT_TYPES[patch.type],
    );
  }

  async listReplicaSets(namespace: string, labelSelector: string) {
    const items = [];
    let next: string | undefined;
    do {
      const page = await this.call('list', 'list replicasets', { namespace }, (o) =>
        this.apps.listNamespacedReplicaSet(
          { namespace, labelSelector, ...(next ? { _continue: next } : {}) },
          o,
        ),
      );
      items.push(...page.items);
      // An empty token, like no token, means the last page.
      const token = page.metadata?._continue;
      next = token === undefined || token === '' ? undefined : token;
    } while (next !== undefined);
    return items;
  }

  readReplicaSet(namespace: string, name: string) {
    return this.call('get', 'get replicaset', { namespace, name }, (o) =>
      this.apps.readNamespacedReplicaSet({ namespace, name }, o),
    );
  }

  readStatefulSet(namespace: string, name: string) {
    return this.call('get', 'get statefulset', { namespace, name }, (o) =>
      this.apps.readNamespacedStatefulSet({ namespace, name }, o),
    );
  }

  patchStatefulSet(namespace: string, name: string, patch: Patch, options?: WriteOptions) {
    return this.call(
      'patch',
      'patch statefulset',
      { namespace, name },
      (o) =>
        this.apps.patchNamespacedStatefulSet(
          { namespace, name, body: patch.body, ...writeParams(options) },
          o,
        ),
      CONTENT_TYPES[patch.type],
    );
  }

  readDaemonSet(namespace: string, name: string) {
    return this.call('get', 'get daemonset', { namespace, name }, (o) =>
      this.apps.readNamespacedDaemonSet({ namespace, name }, o),
    );
  }

  patchDaemonSet(namespace: string, name: string, patch: Patch, options?: WriteOptions) {
    return this.call(
      'patch',
      'patch daemonset',
      { namespace, name },
      (o) =>
        this.apps.patchNamespacedDaemonSet(
          { namespace, name, body: patch.body, ...writeParams(options) },
          o,
        ),
      CONTENT_TYPES[patch.type],
    );
  }

  readDeploymentScale(namespace: string, name: string) {
    return this.call('get', 'get deployment scale', { namespace, name }, (o) =>
      this.apps.readNamespacedDeploymentScale({ namespace, name }, o),
    );
  }

  patchDeploymentScale(namespace: string, name: string, replicas: number, options?: WriteOptions) {
    return this.call(
      'patch',
      'patch deployment scale',
      { namespace, name },
      (o) =>
        this.apps.patchNamespacedDeploymentScale(
          { namespace, name, body: { spec: { replicas } }, ...writeParams(options) },
          o,
        ),
      CONTENT_TYPES.merge,
    );
  }

  async listHorizontalPodAutoscalers(namespace: string) {
    const list = await this.call('list', 'list horizontalpodautoscalers', { namespace }, (o) =>
      this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }, o),
    );
    return list.items;
  }

  patchHorizontalPodAutoscaler(
    namespace: string,
    name: string,
    body: object,
    options?: WriteOptions,
  ) {
    return this.call(
      'patch',
      'patch horizontalpodautoscaler',
      { namespace, name },
      (o) =>
        this.autoscaling.patchNamespacedHorizontalPodAutoscaler(
          { namespace, name, body, ...writeParams(options) },
          o,
        ),
      CONTENT_TYPES.merge,
    );
  }

  async readCustomObject(
    resource: CustomResource,
    namespace: string,
    name: string,
  ): Promise<CustomObject> {
    const { group, version, plural } = resource;
    const object: unknown = await this.call('get', `get ${plural}`, { namespace, name }, (o) =>
      this.custom.getNamespacedCustomObject({ group, version, plural, namespace, name }, o),
    );
    return object as CustomObject;
  }

  async patchCustomObject(
    resource: CustomResource,
    namespace: string,
    name: string,
    body: object,
    options?: WriteOptions,
  ): Promise<CustomObject> {
    const { group, version, plural } = resource;
    const object: unknown = await this.call(
      'patch',
      `patch ${plural}`,
      { namespace, name },
      (o) =>
        this.custom.patchNamespacedCustomObject(
          { group, version, plural, namespace, name, body, ...writeParams(options) },
          o,
        ),
      // A custom resource answers a strategic merge patch with 415.
      CONTENT_TYPES.merge,
    );
    return object as CustomObject;
  }

  async listCustomObjects(resource: CustomResource, namespace: string): Promise<CustomObject[]> {
    const { group, version, plural } = resource;
    const items: CustomObject[] = [];
    let next: string | undefined;
    do {
      const page = (await this.call('list', `list ${plural}`, { namespace }, (o) =>
        this.custom.listNamespacedCustomObject(
          { group, version, plural, namespace, ...(next ? { _continue: next } : {}) },
          o,
        ),
      )) as { items?: CustomObject[]; metadata?: { continue?: string } };
      items.push(...(page.items ?? []));
      const token = page.metadata?.continue;
      next = token === undefined || token === '' ? undefined : token;
    } while (next !== undefined);
    return items;
  }

  readConfigMap(namespace: string, name: string) {
    return this.call('get', 'get configmap', { namespace, name }, (o) =>
      this.core.readNamespacedConfigMap({ namespace, name }, o),
    );
  }

  patchConfigMap(namespace: string, name: string, body: object, options?: WriteOptions) {
    return this.call(
      'patch',
      'patch configmap',
      { namespace, name },
      (o) =>
        this.core.patchNamespacedConfigMap({ namespace, name, body, ...writeParams(options) }, o),
      CONTENT_TYPES.merge,
    );
  }

  readPod(namespace: string, name: string) {
    return this.call('get', 'get pod', { namespace, name }, (o) =>
      this.core.readNamespacedPod({ namespace, name }, o),
    );
  }

  patchPod(namespace: string, name: string, body: object, options?: WriteOptions) {
    return this.call(
      'patch',
      'patch pod',
      { namespace, name },
      (o) => this.core.patchNamespacedPod({ namespace, name, body, ...writeParams(options) }, o),
      CONTENT_TYPES.merge,
    );
  }

  readNetworkPolicy(namespace: string, name: string) {
    return this.call('get', 'get networkpolicy', { namespace, name }, (o) =>
      this.networking.readNamespacedNetworkPolicy({ namespace, name }, o),
    );
  }

  createNetworkPolicy(namespace: string, body: V1NetworkPolicy, options?: WriteOptions) {
    return this.call('create', 'create networkpolicy', { namespace }, (o) =>
      this.networking.createNamespacedNetworkPolicy(
        { namespace, body, ...writeParams(options) },
        o,
      ),
    );
  }

  createJob(namespace: string, body: V1Job, options?: WriteOptions) {
    return this.call('create', 'create job', { namespace }, (o) =>
      this.batch.createNamespacedJob({ namespace, body, ...writeParams(options) }, o),
    );
  }

  readJob(namespace: string, name: string) {
    return this.call('get', 'get job', { namespace, name }, (o) =>
      this.batch.readNamespacedJob({ namespace, name }, o),
    );
  }

  readLease(namespace: string, name: string) {
    return this.call('get', 'get lease', { namespace, name }, (o) =>
      this.coordination.readNamespacedLease({ namespace, name }, o),
    );
  }

  async listLeases(namespace: string, labelSelector: string) {
    const list = await this.call('list', 'list leases', { namespace }, (o) =>
      this.coordination.listNamespacedLease({ namespace, labelSelector }, o),
    );
    return list.items;
  }

  createLease(namespace: string, body: V1Lease) {
    return this.call('create', 'create lease', { namespace }, (o) =>
      this.coordination.createNamespacedLease({ namespace, body, fieldManager: FIELD_MANAGER }, o),
    );
  }

  replaceLease(namespace: string, name: string, body: V1Lease) {
    return this.call('update', 'update lease', { namespace, name }, (o) =>
      this.coordination.replaceNamespacedLease(
        { namespace, name, body, fieldManager: FIELD_MANAGER },
        o,
      ),
    );
  }

  async deleteLease(namespace: string, name: string): Promise<void> {
    await this.call('delete', 'delete lease', { namespace, name }, (o) =>
      this.coordination.deleteNamespacedLease({ namespace, name }, o),
    );
  }

  createEvent(namespace: string, body: EventsV1Event) {
    return this.call('create', 'create event', { namespace }, (o) =>
      this.events.createNamespacedEvent({ namespace, body, fieldManager: FIELD_MANAGER }, o),
    );
  }

  /**
   * Name checks, timeout, content type, retries, error mapping and metrics for one call. A
   * namespace or name that is not a valid Kubernetes name is refused before anything is sent: it
   * would end up in the URL path, where client-node's `encodeURIComponent` leaves `.` and `..`
   * alone and URL resolution then removes them (`/namespaces/prod/pods/..` is sent as
   * `/namespaces/prod`, the Namespace itself). Valid names are `[a-z0-9.-]` only, so nothing in
   * them needs encoding and none is a dot segment.
   */
  private call<T>(
    verb: KubeVerb,
    action: string,
    place: Place,
    request: (options: ConfigurationOptions) => Promise<T>,
    contentType?: string,
  ): Promise<T> {
    const problem = placeProblem(place);
    if (problem !== undefined) {
      return Promise.reject(
        new KubeError('invalid', `${action}: refused before sending: ${problem}`, { status: 0 }),
      );
    }
    const what =
      place.name === undefined
        ? `${action} in ${place.namespace}`
        : `${action} ${place.namespace}/${place.name}`;
    if (this.closing.signal.aborted) {
      return Promise.reject(
        new KubeError('unavailable', `${action}: not sent: remediator is shutting down`, {
          status: 0,
        }),
      );
    }
    const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
    const attempt = async (): Promise<T> => {
      const started = performance.now();
      const seconds = (): number => (performance.now() - started) / 1000;
      const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.closing.signal]);
      try {
        const result = await request(requestOptions(signal, contentType, this.connections));
        this.options.onRequest?.(verb, 'success', seconds());
        return result;
      } catch (err) {
        const mapped = this.closing.signal.aborted
          ? new KubeError('unavailable', `${what}: cut short: remediator is shutting down`, {
              status: 0,
            })
          : toKubeError(err, what);
        this.options.onRequest?.(verb, mapped.reason, seconds());
        throw mapped;
      }
    };
    return withRetry(
      attempt,
      this.options.retry ?? DEFAULT_RETRY,
      this.options.retryDeps ?? realRetryDeps,
      (err, waitMs) => this.options.onRetry?.(what, err, waitMs),
      this.closing.signal,
    );
  }
}

/** Where a call goes: both parts end up as segments of the URL path. */
interface Place {
  readonly namespace: string;
  /** Absent for lists and creates, which address the collection. */
  readonly name?: string;
}

/** What makes a namespace or name unfit for a URL path, with the value quoted and bounded. */
function placeProblem({ namespace, name }: Place): string | undefined {
  const namespaceProblem = dns1123LabelProblem(namespace);
  if (namespaceProblem !== undefined) return `namespace ${quoted(namespace)} ${namespaceProblem}`;
  const nameProblem = name === undefined ? undefined : dns1123SubdomainProblem(name);
  if (name !== undefined && nameProblem !== undefined) return `name ${quoted(name)} ${nameProblem}`;
  return undefined;
}

/** A value from an alert as it may appear in a message: JSON-quoted (no raw newlines), cut. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

function writeParams(options: WriteOptions | undefined): { dryRun?: string; fieldManager: string } {
  return { fieldManager: FIELD_MANAGER, ...(options?.dryRun === true ? { dryRun: 'All' } : {}) };
}

/**
 * Per-request middleware (it runs after authentication has set the request's agent): the content
 * type (when the call has a body to describe), the signal that ends it (its timeout, or
 * shutdown), and a kept-alive connection.
 */
function requestOptions(
  signal: AbortSignal,
  contentType: string | undefined,
  connections: AgentPool,
): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context: RequestContext) => {
          if (contentType !== undefined) context.setHeaderParam('Content-Type', contentType);
          context.setSignal(signal);
          const agent = connections.reuse(context.getAgent());
          if (agent !== undefined) context.setAgent(agent);
          return new Observable(Promise.resolve(context));
        },
        post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** client-node throws ApiException (an answer) or a fetch error (no answer). */
export function toKubeError(err: unknown, what: string): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof ApiException) {
    const body: unknown = err.body;
    return kubeErrorFromResponse(
      {
        status: err.code,
        body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: err.headers,
      },
      what,
    );
  }
  return kubeErrorFromNetwork(err, what);
}
