import { KubeConfig, V1MicroTime, type EventsV1Event, type V1Lease } from '@kubernetes/client-node';
import nock from 'nock';

import { ClientNodeKube, type AdapterOptions, type KubeVerb } from '../../src/kube/adapter';
import { KubeError } from '../../src/kube/errors';

/**
 * The adapter against the API contract (docs/kubernetes-api.md), request by request: nock sees
 * exactly what client-node puts on the wire, so method, path, query, Content-Type and body are
 * asserted as the page gives them, then every error shape of §8 is mapped to its KubeError.
 */

const SERVER = 'https://kube.test:6443';
const TOKEN = 'nock-token-7f3a9c';
const ONE_ATTEMPT = { baseMs: 1, capMs: 1, deadlineMs: 0 };

const DEPLOYMENT = '/apis/apps/v1/namespaces/ns/deployments/web';
const SCALE = `${DEPLOYMENT}/scale`;
const REPLICA_SETS = '/apis/apps/v1/namespaces/ns/replicasets';
const HPAS = '/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers';
const CONFIG_MAP = '/api/v1/namespaces/ns/configmaps/model-config';
const POD = '/api/v1/namespaces/ns/pods/web-7d9f-abcde';
const NETWORK_POLICIES = '/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies';
const JOBS = '/apis/batch/v1/namespaces/ns/jobs';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/rem/leases';
const LEASE_NAME = 'remediate-ns-web';
const EVENTS = '/apis/events.k8s.io/v1/namespaces/ns/events';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: SERVER }],
    users: [{ name: 'remediator', token: TOKEN }],
    contexts: [{ name: 'test', cluster: 'test', user: 'remediator' }],
    currentContext: 'test',
  });
  return kc;
}

function adapter(options: AdapterOptions = {}): ClientNodeKube {
  return new ClientNodeKube(kubeConfig(), { retry: ONE_ATTEMPT, ...options });
}

/** One request as it reached the (nock) API server. */
interface SeenRequest {
  method: string;
  path: string;
  /** The query string as sent, without `?`. */
  search: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The body text (JSON bodies are re-encoded when nock has already parsed them). */
  text: string | undefined;
  body: unknown;
}

/**
 * Answers the next `method path` request (any query) with `status` and `body`, and records it.
 * nock parses bodies whose Content-Type starts with application/json and hands merge and
 * strategic patches over as strings; both end up as `text` and `body` here.
 */
function answer(
  method: string,
  path: string,
  status: number,
  body?: object | string,
  headers: Record<string, string> = {},
): SeenRequest[] {
  const seen: SeenRequest[] = [];
  nock(SERVER)
    .intercept(path, method)
    .query(true)
    .reply(function (uri, requestBody) {
      const url = new URL(uri, SERVER);
      const text =
        requestBody === ''
          ? undefined
          : typeof requestBody === 'string'
            ? requestBody
            : JSON.stringify(requestBody);
      seen.push({
        method: this.req.method,
        path: url.pathname,
        search: url.search.replace(/^\?/, ''),
        query: Object.fromEntries(url.searchParams),
        headers: { ...this.req.headers },
        text,
        body: text === undefined ? undefined : JSON.parse(text),
      });
      return [status, body, headers];
    });
  return seen;
}

/** The KubeError a call rejects with (fails the test if it resolves or throws something else). */
async function kubeFailure(call: Promise<unknown>): Promise<KubeError> {
  const outcome = await call.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  );
  if (!(outcome instanceof KubeError)) throw outcome;
  return outcome;
}

function named(kind: string, name: string, extra: object = {}): object {
  return { kind, metadata: { name, namespace: 'ns', resourceVersion: '1000' }, ...extra };
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.abortPendingRequests();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

/** The rollback body of §1 (abbreviated there too). */
const ROLLBACK_PATCH = [
  {
    op: 'replace',
    path: '/spec/template',
    value: {
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'model',
            image: 'reg/model:v2',
            env: [{ name: 'MODEL_VERSION', value: 'v2' }],
            resources: {},
          },
        ],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
      },
    },
  },
  {
    op: 'replace',
    path: '/metadata/annotations',
    value: {
      'deployment.kubernetes.io/revision': '3',
      'kubernetes.io/change-cause': 'v2 rollout',
    },
  },
];

const RESTART_PATCH = {
  spec: {
    template: {
      metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-27T13:59:26Z' } },
    },
  },
};

const ENV_PATCH = {
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'model', env: [{ name: 'MODEL_VERSION', value: 'v41', valueFrom: null }] },
        ],
      },
    },
  },
};

const QUARANTINE_POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: {
    name: 'quarantine-web-ccc-x1',
    labels: { 'remediator.example.com/managed': 'true' },
  },
  spec: {
    podSelector: { matchLabels: { 'remediator.example.com/quarantine': 'true' } },
    policyTypes: ['Ingress', 'Egress'],
  },
};

const DIAGNOSTIC_JOB = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'diagnose-web' },
  spec: {
    template: {
      spec: { restartPolicy: 'Never', containers: [{ name: 'diag', image: 'reg/diag:1' }] },
    },
  },
};

function leaseAt(iso: string, resourceVersion?: string): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: LEASE_NAME,
      annotations: { 'remediator.example.com/action': 'rollback' },
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
    },
    spec: {
      holderIdentity: 'pod-a',
      leaseDurationSeconds: 600,
      acquireTime: new V1MicroTime(iso),
      renewTime: new V1MicroTime(iso),
      leaseTransitions: 0,
    },
  };
}

const LEASE_WIRE = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: {
    name: LEASE_NAME,
    annotations: { 'remediator.example.com/action': 'rollback' },
  },
  spec: {
    holderIdentity: 'pod-a',
    leaseDurationSeconds: 600,
    acquireTime: '2024-05-01T10:00:00.123000Z',
    renewTime: '2024-05-01T10:00:00.123000Z',
    leaseTransitions: 0,
  },
};

function auditEvent(eventTime: Date): EventsV1Event {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'web.17c5a3b2c1d4e5f6', namespace: 'ns' },
    eventTime,
    type: 'Normal',
    reason: 'RemediationSucceeded',
    action: 'Rollback',
    reportingController: 'remediator.example.com/auto-remediator',
    reportingInstance: 'auto-remediator-7d9f-abcde',
    regarding: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'ns',
      name: 'web',
      uid: 'u1',
    },
    note: 'Rolled back to revision 2 (alert HighErrorRate, fingerprint 3f2a)',
  };
}

interface ContractCase {
  name: string;
  call: (kube: ClientNodeKube) => Promise<unknown>;
  verb: KubeVerb;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  query: Record<string, string>;
  /** undefined: the request has no body and no Content-Type of ours. */
  contentType?: string;
  body?: unknown;
  /** The exact bytes, where the page quotes them. */
  text?: string;
  status: number;
  reply: object;
  /** What the call resolves to, checked loosely. */
  expected: unknown;
}

const WRITE = { fieldManager: 'remediator' };

const CONTRACT: ContractCase[] = [
  {
    name: 'readDeployment GETs the Deployment by namespace and name',
    call: (k) => k.readDeployment('ns', 'web'),
    verb: 'get',
    method: 'GET',
    path: DEPLOYMENT,
    query: {},
    status: 200,
    reply: named('Deployment', 'web', { spec: { replicas: 3 } }),
    expected: { metadata: { name: 'web' }, spec: { replicas: 3 } },
  },
  {
    name: 'patchDeployment sends a rollback as a JSON patch with the ops unchanged',
    call: (k) => k.patchDeployment('ns', 'web', { type: 'json', body: ROLLBACK_PATCH }),
    verb: 'patch',
    method: 'PATCH',
    path: DEPLOYMENT,
    query: WRITE,
    contentType: JSON_PATCH,
    body: ROLLBACK_PATCH,
    status: 200,
    reply: named('Deployment', 'web'),
    expected: { metadata: { name: 'web' } },
  },
  {
    name: 'patchDeployment sends a restart as a strategic merge patch',
    call: (k) => k.patchDeployment('ns', 'web', { type: 'strategic', body: RESTART_PATCH }),
    verb: 'patch',
    method: 'PATCH',
    path: DEPLOYMENT,
    query: WRITE,
    contentType: STRATEGIC_PATCH,
    text: '{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-27T13:59:26Z"}}}}}',
    status: 200,
    reply: named('Deployment', 'web'),
    expected: { metadata: { name: 'web' } },
  },
  {
    name: 'patchDeployment keeps valueFrom: null in a strategic merge patch of one env var',
    call: (k) => k.patchDeployment('ns', 'web', { type: 'strategic', body: ENV_PATCH }),
    verb: 'patch',
    method: 'PATCH',
    path: DEPLOYMENT,
    query: WRITE,
    contentType: STRATEGIC_PATCH,
    text: '{"spec":{"template":{"spec":{"containers":[{"name":"model","env":[{"name":"MODEL_VERSION","value":"v41","valueFrom":null}]}]}}}}',
    status: 200,
    reply: named('Deployment', 'web'),
    expected: { metadata: { name: 'web' } },
  },
  {
    name: 'patchDeployment sends a merge patch as application/merge-patch+json',
    call: (k) =>
      k.patchDeployment('ns', 'web', {
        type: 'merge',
        body: { metadata: { annotations: { 'remediator.example.com/paused-by': 'inc-42' } } },
      }),
    verb: 'patch',
    method: 'PATCH',
    path: DEPLOYMENT,
    query: WRITE,
    contentType: MERGE_PATCH,
    body: { metadata: { annotations: { 'remediator.example.com/paused-by': 'inc-42' } } },
    status: 200,
    reply: named('Deployment', 'web'),
    expected: { metadata: { name: 'web' } },
  },
  {
    name: 'readDeploymentScale GETs the scale subresource',
    call: (k) => k.readDeploymentScale('ns', 'web'),
    verb: 'get',
    method: 'GET',
    path: SCALE,
    query: {},
    status: 200,
    reply: {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'web', namespace: 'ns', resourceVersion: '1000' },
      spec: { replicas: 3 },
      status: { replicas: 3, selector: 'app=web' },
    },
    expected: { spec: { replicas: 3 }, status: { selector: 'app=web' } },
  },
  {
    name: 'patchDeploymentScale sends exactly {"spec":{"replicas":5}} as a merge patch',
    call: (k) => k.patchDeploymentScale('ns', 'web', 5),
    verb: 'patch',
    method: 'PATCH',
    path: SCALE,
    query: WRITE,
    contentType: MERGE_PATCH,
    text: '{"spec":{"replicas":5}}',
    status: 200,
    reply: { kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 5 } },
    expected: { spec: { replicas: 5 } },
  },
  {
    name: 'listHorizontalPodAutoscalers lists autoscaling/v2 HPAs in the namespace',
    call: (k) => k.listHorizontalPodAutoscalers('ns'),
    verb: 'list',
    method: 'GET',
    path: HPAS,
    query: {},
    status: 200,
    reply: {
      kind: 'HorizontalPodAutoscalerList',
      metadata: { resourceVersion: '1000' },
      items: [
        {
          metadata: { name: 'web' },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
            maxReplicas: 10,
          },
        },
      ],
    },
    expected: [{ metadata: { name: 'web' }, spec: { maxReplicas: 10 } }],
  },
  {
    name: 'patchHorizontalPodAutoscaler raises the bounds with a merge patch',
    call: (k) =>
      k.patchHorizontalPodAutoscaler('ns', 'web', { spec: { minReplicas: 6, maxReplicas: 20 } }),
    verb: 'patch',
    method: 'PATCH',
    path: `${HPAS}/web`,
    query: WRITE,
    contentType: MERGE_PATCH,
    text: '{"spec":{"minReplicas":6,"maxReplicas":20}}',
    status: 200,
    reply: { metadata: { name: 'web' }, spec: { minReplicas: 6, maxReplicas: 20 } },
    expected: { spec: { minReplicas: 6, maxReplicas: 20 } },
  },
  {
    name: 'readConfigMap GETs the core ConfigMap',
    call: (k) => k.readConfigMap('ns', 'model-config'),
    verb: 'get',
    method: 'GET',
    path: CONFIG_MAP,
    query: {},
    status: 200,
    reply: named('ConfigMap', 'model-config', { data: { MODEL_VERSION: 'v40' } }),
    expected: { data: { MODEL_VERSION: 'v40' } },
  },
  {
    name: 'patchConfigMap changes one key with a merge patch',
    call: (k) => k.patchConfigMap('ns', 'model-config', { data: { MODEL_VERSION: 'v41' } }),
    verb: 'patch',
    method: 'PATCH',
    path: CONFIG_MAP,
    query: WRITE,
    contentType: MERGE_PATCH,
    text: '{"data":{"MODEL_VERSION":"v41"}}',
    status: 200,
    reply: named('ConfigMap', 'model-config', { data: { MODEL_VERSION: 'v41' } }),
    expected: { data: { MODEL_VERSION: 'v41' } },
  },
  {
    name: 'readPod GETs the core Pod',
    call: (k) => k.readPod('ns', 'web-7d9f-abcde'),
    verb: 'get',
    method: 'GET',
    path: POD,
    query: {},
    status: 200,
    reply: named('Pod', 'web-7d9f-abcde', { status: { phase: 'Running' } }),
    expected: { status: { phase: 'Running' } },
  },
  {
    name: 'patchPod relabels with a merge patch whose null removes a label',
    call: (k) =>
      k.patchPod('ns', 'web-7d9f-abcde', {
        metadata: { labels: { app: null, 'remediator.example.com/quarantine': 'true' } },
      }),
    verb: 'patch',
    method: 'PATCH',
    path: POD,
    query: WRITE,
    contentType: MERGE_PATCH,
    text: '{"metadata":{"labels":{"app":null,"remediator.example.com/quarantine":"true"}}}',
    status: 200,
    reply: named('Pod', 'web-7d9f-abcde'),
    expected: { metadata: { name: 'web-7d9f-abcde' } },
  },
  {
    name: 'readNetworkPolicy GETs the NetworkPolicy',
    call: (k) => k.readNetworkPolicy('ns', 'quarantine-web-ccc-x1'),
    verb: 'get',
    method: 'GET',
    path: `${NETWORK_POLICIES}/quarantine-web-ccc-x1`,
    query: {},
    status: 200,
    reply: named('NetworkPolicy', 'quarantine-web-ccc-x1'),
    expected: { metadata: { name: 'quarantine-web-ccc-x1' } },
  },
  {
    name: 'createNetworkPolicy POSTs the quarantine policy as application/json',
    call: (k) => k.createNetworkPolicy('ns', QUARANTINE_POLICY),
    verb: 'create',
    method: 'POST',
    path: NETWORK_POLICIES,
    query: WRITE,
    contentType: 'application/json',
    body: QUARANTINE_POLICY,
    status: 201,
    reply: { ...QUARANTINE_POLICY, metadata: { ...QUARANTINE_POLICY.metadata, uid: 'np1' } },
    expected: { metadata: { uid: 'np1' }, spec: { policyTypes: ['Ingress', 'Egress'] } },
  },
  {
    name: 'createJob POSTs the Job to batch/v1 as application/json',
    call: (k) => k.createJob('ns', DIAGNOSTIC_JOB),
    verb: 'create',
    method: 'POST',
    path: JOBS,
    query: WRITE,
    contentType: 'application/json',
    body: DIAGNOSTIC_JOB,
    status: 201,
    reply: { ...DIAGNOSTIC_JOB, metadata: { name: 'diagnose-web', uid: 'j1' } },
    expected: { metadata: { uid: 'j1' } },
  },
  {
    name: 'readJob GETs the Job',
    call: (k) => k.readJob('ns', 'diagnose-web'),
    verb: 'get',
    method: 'GET',
    path: `${JOBS}/diagnose-web`,
    query: {},
    status: 200,
    reply: named('Job', 'diagnose-web', { status: { succeeded: 1 } }),
    expected: { status: { succeeded: 1 } },
  },
  {
    name: 'readLease GETs the Lease in the given namespace',
    call: (k) => k.readLease('rem', LEASE_NAME),
    verb: 'get',
    method: 'GET',
    path: `${LEASES}/${LEASE_NAME}`,
    query: {},
    status: 200,
    reply: { ...LEASE_WIRE, metadata: { ...LEASE_WIRE.metadata, resourceVersion: '7' } },
    expected: {
      metadata: { resourceVersion: '7' },
      spec: { renewTime: '2024-05-01T10:00:00.123000Z' },
    },
  },
  {
    name: 'listLeases lists Leases by label selector',
    call: (k) => k.listLeases('rem', 'remediator.example.com/managed=true'),
    verb: 'list',
    method: 'GET',
    path: LEASES,
    query: { labelSelector: 'remediator.example.com/managed=true' },
    status: 200,
    reply: { kind: 'LeaseList', metadata: {}, items: [{ metadata: { name: LEASE_NAME } }] },
    expected: [{ metadata: { name: LEASE_NAME } }],
  },
  {
    name: 'createLease POSTs the Lease with 6-digit MicroTimes from V1MicroTime',
    call: (k) => k.createLease('rem', leaseAt('2024-05-01T10:00:00.123Z')),
    verb: 'create',
    method: 'POST',
    path: LEASES,
    query: WRITE,
    contentType: 'application/json',
    body: LEASE_WIRE,
    status: 201,
    reply: { ...LEASE_WIRE, metadata: { ...LEASE_WIRE.metadata, resourceVersion: '7' } },
    expected: { metadata: { resourceVersion: '7' } },
  },
  {
    name: 'replaceLease PUTs the whole Lease carrying its resourceVersion',
    call: (k) => k.replaceLease('rem', LEASE_NAME, leaseAt('2024-05-01T10:00:00.123Z', '7')),
    verb: 'update',
    method: 'PUT',
    path: `${LEASES}/${LEASE_NAME}`,
    query: WRITE,
    contentType: 'application/json',
    body: { ...LEASE_WIRE, metadata: { ...LEASE_WIRE.metadata, resourceVersion: '7' } },
    status: 200,
    reply: { ...LEASE_WIRE, metadata: { ...LEASE_WIRE.metadata, resourceVersion: '8' } },
    expected: { metadata: { resourceVersion: '8' } },
  },
  {
    name: 'createEvent POSTs an events.k8s.io/v1 Event with a 6-digit eventTime',
    call: (k) => k.createEvent('ns', auditEvent(new V1MicroTime('2024-05-01T10:00:00.123Z'))),
    verb: 'create',
    method: 'POST',
    path: EVENTS,
    query: WRITE,
    contentType: 'application/json',
    body: { ...auditEvent(new Date(0)), eventTime: '2024-05-01T10:00:00.123000Z' },
    status: 201,
    reply: { metadata: { name: 'web.17c5a3b2c1d4e5f6' } },
    expected: { metadata: { name: 'web.17c5a3b2c1d4e5f6' } },
  },
];

describe('ClientNodeKube requests', () => {
  it.each(CONTRACT)('$name', async (c) => {
    const seen = answer(c.method, c.path, c.status, c.reply);
    const outcomes: [KubeVerb, string][] = [];
    const kube = adapter({ onRequest: (verb, outcome) => outcomes.push([verb, outcome]) });

    const result = await c.call(kube);

    expect(seen).toHaveLength(1);
    const [request] = seen as [SeenRequest];
    expect(request.method).toBe(c.method);
    expect(request.path).toBe(c.path);
    // fieldManager has a test of its own (below), so one gap does not hide the rest here.
    expect({ ...request.query, fieldManager: undefined }).toEqual({
      ...c.query,
      fieldManager: undefined,
    });
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.headers['content-type']).toBe(c.contentType);
    if (c.text !== undefined) expect(request.text).toBe(c.text);
    if (c.body !== undefined) expect(request.body).toEqual(c.body);
    if (c.contentType === undefined) expect(request.text).toBeUndefined();
    expect(result).toMatchObject(c.expected as object);
    expect(outcomes).toEqual([[c.verb, 'success']]);
  });

  it.each([
    [
      'patchDeployment',
      (k: ClientNodeKube, dryRun: boolean) =>
        k.patchDeployment('ns', 'web', { type: 'strategic', body: RESTART_PATCH }, { dryRun }),
      'PATCH',
      DEPLOYMENT,
    ],
    [
      'patchDeploymentScale',
      (k: ClientNodeKube, dryRun: boolean) => k.patchDeploymentScale('ns', 'web', 5, { dryRun }),
      'PATCH',
      SCALE,
    ],
    [
      'patchHorizontalPodAutoscaler',
      (k: ClientNodeKube, dryRun: boolean) =>
        k.patchHorizontalPodAutoscaler('ns', 'web', { spec: { minReplicas: 6 } }, { dryRun }),
      'PATCH',
      `${HPAS}/web`,
    ],
    [
      'patchConfigMap',
      (k: ClientNodeKube, dryRun: boolean) =>
        k.patchConfigMap('ns', 'model-config', { data: { A: 'b' } }, { dryRun }),
      'PATCH',
      CONFIG_MAP,
    ],
    [
      'patchPod',
      (k: ClientNodeKube, dryRun: boolean) =>
        k.patchPod('ns', 'web-7d9f-abcde', { metadata: { labels: { q: 'true' } } }, { dryRun }),
      'PATCH',
      POD,
    ],
    [
      'createNetworkPolicy',
      (k: ClientNodeKube, dryRun: boolean) =>
        k.createNetworkPolicy('ns', QUARANTINE_POLICY, { dryRun }),
      'POST',
      NETWORK_POLICIES,
    ],
    [
      'createJob',
      (k: ClientNodeKube, dryRun: boolean) => k.createJob('ns', DIAGNOSTIC_JOB, { dryRun }),
      'POST',
      JOBS,
    ],
  ] as const)(
    '%s adds dryRun=All only when dry-run is asked',
    async (_name, call, method, path) => {
      const dry = answer(method, path, 200, {});
      await call(adapter(), true);
      const real = answer(method, path, 200, {});
      await call(adapter(), false);

      expect(dry[0]?.query).toEqual({ fieldManager: 'remediator', dryRun: 'All' });
      expect(real[0]?.query).toEqual({ fieldManager: 'remediator' });
    },
  );

  it('leaves dryRun out when no write options are given at all', async () => {
    const seen = answer('PATCH', SCALE, 200, {});
    await adapter().patchDeploymentScale('ns', 'web', 2);
    expect(seen[0]?.search).toBe('fieldManager=remediator');
  });

  const writes = CONTRACT.filter(
    (c, i, all) =>
      c.method !== 'GET' &&
      all.findIndex((d) => d.name.split(' ')[0] === c.name.split(' ')[0]) === i,
  );

  it.each(writes.map((c) => [c.name.split(' ')[0], c] as const))(
    '%s writes under the remediator field manager',
    async (_method, c) => {
      const seen = answer(c.method, c.path, c.status, c.reply);
      await c.call(adapter());
      expect(seen[0]?.query.fieldManager).toBe('remediator');
    },
  );

  it('encodes the label selector as the page shows it', async () => {
    const seen = answer('GET', REPLICA_SETS, 200, {
      kind: 'ReplicaSetList',
      metadata: {},
      items: [],
    });
    await adapter().listReplicaSets('ns', 'app=web');
    expect(seen[0]?.search).toBe('labelSelector=app%3Dweb');
  });

  it('sends a set-based selector unchanged', async () => {
    const seen = answer('GET', REPLICA_SETS, 200, {
      kind: 'ReplicaSetList',
      metadata: {},
      items: [],
    });
    await adapter().listReplicaSets('ns', 'app=web,track in (canary,stable),!paused');
    expect(seen[0]?.query).toEqual({ labelSelector: 'app=web,track in (canary,stable),!paused' });
  });
});

describe('ClientNodeKube ReplicaSet paging', () => {
  /** List items carry no kind or apiVersion (kubernetes/kubernetes#3030). */
  const rs = (name: string) => ({ metadata: { name, namespace: 'ns', labels: { app: 'web' } } });
  const page = (names: string[], token?: string) => ({
    kind: 'ReplicaSetList',
    apiVersion: 'apps/v1',
    metadata: { resourceVersion: '1000', ...(token === undefined ? {} : { continue: token }) },
    items: names.map(rs),
  });

  it('follows continue tokens with the same selector and returns every page in order', async () => {
    const first = answer('GET', REPLICA_SETS, 200, page(['web-a', 'web-b'], 'tok-1'));
    const second = answer('GET', REPLICA_SETS, 200, page(['web-c'], 'tok-2'));
    const third = answer('GET', REPLICA_SETS, 200, page(['web-d']));
    const outcomes: string[] = [];

    const items = await adapter({
      onRequest: (verb, o) => outcomes.push(`${verb}:${o}`),
    }).listReplicaSets('ns', 'app=web');

    expect(items.map((i) => i.metadata?.name)).toEqual(['web-a', 'web-b', 'web-c', 'web-d']);
    expect(first[0]?.query).toEqual({ labelSelector: 'app=web' });
    expect(second[0]?.query).toEqual({ labelSelector: 'app=web', continue: 'tok-1' });
    expect(third[0]?.query).toEqual({ labelSelector: 'app=web', continue: 'tok-2' });
    expect(outcomes).toEqual(['list:success', 'list:success', 'list:success']);
  });

  it('stops at an empty continue token', async () => {
    const only = answer('GET', REPLICA_SETS, 200, page(['web-a'], ''));
    const items = await adapter().listReplicaSets('ns', 'app=web');
    expect(items.map((i) => i.metadata?.name)).toEqual(['web-a']);
    expect(only).toHaveLength(1);
  });

  it('returns items that carry no kind', async () => {
    answer('GET', REPLICA_SETS, 200, page(['web-a']));
    const [item] = await adapter().listReplicaSets('ns', 'app=web');
    expect(item?.kind).toBeUndefined();
    expect(item?.metadata?.name).toBe('web-a');
  });

  it('rejects the whole list when a later page fails instead of returning part of it', async () => {
    answer('GET', REPLICA_SETS, 200, page(['web-a'], 'tok-1'));
    answer('GET', REPLICA_SETS, 403, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'replicasets.apps is forbidden: User "system:serviceaccount:rem:remediator" cannot list resource "replicasets" in API group "apps" in the namespace "ns"',
      reason: 'Forbidden',
      details: { group: 'apps', kind: 'replicasets' },
      code: 403,
    });
    const err = await kubeFailure(adapter().listReplicaSets('ns', 'app=web'));
    expect(err.reason).toBe('forbidden');
  });
});

/** §8 bodies, verbatim. */
const STATUS = {
  notFound: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'deployments.apps "web" not found',
    reason: 'NotFound',
    details: { name: 'web', group: 'apps', kind: 'deployments' },
    code: 404,
  },
  alreadyExists: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `leases.coordination.k8s.io "${LEASE_NAME}" already exists`,
    reason: 'AlreadyExists',
    details: { name: LEASE_NAME, group: 'coordination.k8s.io', kind: 'leases' },
    code: 409,
  },
  conflict: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Operation cannot be fulfilled on leases.coordination.k8s.io "${LEASE_NAME}": the object has been modified; please apply your changes to the latest version and try again`,
    reason: 'Conflict',
    details: { name: LEASE_NAME, group: 'coordination.k8s.io', kind: 'leases' },
    code: 409,
  },
  invalid: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value',
    reason: 'Invalid',
    details: {
      name: 'web',
      group: 'apps',
      kind: 'Deployment',
      causes: [
        {
          reason: 'FieldValueRequired',
          message: 'Required value',
          field: 'spec.template.spec.containers[0].image',
        },
      ],
    },
    code: 422,
  },
  jsonPatchInvalid: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server rejected our request due to an error in our request',
    reason: 'Invalid',
    details: {},
    code: 422,
  },
  badRequest: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'error decoding patch: json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    reason: 'BadRequest',
    code: 400,
  },
  unsupportedMediaType: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    reason: 'UnsupportedMediaType',
    code: 415,
  },
  forbidden: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'deployments.apps "web" is forbidden: User "system:serviceaccount:rem:remediator" cannot patch resource "deployments/scale" in API group "apps" in the namespace "ns"',
    reason: 'Forbidden',
    details: { name: 'web', group: 'apps', kind: 'deployments' },
    code: 403,
  },
  unauthorized: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Unauthorized',
    reason: 'Unauthorized',
    code: 401,
  },
  tooManyRequests: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    reason: 'TooManyRequests',
    details: { retryAfterSeconds: 3 },
    code: 429,
  },
  internal: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Internal error occurred: etcdserver: request timed out',
    reason: 'InternalError',
    details: { causes: [{ message: 'etcdserver: request timed out' }] },
    code: 500,
  },
  unavailable: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server is currently unable to handle the request',
    reason: 'ServiceUnavailable',
    code: 503,
  },
  timeout: {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'Timeout: request did not complete within requested timeout - context deadline exceeded',
    reason: 'Timeout',
    details: {},
    code: 504,
  },
} as const;

interface ErrorCase {
  name: string;
  call: (kube: ClientNodeKube) => Promise<unknown>;
  method: string;
  path: string;
  status: number;
  body: object | string;
  headers?: Record<string, string>;
  reason: KubeError['reason'];
  apiReason: string | undefined;
  retryable: boolean;
  alreadyExists?: boolean;
  retryAfterMs?: number;
  /** A piece of the server's message the KubeError must quote. */
  quotes: string;
}

const ERRORS: ErrorCase[] = [
  {
    name: 'a 404 NotFound is not_found',
    call: (k) => k.readDeployment('ns', 'web'),
    method: 'GET',
    path: DEPLOYMENT,
    status: 404,
    body: STATUS.notFound,
    reason: 'not_found',
    apiReason: 'NotFound',
    retryable: false,
    quotes: 'deployments.apps "web" not found',
  },
  {
    name: 'a 409 AlreadyExists on create is a conflict that says the object already exists',
    call: (k) => k.createLease('rem', leaseAt('2024-05-01T10:00:00.123Z')),
    method: 'POST',
    path: LEASES,
    status: 409,
    body: STATUS.alreadyExists,
    reason: 'conflict',
    apiReason: 'AlreadyExists',
    alreadyExists: true,
    retryable: false,
    quotes: 'already exists',
  },
  {
    name: 'a 409 Conflict on a stale replace is a conflict that is not AlreadyExists',
    call: (k) => k.replaceLease('rem', LEASE_NAME, leaseAt('2024-05-01T10:00:00.123Z', '6')),
    method: 'PUT',
    path: `${LEASES}/${LEASE_NAME}`,
    status: 409,
    body: STATUS.conflict,
    reason: 'conflict',
    apiReason: 'Conflict',
    alreadyExists: false,
    retryable: false,
    quotes: 'the object has been modified',
  },
  {
    name: 'a 422 Invalid with causes is invalid and quotes the field',
    call: (k) => k.patchDeployment('ns', 'web', { type: 'strategic', body: ENV_PATCH }),
    method: 'PATCH',
    path: DEPLOYMENT,
    status: 422,
    body: STATUS.invalid,
    reason: 'invalid',
    apiReason: 'Invalid',
    retryable: false,
    quotes: 'spec.template.spec.containers[0].image: Required value',
  },
  {
    name: 'the generic 422 of a JSON patch that cannot be applied is invalid',
    call: (k) => k.patchDeployment('ns', 'web', { type: 'json', body: ROLLBACK_PATCH }),
    method: 'PATCH',
    path: DEPLOYMENT,
    status: 422,
    body: STATUS.jsonPatchInvalid,
    reason: 'invalid',
    apiReason: 'Invalid',
    retryable: false,
    quotes: 'the server rejected our request due to an error in our request',
  },
  {
    name: 'a 400 BadRequest for a patch that does not decode is invalid',
    call: (k) => k.patchDeployment('ns', 'web', { type: 'json', body: { spec: {} } }),
    method: 'PATCH',
    path: DEPLOYMENT,
    status: 400,
    body: STATUS.badRequest,
    reason: 'invalid',
    apiReason: 'BadRequest',
    retryable: false,
    quotes: 'error decoding patch',
  },
  {
    name: 'a 415 UnsupportedMediaType is invalid',
    call: (k) => k.patchConfigMap('ns', 'model-config', { data: {} }),
    method: 'PATCH',
    path: CONFIG_MAP,
    status: 415,
    body: STATUS.unsupportedMediaType,
    reason: 'invalid',
    apiReason: 'UnsupportedMediaType',
    retryable: false,
    quotes: 'the body of the request was in an unknown format',
  },
  {
    name: 'a 403 Forbidden is forbidden and quotes the missing permission',
    call: (k) => k.patchDeploymentScale('ns', 'web', 5),
    method: 'PATCH',
    path: SCALE,
    status: 403,
    body: STATUS.forbidden,
    reason: 'forbidden',
    apiReason: 'Forbidden',
    retryable: false,
    quotes: 'cannot patch resource "deployments/scale"',
  },
  {
    // client-node throws its 401 ApiException without the body, so there is no apiReason.
    name: 'a 401 is unauthorized even though client-node drops its body',
    call: (k) => k.readDeployment('ns', 'web'),
    method: 'GET',
    path: DEPLOYMENT,
    status: 401,
    body: STATUS.unauthorized,
    reason: 'unauthorized',
    apiReason: undefined,
    retryable: false,
    quotes: 'get deployment ns/web',
  },
  {
    name: 'the plain-text 429 of priority and fairness is rate_limited with its Retry-After',
    call: (k) => k.patchDeploymentScale('ns', 'web', 5),
    method: 'PATCH',
    path: SCALE,
    status: 429,
    body: 'Too many requests, please try again later.\n',
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Retry-After': '7',
      'X-Kubernetes-PF-FlowSchema-UID': 'f1',
      'X-Kubernetes-PF-PriorityLevel-UID': 'p1',
    },
    reason: 'rate_limited',
    apiReason: undefined,
    retryAfterMs: 7000,
    retryable: true,
    quotes: 'Too many requests, please try again later.',
  },
  {
    name: 'a Status 429 without a Retry-After header takes details.retryAfterSeconds',
    call: (k) => k.patchPod('ns', 'web-7d9f-abcde', { metadata: { labels: { q: 'true' } } }),
    method: 'PATCH',
    path: POD,
    status: 429,
    body: STATUS.tooManyRequests,
    reason: 'rate_limited',
    apiReason: 'TooManyRequests',
    retryAfterMs: 3000,
    retryable: true,
    quotes: 'disruption budget',
  },
  {
    name: 'a Status 429 with Retry-After takes the header',
    call: (k) => k.patchPod('ns', 'web-7d9f-abcde', { metadata: { labels: { q: 'true' } } }),
    method: 'PATCH',
    path: POD,
    status: 429,
    body: STATUS.tooManyRequests,
    headers: { 'Retry-After': '3' },
    reason: 'rate_limited',
    apiReason: 'TooManyRequests',
    retryAfterMs: 3000,
    retryable: true,
    quotes: 'disruption budget',
  },
  {
    name: 'a 500 InternalError is unavailable and retryable',
    call: (k) => k.readConfigMap('ns', 'model-config'),
    method: 'GET',
    path: CONFIG_MAP,
    status: 500,
    body: STATUS.internal,
    reason: 'unavailable',
    apiReason: 'InternalError',
    retryable: true,
    quotes: 'etcdserver: request timed out',
  },
  {
    name: 'a 503 ServiceUnavailable is unavailable and retryable',
    call: (k) => k.listHorizontalPodAutoscalers('ns'),
    method: 'GET',
    path: HPAS,
    status: 503,
    body: STATUS.unavailable,
    reason: 'unavailable',
    apiReason: 'ServiceUnavailable',
    retryable: true,
    quotes: 'the server is currently unable to handle the request',
  },
  {
    name: 'a 504 Timeout is timeout and retryable',
    call: (k) => k.readJob('ns', 'diagnose-web'),
    method: 'GET',
    path: `${JOBS}/diagnose-web`,
    status: 504,
    body: STATUS.timeout,
    reason: 'timeout',
    apiReason: 'Timeout',
    retryable: true,
    quotes: 'context deadline exceeded',
  },
];

describe('ClientNodeKube error mapping', () => {
  it.each(ERRORS)('$name', async (c) => {
    const seen = answer(c.method, c.path, c.status, c.body, c.headers);
    const outcomes: string[] = [];

    const err = await kubeFailure(c.call(adapter({ onRequest: (_v, o) => outcomes.push(o) })));

    expect(seen).toHaveLength(1);
    expect(err.reason).toBe(c.reason);
    expect(err.status).toBe(c.status);
    expect(err.details.apiReason).toBe(c.apiReason);
    expect(err.retryable).toBe(c.retryable);
    expect(err.alreadyExists).toBe(c.alreadyExists ?? false);
    expect(err.details.retryAfterMs).toBe(c.retryAfterMs);
    expect(err.message).toContain(c.quotes);
    expect(err.message).not.toContain(TOKEN);
    expect(err.code).toBe(`kube_${c.reason}`);
    expect(outcomes).toEqual([c.reason]);
  });

  it('names the call in the message of a mapped error', async () => {
    answer('PATCH', SCALE, 404, STATUS.notFound);
    const err = await kubeFailure(adapter().patchDeploymentScale('ns', 'web', 5));
    expect(err.message).toBe('patch deployment scale ns/web: deployments.apps "web" not found');
  });

  it('maps a refused connection to unavailable with no status', async () => {
    nock(SERVER)
      .get(DEPLOYMENT)
      .replyWithError(
        Object.assign(new Error('connect ECONNREFUSED 10.96.0.1:443'), { code: 'ECONNREFUSED' }),
      );
    const err = await kubeFailure(adapter().readDeployment('ns', 'web'));
    expect(err.reason).toBe('unavailable');
    expect(err.status).toBe(0);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe('get deployment ns/web: ECONNREFUSED');
  });

  it('keeps the cause in the message of a connection error that has no errno code', async () => {
    nock(SERVER).get(DEPLOYMENT).replyWithError('socket hang up');
    const err = await kubeFailure(adapter().readDeployment('ns', 'web'));
    expect(err.reason).toBe('unavailable');
    expect(err.message).toContain('socket hang up');
  });

  it('maps an answer slower than requestTimeoutMs to timeout', async () => {
    nock(SERVER).get(DEPLOYMENT).delay(2_000).reply(200, named('Deployment', 'web'));
    const outcomes: string[] = [];
    const started = Date.now();

    const err = await kubeFailure(
      adapter({ requestTimeoutMs: 50, onRequest: (_v, o) => outcomes.push(o) }).readDeployment(
        'ns',
        'web',
      ),
    );

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err.reason).toBe('timeout');
    expect(err.status).toBe(0);
    expect(err.retryable).toBe(true);
    expect(outcomes).toEqual(['timeout']);
  });

  it('does not time out an answer that arrives within requestTimeoutMs', async () => {
    nock(SERVER).get(DEPLOYMENT).delay(20).reply(200, named('Deployment', 'web'));
    const deployment = await adapter({ requestTimeoutMs: 2_000 }).readDeployment('ns', 'web');
    expect(deployment.metadata?.name).toBe('web');
  });
});

describe('ClientNodeKube refuses names that cannot go into a URL path', () => {
  /** Every request that reaches the (nock) server, whatever its method and path. */
  function anyRequest(): string[] {
    const seen: string[] = [];
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      nock(SERVER)
        .persist()
        .intercept(() => true, method)
        .query(true)
        .reply(function (uri) {
          seen.push(`${this.req.method} ${new URL(uri, SERVER).pathname}`);
          return [200, { kind: 'List', metadata: {}, items: [] }];
        });
    }
    return seen;
  }

  // Before the outer afterEach, which expects no interceptor left waiting.
  afterEach(() => {
    nock.cleanAll();
  });

  type Call = (k: ClientNodeKube, namespace: string, name: string) => Promise<unknown>;
  const CALLS: [string, Call][] = [
    ['readDeployment', (k, ns, name) => k.readDeployment(ns, name)],
    [
      'patchDeployment',
      (k, ns, name) => k.patchDeployment(ns, name, { type: 'strategic', body: RESTART_PATCH }),
    ],
    ['patchDeploymentScale', (k, ns, name) => k.patchDeploymentScale(ns, name, 5)],
    ['patchPod', (k, ns, name) => k.patchPod(ns, name, { metadata: { labels: { q: 'true' } } })],
    ['readLease', (k, ns, name) => k.readLease(ns, name)],
    ['deleteLease', (k, ns, name) => k.deleteLease(ns, name)],
  ];

  // `..` and `.` survive encodeURIComponent and are then resolved away by the URL parser, so
  // `pods/..` would reach the server as the Namespace itself; `/` would add path segments.
  const BAD_NAMES = ['..', '.', 'a/b', 'web\nx', 'web%2F..', 'Web', '-web', 'w'.repeat(254), ''];
  const BAD_NAMESPACES = ['..', '.', 'a/b', 'prod\n', 'kube.system', 'Prod', 'n'.repeat(64), ''];
  /** A test title for a value: long ones by their length. */
  const shown = (values: string[]): [string, string][] =>
    values.map((v) => [v.length > 40 ? `of ${v.length} characters` : JSON.stringify(v), v]);

  it.each(CALLS)('%s sends a valid name, as the control for the cases below', async (_n, call) => {
    const seen = anyRequest();
    await call(adapter(), 'prod', 'web-7d9f.x1');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/ \/apis?\/.*\/namespaces\/prod\/[a-z]+\/web-7d9f\.x1(\/scale)?$/);
  });

  describe.each(CALLS)('%s', (_name, call) => {
    it.each(shown(BAD_NAMES))('sends nothing for the name %s', async (_shown, name) => {
      const seen = anyRequest();
      const outcomes: string[] = [];
      const err = await kubeFailure(
        call(adapter({ onRequest: (_v, o) => outcomes.push(o) }), 'prod', name),
      );
      expect(seen).toEqual([]);
      expect(outcomes).toEqual([]);
      expect(err.reason).toBe('invalid');
      expect(err.status).toBe(0);
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('refused before sending: name ');
      expect(err.message).not.toContain('\n');
    });

    it.each(shown(BAD_NAMESPACES))('sends nothing for the namespace %s', async (_s, namespace) => {
      const seen = anyRequest();
      const err = await kubeFailure(call(adapter(), namespace, 'web'));
      expect(seen).toEqual([]);
      expect(err.reason).toBe('invalid');
      expect(err.message).toContain('refused before sending: namespace ');
      expect(err.message).not.toContain('\n');
    });
  });

  it.each([
    ['listReplicaSets', (k: ClientNodeKube) => k.listReplicaSets('..', 'app=web')],
    ['createJob', (k: ClientNodeKube) => k.createJob('a/b', DIAGNOSTIC_JOB)],
    ['createEvent', (k: ClientNodeKube) => k.createEvent('..', auditEvent(new Date(0)))],
    ['listLeases', (k: ClientNodeKube) => k.listLeases('.', 'a=b')],
  ] as const)('%s sends nothing for a namespace that is not a DNS-1123 label', async (_n, call) => {
    const seen = anyRequest();
    const err = await kubeFailure(call(adapter()));
    expect(seen).toEqual([]);
    expect(err.reason).toBe('invalid');
  });

  it('quotes a long bad name cut short, so an alert cannot flood the logs through it', async () => {
    const err = await kubeFailure(adapter().readPod('prod', `${'x'.repeat(5000)}\n`));
    expect(err.message.length).toBeLessThan(400);
    expect(err.message).toContain('"xxxxx');
  });
});
