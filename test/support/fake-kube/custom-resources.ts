import { OBJECT_META_SCHEMA, type FieldSchema } from './decode';
import { invalid, required, type FieldError } from './field-errors';
import { goQuote } from './go-format';
import { isObject, type Json, type JsonObject } from './json';
import type { ResourceDef } from './resources';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation';

/**
 * Custom resources served as a CRD with a structural schema serves them: unknown fields are
 * pruned (with a warning, or refused with `fieldValidation=Strict`), types and required fields
 * are checked by the OpenAPI validator with its own messages (`spec.suspend in body must be of
 * type boolean: "string"`), strategic merge patch gets a 415, and status is a subresource. Only
 * the fields remediator reads or writes are described in detail; the rest of each spec is known
 * by name and accepted as it is, as `x-kubernetes-preserve-unknown-fields` would.
 */
type Schema =
  | {
      readonly type: 'object';
      readonly properties?: Readonly<Record<string, Schema>>;
      readonly required?: readonly string[];
    }
  | { readonly type: 'array'; readonly items?: Schema }
  | { readonly type: 'string' | 'boolean' | 'integer' | 'number' }
  /** Known by name, anything below. */
  | { readonly type: 'any' };

const ANY: Schema = { type: 'any' };
const BOOL: Schema = { type: 'boolean' };
const INT: Schema = { type: 'integer' };
const STRING: Schema = { type: 'string' };

function obj(properties: Record<string, Schema>, requiredFields: string[] = []): Schema {
  return { type: 'object', properties, required: requiredFields };
}

function known(...names: string[]): Record<string, Schema> {
  return Object.fromEntries(names.map((n) => [n, ANY]));
}

/** The pruning schema the decoder uses for unknown fields. */
function fieldSchema(schema: Schema): FieldSchema {
  if (schema.type === 'object' && schema.properties !== undefined) {
    return Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, fieldSchema(v)]),
    );
  }
  if (schema.type === 'array' && schema.items !== undefined) return [fieldSchema(schema.items)];
  return true;
}

function jsonTypeOf(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** kube-openapi's validation of one value against its schema, errors in its words. */
function check(value: Json, schema: Schema, path: string, errs: FieldError[]): void {
  if (schema.type === 'any') return;
  const actual = jsonTypeOf(value);
  const fits = actual === schema.type || (schema.type === 'number' && actual === 'integer');
  if (!fits) {
    errs.push(
      invalid(
        path,
        goQuote(actual),
        `${path} in body must be of type ${schema.type}: ${goQuote(actual)}`,
      ),
    );
    return;
  }
  if (schema.type === 'object' && isObject(value)) {
    for (const name of schema.required ?? []) {
      if (value[name] === undefined) errs.push(required(`${path}.${name}`));
    }
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const v = value[key];
      if (v !== undefined) check(v, child, `${path}.${key}`, errs);
    }
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, i) => check(item, schema.items!, `${path}[${i}]`, errs));
  }
}

function customResource(input: {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  shortNames: string[];
  spec: Schema;
  topLevel?: Record<string, Schema>;
}): ResourceDef {
  const topLevel = input.topLevel ?? {};
  const rootSchema = obj({ spec: input.spec, ...topLevel });
  return {
    group: input.group,
    version: input.version,
    plural: input.plural,
    singular: input.singular,
    kind: input.kind,
    namespaced: true,
    shortNames: input.shortNames,
    storage: `${input.plural}.${input.group}`,
    registryPrefix: `/registry/${input.group}/${input.plural}`,
    schema: {
      kind: true,
      apiVersion: true,
      metadata: OBJECT_META_SCHEMA,
      spec: fieldSchema(input.spec),
      ...Object.fromEntries(Object.entries(topLevel).map(([k, v]) => [k, fieldSchema(v)])),
      status: true,
    },
    typeChecks: [],
    microTimeFields: [],
    emptyStatus: {},
    // A custom resource's generation follows every change but to metadata and status.
    generation: 'spec',
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: true,
    invalidKind: { group: input.group, kind: input.kind },
    subresources: [],
    customResource: true,
    validate: (object, old) => {
      const errs =
        old === undefined
          ? validateObjectMeta(object, true)
          : validateObjectMetaUpdate(object, old);
      const {
        metadata: _meta,
        kind: _kind,
        apiVersion: _apiVersion,
        status: _status,
        ...rest
      } = object;
      for (const [key, schema] of Object.entries(
        (rootSchema as { properties: Record<string, Schema> }).properties,
      )) {
        const value = rest[key];
        if (value !== undefined) check(value, schema, key, errs);
      }
      if (object.spec === undefined) errs.push(required('spec'));
      return errs;
    },
  };
}

/** Flux kustomize-controller's Kustomization, `kustomize.toolkit.fluxcd.io/v1`. */
export const kustomizations = customResource({
  group: 'kustomize.toolkit.fluxcd.io',
  version: 'v1',
  plural: 'kustomizations',
  singular: 'kustomization',
  kind: 'Kustomization',
  shortNames: ['ks'],
  spec: obj(
    {
      ...known(
        'commonMetadata',
        'components',
        'decryption',
        'deletionPolicy',
        'dependsOn',
        'force',
        'healthCheckExprs',
        'healthChecks',
        'ignoreMissingComponents',
        'images',
        'kubeConfig',
        'namePrefix',
        'nameSuffix',
        'patches',
        'postBuild',
        'retryInterval',
        'serviceAccountName',
        'targetNamespace',
        'timeout',
        'wait',
      ),
      interval: STRING,
      path: STRING,
      prune: BOOL,
      sourceRef: obj({ apiVersion: STRING, kind: STRING, name: STRING, namespace: STRING }, [
        'kind',
        'name',
      ]),
      suspend: BOOL,
    },
    ['interval', 'prune', 'sourceRef'],
  ),
});

/** Flux helm-controller's HelmRelease, `helm.toolkit.fluxcd.io/v2`. */
export const helmReleases = customResource({
  group: 'helm.toolkit.fluxcd.io',
  version: 'v2',
  plural: 'helmreleases',
  singular: 'helmrelease',
  kind: 'HelmRelease',
  shortNames: ['hr'],
  spec: obj(
    {
      ...known(
        'chart',
        'chartRef',
        'commonMetadata',
        'dependsOn',
        'driftDetection',
        'install',
        'kubeConfig',
        'maxHistory',
        'persistentClient',
        'postRenderers',
        'releaseName',
        'rollback',
        'serviceAccountName',
        'storageNamespace',
        'targetNamespace',
        'test',
        'timeout',
        'uninstall',
        'upgrade',
        'values',
        'valuesFrom',
      ),
      interval: STRING,
      suspend: BOOL,
    },
    ['interval'],
  ),
});

/** Argo CD's Application, `argoproj.io/v1alpha1`. */
export const applications = customResource({
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'applications',
  singular: 'application',
  kind: 'Application',
  shortNames: ['app', 'apps'],
  spec: obj(
    {
      ...known(
        'destination',
        'ignoreDifferences',
        'info',
        'revisionHistoryLimit',
        'source',
        'sources',
        'sourceHydrator',
      ),
      project: STRING,
      syncPolicy: obj({
        ...known('managedNamespaceMetadata', 'retry', 'syncOptions'),
        automated: obj({ allowEmpty: BOOL, enabled: BOOL, prune: BOOL, selfHeal: BOOL }),
      }),
    },
    ['destination', 'project'],
  ),
  topLevel: { operation: ANY },
});

/** KEDA's ScaledObject, `keda.sh/v1alpha1`. */
export const scaledObjects = customResource({
  group: 'keda.sh',
  version: 'v1alpha1',
  plural: 'scaledobjects',
  singular: 'scaledobject',
  kind: 'ScaledObject',
  shortNames: ['so'],
  spec: obj(
    {
      ...known(
        'advanced',
        'fallback',
        'initialCooldownPeriod',
        'pollingInterval',
        'cooldownPeriod',
      ),
      idleReplicaCount: INT,
      maxReplicaCount: INT,
      minReplicaCount: INT,
      scaleTargetRef: obj(
        { apiVersion: STRING, envSourceContainerName: STRING, kind: STRING, name: STRING },
        ['name'],
      ),
      triggers: { type: 'array', items: ANY },
    },
    ['scaleTargetRef', 'triggers'],
  ),
});

/** KServe's InferenceService, `serving.kserve.io/v1beta1`. */
export const inferenceServices = customResource({
  group: 'serving.kserve.io',
  version: 'v1beta1',
  plural: 'inferenceservices',
  singular: 'inferenceservice',
  kind: 'InferenceService',
  shortNames: ['isvc'],
  spec: obj(
    {
      ...known('explainer', 'transformer'),
      predictor: obj({
        ...known(
          'affinity',
          'annotations',
          'batcher',
          'containers',
          'labels',
          'logger',
          'maxReplicas',
          'minReplicas',
          'nodeSelector',
          'resources',
          'scaleMetric',
          'scaleTarget',
          'serviceAccountName',
          'sklearn',
          'tensorflow',
          'timeout',
          'tolerations',
          'volumes',
          'xgboost',
        ),
        canaryTrafficPercent: INT,
        model: obj({
          ...known('args', 'env', 'image', 'name', 'ports', 'protocolVersion', 'resources'),
          modelFormat: obj({ name: STRING, version: STRING }, ['name']),
          runtime: STRING,
          runtimeVersion: STRING,
          storageUri: STRING,
        }),
      }),
    },
    ['predictor'],
  ),
});

export const CUSTOM_RESOURCES: readonly ResourceDef[] = [
  kustomizations,
  helmReleases,
  applications,
  scaledObjects,
  inferenceServices,
];

/** The PATCH types a custom resource accepts: no strategic merge patch. */
export const CUSTOM_RESOURCE_PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export type { JsonObject };
