import {
  asArray,
  clone,
  deepEqual,
  isObject,
  removeKey,
  scalarText,
  type Json,
  type JsonObject,
} from './json';

/**
 * A strategic merge patch the server would refuse. `code` 400 is a BadRequest; 500 is what the
 * server answers for errors it does not turn into a Status (a missing merge key, for example).
 */
export class StrategicMergePatchError extends Error {
  constructor(
    readonly code: 400 | 500,
    message: string,
  ) {
    super(message);
    this.name = 'StrategicMergePatchError';
  }
}

/** What {@link listMergeKey} returns for a list of scalars merged as a set (`finalizers`). */
export const PRIMITIVE_LIST = '<primitive>';

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/**
 * The merge key of the list at `path` (field names, `*` for a list item), or {@link PRIMITIVE_LIST} for a
 * list of scalars merged as a set, or undefined for a list that a patch replaces whole. This is
 * the part of the Kubernetes OpenAPI `x-kubernetes-patch-merge-key` metadata remediator meets.
 */
export function listMergeKey(path: readonly string[]): string | undefined {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  const grandParent = path[path.length - 3];
  if (last === undefined) return undefined;
  if (CONTAINER_LISTS.has(last) && parent === 'spec') return 'name';
  if (parent === '*' && grandParent !== undefined && CONTAINER_LISTS.has(grandParent)) {
    switch (last) {
      case 'env':
        return 'name';
      case 'ports':
        return 'containerPort';
      case 'volumeMounts':
        return 'mountPath';
      case 'volumeDevices':
        return 'devicePath';
      case 'resizePolicy':
        return 'resourceName';
      default:
        return undefined;
    }
  }
  if (parent === 'spec') {
    switch (last) {
      case 'volumes':
      case 'imagePullSecrets':
      case 'resourceClaims':
        return 'name';
      case 'hostAliases':
        return 'ip';
      case 'topologySpreadConstraints':
        return 'topologyKey';
      default:
        break;
    }
  }
  if (parent === 'metadata') {
    if (last === 'ownerReferences') return 'uid';
    if (last === 'finalizers') return PRIMITIVE_LIST;
  }
  if (parent === 'status' && last === 'conditions') return 'type';
  return undefined;
}

const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const RETAIN_KEYS = '$retainKeys';
const PATCH = '$patch';

function goMap(value: Json | undefined): string {
  if (isObject(value)) {
    const parts = Object.keys(value)
      .sort()
      .map((k) => `${k}:${goMap(value[k])}`);
    return `map[${parts.join(' ')}]`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => goMap(v)).join(' ')}]`;
  if (value === null || value === undefined) return '<nil>';
  return String(value);
}

function keyOf(item: Json, mergeKey: string): Json | undefined {
  return isObject(item) ? item[mergeKey] : undefined;
}

function indexByKey(list: readonly Json[], mergeKey: string, value: Json | undefined): number {
  return list.findIndex((item) => deepEqual(keyOf(item, mergeKey), value));
}

/**
 * Go's mergeSortedSlice: inserts the server-only items among the patch items, keeping each
 * group's order; a patch item the live list does not have goes before the server items.
 */
function mergeSorted(
  serverOnly: readonly Json[],
  patchItems: readonly Json[],
  serverOrder: readonly Json[],
  mergeKey: string,
): Json[] {
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    const left = serverOnly[i];
    const right = patchItems[j];
    if (left === undefined) {
      if (right !== undefined) out.push(right);
      j++;
    } else if (right === undefined) {
      out.push(left);
      i++;
    } else {
      const li = indexByKey(serverOrder, mergeKey, keyOf(left, mergeKey));
      const ri = indexByKey(serverOrder, mergeKey, keyOf(right, mergeKey));
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push(left);
        i++;
      } else {
        out.push(right);
        j++;
      }
    }
  }
  return out;
}

function orderBy(
  merged: readonly Json[],
  order: readonly Json[],
  serverOrder: readonly Json[],
  mergeKey: string,
): Json[] {
  const inOrder: Json[] = [];
  const serverOnly: Json[] = [];
  for (const item of merged) {
    if (indexByKey(order, mergeKey, keyOf(item, mergeKey)) >= 0) inOrder.push(item);
    else serverOnly.push(item);
  }
  inOrder.sort(
    (a, b) =>
      indexByKey(order, mergeKey, keyOf(a, mergeKey)) -
      indexByKey(order, mergeKey, keyOf(b, mergeKey)),
  );
  return mergeSorted(serverOnly, inOrder, serverOrder, mergeKey);
}

interface ListMerge {
  merged: Json[];
  /** The live list once `$patch: delete` items are applied: the order reference. */
  serverOrder: Json[];
  /** The patch items that were merged (directives removed). */
  patchItems: Json[];
}

function mergeKeyedList(
  original: readonly Json[],
  patch: readonly Json[],
  mergeKey: string,
  path: readonly string[],
): ListMerge {
  let serverOrder = clone([...original]);
  const patchItems: Json[] = [];
  let replace = false;
  for (const item of patch) {
    if (!isObject(item)) {
      throw new StrategicMergePatchError(
        500,
        `unable to find api field in struct for the list ${path.join('.')}`,
      );
    }
    const directive = item[PATCH];
    if (directive === undefined) {
      patchItems.push(item);
      continue;
    }
    if (directive === 'delete') {
      const value = item[mergeKey];
      if (value === undefined) {
        throw new StrategicMergePatchError(
          500,
          `map: ${goMap(item)} does not contain declared merge key: ${mergeKey}`,
        );
      }
      serverOrder = serverOrder.filter((live) => !deepEqual(keyOf(live, mergeKey), value));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new StrategicMergePatchError(500, 'merging lists cannot yet be specified in the patch');
    } else {
      throw new StrategicMergePatchError(
        400,
        `unknown patch type: ${goMap(directive)} in map: ${goMap(item)}`,
      );
    }
  }
  if (replace) {
    const replaced = patchItems.map((item) => mergeMap({}, item as JsonObject, [...path, '*']));
    return { merged: replaced, serverOrder: replaced, patchItems: replaced };
  }
  const merged = clone(serverOrder);
  for (const item of patchItems) {
    const value = keyOf(item, mergeKey);
    if (value === undefined) {
      throw new StrategicMergePatchError(
        500,
        `map: ${goMap(item)} does not contain declared merge key: ${mergeKey}`,
      );
    }
    const at = indexByKey(merged, mergeKey, value);
    const live = merged[at];
    if (at >= 0 && isObject(live)) {
      merged[at] = mergeMap(live, item as JsonObject, [...path, '*']);
    } else {
      merged.push(mergeMap({}, item as JsonObject, [...path, '*']));
    }
  }
  return { merged, serverOrder, patchItems };
}

function mergeList(original: Json | undefined, patch: Json[], path: readonly string[]): Json {
  const mergeKey = listMergeKey(path);
  if (mergeKey === undefined) {
    // Atomic list: the patch value replaces it (nested directives in it are not interpreted).
    return patch.map((item) => (isObject(item) ? mergeMap({}, item, [...path, '*']) : item));
  }
  const live = Array.isArray(original) ? original : [];
  if (mergeKey === PRIMITIVE_LIST) {
    const out = [...live];
    for (const item of patch) if (!out.some((v) => deepEqual(v, item))) out.push(item);
    return out;
  }
  const { merged, serverOrder, patchItems } = mergeKeyedList(live, patch, mergeKey, path);
  return orderBy(merged, patchItems, serverOrder, mergeKey);
}

function mergeMap(original: JsonObject, patch: JsonObject, path: readonly string[]): JsonObject {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    if (directive === 'replace') {
      const rest: JsonObject = { ...patch };
      removeKey(rest, PATCH);
      return clone(rest);
    }
    if (directive === 'delete') return {};
    throw new StrategicMergePatchError(
      400,
      `unknown patch type: ${goMap(directive)} in map: ${goMap(patch)}`,
    );
  }

  let result: JsonObject = clone(original);
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) {
      throw new StrategicMergePatchError(400, 'invalid patch format of retainKeys list');
    }
    const keep = new Set(retain.map((k) => scalarText(k)));
    const kept: JsonObject = {};
    for (const [key, value] of Object.entries(result)) if (keep.has(key)) kept[key] = value;
    result = kept;
  }

  const handled = new Set<string>([RETAIN_KEYS]);
  // $setElementOrder/<list> is processed with its list so the order can be applied.
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const listName = key.slice(SET_ELEMENT_ORDER.length);
    handled.add(key);
    handled.add(listName);
    if (!Array.isArray(order)) {
      throw new StrategicMergePatchError(400, 'invalid patch format of setElementOrder list');
    }
    const listPath = [...path, listName];
    const mergeKey = listMergeKey(listPath);
    const patchList = patch[listName];
    if (patchList === null) {
      removeKey(result, listName);
      continue;
    }
    const live = asArray(result[listName]) ?? [];
    if (mergeKey === undefined || mergeKey === PRIMITIVE_LIST) {
      if (Array.isArray(patchList)) result[listName] = mergeList(live, patchList, listPath);
      continue;
    }
    const { merged, serverOrder } = mergeKeyedList(
      live,
      Array.isArray(patchList) ? patchList : [],
      mergeKey,
      listPath,
    );
    const orderKeys = order.map((item) =>
      isObject(item) ? { [mergeKey]: item[mergeKey] ?? null } : item,
    );
    result[listName] = orderBy(merged, orderKeys, serverOrder, mergeKey);
  }

  for (const [key, value] of Object.entries(patch)) {
    if (handled.has(key) || value === undefined) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const listName = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const live = result[listName];
      if (Array.isArray(live) && Array.isArray(value)) {
        result[listName] = live.filter((item) => !value.some((v) => deepEqual(v, item)));
      }
      continue;
    }
    if (value === null) {
      removeKey(result, key);
      continue;
    }
    const live = result[key];
    if (Array.isArray(value)) {
      result[key] = mergeList(live, value, [...path, key]);
    } else if (isObject(value)) {
      result[key] = mergeMap(isObject(live) ? live : {}, value, [...path, key]);
    } else {
      result[key] = value;
    }
  }
  return result;
}

/**
 * Applies a strategic merge patch the way kube-apiserver does for the fields remediator touches:
 * maps merge recursively and `null` deletes; `containers`, `initContainers`, `env`, `volumes`,
 * `volumeMounts` (by `mountPath`), `ports` (by `containerPort`) and a few more merge by key, with
 * items the live list lacks placed first; `$patch: delete|replace`, `$setElementOrder/<list>`,
 * `$retainKeys` and `$deleteFromPrimitiveList/<list>` are honoured; other lists are replaced.
 * Does not modify its arguments.
 */
export function strategicMergePatch(original: JsonObject, patch: JsonObject): JsonObject {
  return mergeMap(original, patch, []);
}
