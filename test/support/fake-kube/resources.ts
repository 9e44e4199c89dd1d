import { OBJECT_META_SCHEMA, type FieldSchema, type TypeCheck } from './decode';
import {
  defaultDaemonSet,
  defaultDeployment,
  defaultHorizontalPodAutoscaler,
  defaultJob,
  defaultNetworkPolicy,
  defaultPod,
  defaultReplicaSet,
  defaultStatefulSet,
} from './defaults';
import { CUSTOM_RESOURCES } from './custom-resources';
import type { FieldError } from './field-errors';
import { ensureObject, getPath, removeKey, scalarText, type JsonObject } from './json';
import type { GroupKind, GroupResource } from './statuses';
import {
  validateConfigMap,
  validateDaemonSet,
  validateDeployment,
  validateEvent,
  validateHorizontalPodAutoscaler,
  validateJob,
  validateLease,
  validateNetworkPolicy,
  validateNode,
  validatePod,
  validateReplicaSet,
  validateStatefulSet,
  type ValidationOptions,
} from './validation';

/** What the fake knows about one API resource (one group/version/plural). */
export interface ResourceDef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  /** The group errors name, when the storage behind the URL belongs to another group. */
  readonly errorGroup?: string;
  /** Storage identity: both Event APIs share `events`. */
  readonly storage: string;
  /** etcd key prefix, which the server quotes in precondition failures. */
  readonly registryPrefix: string;
  /** Known fields (unknown ones are dropped with a warning); the top-level key order of output. */
  readonly schema: Readonly<Record<string, FieldSchema>>;
  readonly typeChecks: readonly TypeCheck[];
  readonly microTimeFields: readonly string[];
  /** The status a create writes; undefined for kinds without status. */
  readonly emptyStatus?: JsonObject;
  /** When `metadata.generation` goes up (undefined: the kind has none). */
  readonly generation?: 'spec' | 'spec+annotations';
  readonly allowCreateOnUpdate: boolean;
  readonly allowUnconditionalUpdate: boolean;
  /** Kind used in Invalid errors (`Deployment.apps`, `Event`). */
  readonly invalidKind: GroupKind;
  readonly subresources: readonly string[];
  /** Served from a CRD: no strategic merge patch (415), OpenAPI-schema validation. */
  readonly customResource?: boolean;
  readonly defaults?: (obj: JsonObject) => void;
  readonly prepareForCreate?: (obj: JsonObject) => void;
  readonly validate: (
    obj: JsonObject,
    old?: JsonObject,
    options?: ValidationOptions,
  ) => FieldError[];
  /** API form to stored form (and back); identity unless the kind is stored as another. */
  readonly toStorage?: (obj: JsonObject) => JsonObject;
  readonly fromStorage?: (obj: JsonObject) => JsonObject;
}

/** `group/version`, or `v1` for the core group. */
export function apiVersionOf(def: ResourceDef): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

/** The GroupResource NotFound, AlreadyExists, Conflict and Forbidden name. */
export function groupResourceOf(def: ResourceDef): GroupResource {
  return { group: def.errorGroup ?? def.group, resource: def.plural };
}

export { OBJECT_META_SCHEMA };

const ENV_VAR_SCHEMA = { name: true, value: true, valueFrom: true } as const;

const CONTAINER_SCHEMA = {
  name: true,
  image: true,
  command: true,
  args: true,
  workingDir: true,
  ports: [{ name: true, hostPort: true, containerPort: true, protocol: true, hostIP: true }],
  envFrom: true,
  env: [ENV_VAR_SCHEMA],
  resources: true,
  resizePolicy: true,
  restartPolicy: true,
  restartPolicyRules: true,
  volumeMounts: [
    {
      name: true,
      readOnly: true,
      recursiveReadOnly: true,
      mountPath: true,
      subPath: true,
      mountPropagation: true,
      subPathExpr: true,
    },
  ],
  volumeDevices: true,
  livenessProbe: true,
  readinessProbe: true,
  startupProbe: true,
  lifecycle: true,
  terminationMessagePath: true,
  terminationMessagePolicy: true,
  imagePullPolicy: true,
  securityContext: true,
  stdin: true,
  stdinOnce: true,
  tty: true,
} as const;

const POD_SPEC_SCHEMA = {
  volumes: true,
  initContainers: [CONTAINER_SCHEMA],
  containers: [CONTAINER_SCHEMA],
  ephemeralContainers: true,
  restartPolicy: true,
  terminationGracePeriodSeconds: true,
  activeDeadlineSeconds: true,
  dnsPolicy: true,
  nodeSelector: true,
  serviceAccountName: true,
  serviceAccount: true,
  automountServiceAccountToken: true,
  nodeName: true,
  hostNetwork: true,
  hostPID: true,
  hostIPC: true,
  shareProcessNamespace: true,
  securityContext: true,
  imagePullSecrets: true,
  hostname: true,
  subdomain: true,
  affinity: true,
  schedulerName: true,
  tolerations: true,
  hostAliases: true,
  priorityClassName: true,
  priority: true,
  dnsConfig: true,
  readinessGates: true,
  runtimeClassName: true,
  enableServiceLinks: true,
  preemptionPolicy: true,
  overhead: true,
  topologySpreadConstraints: true,
  setHostnameAsFQDN: true,
  os: true,
  hostUsers: true,
  schedulingGates: true,
  resourceClaims: true,
  resources: true,
  hostnameOverride: true,
} as const;

const POD_TEMPLATE_SCHEMA = { metadata: OBJECT_META_SCHEMA, spec: POD_SPEC_SCHEMA } as const;

function metaChecks(kind: string): TypeCheck[] {
  return [
    { path: 'metadata', type: 'object', struct: kind, goType: 'v1.ObjectMeta' },
    { path: 'metadata.name', type: 'string', struct: 'ObjectMeta' },
    { path: 'metadata.generateName', type: 'string', struct: 'ObjectMeta' },
    { path: 'metadata.namespace', type: 'string', struct: 'ObjectMeta' },
    { path: 'metadata.uid', type: 'string', struct: 'ObjectMeta', goType: 'types.UID' },
    { path: 'metadata.resourceVersion', type: 'string', struct: 'ObjectMeta' },
    { path: 'metadata.labels', type: 'object', struct: 'ObjectMeta', goType: 'map[string]string' },
    { path: 'metadata.labels.*', type: 'string', struct: 'ObjectMeta' },
    {
      path: 'metadata.annotations',
      type: 'object',
      struct: 'ObjectMeta',
      goType: 'map[string]string',
    },
    { path: 'metadata.annotations.*', type: 'string', struct: 'ObjectMeta' },
  ];
}

function podTemplateChecks(prefix: string): TypeCheck[] {
  const p = prefix;
  return [
    { path: `${p}.metadata.labels.*`, type: 'string', struct: 'ObjectMeta' },
    { path: `${p}.metadata.annotations.*`, type: 'string', struct: 'ObjectMeta' },
    { path: `${p}.spec`, type: 'object', struct: 'PodTemplateSpec', goType: 'v1.PodSpec' },
    { path: `${p}.spec.containers`, type: 'array', struct: 'PodSpec', goType: '[]v1.Container' },
    { path: `${p}.spec.containers.*.name`, type: 'string', struct: 'Container' },
    { path: `${p}.spec.containers.*.image`, type: 'string', struct: 'Container' },
    {
      path: `${p}.spec.containers.*.env`,
      type: 'array',
      struct: 'Container',
      goType: '[]v1.EnvVar',
    },
    { path: `${p}.spec.containers.*.env.*.name`, type: 'string', struct: 'EnvVar' },
    { path: `${p}.spec.containers.*.env.*.value`, type: 'string', struct: 'EnvVar' },
    {
      path: `${p}.spec.containers.*.ports.*.containerPort`,
      type: 'int32',
      struct: 'ContainerPort',
    },
  ];
}

function specCheck(kind: string): TypeCheck {
  return { path: 'spec', type: 'object', struct: kind, goType: `v1.${kind}Spec` };
}

const deployments: ResourceDef = {
  group: 'apps',
  version: 'v1',
  plural: 'deployments',
  singular: 'deployment',
  kind: 'Deployment',
  namespaced: true,
  shortNames: ['deploy'],
  storage: 'deployments.apps',
  registryPrefix: '/registry/deployments',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: {
      replicas: true,
      selector: true,
      template: POD_TEMPLATE_SCHEMA,
      strategy: true,
      minReadySeconds: true,
      revisionHistoryLimit: true,
      paused: true,
      progressDeadlineSeconds: true,
    },
    status: true,
  },
  typeChecks: [
    ...metaChecks('Deployment'),
    specCheck('Deployment'),
    { path: 'spec.replicas', type: 'int32', struct: 'DeploymentSpec' },
    { path: 'spec.paused', type: 'bool', struct: 'DeploymentSpec' },
    { path: 'spec.minReadySeconds', type: 'int32', struct: 'DeploymentSpec' },
    { path: 'spec.revisionHistoryLimit', type: 'int32', struct: 'DeploymentSpec' },
    { path: 'spec.progressDeadlineSeconds', type: 'int32', struct: 'DeploymentSpec' },
    ...podTemplateChecks('spec.template'),
  ],
  microTimeFields: [],
  emptyStatus: {},
  generation: 'spec+annotations',
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: 'apps', kind: 'Deployment' },
  subresources: ['scale'],
  defaults: defaultDeployment,
  validate: validateDeployment,
};

const replicaSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  plural: 'replicasets',
  singular: 'replicaset',
  kind: 'ReplicaSet',
  namespaced: true,
  shortNames: ['rs'],
  storage: 'replicasets.apps',
  registryPrefix: '/registry/replicasets',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: { replicas: true, minReadySeconds: true, selector: true, template: POD_TEMPLATE_SCHEMA },
    status: true,
  },
  typeChecks: [
    ...metaChecks('ReplicaSet'),
    specCheck('ReplicaSet'),
    { path: 'spec.replicas', type: 'int32', struct: 'ReplicaSetSpec' },
    ...podTemplateChecks('spec.template'),
  ],
  microTimeFields: [],
  emptyStatus: { replicas: 0 },
  generation: 'spec',
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: 'apps', kind: 'ReplicaSet' },
  subresources: [],
  defaults: defaultReplicaSet,
  validate: validateReplicaSet,
};

const statefulSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  plural: 'statefulsets',
  singular: 'statefulset',
  kind: 'StatefulSet',
  namespaced: true,
  shortNames: ['sts'],
  storage: 'statefulsets.apps',
  registryPrefix: '/registry/statefulsets',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: {
      replicas: true,
      selector: true,
      template: POD_TEMPLATE_SCHEMA,
      volumeClaimTemplates: true,
      serviceName: true,
      podManagementPolicy: true,
      updateStrategy: true,
      revisionHistoryLimit: true,
      minReadySeconds: true,
      persistentVolumeClaimRetentionPolicy: true,
      ordinals: true,
    },
    status: true,
  },
  typeChecks: [
    ...metaChecks('StatefulSet'),
    specCheck('StatefulSet'),
    { path: 'spec.replicas', type: 'int32', struct: 'StatefulSetSpec' },
    ...podTemplateChecks('spec.template'),
  ],
  microTimeFields: [],
  emptyStatus: { replicas: 0, availableReplicas: 0 },
  generation: 'spec',
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: 'apps', kind: 'StatefulSet' },
  subresources: [],
  defaults: defaultStatefulSet,
  validate: validateStatefulSet,
};

const daemonSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  plural: 'daemonsets',
  singular: 'daemonset',
  kind: 'DaemonSet',
  namespaced: true,
  shortNames: ['ds'],
  storage: 'daemonsets.apps',
  registryPrefix: '/registry/daemonsets',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: {
      selector: true,
      template: POD_TEMPLATE_SCHEMA,
      updateStrategy: true,
      minReadySeconds: true,
      revisionHistoryLimit: true,
    },
    status: true,
  },
  typeChecks: [
    ...metaChecks('DaemonSet'),
    specCheck('DaemonSet'),
    { path: 'spec.minReadySeconds', type: 'int32', struct: 'DaemonSetSpec' },
    ...podTemplateChecks('spec.template'),
  ],
  microTimeFields: [],
  emptyStatus: {
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
  },
  generation: 'spec',
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: 'apps', kind: 'DaemonSet' },
  subresources: [],
  defaults: defaultDaemonSet,
  validate: validateDaemonSet,
};

const horizontalPodAutoscalers: ResourceDef = {
  group: 'autoscaling',
  version: 'v2',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  kind: 'HorizontalPodAutoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  storage: 'horizontalpodautoscalers.autoscaling',
  registryPrefix: '/registry/horizontalpodautoscalers',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: {
      scaleTargetRef: true,
      minReplicas: true,
      maxReplicas: true,
      metrics: true,
      behavior: true,
    },
    status: true,
  },
  typeChecks: [
    ...metaChecks('HorizontalPodAutoscaler'),
    {
      path: 'spec',
      type: 'object',
      struct: 'HorizontalPodAutoscaler',
      goType: 'v2.HorizontalPodAutoscalerSpec',
    },
    { path: 'spec.minReplicas', type: 'int32', struct: 'HorizontalPodAutoscalerSpec' },
    { path: 'spec.maxReplicas', type: 'int32', struct: 'HorizontalPodAutoscalerSpec' },
  ],
  microTimeFields: [],
  emptyStatus: { desiredReplicas: 0 },
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: 'autoscaling', kind: 'HorizontalPodAutoscaler' },
  subresources: [],
  defaults: defaultHorizontalPodAutoscaler,
  validate: validateHorizontalPodAutoscaler,
};

const configMaps: ResourceDef = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  singular: 'configmap',
  kind: 'ConfigMap',
  namespaced: true,
  shortNames: ['cm'],
  storage: 'configmaps',
  registryPrefix: '/registry/configmaps',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    immutable: true,
    data: true,
    binaryData: true,
  },
  typeChecks: [
    ...metaChecks('ConfigMap'),
    { path: 'immutable', type: 'bool', struct: 'ConfigMap' },
    { path: 'data', type: 'object', struct: 'ConfigMap', goType: 'map[string]string' },
    { path: 'data.*', type: 'string', struct: 'ConfigMap' },
  ],
  microTimeFields: [],
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: '', kind: 'ConfigMap' },
  subresources: [],
  validate: validateConfigMap,
};

const pods: ResourceDef = {
  group: '',
  version: 'v1',
  plural: 'pods',
  singular: 'pod',
  kind: 'Pod',
  namespaced: true,
  shortNames: ['po'],
  storage: 'pods',
  registryPrefix: '/registry/pods',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: POD_SPEC_SCHEMA,
    status: true,
  },
  typeChecks: [
    ...metaChecks('Pod'),
    specCheck('Pod'),
    { path: 'spec.containers', type: 'array', struct: 'PodSpec', goType: '[]v1.Container' },
    { path: 'spec.containers.*.image', type: 'string', struct: 'Container' },
  ],
  microTimeFields: [],
  emptyStatus: { phase: 'Pending' },
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: '', kind: 'Pod' },
  subresources: [],
  defaults: defaultPod,
  validate: validatePod,
};

const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  plural: 'nodes',
  singular: 'node',
  kind: 'Node',
  namespaced: false,
  shortNames: ['no'],
  storage: 'nodes',
  registryPrefix: '/registry/minions',
  schema: { kind: true, apiVersion: true, metadata: OBJECT_META_SCHEMA, spec: true, status: true },
  typeChecks: [
    ...metaChecks('Node'),
    specCheck('Node'),
    { path: 'spec.unschedulable', type: 'bool', struct: 'NodeSpec' },
  ],
  microTimeFields: [],
  emptyStatus: {},
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: '', kind: 'Node' },
  subresources: [],
  validate: validateNode,
};

const CORE_EVENT_SCHEMA = {
  kind: true,
  apiVersion: true,
  metadata: OBJECT_META_SCHEMA,
  involvedObject: true,
  reason: true,
  message: true,
  source: true,
  firstTimestamp: true,
  lastTimestamp: true,
  count: true,
  type: true,
  eventTime: true,
  series: true,
  action: true,
  related: true,
  reportingComponent: true,
  reportingInstance: true,
} as const;

const coreEvents: ResourceDef = {
  group: '',
  version: 'v1',
  plural: 'events',
  singular: 'event',
  kind: 'Event',
  namespaced: true,
  shortNames: ['ev'],
  storage: 'events',
  registryPrefix: '/registry/events',
  schema: CORE_EVENT_SCHEMA,
  typeChecks: [
    ...metaChecks('Event'),
    { path: 'count', type: 'int32', struct: 'Event' },
    { path: 'message', type: 'string', struct: 'Event' },
    { path: 'reason', type: 'string', struct: 'Event' },
  ],
  microTimeFields: ['eventTime', 'series.lastObservedTime'],
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: '', kind: 'Event' },
  subresources: [],
  validate: (obj) => validateEvent(obj, false),
};

/** events.k8s.io/v1 field → core/v1 field, for the fields whose names differ. */
const EVENT_FIELD_MAP: readonly (readonly [string, string])[] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function renameFields(obj: JsonObject, pairs: readonly (readonly [string, string])[]): JsonObject {
  const out: JsonObject = { ...obj };
  for (const [from, to] of pairs) {
    const value = obj[from];
    removeKey(out, from);
    if (value !== undefined) out[to] = value;
  }
  return out;
}

const eventsV1: ResourceDef = {
  group: 'events.k8s.io',
  version: 'v1',
  plural: 'events',
  singular: 'event',
  kind: 'Event',
  namespaced: true,
  shortNames: ['ev'],
  // events.k8s.io is served by the core Event storage, whose errors say `events "x"`.
  errorGroup: '',
  storage: 'events',
  registryPrefix: '/registry/events',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    eventTime: true,
    series: true,
    reportingController: true,
    reportingInstance: true,
    action: true,
    reason: true,
    regarding: true,
    related: true,
    note: true,
    type: true,
    deprecatedSource: true,
    deprecatedFirstTimestamp: true,
    deprecatedLastTimestamp: true,
    deprecatedCount: true,
  },
  typeChecks: [
    ...metaChecks('Event'),
    { path: 'note', type: 'string', struct: 'Event' },
    { path: 'reason', type: 'string', struct: 'Event' },
    { path: 'deprecatedCount', type: 'int32', struct: 'Event' },
  ],
  microTimeFields: ['eventTime', 'series.lastObservedTime'],
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  // One storage serves both APIs, and its errors name the core kind.
  invalidKind: { group: '', kind: 'Event' },
  subresources: [],
  validate: (obj, old) => validateEvent(obj, old === undefined),
  toStorage: (obj) => renameFields(obj, EVENT_FIELD_MAP),
  fromStorage: (obj) =>
    renameFields(
      obj,
      EVENT_FIELD_MAP.map(([a, b]) => [b, a] as const),
    ),
};

const networkPolicies: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'networkpolicies',
  singular: 'networkpolicy',
  kind: 'NetworkPolicy',
  namespaced: true,
  shortNames: ['netpol'],
  storage: 'networkpolicies.networking.k8s.io',
  registryPrefix: '/registry/networkpolicies',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: { podSelector: true, ingress: true, egress: true, policyTypes: true },
  },
  typeChecks: [
    ...metaChecks('NetworkPolicy'),
    specCheck('NetworkPolicy'),
    {
      path: 'spec.policyTypes',
      type: 'array',
      struct: 'NetworkPolicySpec',
      goType: '[]v1.PolicyType',
    },
    {
      path: 'spec.policyTypes.*',
      type: 'string',
      struct: 'NetworkPolicySpec',
      goType: 'v1.PolicyType',
    },
  ],
  microTimeFields: [],
  generation: 'spec',
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  subresources: [],
  defaults: defaultNetworkPolicy,
  validate: validateNetworkPolicy,
};

const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  singular: 'lease',
  kind: 'Lease',
  namespaced: true,
  storage: 'leases.coordination.k8s.io',
  registryPrefix: '/registry/leases',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: {
      holderIdentity: true,
      leaseDurationSeconds: true,
      acquireTime: true,
      renewTime: true,
      leaseTransitions: true,
      strategy: true,
      preferredHolder: true,
    },
  },
  typeChecks: [
    ...metaChecks('Lease'),
    specCheck('Lease'),
    { path: 'spec.holderIdentity', type: 'string', struct: 'LeaseSpec' },
    { path: 'spec.leaseDurationSeconds', type: 'int32', struct: 'LeaseSpec' },
    { path: 'spec.leaseTransitions', type: 'int32', struct: 'LeaseSpec' },
  ],
  microTimeFields: ['spec.acquireTime', 'spec.renewTime'],
  allowCreateOnUpdate: true,
  allowUnconditionalUpdate: false,
  invalidKind: { group: 'coordination.k8s.io', kind: 'Lease' },
  subresources: [],
  validate: validateLease,
};

/** The labels the Job registry adds to the pod template, and its generated selector. */
function generateJobSelector(obj: JsonObject): void {
  const spec = ensureObject(obj, 'spec');
  if (spec.manualSelector === true) return;
  const name = scalarText(getPath(obj, 'metadata', 'name'));
  const uid = scalarText(getPath(obj, 'metadata', 'uid'));
  const labels = ensureObject(spec, 'template', 'metadata', 'labels');
  labels['batch.kubernetes.io/controller-uid'] ??= uid;
  labels['batch.kubernetes.io/job-name'] ??= name;
  labels['controller-uid'] ??= uid;
  labels['job-name'] ??= name;
  const matchLabels = ensureObject(spec, 'selector', 'matchLabels');
  matchLabels['batch.kubernetes.io/controller-uid'] ??= uid;
}

const jobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  singular: 'job',
  kind: 'Job',
  namespaced: true,
  storage: 'jobs.batch',
  registryPrefix: '/registry/jobs',
  schema: {
    kind: true,
    apiVersion: true,
    metadata: OBJECT_META_SCHEMA,
    spec: {
      parallelism: true,
      completions: true,
      activeDeadlineSeconds: true,
      podFailurePolicy: true,
      successPolicy: true,
      backoffLimit: true,
      backoffLimitPerIndex: true,
      maxFailedIndexes: true,
      selector: true,
      manualSelector: true,
      template: POD_TEMPLATE_SCHEMA,
      ttlSecondsAfterFinished: true,
      completionMode: true,
      suspend: true,
      podReplacementPolicy: true,
      managedBy: true,
    },
    status: true,
  },
  typeChecks: [
    ...metaChecks('Job'),
    specCheck('Job'),
    { path: 'spec.backoffLimit', type: 'int32', struct: 'JobSpec' },
    ...podTemplateChecks('spec.template'),
  ],
  microTimeFields: [],
  emptyStatus: {},
  generation: 'spec',
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  invalidKind: { group: 'batch', kind: 'Job' },
  subresources: [],
  defaults: defaultJob,
  prepareForCreate: generateJobSelector,
  validate: validateJob,
};

/** Every resource the fake serves. */
export const RESOURCES: readonly ResourceDef[] = [
  deployments,
  replicaSets,
  statefulSets,
  daemonSets,
  horizontalPodAutoscalers,
  configMaps,
  pods,
  nodes,
  coreEvents,
  eventsV1,
  networkPolicies,
  leases,
  jobs,
  ...CUSTOM_RESOURCES,
];

/** The resource served at group/version/plural, if any. */
export function findResource(
  group: string,
  version: string,
  plural: string,
): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** The resource for an apiVersion and kind (as objects name themselves), if any. */
export function findByKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** The Scale subresource's schema and checks (autoscaling/v1 Scale). */
export const SCALE_SCHEMA: Readonly<Record<string, FieldSchema>> = {
  kind: true,
  apiVersion: true,
  metadata: OBJECT_META_SCHEMA,
  spec: { replicas: true },
  status: true,
};

export const SCALE_TYPE_CHECKS: readonly TypeCheck[] = [
  ...metaChecks('Scale'),
  { path: 'spec', type: 'object', struct: 'Scale', goType: 'v1.ScaleSpec' },
  { path: 'spec.replicas', type: 'int32', struct: 'ScaleSpec' },
];

/** Whether an object has a `status` the server keeps apart from spec writes. */
export function hasStatus(def: ResourceDef): boolean {
  return def.emptyStatus !== undefined;
}
