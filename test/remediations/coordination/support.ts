import type { V1Lease } from '@kubernetes/client-node';

import type { KubePort } from '../../../src/kube/port';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import { NOW } from '../support';

/** What the coordination tests share: remediator's own namespace and its Lease collection. */
export const NS = 'remediator';
export const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;
export const MINUTE = 60_000;
export const TTL = 5 * MINUTE;
export const COOLDOWN = 10 * MINUTE;

export const at = (ms: number) => new Date(NOW.getTime() + ms);

export const storedLease = (fake: FakeKube, name: string): KubeObject =>
  fake.get('coordination.k8s.io/v1', 'Lease', NS, name);

export const leaseWrites = (fake: FakeKube) =>
  fake.writes().filter((r) => r.path.startsWith(LEASES));

/**
 * The adapter, with the first `readers` calls of `readLease` held back until all of them are in:
 * the stores that share it all read the same state before any of them writes, so the race is
 * certain. Later reads (the loser reading the winner's Lease back) go through at once.
 */
export function racing(kube: KubePort, readers: number): KubePort {
  let waiting: (() => void)[] = [];
  let raced = false;
  const readLease = async (namespace: string, name: string): Promise<V1Lease> => {
    try {
      return await kube.readLease(namespace, name);
    } finally {
      if (!raced) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === readers) {
            raced = true;
            for (const release of waiting) release();
            waiting = [];
          }
        });
      }
    }
  };
  return new Proxy(kube, {
    get(target, property, receiver) {
      if (property === 'readLease') return readLease;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
