import {
  duplicate,
  forbidden,
  invalid,
  invalidString,
  notFound,
  notSupported,
  required,
  tooLong,
  type FieldError,
} from './field-errors';
import { goLabelSelector, goQuote, goStringMap } from './go-format';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  deepEqual,
  getPath,
  isObject,
  type Json,
  type JsonObject,
} from './json';
import { matchesLabels, requirementsFromLabelSelector } from './label-selector';
import {
  configMapKeyErrors,
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  envVarNameErrors,
  goLen,
  relaxedEnvVarNameErrors,
  labelValueErrors,
  pathSegmentNameErrors,
  qualifiedNameErrors,
} from './names';

/**
 * Server-side validation with kube-apiserver's field paths and messages, for the rules a real
 * server would use to reject what remediator sends. Every function returns the errors in the
 * order the server lists them; an empty list means valid.
 */

type NameCheck = (value: string) => string[];

/** What differs between the API server versions the fake can stand in for. */
export interface ValidationOptions {
  /**
   * `env[].name`: false for IsEnvVarName, the rule of every server before 1.32 (1.30 and 1.31
   * have the RelaxedEnvironmentVariableValidation gate, off by default); true for 1.32+.
   */
  readonly relaxedEnvVarNames: boolean;
}

/** The stricter server: what the fake does unless told otherwise. */
export const STRICT: ValidationOptions = { relaxedEnvVarNames: false };

const str = (value: Json | undefined): string => asString(value) ?? '';
const objects = (value: Json | undefined): JsonObject[] =>
  (asArray(value) ?? []).map((item) => asObject(item) ?? {});

function nonNegative(field: string, value: Json | undefined): FieldError[] {
  const n = asNumber(value);
  return n !== undefined && n < 0
    ? [invalid(field, String(n), 'must be greater than or equal to 0')]
    : [];
}

/** ValidateLabels: keys are qualified names, values label values. */
export function validateLabels(labels: Json | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const map = asObject(labels) ?? {};
  for (const key of Object.keys(map).sort()) {
    for (const msg of qualifiedNameErrors(key)) errs.push(invalidString(field, key, msg));
    const value = str(map[key]);
    for (const msg of labelValueErrors(value)) errs.push(invalidString(field, value, msg));
  }
  return errs;
}

/** TotalAnnotationSizeLimitB: keys plus values, in bytes, per annotation map. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/**
 * ValidateAnnotations: keys are qualified names (checked lower-cased), and keys plus values
 * (ValidateAnnotationsSize) are at most 256 KiB. Applies to an object's annotations and to a pod
 * template's.
 */
export function validateAnnotations(annotations: Json | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const map = asObject(annotations) ?? {};
  let totalSize = 0;
  for (const key of Object.keys(map).sort()) {
    for (const msg of qualifiedNameErrors(key.toLowerCase())) {
      errs.push(invalidString(field, key, msg));
    }
    totalSize += goLen(key) + goLen(str(map[key]));
  }
  if (totalSize > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push(tooLong(field, `must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`));
  }
  return errs;
}

/** ValidateLabelSelector (strict label values). */
export function validateLabelSelector(selector: Json | undefined, field: string): FieldError[] {
  const sel = asObject(selector);
  if (sel === undefined) return [];
  const errs = validateLabels(sel.matchLabels, `${field}.matchLabels`);
  objects(sel.matchExpressions).forEach((expr, i) => {
    const path = `${field}.matchExpressions[${i}]`;
    const operator = str(expr.operator);
    const values = (asArray(expr.values) ?? []).map((v) => str(v));
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) {
        errs.push(
          required(`${path}.values`, "must be specified when `operator` is 'In' or 'NotIn'"),
        );
      }
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) {
        errs.push(
          forbidden(
            `${path}.values`,
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      }
    } else {
      errs.push(invalidString(`${path}.operator`, operator, 'not a valid selector operator'));
    }
    const key = str(expr.key);
    for (const msg of qualifiedNameErrors(key)) errs.push(invalidString(`${path}.key`, key, msg));
    values.forEach((value, vi) => {
      for (const msg of labelValueErrors(value)) {
        errs.push(invalidString(`${path}.values[${vi}]`, value, msg));
      }
    });
  });
  return errs;
}

/**
 * ValidateOwnerReferences: every reference names its apiVersion (with a version), kind, name and
 * uid; an Event cannot own anything; at most one reference is the controller. The server reports
 * these at `metadata.ownerReferences` without an index. The value of the controller error is the
 * whole slice in Go's `%#v`, with pointers in it: approximated.
 */
export function validateOwnerReferences(references: Json | undefined): FieldError[] {
  const field = 'metadata.ownerReferences';
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of objects(references)) {
    const apiVersion = str(ref.apiVersion);
    const kind = str(ref.kind);
    const version = apiVersion.includes('/')
      ? apiVersion.slice(apiVersion.indexOf('/') + 1)
      : apiVersion;
    if (version === '')
      errs.push(invalidString(`${field}.apiVersion`, apiVersion, 'version must not be empty'));
    if (kind === '') errs.push(invalidString(`${field}.kind`, kind, 'kind must not be empty'));
    if (str(ref.name) === '')
      errs.push(invalidString(`${field}.name`, '', 'name must not be empty'));
    if (str(ref.uid) === '') errs.push(invalidString(`${field}.uid`, '', 'uid must not be empty'));
    if (apiVersion === 'v1' && kind === 'Event') {
      errs.push(invalid(field, '{...}', '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const name = `${kind}/${str(ref.name)}`;
      if (firstController === '') firstController = name;
      else {
        errs.push(
          invalid(
            field,
            '[]v1.OwnerReference{...}',
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`,
          ),
        );
      }
    }
  }
  return errs;
}

/** ValidateObjectMeta for a create (name, namespace, generation, labels, annotations). */
export function validateObjectMeta(
  obj: JsonObject,
  namespaced: boolean,
  nameCheck: NameCheck = dns1123SubdomainErrors,
): FieldError[] {
  const meta = asObject(obj.metadata) ?? {};
  const errs: FieldError[] = [];
  const name = str(meta.name);
  if (name === '') {
    errs.push(required('metadata.name', 'name or generateName is required'));
  } else {
    for (const msg of nameCheck(name)) errs.push(invalidString('metadata.name', name, msg));
  }
  const namespace = str(meta.namespace);
  if (namespaced) {
    if (namespace === '') errs.push(required('metadata.namespace'));
    else {
      for (const msg of dns1123LabelErrors(namespace)) {
        errs.push(invalidString('metadata.namespace', namespace, msg));
      }
    }
  } else if (namespace !== '') {
    errs.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  errs.push(...nonNegative('metadata.generation', meta.generation));
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(meta.ownerReferences));
  return errs;
}

/** ValidateObjectMetaUpdate: what an update may not change, plus the create rules. */
export function validateObjectMetaUpdate(obj: JsonObject, old: JsonObject): FieldError[] {
  const meta = asObject(obj.metadata) ?? {};
  const oldMeta = asObject(old.metadata) ?? {};
  const errs: FieldError[] = [];
  for (const key of ['name', 'namespace', 'uid']) {
    const value = str(meta[key]);
    if (value !== str(oldMeta[key])) {
      errs.push(invalidString(`metadata.${key}`, value, 'field is immutable'));
    }
  }
  errs.push(...nonNegative('metadata.generation', meta.generation));
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  errs.push(...validateOwnerReferences(meta.ownerReferences));
  return errs;
}

function validateEnv(
  env: Json | undefined,
  path: string,
  options: ValidationOptions,
): FieldError[] {
  const nameErrors = options.relaxedEnvVarNames ? relaxedEnvVarNameErrors : envVarNameErrors;
  const errs: FieldError[] = [];
  objects(env).forEach((ev, i) => {
    const idx = `${path}[${i}]`;
    const name = str(ev.name);
    if (name === '') errs.push(required(`${idx}.name`));
    else for (const msg of nameErrors(name)) errs.push(invalidString(`${idx}.name`, name, msg));
    const valueFrom = asObject(ev.valueFrom);
    if (valueFrom === undefined) return;
    const from = `${idx}.valueFrom`;
    let sources = 0;
    const fieldRef = asObject(valueFrom.fieldRef);
    if (fieldRef !== undefined) {
      sources++;
      if (str(fieldRef.fieldPath) === '') errs.push(required(`${from}.fieldRef.fieldPath`));
    }
    if (asObject(valueFrom.resourceFieldRef) !== undefined) sources++;
    for (const refName of ['configMapKeyRef', 'secretKeyRef']) {
      const ref = asObject(valueFrom[refName]);
      if (ref === undefined) continue;
      sources++;
      const refPath = `${from}.${refName}`;
      const refObjName = str(ref.name);
      for (const msg of dns1123SubdomainErrors(refObjName)) {
        errs.push(invalidString(`${refPath}.name`, refObjName, msg));
      }
      const key = str(ref.key);
      if (key === '') errs.push(required(`${refPath}.key`));
      else
        for (const msg of configMapKeyErrors(key))
          errs.push(invalidString(`${refPath}.key`, key, msg));
    }
    if (sources === 0) {
      errs.push(
        invalidString(
          from,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
      return;
    }
    if (str(ev.value) !== '') {
      errs.push(invalidString(from, '', 'may not be specified when `value` is not empty'));
    } else if (sources > 1) {
      errs.push(invalidString(from, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

function validateContainer(
  container: JsonObject,
  path: string,
  volumes: Set<string>,
  options: ValidationOptions,
): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(container.name);
  if (name === '') errs.push(required(`${path}.name`));
  else
    for (const msg of dns1123LabelErrors(name)) errs.push(invalidString(`${path}.name`, name, msg));
  if (str(container.image) === '') errs.push(required(`${path}.image`));
  const tmp = str(container.terminationMessagePolicy);
  if (tmp !== '' && tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(
      invalidString(
        `${path}.terminationMessagePolicy`,
        tmp,
        "must be 'File' or 'FallbackToLogsOnError'",
      ),
    );
  }
  objects(container.ports).forEach((port, i) => {
    const idx = `${path}.ports[${i}]`;
    const number = asNumber(port.containerPort) ?? 0;
    if (number === 0) errs.push(required(`${idx}.containerPort`));
    else if (number < 1 || number > 65535) {
      errs.push(
        invalid(`${idx}.containerPort`, String(number), 'must be between 1 and 65535, inclusive'),
      );
    }
    const protocol = str(port.protocol);
    if (protocol === '') errs.push(required(`${idx}.protocol`));
    else if (!['SCTP', 'TCP', 'UDP'].includes(protocol)) {
      errs.push(notSupported(`${idx}.protocol`, goQuote(protocol), ['SCTP', 'TCP', 'UDP']));
    }
  });
  errs.push(...validateEnv(container.env, `${path}.env`, options));
  const mountPaths = new Set<string>();
  objects(container.volumeMounts).forEach((mount, i) => {
    const idx = `${path}.volumeMounts[${i}]`;
    const mountName = str(mount.name);
    if (mountName === '') errs.push(required(`${idx}.name`));
    if (!volumes.has(mountName)) errs.push(notFound(`${idx}.name`, goQuote(mountName)));
    const mountPath = str(mount.mountPath);
    if (mountPath === '') errs.push(required(`${idx}.mountPath`));
    if (mountPaths.has(mountPath))
      errs.push(invalidString(`${idx}.mountPath`, mountPath, 'must be unique'));
    mountPaths.add(mountPath);
  });
  const policy = str(container.imagePullPolicy);
  if (policy === '') errs.push(required(`${path}.imagePullPolicy`));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(policy)) {
    errs.push(
      notSupported(`${path}.imagePullPolicy`, goQuote(policy), ['Always', 'IfNotPresent', 'Never']),
    );
  }
  return errs;
}

function validateContainerList(
  list: Json | undefined,
  path: string,
  volumes: Set<string>,
  requireOne: boolean,
  options: ValidationOptions,
): FieldError[] {
  const containers = objects(list);
  if (containers.length === 0) return requireOne ? [required(path)] : [];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((container, i) => {
    const idx = `${path}[${i}]`;
    errs.push(...validateContainer(container, idx, volumes, options));
    const name = str(container.name);
    if (names.has(name)) errs.push(duplicate(`${idx}.name`, goQuote(name)));
    else names.add(name);
  });
  return errs;
}

/** ValidatePodSpec, for the rules that matter here. */
export function validatePodSpec(
  spec: JsonObject,
  path: string,
  options: ValidationOptions,
): FieldError[] {
  const errs: FieldError[] = [];
  const volumes = new Set<string>();
  objects(spec.volumes).forEach((volume, i) => {
    const idx = `${path}.volumes[${i}]`;
    const volumeErrs: FieldError[] = [];
    const sources = Object.keys(volume).filter((k) => k !== 'name' && volume[k] !== undefined);
    if (sources.length === 0) volumeErrs.push(required(idx, 'must specify a volume type'));
    for (const extra of sources.slice(1)) {
      volumeErrs.push(forbidden(`${idx}.${extra}`, 'may not specify more than 1 volume type'));
    }
    const configMap = asObject(volume.configMap);
    if (configMap !== undefined && str(configMap.name) === '') {
      volumeErrs.push(required(`${idx}.configMap.name`));
    }
    const name = str(volume.name);
    if (name === '') volumeErrs.push(required(`${idx}.name`));
    else
      for (const msg of dns1123LabelErrors(name))
        volumeErrs.push(invalidString(`${idx}.name`, name, msg));
    if (volumes.has(name)) volumeErrs.push(duplicate(`${idx}.name`, goQuote(name)));
    if (volumeErrs.length === 0) volumes.add(name);
    errs.push(...volumeErrs);
  });
  errs.push(
    ...validateContainerList(spec.containers, `${path}.containers`, volumes, true, options),
  );
  errs.push(
    ...validateContainerList(
      spec.initContainers,
      `${path}.initContainers`,
      volumes,
      false,
      options,
    ),
  );
  const restartPolicy = str(spec.restartPolicy);
  if (restartPolicy === '') errs.push(required(`${path}.restartPolicy`));
  else if (!['Always', 'OnFailure', 'Never'].includes(restartPolicy)) {
    errs.push(
      notSupported(`${path}.restartPolicy`, goQuote(restartPolicy), [
        'Always',
        'OnFailure',
        'Never',
      ]),
    );
  }
  const dnsPolicy = str(spec.dnsPolicy);
  const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (dnsPolicy === '') errs.push(required(`${path}.dnsPolicy`));
  else if (!dnsPolicies.includes(dnsPolicy)) {
    errs.push(notSupported(`${path}.dnsPolicy`, goQuote(dnsPolicy), dnsPolicies));
  }
  errs.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  const sa = str(spec.serviceAccountName);
  if (sa !== '') {
    for (const msg of dns1123SubdomainErrors(sa))
      errs.push(invalidString(`${path}.serviceAccountName`, sa, msg));
  }
  return errs;
}

/** ValidatePodTemplateSpec: template labels, annotations and pod spec. */
function validatePodTemplateSpec(
  template: JsonObject,
  path: string,
  options: ValidationOptions,
): FieldError[] {
  const meta = asObject(template.metadata) ?? {};
  return [
    ...validateLabels(meta.labels, `${path}.labels`),
    ...validateAnnotations(meta.annotations, `${path}.annotations`),
    ...validatePodSpec(asObject(template.spec) ?? {}, `${path}.spec`, options),
  ];
}

function selectorMatchesTemplate(spec: JsonObject, path: string): FieldError[] {
  const requirements = requirementsFromLabelSelector(spec.selector);
  if (requirements === undefined || requirements.length === 0) return [];
  const labels = getPath(spec, 'template', 'metadata', 'labels');
  if (matchesLabels(requirements, asObject(labels))) return [];
  return [
    invalid(
      `${path}.template.metadata.labels`,
      goStringMap(labels),
      '`selector` does not match template `labels`',
    ),
  ];
}

/**
 * How the workload validations name their kind: the empty-selector message (the ReplicaSet check
 * says "deployment" too: the server shares it) and the activeDeadlineSeconds one.
 */
interface WorkloadWords {
  readonly selector: 'deployment' | 'statefulset' | 'daemonset';
  readonly deadline: 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';
}
const DEPLOYMENT_WORDS: WorkloadWords = { selector: 'deployment', deadline: 'ReplicaSet' };

/** ValidateReplicaSetSpec / the shared part of ValidateDeploymentSpec, StatefulSet and DaemonSet. */
function validateWorkloadSpec(
  spec: JsonObject,
  options: ValidationOptions,
  words: WorkloadWords = DEPLOYMENT_WORDS,
): FieldError[] {
  const errs = nonNegative('spec.replicas', spec.replicas);
  const selector = asObject(spec.selector);
  if (selector === undefined) {
    errs.push(required('spec.selector'));
  } else {
    errs.push(...validateLabelSelector(selector, 'spec.selector'));
    const count =
      Object.keys(asObject(selector.matchLabels) ?? {}).length +
      (asArray(selector.matchExpressions) ?? []).length;
    if (count === 0) {
      errs.push(
        invalid(
          'spec.selector',
          goLabelSelector(selector),
          `empty selector is invalid for ${words.selector}`,
        ),
      );
    }
  }
  const template = asObject(spec.template);
  if (template === undefined) {
    errs.push(required('spec.template'));
    return errs;
  }
  errs.push(...selectorMatchesTemplate(spec, 'spec'));
  errs.push(...validatePodTemplateSpec(template, 'spec.template', options));
  const restartPolicy = str(getPath(template, 'spec', 'restartPolicy'));
  if (restartPolicy !== 'Always') {
    errs.push(notSupported('spec.template.spec.restartPolicy', goQuote(restartPolicy), ['Always']));
  }
  if (getPath(template, 'spec', 'activeDeadlineSeconds') !== undefined) {
    errs.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        `activeDeadlineSeconds in ${words.deadline} is not Supported`,
      ),
    );
  }
  return errs;
}

/** apps/v1 Deployment (create, or update when `old` is given). */
export function validateDeployment(
  obj: JsonObject,
  old?: JsonObject,
  options: ValidationOptions = STRICT,
): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  const spec = asObject(obj.spec) ?? {};
  errs.push(...validateWorkloadSpec(spec, options));
  const strategy = asObject(spec.strategy) ?? {};
  const type = str(strategy.type);
  if (type === 'Recreate') {
    if (strategy.rollingUpdate !== undefined) {
      errs.push(
        forbidden(
          'spec.strategy.rollingUpdate',
          "may not be specified when strategy `type` is 'Recreate'",
        ),
      );
    }
  } else if (type !== 'RollingUpdate') {
    errs.push(notSupported('spec.strategy', goQuote(type), ['Recreate', 'RollingUpdate']));
  }
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  const progress = asNumber(spec.progressDeadlineSeconds);
  if (progress !== undefined) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', progress));
    if (progress <= (asNumber(spec.minReadySeconds) ?? 0)) {
      errs.push(
        invalid(
          'spec.progressDeadlineSeconds',
          String(progress),
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  if (old !== undefined) {
    const oldSelector = getPath(old, 'spec', 'selector');
    if (!deepEqual(spec.selector, oldSelector)) {
      errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
    }
  }
  return errs;
}

/** apps/v1 ReplicaSet. */
export function validateReplicaSet(
  obj: JsonObject,
  old?: JsonObject,
  options: ValidationOptions = STRICT,
): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  const spec = asObject(obj.spec) ?? {};
  errs.push(...validateWorkloadSpec(spec, options));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  if (old !== undefined && !deepEqual(spec.selector, getPath(old, 'spec', 'selector'))) {
    errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
  }
  return errs;
}

const UPDATE_STRATEGIES = ['OnDelete', 'RollingUpdate'];

/** `spec.updateStrategy` of a StatefulSet or DaemonSet: `rollingUpdate` only with RollingUpdate. */
function validateUpdateStrategy(spec: JsonObject): FieldError[] {
  const strategy = asObject(spec.updateStrategy) ?? {};
  const type = str(strategy.type);
  if (!UPDATE_STRATEGIES.includes(type)) {
    return [notSupported('spec.updateStrategy.type', goQuote(type), UPDATE_STRATEGIES)];
  }
  if (type === 'OnDelete' && strategy.rollingUpdate !== undefined) {
    return [
      forbidden(
        'spec.updateStrategy.rollingUpdate',
        "only allowed for updateStrategy 'RollingUpdate'",
      ),
    ];
  }
  return [];
}

/** The StatefulSet spec fields an update may change (ValidateStatefulSetUpdate). */
const STATEFUL_SET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

/** apps/v1 StatefulSet. */
export function validateStatefulSet(
  obj: JsonObject,
  old?: JsonObject,
  options: ValidationOptions = STRICT,
): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  const spec = asObject(obj.spec) ?? {};
  const policy = str(spec.podManagementPolicy);
  if (!['OrderedReady', 'Parallel'].includes(policy)) {
    errs.push(
      notSupported('spec.podManagementPolicy', goQuote(policy), ['OrderedReady', 'Parallel']),
    );
  }
  errs.push(...validateUpdateStrategy(spec));
  errs.push(
    ...validateWorkloadSpec(spec, options, { selector: 'statefulset', deadline: 'StatefulSet' }),
  );
  if (old !== undefined) {
    const masked = (s: Json | undefined) =>
      Object.fromEntries(
        Object.entries(asObject(s) ?? {}).filter(([key]) => !STATEFUL_SET_MUTABLE.includes(key)),
      );
    if (!deepEqual(masked(obj.spec), masked(old.spec))) {
      errs.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return errs;
}

/** apps/v1 DaemonSet. */
export function validateDaemonSet(
  obj: JsonObject,
  old?: JsonObject,
  options: ValidationOptions = STRICT,
): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  const spec = asObject(obj.spec) ?? {};
  errs.push(...validateUpdateStrategy(spec));
  errs.push(
    ...validateWorkloadSpec({ ...spec, replicas: undefined }, options, {
      selector: 'daemonset',
      deadline: 'DaemonSet',
    }),
  );
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  if (old !== undefined && !deepEqual(spec.selector, getPath(old, 'spec', 'selector'))) {
    errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'field is immutable'));
  }
  return errs;
}

/** autoscaling Scale (the subresource body). */
export function validateScale(scale: JsonObject): FieldError[] {
  const errs = validateObjectMeta(scale, true);
  const replicas = asNumber(getPath(scale, 'spec', 'replicas')) ?? 0;
  if (replicas < 0) {
    errs.push(invalid('spec.replicas', String(replicas), 'must be greater than or equal to 0'));
  }
  return errs;
}

/** autoscaling/v2 HorizontalPodAutoscaler (without the HPAScaleToZero gate). */
export function validateHorizontalPodAutoscaler(obj: JsonObject, old?: JsonObject): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  const spec = asObject(obj.spec) ?? {};
  const min = asNumber(spec.minReplicas);
  const max = asNumber(spec.maxReplicas) ?? 0;
  if (min !== undefined && min < 1) {
    errs.push(invalid('spec.minReplicas', String(min), 'must be greater than or equal to 1'));
  }
  if (max < 1) errs.push(invalid('spec.maxReplicas', String(max), 'must be greater than 0'));
  if (min !== undefined && max < min) {
    errs.push(
      invalid('spec.maxReplicas', String(max), 'must be greater than or equal to `minReplicas`'),
    );
  }
  const ref = asObject(spec.scaleTargetRef) ?? {};
  for (const key of ['kind', 'name']) {
    const value = str(ref[key]);
    if (value === '') errs.push(required(`spec.scaleTargetRef.${key}`));
    else {
      for (const msg of pathSegmentNameErrors(value)) {
        errs.push(invalidString(`spec.scaleTargetRef.${key}`, value, msg));
      }
    }
  }
  return errs;
}

/** core/v1 ConfigMap, including the `immutable` rule on update. */
export function validateConfigMap(obj: JsonObject, old?: JsonObject): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  if (old?.immutable === true) {
    const detail = 'field is immutable when `immutable` is set';
    if (obj.immutable !== true) errs.push(forbidden('immutable', detail));
    if (!deepEqual(obj.data, old.data)) errs.push(forbidden('data', detail));
    if (!deepEqual(obj.binaryData, old.binaryData)) errs.push(forbidden('binaryData', detail));
  }
  const data = asObject(obj.data) ?? {};
  const binary = asObject(obj.binaryData) ?? {};
  for (const key of Object.keys(data).sort()) {
    for (const msg of configMapKeyErrors(key)) errs.push(invalidString(`data[${key}]`, key, msg));
    if (key in binary) {
      errs.push(invalidString(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    }
  }
  for (const key of Object.keys(binary).sort()) {
    for (const msg of configMapKeyErrors(key))
      errs.push(invalidString(`binaryData[${key}]`, key, msg));
  }
  return errs;
}

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function maskMutablePodFields(spec: Json | undefined): Json {
  const copy: JsonObject = { ...(asObject(spec) ?? {}) };
  for (const list of ['containers', 'initContainers']) {
    const items = asArray(copy[list]);
    if (items !== undefined) {
      copy[list] = items.map((item) => (isObject(item) ? { ...item, image: undefined } : item));
    }
  }
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  return copy;
}

/** core/v1 Pod: spec rules on create, the narrow set of mutable spec fields on update. */
export function validatePod(
  obj: JsonObject,
  old?: JsonObject,
  options: ValidationOptions = STRICT,
): FieldError[] {
  if (old === undefined) {
    return [
      ...validateObjectMeta(obj, true),
      ...validatePodSpec(asObject(obj.spec) ?? {}, 'spec', options),
    ];
  }
  const errs = validateObjectMetaUpdate(obj, old);
  if (!deepEqual(maskMutablePodFields(obj.spec), maskMutablePodFields(old.spec))) {
    errs.push(forbidden('spec', POD_UPDATE_FORBIDDEN));
  }
  objects(getPath(obj, 'spec', 'containers')).forEach((c, i) => {
    if (str(c.image) === '') errs.push(required(`spec.containers[${i}].image`));
  });
  return errs;
}

/** core/v1 Node: metadata only. */
export function validateNode(obj: JsonObject, old?: JsonObject): FieldError[] {
  return old === undefined ? validateObjectMeta(obj, false) : validateObjectMetaUpdate(obj, old);
}

/** networking.k8s.io/v1 NetworkPolicy. */
export function validateNetworkPolicy(obj: JsonObject, old?: JsonObject): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  const spec = asObject(obj.spec) ?? {};
  errs.push(...validateLabelSelector(spec.podSelector ?? {}, 'spec.podSelector'));
  const types = (asArray(spec.policyTypes) ?? []).map((t) => str(t));
  if (types.length > 2) {
    errs.push(
      invalid(
        'spec.policyTypes',
        `[]networking.PolicyType{${types.map(goQuote).join(', ')}}`,
        'may not specify more than two policyTypes',
      ),
    );
    return errs;
  }
  types.forEach((type, i) => {
    if (type !== 'Ingress' && type !== 'Egress') {
      errs.push(notSupported(`spec.policyTypes[${i}]`, goQuote(type), ['Ingress', 'Egress']));
    }
  });
  return errs;
}

/** coordination.k8s.io/v1 Lease. */
export function validateLease(obj: JsonObject, old?: JsonObject): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  const spec = asObject(obj.spec) ?? {};
  const duration = asNumber(spec.leaseDurationSeconds);
  if (duration !== undefined && duration <= 0) {
    errs.push(invalid('spec.leaseDurationSeconds', String(duration), 'must be greater than 0'));
  }
  const transitions = asNumber(spec.leaseTransitions);
  if (transitions !== undefined && transitions < 0) {
    errs.push(
      invalid('spec.leaseTransitions', String(transitions), 'must be greater than or equal to 0'),
    );
  }
  const strategy = asString(spec.strategy);
  if (strategy !== undefined && strategy !== '' && strategy !== 'OldestEmulationVersion') {
    errs.push(notSupported('spec.strategy', goQuote(strategy), ['OldestEmulationVersion']));
  }
  const preferred = asString(spec.preferredHolder);
  if (preferred !== undefined && preferred !== '' && (strategy === undefined || strategy === '')) {
    errs.push(forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

/** batch/v1 Job. */
export function validateJob(
  obj: JsonObject,
  old?: JsonObject,
  options: ValidationOptions = STRICT,
): FieldError[] {
  const errs =
    old === undefined ? validateObjectMeta(obj, true) : validateObjectMetaUpdate(obj, old);
  const spec = asObject(obj.spec) ?? {};
  for (const key of ['parallelism', 'completions', 'backoffLimit']) {
    errs.push(...nonNegative(`spec.${key}`, spec[key]));
  }
  if (spec.selector === undefined) errs.push(required('spec.selector'));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  errs.push(...selectorMatchesTemplate(spec, 'spec'));
  const template = asObject(spec.template) ?? {};
  errs.push(...validatePodTemplateSpec(template, 'spec.template', options));
  const restartPolicy = str(getPath(template, 'spec', 'restartPolicy'));
  if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errs.push(
      notSupported('spec.template.spec.restartPolicy', goQuote(restartPolicy), [
        'OnFailure',
        'Never',
      ]),
    );
  }
  if (old !== undefined && !deepEqual(spec.template, getPath(old, 'spec', 'template'))) {
    errs.push(invalid('spec.template', 'core.PodTemplateSpec{...}', 'field is immutable'));
  }
  return errs;
}

// Go's len(): these limits count UTF-8 bytes, though the messages say "characters".
const REPORTING_INSTANCE_MAX = 128;
const ACTION_MAX = 128;
const REASON_MAX = 128;
const NOTE_MAX = 1024;

/**
 * Event validation on the core (stored) form. `strict` is the events.k8s.io/v1 create: it adds
 * the metadata, eventTime, type and deprecated-field rules. Field names are the core ones
 * (`message`, `involvedObject`, `firstTimestamp`), as the server reports them.
 */
export function validateEvent(event: JsonObject, strict: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = str(getPath(event, 'metadata', 'namespace'));
  const involvedNamespace = str(getPath(event, 'involvedObject', 'namespace'));
  const reportingField = strict ? 'reportingController' : 'reportingComponent';
  const eventTime = str(event.eventTime);
  if (eventTime === '') {
    if (involvedNamespace === '') {
      if (namespace !== '' && namespace !== 'default') {
        errs.push(
          invalidString(
            'involvedObject.namespace',
            involvedNamespace,
            'does not match event.namespace',
          ),
        );
      }
    } else if (namespace !== involvedNamespace) {
      errs.push(
        invalidString(
          'involvedObject.namespace',
          involvedNamespace,
          'does not match event.namespace',
        ),
      );
    }
  } else {
    if (involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') {
      errs.push(
        invalidString(
          'involvedObject.namespace',
          involvedNamespace,
          'does not match event.namespace',
        ),
      );
    }
    const controller = str(event.reportingComponent);
    if (controller === '') errs.push(required(reportingField));
    for (const msg of qualifiedNameErrors(controller)) {
      errs.push(invalidString(reportingField, controller, msg));
    }
    const instance = str(event.reportingInstance);
    if (instance === '') errs.push(required('reportingInstance'));
    if (goLen(instance) > REPORTING_INSTANCE_MAX) {
      errs.push(
        invalidString(
          'reportingInstance',
          '',
          `can have at most ${REPORTING_INSTANCE_MAX} characters`,
        ),
      );
    }
    const action = str(event.action);
    if (action === '') errs.push(required('action'));
    if (goLen(action) > ACTION_MAX) {
      errs.push(invalidString('action', '', `can have at most ${ACTION_MAX} characters`));
    }
    const reason = str(event.reason);
    if (reason === '') errs.push(required('reason'));
    if (goLen(reason) > REASON_MAX) {
      errs.push(invalidString('reason', '', `can have at most ${REASON_MAX} characters`));
    }
    if (goLen(str(event.message)) > NOTE_MAX) {
      errs.push(invalidString('message', '', `can have at most ${NOTE_MAX} characters`));
    }
  }
  for (const msg of dns1123SubdomainErrors(namespace))
    errs.push(invalidString('namespace', namespace, msg));
  if (!strict) return errs;

  errs.push(...validateObjectMeta(event, true));
  const series = asObject(event.series);
  if (series !== undefined) {
    if ((asNumber(series.count) ?? 0) < 2)
      errs.push(invalidString('series.count', '', 'should be at least 2'));
    if (str(series.lastObservedTime) === '') errs.push(required('series.lastObservedTime'));
  }
  if (eventTime === '') errs.push(required('eventTime'));
  const type = str(event.type);
  if (type !== 'Normal' && type !== 'Warning') {
    errs.push(invalidString('type', '', `has invalid value: ${type}`));
  }
  if (str(event.firstTimestamp) !== '')
    errs.push(invalidString('firstTimestamp', '', 'needs to be unset'));
  if (str(event.lastTimestamp) !== '')
    errs.push(invalidString('lastTimestamp', '', 'needs to be unset'));
  if ((asNumber(event.count) ?? 0) !== 0)
    errs.push(invalidString('count', '', 'needs to be unset'));
  const source = asObject(event.source) ?? {};
  if (str(source.component) !== '' || str(source.host) !== '') {
    errs.push(invalidString('source', '', 'needs to be unset'));
  }
  return errs;
}

/** The generic metadata check every create gets after the kind's own validation passed. */
export function validateGenericObjectMeta(obj: JsonObject): FieldError[] {
  const name = str(getPath(obj, 'metadata', 'name'));
  if (name === '') return [required('metadata.name', 'name or generateName is required')];
  return pathSegmentNameErrors(name).map((msg) => invalidString('metadata.name', name, msg));
}
