import { randomUUID } from 'node:crypto';

import { apply as applyMergePatch } from 'json-merge-patch';
import { parse as parseYaml } from 'yaml';

import { firstMicroTimeError, firstTypeError, pruneUnknownFields } from './decode';
import {
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
  type FieldError,
} from './field-errors';
import { goQuote, goStringSlice } from './go-format';
import { goJsonSyntaxError, goJsonTypeName } from './go-json';
import { applyJsonPatch, JsonPatchError, JsonPatchPanic } from './json-patch';
import {
  asArray,
  asObject,
  asString,
  clone,
  deepEqual,
  ensureObject,
  getPath,
  isObject,
  orderKeys,
  removeKey,
  scalarText,
  stripNulls,
  type Json,
  type JsonObject,
} from './json';
import {
  formatRequirements,
  matchesLabels,
  parseLabelSelector,
  requirementsFromLabelSelector,
  SelectorParseError,
} from './label-selector';
import { formatTime } from './micro-time';
import { ObjectStore } from './object-store';
import {
  apiVersionOf,
  findByKind,
  findResource,
  groupResourceOf,
  hasStatus,
  OBJECT_META_SCHEMA,
  RESOURCES,
  SCALE_SCHEMA,
  SCALE_TYPE_CHECKS,
  type ResourceDef,
} from './resources';
import {
  alreadyExistsError,
  ApiError,
  badRequestError,
  conflictError,
  deleteSuccessBody,
  genericInvalidError,
  internalError,
  invalidError,
  methodNotSupportedError,
  notFoundError,
  pathNotFoundError,
  statusBody,
  unknownServerError,
  unsupportedMediaTypeError,
  type GroupResource,
} from './statuses';
import { CUSTOM_RESOURCE_PATCH_TYPES } from './custom-resources';
import { StrategicMergePatchError, strategicMergePatch } from './strategic-merge-patch';
import { goLen, pathSegmentNameErrors } from './names';
import { validateGenericObjectMeta, validateScale, type ValidationOptions } from './validation';

/** One API request, as the HTTP layer hands it over. */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The raw Content-Type header, if any. */
  readonly contentType: string | undefined;
  readonly body: string;
}

/** What to answer: a JSON object (or plain text) with headers. */
export interface ApiResponse {
  readonly status: number;
  readonly body: JsonObject | string;
  readonly headers: Readonly<Record<string, string | string[]>>;
}

/** The authorization attributes of a request, for Forbidden answers. */
export interface RequestAttributes {
  readonly path: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

/** The Content-Types a PATCH accepts on built-in resources, in the server's order. */
export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

type PatchType = (typeof PATCH_CONTENT_TYPES)[number];

/** The Content-Types a POST or PUT accepts. */
export const INPUT_CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
] as const;

type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

interface WriteOptions {
  readonly dryRun: boolean;
  readonly fieldValidation: FieldValidation;
}

interface Target {
  readonly def: ResourceDef;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

interface Answer {
  readonly status: number;
  readonly body: JsonObject | string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Written {
  readonly status: 200 | 201;
  readonly stored: JsonObject;
}

const DEPLOYMENTS = findResource('apps', 'v1', 'deployments');
/** maxJSONPatchOperations in handlers/patch.go. */
const MAX_JSON_PATCH_OPERATIONS = 10_000;
/** WithPanicRecovery's answer when a handler panics (json-patch does, on a nil node). */
const PANIC = new ApiError(
  500,
  'This request caused apiserver to panic. Look in the logs for details.\n',
  { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
);
const MAX_FIELD_MANAGER = 128;
const META_KEYS = Object.keys(OBJECT_META_SCHEMA);
/** Map-valued fields whose empty value Go omits when it writes the object back. */
const OMIT_EMPTY_MAPS = new Set([
  'labels',
  'annotations',
  'data',
  'binaryData',
  'matchLabels',
  'nodeSelector',
]);

/**
 * The segments of a request path as the server sees them: Go's `URL.Path` is the whole path
 * %-decoded (so `%2F` separates segments), split on `/` with no dot-segment resolution (`..` stays
 * a segment; the HTTP layer hands the raw path over). undefined for a malformed escape, which Go's
 * HTTP server refuses before any handler runs.
 */
function pathSegments(path: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  return decoded.split('/').filter((s) => s !== '');
}

/** net/http's own answer to a request line it cannot parse: plain text, no Status. */
const MALFORMED_REQUEST: Answer = {
  status: 400,
  body: '400 Bad Request',
  headers: { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' },
};

function str(value: Json | undefined): string {
  return asString(value) ?? '';
}

function metaOf(obj: JsonObject): JsonObject {
  return ensureObject(obj, 'metadata');
}

function dropEmptyMaps(value: Json): void {
  if (Array.isArray(value)) {
    for (const item of value) dropEmptyMaps(item);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined || member === null) continue;
    if (OMIT_EMPTY_MAPS.has(key) && isObject(member) && Object.keys(member).length === 0) {
      removeKey(value, key);
      continue;
    }
    dropEmptyMaps(member);
  }
}

/** Mirrors what a decode and re-encode by the server does to an object. */
function normalize(obj: JsonObject): JsonObject {
  const out = stripNulls(obj) as JsonObject;
  dropEmptyMaps(out);
  return out;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function generateName(base: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++)
    suffix += NAME_CHARS.charAt(Math.floor(Math.random() * NAME_CHARS.length));
  return `${base.slice(0, 58)}${suffix}`;
}

function storageError(def: ResourceDef, namespace: string, name: string, detail: string): string {
  const key = def.namespaced
    ? `${def.registryPrefix}/${namespace}/${name}`
    : `${def.registryPrefix}/${name}`;
  return `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: ${detail}`;
}

const KIND_STRUCT_ERROR =
  'json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/**
 * kube-apiserver's request handling for the resources in {@link RESOURCES}, without HTTP: routing,
 * content types, options, decoding, patching, defaulting, validation, optimistic concurrency,
 * resourceVersions and Status errors. No controllers run: nothing happens unless asked.
 */
/** Options of {@link KubeApi}. */
export interface KubeApiOptions {
  /**
   * The `env[].name` rule: `strict` (default) is IsEnvVarName, what every API server before 1.32
   * applies, so `my var` gets a 422; `relaxed` is 1.32+ (printable ASCII but `=`).
   */
  readonly envVarNames?: 'strict' | 'relaxed';
}

export class KubeApi {
  readonly store = new ObjectStore();
  private readonly validation: ValidationOptions;

  constructor(
    private readonly now: () => Date,
    options: KubeApiOptions = {},
  ) {
    this.validation = { relaxedEnvVarNames: options.envVarNames === 'relaxed' };
  }

  /** Answers one request. Unexpected exceptions propagate to the caller. */
  handle(req: ApiRequest): ApiResponse {
    const warnings: string[] = [];
    try {
      const result = this.dispatch(req, warnings);
      const headers: Record<string, string | string[]> = { ...result.headers };
      if (warnings.length > 0) {
        headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
      }
      return { ...result, headers };
    } catch (error) {
      if (error instanceof ApiError) {
        return { status: error.code, body: error.body, headers: { ...error.headers } };
      }
      throw error;
    }
  }

  /** The verb/resource/namespace/name the authorizer would see for a request. */
  attributes(method: string, path: string, query: URLSearchParams): RequestAttributes {
    const segments = pathSegments(path) ?? [];
    let group = '';
    let rest: string[] = [];
    if (segments[0] === 'api') rest = segments.slice(2);
    else if (segments[0] === 'apis') {
      group = segments[1] ?? '';
      rest = segments.slice(3);
    }
    let namespace = '';
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1] ?? '';
      rest = rest.slice(2);
    }
    const [resource = '', name = '', subresource = ''] = rest;
    if (resource === '') {
      return { path, verb: method.toLowerCase(), group, resource, subresource, namespace, name };
    }
    const verbs: Record<string, string> = {
      POST: 'create',
      PUT: 'update',
      PATCH: 'patch',
      DELETE: name === '' ? 'deletecollection' : 'delete',
    };
    let verb = verbs[method] ?? 'get';
    if (method === 'GET') {
      const watch = query.get('watch');
      verb = watch === 'true' || watch === '1' ? 'watch' : name === '' ? 'list' : 'get';
    }
    return { path, verb, group, resource, subresource, namespace, name };
  }

  // ---- control API used by tests -------------------------------------------------------------

  /** Stores an object directly, with uid, resourceVersion, creationTimestamp and defaults. */
  seed(input: JsonObject, options: { validate?: boolean } = {}): JsonObject {
    const apiVersion = str(input.apiVersion);
    const kind = str(input.kind);
    const def = findByKind(apiVersion, kind);
    if (def === undefined) throw new Error(`fake-kube cannot seed ${apiVersion} ${kind}`);
    const obj = normalize(clone(input));
    const meta = metaOf(obj);
    if (def.namespaced) meta.namespace = str(meta.namespace) || 'default';
    else delete meta.namespace;
    if (str(meta.name) === '' && str(meta.generateName) !== '')
      meta.name = generateName(str(meta.generateName));
    let stored = this.toStorage(def, obj);
    def.defaults?.(stored);
    const storedMeta = metaOf(stored);
    if (hasStatus(def) && stored.status === undefined) stored.status = clone(def.emptyStatus ?? {});
    storedMeta.uid = str(storedMeta.uid) || randomUUID();
    storedMeta.creationTimestamp = str(storedMeta.creationTimestamp) || formatTime(this.now());
    if (def.generation !== undefined) storedMeta.generation ??= 1;
    def.prepareForCreate?.(stored);
    stored = normalize(stored);
    if (options.validate !== false) {
      const errors = def.validate(stored, undefined, this.validation);
      if (errors.length > 0) {
        const error = invalidError(def.invalidKind, str(storedMeta.name), errors);
        throw new Error(`fake-kube refused the seed: ${error.message}`);
      }
    }
    metaOf(stored).resourceVersion = this.store.nextResourceVersion();
    this.store.put(def.storage, stored);
    return this.toApi(def, stored);
  }

  /** A stored object in its API form, or undefined. */
  getObject(apiVersion: string, kind: string, namespace: string | undefined, name: string) {
    const def = this.defFor(apiVersion, kind);
    const stored = this.store.get(
      def.storage,
      def.namespaced ? (namespace ?? 'default') : '',
      name,
    );
    return stored === undefined ? undefined : this.toApi(def, stored);
  }

  /** Stored objects of a kind in their API form (all namespaces when `namespace` is omitted). */
  listObjects(apiVersion: string, kind: string, namespace?: string): JsonObject[] {
    const def = this.defFor(apiVersion, kind);
    return this.store
      .list(def.storage, def.namespaced ? namespace : undefined)
      .map((stored) => this.toApi(def, stored));
  }

  /** Replaces an object's status (as a controller would); bumps the RV if it changed. */
  setStatus(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    status: JsonObject,
  ) {
    const def = this.defFor(apiVersion, kind);
    const ns = def.namespaced ? (namespace ?? 'default') : '';
    const stored = this.store.get(def.storage, ns, name);
    if (stored === undefined) throw new Error(`fake-kube has no ${kind} ${ns}/${name}`);
    const next = normalize(clone(stored));
    next.status = stripNulls(clone(status));
    if (!deepEqual(next, stored)) {
      metaOf(next).resourceVersion = this.store.nextResourceVersion();
      this.store.put(def.storage, next);
    }
    return this.toApi(def, next);
  }

  /** Deletes an object directly; returns whether it existed. */
  removeObject(apiVersion: string, kind: string, namespace: string | undefined, name: string) {
    const def = this.defFor(apiVersion, kind);
    return this.store.delete(def.storage, def.namespaced ? (namespace ?? 'default') : '', name);
  }

  private defFor(apiVersion: string, kind: string): ResourceDef {
    const def = findByKind(apiVersion, kind);
    if (def === undefined) throw new Error(`fake-kube does not serve ${apiVersion} ${kind}`);
    return def;
  }

  // ---- routing -------------------------------------------------------------------------------

  private dispatch(req: ApiRequest, warnings: string[]): Answer {
    const segments = pathSegments(req.path);
    if (segments === undefined) return MALFORMED_REQUEST;
    const discovery = req.method === 'GET' ? this.discovery(segments) : undefined;
    if (discovery !== undefined) return { status: 200, body: discovery };
    const target = this.resolve(segments);
    const { def, namespace, name, subresource } = target;
    const ns = namespace ?? '';
    switch (req.method) {
      case 'GET': {
        if (name !== undefined) {
          return subresource === 'scale'
            ? { status: 200, body: this.scaleOf(this.mustGet(def, ns, name)) }
            : { status: 200, body: this.toApi(def, this.mustGet(def, ns, name)) };
        }
        const watch = req.query.get('watch');
        if (watch === 'true' || watch === '1') {
          throw methodNotSupportedError(
            groupResourceOf(def),
            'watch (the fake API server does not implement watch)',
          );
        }
        return { status: 200, body: this.list(def, namespace, req.query) };
      }
      case 'POST':
        if (name !== undefined) throw methodNotSupportedError(groupResourceOf(def), 'create');
        return this.create(def, ns, req, warnings);
      case 'PUT':
        if (name === undefined) throw methodNotSupportedError(groupResourceOf(def), 'update');
        return subresource === 'scale'
          ? this.updateScale(ns, name, req, warnings)
          : this.update(def, ns, name, req, warnings);
      case 'PATCH':
        if (name === undefined) throw methodNotSupportedError(groupResourceOf(def), 'patch');
        return subresource === 'scale'
          ? this.patchScale(ns, name, req, warnings)
          : this.patch(def, ns, name, req, warnings);
      case 'DELETE':
        if (name === undefined || subresource !== undefined) {
          throw methodNotSupportedError(groupResourceOf(def), 'deletecollection');
        }
        return this.delete(def, ns, name, req);
      default:
        throw methodNotSupportedError(groupResourceOf(def), req.method.toLowerCase());
    }
  }

  private resolve(segments: string[]): Target {
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 2) {
      group = '';
      version = segments[1] ?? '';
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 3) {
      group = segments[1] ?? '';
      version = segments[2] ?? '';
      rest = segments.slice(3);
    } else {
      throw pathNotFoundError();
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource, ...extra] = rest;
    if (plural === undefined || extra.length > 0) throw pathNotFoundError();
    const def = findResource(group, version, plural);
    if (def === undefined) throw pathNotFoundError();
    if (!def.namespaced && namespace !== undefined) throw pathNotFoundError();
    if (def.namespaced && namespace === undefined && name !== undefined) throw pathNotFoundError();
    if (subresource !== undefined && !def.subresources.includes(subresource)) {
      throw pathNotFoundError();
    }
    return { def, namespace, name, subresource };
  }

  private discovery(segments: string[]): JsonObject | undefined {
    const path = segments.join('/');
    if (path === 'version') {
      return {
        major: '1',
        // The env name rule is the one visible difference between the versions it stands in for.
        minor: this.validation.relaxedEnvVarNames ? '32' : '31',
        gitVersion: this.validation.relaxedEnvVarNames ? 'v1.32.0-fake' : 'v1.31.0-fake',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-12-11T00:00:00Z',
        goVersion: 'go1.23.3',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    }
    if (path === 'api')
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    const groups = [...new Set(RESOURCES.filter((r) => r.group !== '').map((r) => r.group))];
    const groupEntry = (group: string): JsonObject => {
      const versions = [
        ...new Set(RESOURCES.filter((r) => r.group === group).map((r) => r.version)),
      ];
      const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
      return { name: group, versions: list, preferredVersion: list[0] ?? null };
    };
    if (path === 'apis')
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupEntry) };
    if (segments[0] === 'apis' && segments.length === 2 && groups.includes(segments[1] ?? '')) {
      return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(segments[1] ?? '') };
    }
    const resourceList = (group: string, version: string): JsonObject | undefined => {
      const defs = RESOURCES.filter((r) => r.group === group && r.version === version);
      if (defs.length === 0) return undefined;
      const resources: JsonObject[] = [];
      for (const r of defs) {
        const entry: JsonObject = {
          name: r.plural,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
        };
        if (r.shortNames !== undefined) entry.shortNames = [...r.shortNames];
        resources.push(entry);
        if (r.subresources.includes('scale')) {
          resources.push({
            name: `${r.plural}/scale`,
            singularName: '',
            namespaced: r.namespaced,
            group: 'autoscaling',
            version: 'v1',
            kind: 'Scale',
            verbs: ['get', 'patch', 'update'],
          });
        }
      }
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group === '' ? version : `${group}/${version}`,
        resources,
      };
    };
    if (segments[0] === 'api' && segments.length === 2) return resourceList('', segments[1] ?? '');
    if (segments[0] === 'apis' && segments.length === 3) {
      return resourceList(segments[1] ?? '', segments[2] ?? '');
    }
    // Namespaces are not stored; every namespace exists and is Active.
    if (segments[0] === 'api' && segments[1] === 'v1' && segments[2] === 'namespaces') {
      const namespaceObject = (name: string): JsonObject => ({
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
      if (segments.length === 3) {
        const names = [
          ...new Set(['default', 'kube-system', 'kube-public', ...this.store.namespaces()]),
        ].sort();
        return {
          kind: 'NamespaceList',
          apiVersion: 'v1',
          metadata: { resourceVersion: this.store.currentResourceVersion() },
          items: names.map(namespaceObject),
        };
      }
      if (segments.length === 4) {
        return { kind: 'Namespace', apiVersion: 'v1', ...namespaceObject(segments[3] ?? '') };
      }
    }
    return undefined;
  }

  // ---- conversions ---------------------------------------------------------------------------

  private toStorage(def: ResourceDef, obj: JsonObject): JsonObject {
    const stored = def.toStorage ? def.toStorage(obj) : clone(obj);
    delete stored.kind;
    delete stored.apiVersion;
    return stored;
  }

  private toApi(def: ResourceDef, stored: JsonObject): JsonObject {
    const obj = def.fromStorage ? def.fromStorage(clone(stored)) : clone(stored);
    obj.kind = def.kind;
    obj.apiVersion = apiVersionOf(def);
    const ordered = orderKeys(obj, Object.keys(def.schema));
    const meta = asObject(ordered.metadata);
    if (meta !== undefined) ordered.metadata = orderKeys(meta, META_KEYS);
    return ordered;
  }

  private scaleOf(stored: JsonObject): JsonObject {
    const meta = asObject(stored.metadata) ?? {};
    const requirements = requirementsFromLabelSelector(getPath(stored, 'spec', 'selector')) ?? [];
    const selector = formatRequirements(requirements);
    const status: JsonObject = { replicas: getPath(stored, 'status', 'replicas') ?? 0 };
    if (selector !== '') status.selector = selector;
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
        creationTimestamp: meta.creationTimestamp,
      },
      spec: { replicas: getPath(stored, 'spec', 'replicas') ?? 0 },
      status,
    };
  }

  private mustGet(def: ResourceDef, namespace: string, name: string): JsonObject {
    const stored = this.lookup(def, namespace, name);
    if (stored === undefined) throw notFoundError(groupResourceOf(def), name);
    return stored;
  }

  /**
   * The stored object a URL names. The registry's key function (NamespaceKeyFunc) refuses a name
   * that is not a valid path segment (`.`, `..`, anything with `/` or `%`) with a 400 first.
   */
  private lookup(def: ResourceDef, namespace: string, name: string): JsonObject | undefined {
    const problems = pathSegmentNameErrors(name);
    if (problems.length > 0) {
      throw badRequestError(`Name parameter invalid: ${goQuote(name)}: ${problems.join(';')}`);
    }
    return this.store.get(def.storage, namespace, name);
  }

  // ---- list ----------------------------------------------------------------------------------

  private list(
    def: ResourceDef,
    namespace: string | undefined,
    query: URLSearchParams,
  ): JsonObject {
    let labelRequirements;
    try {
      labelRequirements = parseLabelSelector(query.get('labelSelector') ?? '');
    } catch (error) {
      if (error instanceof SelectorParseError) throw badRequestError(error.message);
      throw error;
    }
    const fieldMatch = this.fieldSelector(def, query.get('fieldSelector') ?? '');
    let items = this.store.list(
      def.storage,
      namespace,
      (stored) =>
        matchesLabels(labelRequirements, asObject(getPath(stored, 'metadata', 'labels'))) &&
        fieldMatch(stored),
    );
    const metadata: JsonObject = { resourceVersion: this.store.currentResourceVersion() };
    const keyOf = (stored: JsonObject): string =>
      `${str(getPath(stored, 'metadata', 'namespace'))}/${str(getPath(stored, 'metadata', 'name'))}`;
    const token = query.get('continue');
    if (token !== null && token !== '') {
      let after: string;
      try {
        after = str(
          (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as JsonObject).start,
        );
      } catch {
        throw badRequestError(`continue key is not valid: ${token}`);
      }
      items = items.filter((stored) => keyOf(stored) > after);
    }
    const limit = Number(query.get('limit') ?? '0');
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      metadata.continue = Buffer.from(
        JSON.stringify({
          v: 'meta.k8s.io/v1',
          rv: Number(metadata.resourceVersion),
          start: last ? keyOf(last) : '',
        }),
      ).toString('base64url');
      metadata.remainingItemCount = items.length - limit;
      items = page;
    }
    return {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def),
      metadata,
      // List items carry no kind/apiVersion, like the real server's (kubernetes#3030).
      items: items.map((stored) => {
        const item = this.toApi(def, stored);
        delete item.kind;
        delete item.apiVersion;
        return item;
      }),
    };
  }

  private fieldSelector(def: ResourceDef, selector: string): (stored: JsonObject) => boolean {
    if (selector.trim() === '') return () => true;
    const aliases: Record<string, string> = {
      'regarding.kind': 'involvedObject.kind',
      'regarding.name': 'involvedObject.name',
      'regarding.namespace': 'involvedObject.namespace',
      'regarding.uid': 'involvedObject.uid',
      'regarding.apiVersion': 'involvedObject.apiVersion',
      reportingController: 'reportingComponent',
      note: 'message',
    };
    const allowed = new Set(['metadata.name', 'metadata.namespace']);
    if (def.plural === 'pods') for (const f of ['spec.nodeName', 'status.phase']) allowed.add(f);
    if (def.storage === 'events') {
      for (const f of [
        'involvedObject.kind',
        'involvedObject.name',
        'involvedObject.namespace',
        'involvedObject.uid',
        'involvedObject.apiVersion',
        'involvedObject.resourceVersion',
        'involvedObject.fieldPath',
        'reason',
        'reportingComponent',
        'type',
        'source',
      ]) {
        allowed.add(f);
      }
    }
    if (def.plural === 'nodes') allowed.add('spec.unschedulable');
    const terms = selector.split(',').map((term) => {
      const match = /^\s*([^!=\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
      if (match === null)
        throw badRequestError(`invalid selector: '${selector}'; can't understand '${term}'`);
      const [, rawField = '', op = '', value = ''] = match;
      const field = def.storage === 'events' ? (aliases[rawField] ?? rawField) : rawField;
      if (!allowed.has(field)) throw badRequestError(`field label not supported: ${rawField}`);
      return {
        path: field === 'source' ? ['source', 'component'] : field.split('.'),
        negate: op === '!=',
        value,
      };
    });
    return (stored) =>
      terms.every((t) => {
        const actual = getPath(stored, ...t.path);
        const text = scalarText(actual);
        return (text === t.value) !== t.negate;
      });
  }

  // ---- request decoding ----------------------------------------------------------------------

  private writeOptions(
    query: URLSearchParams,
    kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions',
    patchType?: PatchType,
  ): WriteOptions {
    const errors: FieldError[] = [];
    const fieldManager = query.get('fieldManager') ?? '';
    if (kind === 'PatchOptions') {
      if (patchType !== 'application/apply-patch+yaml') {
        if (query.has('force'))
          errors.push(forbidden('force', 'may not be specified for non-apply patch'));
      } else if (fieldManager === '') {
        errors.push(required('fieldManager', 'is required for apply patch'));
      }
    }
    if (goLen(fieldManager) > MAX_FIELD_MANAGER) {
      errors.push(tooLong('fieldManager', `must have at most ${MAX_FIELD_MANAGER} bytes`));
    }
    // eslint-disable-next-line no-control-regex -- the rule is about control characters
    if (/[\x00-\x1f\x7f]/.test(fieldManager)) {
      errors.push(
        invalid('fieldManager', goQuote(fieldManager), 'must only contain printable characters'),
      );
    }
    const dryRun = query.getAll('dryRun');
    if (dryRun.some((v) => v !== 'All')) {
      errors.push(notSupported('dryRun', goStringSlice(dryRun), ['All']));
    }
    const fieldValidation = query.get('fieldValidation') ?? '';
    if (!['', 'Ignore', 'Warn', 'Strict'].includes(fieldValidation)) {
      errors.push(
        notSupported('fieldValidation', goQuote(fieldValidation), ['', 'Ignore', 'Strict', 'Warn']),
      );
    }
    if (errors.length > 0) throw invalidError({ group: 'meta.k8s.io', kind }, '', errors);
    return {
      dryRun: dryRun.length > 0,
      fieldValidation: fieldValidation === '' ? 'Warn' : (fieldValidation as FieldValidation),
    };
  }

  /** Reads a POST/PUT body as the negotiated serializer would; 415 and 400 as the server does. */
  private readBody(req: ApiRequest, kindName: string): JsonObject {
    const raw = req.contentType ?? '';
    const mediaType = raw.split(';')[0]?.trim().toLowerCase() ?? '';
    let value: unknown;
    if (mediaType === '' || mediaType === 'application/json') {
      const syntax = goJsonSyntaxError(req.body);
      if (syntax !== undefined) {
        throw badRequestError(
          `the object provided is unrecognized (must be of type ${kindName}): couldn't get version/kind; json parse error: ${syntax} (${summarize(req.body)})`,
        );
      }
      value = JSON.parse(req.body);
    } else if (mediaType === 'application/yaml') {
      try {
        value = parseYaml(req.body) as unknown;
      } catch (error) {
        throw badRequestError(`error converting YAML to JSON: ${(error as Error).message}`);
      }
    } else {
      throw unsupportedMediaTypeError(INPUT_CONTENT_TYPES);
    }
    if (!isObject(value)) {
      throw badRequestError(
        `the object provided is unrecognized (must be of type ${kindName}): couldn't get version/kind; json parse error: ${KIND_STRUCT_ERROR.replace('array', goJsonTypeName(value))} (${summarize(req.body)})`,
      );
    }
    return value;
  }

  /**
   * The decoder's checks on a request object: kind, Go types, MicroTimes, unknown fields. In
   * `patch` mode (the result of applying a patch) failures are the 422 a patch gets.
   */
  private decode(
    def: {
      kind: string;
      version: string;
      apiVersion: string;
      schema: ResourceDef['schema'];
      typeChecks: ResourceDef['typeChecks'];
      microTimeFields: readonly string[];
    },
    input: JsonObject,
    fieldValidation: FieldValidation,
    warnings: string[],
    mode: 'request' | 'patch',
  ): JsonObject {
    const obj = stripNulls(clone(input)) as JsonObject;
    const bodyKind = asString(obj.kind);
    const bodyApiVersion = asString(obj.apiVersion);
    const version = bodyApiVersion?.split('/').pop() ?? def.version;
    const fail = (why: string): ApiError => {
      if (mode === 'patch') {
        return invalidError({ group: '', kind: '' }, '', [
          invalid('patch', goQuote(JSON.stringify(input)), why),
        ]);
      }
      return badRequestError(
        `${bodyKind ?? def.kind} in version "${version}" cannot be handled as a ${def.kind}: ${why}`,
      );
    };
    if (bodyKind !== undefined && bodyKind !== '' && bodyKind !== def.kind) {
      throw fail(
        `no kind "${bodyKind}" is registered for version "${bodyApiVersion ?? def.apiVersion}" in scheme "pkg/api/legacyscheme/scheme.go:30"`,
      );
    }
    const typeError =
      firstTypeError(obj, def.typeChecks) ?? firstMicroTimeError(obj, def.microTimeFields);
    if (typeError !== undefined) throw fail(typeError);
    if (
      bodyApiVersion !== undefined &&
      bodyApiVersion !== '' &&
      bodyApiVersion !== def.apiVersion
    ) {
      throw badRequestError(
        `the API version in the data (${bodyApiVersion}) does not match the expected API version (${def.apiVersion})`,
      );
    }
    const unknown = pruneUnknownFields(obj, def.schema);
    if (unknown.length > 0) {
      const messages = unknown.map((path) => `unknown field "${path}"`);
      if (fieldValidation === 'Strict') {
        if (mode === 'patch')
          throw badRequestError(`strict decoding error: ${messages.join(', ')}`);
        throw fail(`strict decoding error: ${messages.join(', ')}`);
      }
      if (fieldValidation === 'Warn') warnings.push(...messages);
    }
    return obj;
  }

  private decodeFor(def: ResourceDef) {
    return {
      kind: def.kind,
      version: def.version,
      apiVersion: apiVersionOf(def),
      schema: def.schema,
      typeChecks: def.typeChecks,
      microTimeFields: def.microTimeFields,
    };
  }

  private checkName(obj: JsonObject, name: string, namespace: string, def: ResourceDef): void {
    const meta = metaOf(obj);
    const objName = str(meta.name);
    if (objName !== name) {
      throw badRequestError(
        `the name of the object (${objName}) does not match the name on the URL (${name})`,
      );
    }
    const objNamespace = str(meta.namespace);
    if (def.namespaced && namespace !== '') {
      if (objNamespace !== '' && objNamespace !== namespace) {
        throw badRequestError(
          `the namespace of the object (${objNamespace}) does not match the namespace on the URL (${namespace})`,
        );
      }
      meta.namespace = namespace;
    }
  }

  // ---- create --------------------------------------------------------------------------------

  private create(def: ResourceDef, namespace: string, req: ApiRequest, warnings: string[]) {
    const options = this.writeOptions(req.query, 'CreateOptions');
    const body = this.readBody(req, def.kind);
    const obj = this.decode(
      this.decodeFor(def),
      body,
      options.fieldValidation,
      warnings,
      'request',
    );
    const written = this.createObject(def, namespace, obj, options.dryRun);
    return { status: written.status, body: this.toApi(def, written.stored) };
  }

  private createObject(
    def: ResourceDef,
    namespace: string,
    input: JsonObject,
    dryRun: boolean,
  ): Written {
    const obj = clone(input);
    const meta = metaOf(obj);
    // rest.WipeObjectMetaSystemFields: the server sets these itself. resourceVersion is kept (500 below).
    for (const key of [
      'creationTimestamp',
      'uid',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'selfLink',
    ]) {
      removeKey(meta, key);
    }
    const bodyNamespace = str(meta.namespace);
    if (def.namespaced) {
      if (bodyNamespace === '') meta.namespace = namespace;
      else if (bodyNamespace !== namespace) {
        throw badRequestError(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
    } else {
      delete meta.namespace;
    }
    if (str(meta.name) === '' && str(meta.generateName) !== '')
      meta.name = generateName(str(meta.generateName));
    let stored = this.toStorage(def, obj);
    def.defaults?.(stored);
    const storedMeta = metaOf(stored);
    if (hasStatus(def)) stored.status = clone(def.emptyStatus ?? {});
    if (def.generation !== undefined) storedMeta.generation = 1;
    storedMeta.uid = randomUUID();
    storedMeta.creationTimestamp = formatTime(this.now());
    def.prepareForCreate?.(stored);
    stored = normalize(stored);
    const name = str(getPath(stored, 'metadata', 'name'));
    const errors = def.validate(stored, undefined, this.validation);
    if (errors.length > 0) throw invalidError(def.invalidKind, name, errors);
    const metaErrors = validateGenericObjectMeta(stored);
    if (metaErrors.length > 0) throw invalidError(def.invalidKind, name, metaErrors);
    const ns = def.namespaced ? namespace : '';
    if (!dryRun && str(getPath(stored, 'metadata', 'resourceVersion')) !== '') {
      throw internalError('resourceVersion should not be set on objects to be created');
    }
    if (this.store.get(def.storage, ns, name) !== undefined) {
      throw alreadyExistsError(groupResourceOf(def), name);
    }
    if (dryRun) {
      delete metaOf(stored).resourceVersion;
      return { status: 201, stored };
    }
    metaOf(stored).resourceVersion = this.store.nextResourceVersion();
    this.store.put(def.storage, stored);
    return { status: 201, stored };
  }

  // ---- update --------------------------------------------------------------------------------

  private update(
    def: ResourceDef,
    namespace: string,
    name: string,
    req: ApiRequest,
    warnings: string[],
  ) {
    const options = this.writeOptions(req.query, 'UpdateOptions');
    const body = this.readBody(req, def.kind);
    const obj = this.decode(
      this.decodeFor(def),
      body,
      options.fieldValidation,
      warnings,
      'request',
    );
    this.checkName(obj, name, namespace, def);
    const current = this.lookup(def, namespace, name);
    const bodyUid = str(getPath(obj, 'metadata', 'uid'));
    const currentUid = str(getPath(current, 'metadata', 'uid'));
    if (bodyUid !== '' && bodyUid !== currentUid) {
      throw conflictError(
        groupResourceOf(def),
        name,
        storageError(
          def,
          namespace,
          name,
          `Precondition failed: UID in precondition: ${bodyUid}, UID in object meta: ${currentUid}`,
        ),
      );
    }
    if (current === undefined) {
      if (!def.allowCreateOnUpdate) throw notFoundError(groupResourceOf(def), name);
      delete metaOf(obj).resourceVersion;
      const written = this.createObject(def, namespace, obj, options.dryRun);
      return { status: written.status, body: this.toApi(def, written.stored) };
    }
    const written = this.updateObject(def, current, obj, options.dryRun);
    return { status: written.status, body: this.toApi(def, written.stored) };
  }

  /** The shared tail of PUT, PATCH and Scale writes: RV check, BeforeUpdate, validation, no-op. */
  private updateObject(
    def: ResourceDef,
    current: JsonObject,
    incoming: JsonObject,
    dryRun: boolean,
  ): Written {
    const currentMeta = asObject(current.metadata) ?? {};
    const name = str(currentMeta.name);
    const namespace = str(currentMeta.namespace);
    let obj = this.toStorage(def, incoming);
    const meta = metaOf(obj);
    const rv = str(meta.resourceVersion);
    const currentRv = str(currentMeta.resourceVersion);
    if (rv === '') {
      if (!def.allowUnconditionalUpdate) {
        throw invalidError({ group: def.group, kind: def.plural }, name, [
          invalid('metadata.resourceVersion', '0x0', 'must be specified for an update'),
        ]);
      }
    } else if (rv !== currentRv) {
      throw conflictError(groupResourceOf(def), name);
    }
    def.defaults?.(obj);
    meta.resourceVersion = currentRv;
    if (currentMeta.generation === undefined) delete meta.generation;
    else meta.generation = currentMeta.generation;
    if (hasStatus(def)) obj.status = clone(current.status ?? def.emptyStatus ?? {});
    if (str(meta.uid) === '') meta.uid = currentMeta.uid;
    meta.creationTimestamp = currentMeta.creationTimestamp;
    if (def.namespaced) meta.namespace = namespace;
    obj = normalize(obj);
    if (def.generation !== undefined) {
      const specChanged = !deepEqual(obj.spec, current.spec);
      const annotationsChanged =
        def.generation === 'spec+annotations' &&
        !deepEqual(getPath(obj, 'metadata', 'annotations'), currentMeta.annotations);
      if (specChanged || annotationsChanged) {
        metaOf(obj).generation = (Number(currentMeta.generation) || 0) + 1;
      }
    }
    const errors = def.validate(obj, current, this.validation);
    if (errors.length > 0) throw invalidError(def.invalidKind, name, errors);
    if (deepEqual(obj, current)) return { status: 200, stored: current };
    if (dryRun) return { status: 200, stored: obj };
    metaOf(obj).resourceVersion = this.store.nextResourceVersion();
    this.store.put(def.storage, obj);
    return { status: 200, stored: obj };
  }

  // ---- patch ---------------------------------------------------------------------------------

  private patchType(req: ApiRequest, def?: ResourceDef): PatchType {
    // The server cuts at the first ';' and compares the rest exactly (no trimming, no case folding).
    const raw = req.contentType ?? '';
    const cut = raw.indexOf(';');
    const type = cut > 0 ? raw.slice(0, cut) : raw;
    // A CRD's objects have no patch strategy to merge by: no strategic merge patch.
    const accepted: readonly string[] =
      def?.customResource === true ? CUSTOM_RESOURCE_PATCH_TYPES : PATCH_CONTENT_TYPES;
    if (!accepted.includes(type)) throw unsupportedMediaTypeError(accepted);
    return type as PatchType;
  }

  private patch(
    def: ResourceDef,
    namespace: string,
    name: string,
    req: ApiRequest,
    warnings: string[],
  ) {
    const type = this.patchType(req, def);
    const options = this.writeOptions(req.query, 'PatchOptions', type);
    const current = this.lookup(def, namespace, name);
    if (current === undefined) {
      if (type !== 'application/apply-patch+yaml') throw notFoundError(groupResourceOf(def), name);
      // Server-side apply creates what is missing.
      const body = this.applyPatchBody(type, {}, req.body);
      const obj = this.decode(
        this.decodeFor(def),
        body,
        options.fieldValidation,
        warnings,
        'patch',
      );
      this.checkName(obj, name, namespace, def);
      const written = this.createObject(def, namespace, obj, options.dryRun);
      return { status: written.status, body: this.toApi(def, written.stored) };
    }
    const patched = this.applyPatchBody(type, this.toApi(def, current), req.body);
    const obj = this.decode(
      this.decodeFor(def),
      patched,
      options.fieldValidation,
      warnings,
      'patch',
    );
    this.checkName(obj, name, namespace, def);
    const written = this.updateObject(def, current, obj, options.dryRun);
    return { status: 200, body: this.toApi(def, written.stored) };
  }

  /** Applies a patch body of the given type to `doc` (an API-form object). */
  private applyPatchBody(type: PatchType, doc: JsonObject, raw: string): JsonObject {
    switch (type) {
      case 'application/json-patch+json': {
        const syntax = goJsonSyntaxError(raw);
        if (syntax !== undefined) throw badRequestError(`error decoding patch: ${syntax}`);
        const ops = JSON.parse(raw) as unknown;
        if (!Array.isArray(ops)) {
          throw badRequestError(
            `error decoding patch: json: cannot unmarshal ${goJsonTypeName(ops)} into Go value of type jsonpatch.Patch`,
          );
        }
        // A null operation decodes as an empty map (no kind): it fails when applied, below.
        const notObject = ops.find((op) => op !== null && !isObject(op));
        if (notObject !== undefined) {
          throw badRequestError(
            `error decoding patch: json: cannot unmarshal ${goJsonTypeName(notObject)} into Go value of type jsonpatch.Operation`,
          );
        }
        if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
          throw new ApiError(
            413,
            statusBody({
              status: 'Failure',
              message: `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
              reason: 'RequestEntityTooLarge',
              code: 413,
            }),
          );
        }
        let result: unknown;
        try {
          result = applyJsonPatch(doc, raw);
        } catch (error) {
          if (error instanceof JsonPatchError) throw genericInvalidError();
          if (error instanceof JsonPatchPanic) throw PANIC;
          throw error;
        }
        if (!isObject(result)) throw genericInvalidError();
        return result;
      }
      case 'application/merge-patch+json': {
        if (goJsonSyntaxError(raw) !== undefined) throw badRequestError('Invalid JSON Patch');
        const patch = JSON.parse(raw) as unknown;
        if (patch === null) throw badRequestError('Invalid JSON Patch');
        if (!isObject(patch)) {
          throw invalidError({ group: '', kind: '' }, '', [
            invalid(
              'patch',
              goQuote(raw),
              `couldn't get version/kind; json parse error: ${KIND_STRUCT_ERROR.replace('array', goJsonTypeName(patch))}`,
            ),
          ]);
        }
        return applyMergePatch<JsonObject>(clone(doc), patch);
      }
      case 'application/strategic-merge-patch+json': {
        const syntax = goJsonSyntaxError(raw);
        if (syntax !== undefined) throw badRequestError(syntax);
        const patch = JSON.parse(raw) as unknown;
        if (!isObject(patch)) {
          throw badRequestError(
            `json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type map[string]interface {}`,
          );
        }
        return this.strategic(doc, patch);
      }
      case 'application/apply-patch+yaml': {
        let intent: unknown;
        try {
          intent = parseYaml(raw) as unknown;
        } catch (error) {
          throw badRequestError(`error decoding YAML: ${(error as Error).message}`);
        }
        if (!isObject(intent)) {
          throw badRequestError('error decoding YAML: the apply patch must be an object');
        }
        // Approximation: field ownership is not tracked, so apply merges like a strategic patch.
        return this.strategic(doc, intent);
      }
    }
  }

  private strategic(doc: JsonObject, patch: JsonObject): JsonObject {
    try {
      return strategicMergePatch(doc, patch);
    } catch (error) {
      if (error instanceof StrategicMergePatchError) {
        throw error.code === 400
          ? badRequestError(error.message)
          : unknownServerError(error.message);
      }
      throw error;
    }
  }

  // ---- delete --------------------------------------------------------------------------------

  private delete(def: ResourceDef, namespace: string, name: string, req: ApiRequest) {
    let body: JsonObject = {};
    if (req.body.trim() !== '') {
      const syntax = goJsonSyntaxError(req.body);
      if (syntax !== undefined) throw badRequestError(syntax);
      const parsed = JSON.parse(req.body) as unknown;
      if (!isObject(parsed)) {
        throw badRequestError(
          `json: cannot unmarshal ${goJsonTypeName(parsed)} into Go value of type v1.DeleteOptions`,
        );
      }
      body = parsed;
    }
    const dryRun = [
      ...req.query.getAll('dryRun'),
      ...(asArray(body.dryRun) ?? []).map((v) => scalarText(v)),
    ];
    const propagation = str(body.propagationPolicy) || (req.query.get('propagationPolicy') ?? '');
    const errors: FieldError[] = [];
    if (dryRun.some((v) => v !== 'All'))
      errors.push(notSupported('dryRun', goStringSlice(dryRun), ['All']));
    if (propagation !== '' && !['Orphan', 'Background', 'Foreground'].includes(propagation)) {
      errors.push(
        notSupported('propagationPolicy', goQuote(propagation), [
          'Foreground',
          'Background',
          'Orphan',
          'nil',
        ]),
      );
    }
    if (errors.length > 0)
      throw invalidError({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', errors);
    const current = this.mustGet(def, namespace, name);
    const meta = asObject(current.metadata) ?? {};
    const preconditions = asObject(body.preconditions) ?? {};
    const wantUid = asString(preconditions.uid);
    if (wantUid !== undefined && wantUid !== str(meta.uid)) {
      throw conflictError(
        groupResourceOf(def),
        name,
        storageError(
          def,
          namespace,
          name,
          `Precondition failed: UID in precondition: ${wantUid}, UID in object meta: ${str(meta.uid)}`,
        ),
      );
    }
    const wantRv = asString(preconditions.resourceVersion);
    if (wantRv !== undefined && wantRv !== str(meta.resourceVersion)) {
      throw conflictError(
        groupResourceOf(def),
        name,
        storageError(
          def,
          namespace,
          name,
          `Precondition failed: ResourceVersion in precondition: ${wantRv}, ResourceVersion in object meta: ${str(meta.resourceVersion)}`,
        ),
      );
    }
    if (dryRun.length === 0) this.store.delete(def.storage, namespace, name);
    return { status: 200, body: deleteSuccessBody(groupResourceOf(def), name, str(meta.uid)) };
  }

  // ---- scale subresource ---------------------------------------------------------------------

  private scaleDecoder() {
    return {
      kind: 'Scale',
      version: 'v1',
      apiVersion: 'autoscaling/v1',
      schema: SCALE_SCHEMA,
      typeChecks: SCALE_TYPE_CHECKS,
      microTimeFields: [],
    };
  }

  private deployments(): ResourceDef {
    if (DEPLOYMENTS === undefined) throw new Error('deployments are not registered');
    return DEPLOYMENTS;
  }

  private updateScale(namespace: string, name: string, req: ApiRequest, warnings: string[]) {
    const def = this.deployments();
    const options = this.writeOptions(req.query, 'UpdateOptions');
    const body = this.readBody(req, 'Scale');
    const scale = this.decode(
      this.scaleDecoder(),
      body,
      options.fieldValidation,
      warnings,
      'request',
    );
    this.checkName(scale, name, namespace, def);
    const current = this.mustGet(def, namespace, name);
    return this.writeScale(current, scale, options.dryRun);
  }

  private patchScale(namespace: string, name: string, req: ApiRequest, warnings: string[]) {
    const def = this.deployments();
    const type = this.patchType(req);
    const options = this.writeOptions(req.query, 'PatchOptions', type);
    const current = this.mustGet(def, namespace, name);
    const patched = this.applyPatchBody(type, this.scaleOf(current), req.body);
    const scale = this.decode(
      this.scaleDecoder(),
      patched,
      options.fieldValidation,
      warnings,
      'patch',
    );
    this.checkName(scale, name, namespace, def);
    return this.writeScale(current, scale, options.dryRun);
  }

  /** scaleUpdatedObjectInfo: validate the Scale, check its uid, copy replicas and RV onto the Deployment. */
  private writeScale(current: JsonObject, scale: JsonObject, dryRun: boolean) {
    const def = this.deployments();
    const name = str(getPath(current, 'metadata', 'name'));
    const errors = validateScale(scale);
    if (errors.length > 0)
      throw invalidError({ group: 'autoscaling', kind: 'Scale' }, name, errors);
    const scaleUid = str(getPath(scale, 'metadata', 'uid'));
    const currentUid = str(getPath(current, 'metadata', 'uid'));
    if (scaleUid !== '' && scaleUid !== currentUid) {
      const gr: GroupResource = { group: 'apps', resource: 'deployments/scale' };
      throw conflictError(
        gr,
        name,
        `Precondition failed: UID in precondition: ${scaleUid}, UID in object meta: ${currentUid}`,
      );
    }
    const deployment = this.toApi(def, current);
    // A Scale without spec.replicas means 0, as the Go struct's zero value does.
    ensureObject(deployment, 'spec').replicas = getPath(scale, 'spec', 'replicas') ?? 0;
    metaOf(deployment).resourceVersion = str(getPath(scale, 'metadata', 'resourceVersion'));
    const written = this.updateObject(def, current, deployment, dryRun);
    return { status: 200, body: this.scaleOf(written.stored) };
  }
}

function summarize(body: string): string {
  return body.length > 30 ? `${body.slice(0, 30)}...` : body;
}
