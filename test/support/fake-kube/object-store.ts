import { clone, getPath, scalarText, type JsonObject } from './json';

function keyOf(storage: string, namespace: string, name: string): string {
  return `${storage}\u0000${namespace}\u0000${name}`;
}

/**
 * The fake's etcd: objects in their stored form, keyed by storage/namespace/name, and one global
 * resourceVersion counter. Reads and writes copy, so callers never share state with the store.
 */
export class ObjectStore {
  private revision = 1000;
  private readonly objects = new Map<string, JsonObject>();

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
    const found = this.objects.get(keyOf(storage, namespace, name));
    return found === undefined ? undefined : clone(found);
  }

  /** Objects of a storage, in one namespace or all, sorted by namespace then name (etcd key order). */
  list(storage: string, namespace?: string): JsonObject[] {
    const prefix =
      namespace === undefined ? `${storage}\u0000` : `${storage}\u0000${namespace}\u0000`;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, value]) => clone(value));
  }

  /** Stores `obj` as is (the caller has set its resourceVersion). */
  put(storage: string, obj: JsonObject): void {
    const namespace = scalarText(getPath(obj, 'metadata', 'namespace'));
    const name = scalarText(getPath(obj, 'metadata', 'name'));
    this.objects.set(keyOf(storage, namespace, name), clone(obj));
  }

  delete(storage: string, namespace: string, name: string): boolean {
    return this.objects.delete(keyOf(storage, namespace, name));
  }

  /** Namespaces that hold at least one object. */
  namespaces(): string[] {
    const found = new Set<string>();
    for (const key of this.objects.keys()) {
      const namespace = key.split('\u0000')[1];
      if (namespace) found.add(namespace);
    }
    return [...found].sort();
  }
}
