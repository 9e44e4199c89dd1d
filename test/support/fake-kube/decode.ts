import { isObject, removeKey, type Json, type JsonObject } from './json';
import { microTimeError } from './micro-time';

/**
 * A field schema used to find unknown fields: `true` accepts anything below, an object lists the
 * known keys of a struct, a one-element array describes the items of a list.
 */
export type FieldSchema = true | readonly [FieldSchema] | FieldSchemaObject;

/** A struct's known keys. */
export interface FieldSchemaObject {
  readonly [key: string]: FieldSchema;
}

/** A JSON type the Go decoder would refuse, as `[path, goType, struct, typeName]`. */
export interface TypeCheck {
  /** Dotted path; `*` stands for every list item or map value. */
  readonly path: string;
  readonly type: 'string' | 'int32' | 'int64' | 'bool' | 'object' | 'array';
  /** The Go struct that holds the field (`DeploymentSpec`). */
  readonly struct: string;
  /** The Go type named in the message, when it differs from `type` (`v1.ObjectMeta`). */
  readonly goType?: string;
}

function jsonTypeName(value: Json): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

function visit(
  value: Json | undefined,
  segments: readonly string[],
  onLeaf: (value: Json) => string | undefined,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  const [head, ...rest] = segments;
  if (head === undefined) return onLeaf(value);
  if (head === '*') {
    const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
    for (const child of children) {
      const error = visit(child, rest, onLeaf);
      if (error !== undefined) return error;
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  return visit(value[head], rest, onLeaf);
}

function typeError(check: TypeCheck, value: Json): string | undefined {
  const field = check.path
    .split('.')
    .filter((s) => s !== '*')
    .join('.');
  const goType = check.goType ?? check.type;
  const fail = (what: string): string =>
    `json: cannot unmarshal ${what} into Go struct field ${check.struct}.${field} of type ${goType}`;
  switch (check.type) {
    case 'string':
      return typeof value === 'string' ? undefined : fail(jsonTypeName(value));
    case 'bool':
      return typeof value === 'boolean' ? undefined : fail(jsonTypeName(value));
    case 'object':
      return isObject(value) ? undefined : fail(jsonTypeName(value));
    case 'array':
      return Array.isArray(value) ? undefined : fail(jsonTypeName(value));
    case 'int32':
    case 'int64': {
      if (typeof value !== 'number') return fail(jsonTypeName(value));
      const limit = check.type === 'int32' ? 2 ** 31 : 2 ** 63;
      if (!Number.isInteger(value) || value >= limit || value < -limit) {
        return fail(`number ${String(value)}`);
      }
      return undefined;
    }
  }
}

/** The first Go decoding error among `checks`, in the order given, or undefined. */
export function firstTypeError(obj: JsonObject, checks: readonly TypeCheck[]): string | undefined {
  for (const check of checks) {
    const error = visit(obj, check.path.split('.'), (value) => typeError(check, value));
    if (error !== undefined) return error;
  }
  return undefined;
}

/** The first MicroTime that Go would not parse (six fractional digits required), or undefined. */
export function firstMicroTimeError(obj: JsonObject, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const error = visit(obj, path.split('.'), (value) => {
      if (typeof value !== 'string') {
        return `json: cannot unmarshal ${jsonTypeName(value)} into Go value of type string`;
      }
      return microTimeError(value);
    });
    if (error !== undefined) return error;
  }
  return undefined;
}

/**
 * Removes the fields `schema` does not know from `obj` (in place) and returns their paths in the
 * server's warning format (`spec.template.spec.containers[0].envs`).
 */
export function pruneUnknownFields(obj: JsonObject, schema: FieldSchema): string[] {
  const found: string[] = [];
  const walk = (value: Json | undefined, node: FieldSchema, path: string): void => {
    if (node === true || value === undefined || value === null) return;
    if (Array.isArray(node)) {
      if (!Array.isArray(value)) return;
      const itemSchema = node[0];
      value.forEach((item, i) => {
        walk(item, itemSchema, `${path}[${i}]`);
      });
      return;
    }
    if (!isObject(value)) return;
    const known = node as FieldSchemaObject;
    for (const key of Object.keys(value)) {
      const child = known[key];
      const childPath = path === '' ? key : `${path}.${key}`;
      if (child === undefined) {
        found.push(childPath);
        // The decoder drops what it does not know.
        removeKey(value, key);
      } else {
        walk(value[key], child, childPath);
      }
    }
  };
  walk(obj, schema, '');
  return found;
}

/** ObjectMeta in Go field order, which is also the output key order. */
export const OBJECT_META_SCHEMA = {
  name: true,
  generateName: true,
  namespace: true,
  selfLink: true,
  uid: true,
  resourceVersion: true,
  generation: true,
  creationTimestamp: true,
  deletionTimestamp: true,
  deletionGracePeriodSeconds: true,
  labels: true,
  annotations: true,
  ownerReferences: true,
  finalizers: true,
  managedFields: true,
} as const;
