/** JSON values as the fake stores them: plain data, no classes, no `undefined` inside arrays. */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object; a missing key reads as `undefined`. */
export interface JsonObject {
  [key: string]: Json | undefined;
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is an object, else undefined. */
export function asObject(value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

/** The value when it is an array, else undefined. */
export function asArray(value: unknown): Json[] | undefined {
  return Array.isArray(value) ? (value as Json[]) : undefined;
}

/** The value when it is a string, else undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value when it is a number, else undefined. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** Reads a nested value; any non-object on the way gives undefined. */
export function getPath(value: unknown, ...keys: string[]): Json | undefined {
  let current: unknown = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current as Json | undefined;
}

/** Returns the object at `keys`, creating empty objects on the way (replacing non-objects). */
export function ensureObject(root: JsonObject, ...keys: string[]): JsonObject {
  let current = root;
  for (const key of keys) {
    const next = current[key];
    if (isObject(next)) {
      current = next;
    } else {
      const created: JsonObject = {};
      current[key] = created;
      current = created;
    }
  }
  return current;
}

/** A deep copy through JSON, which also drops `undefined` members. */
export function clone<T>(value: T): T {
  if (value === undefined) return value;
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Structural equality: object key order is ignored, array order is not, `undefined` members are absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    if (keysA.length !== keysB.length) return false;
    return keysA.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Removes `null` members from objects, recursively. A Go struct decoded from JSON has no way to
 * hold an explicit null for an omitempty field, so what the real server stores never has them.
 */
export function stripNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map((item) => stripNulls(item));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === null || member === undefined) continue;
      out[key] = stripNulls(member);
    }
    return out;
  }
  return value;
}

/** Returns a copy of `value` whose keys follow `order` first, then the remaining keys as they were. */
export function orderKeys(value: JsonObject, order: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of order) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  for (const [key, member] of Object.entries(value)) {
    if (!(key in out) && member !== undefined) out[key] = member;
  }
  return out;
}

/** A scalar as text (`3`, `true`, `x`); objects, arrays and null give the empty string. */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** Deletes a member named at run time. */
export function removeKey(obj: JsonObject, key: string): void {
  Reflect.deleteProperty(obj, key);
}
