import { clone, getPath, scalarText, type JsonObject } from './json';

function keyOf(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/**
 * The fake's etcd: objects in their stored form, by storage, then by namespace/name, and one
 * global resourceVersion counter. Reads and writes copy, so callers never share state with the
 * store. A list reads only its own storage and copies only what it returns, as the real API
 * server's watch cache does, so that a storm of Leases and Events does not slow every list.
 */
export class ObjectStore {
  private revision = 1000;
  private readonly storages = new Map<string, Map<string, JsonObject>>();

  /** The current global resourceVersion (what a list reports). */
  currentResourceVersion(): string {
    return String(this.revision);
  }

  /** Bumps the counter and returns the new resourceVersion. */
  nextResourceVersion(): string {
    this.revision += 1;
    return String(this.revision);
  }

  get(storage: string, namespace: string, name: string): JsonObject | undefined {
    const found = this.storages.get(storage)?.get(keyOf(namespace, name));
    return found === undefined ? undefined : clone(found);
  }

  /**
   * Objects of a storage, in one namespace or all, that `keep` (which must not change them)
   * accepts, sorted by namespace then name (etcd key order).
   */
  list(
    storage: string,
    namespace?: string,
    keep: (stored: JsonObject) => boolean = () => true,
  ): JsonObject[] {
    const prefix = namespace === undefined ? '' : `${namespace}\u0000`;
    return [...(this.storages.get(storage) ?? new Map<string, JsonObject>()).entries()]
      .filter(([key, value]) => key.startsWith(prefix) && keep(value))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, value]) => clone(value));
  }

  /** Stores `obj` as is (the caller has set its resourceVersion). */
  put(storage: string, obj: JsonObject): void {
    const namespace = scalarText(getPath(obj, 'metadata', 'namespace'));
    const name = scalarText(getPath(obj, 'metadata', 'name'));
    let objects = this.storages.get(storage);
    if (objects === undefined) {
      objects = new Map();
      this.storages.set(storage, objects);
    }
    objects.set(keyOf(namespace, name), clone(obj));
  }

  delete(storage: string, namespace: string, name: string): boolean {
    return this.storages.get(storage)?.delete(keyOf(namespace, name)) ?? false;
  }

  /** Namespaces that hold at least one object. */
  namespaces(): string[] {
    const found = new Set<string>();
    for (const objects of this.storages.values()) {
      for (const key of objects.keys()) {
        const namespace = key.split('\u0000')[0];
        if (namespace) found.add(namespace);
      }
    }
    return [...found].sort();
  }
}
