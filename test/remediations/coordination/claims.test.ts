import type { ClientNodeKube } from '../../../src/kube/adapter';
import { AttemptRecords } from '../../../src/remediations/coordination/attempts';
import { Claims } from '../../../src/remediations/coordination/claims';
import { targetSubject } from '../../../src/remediations/coordination/leases';
import { TargetLocks } from '../../../src/remediations/coordination/locks';
import type { FakeKube } from '../../support/fake-kube';
import { NOW, startKube, WEB } from '../support';
import { at, COOLDOWN, LEASES, leaseWrites, MINUTE, NS, TTL } from './support';

describe('Claims', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;
  let a: Claims;
  let b: Claims;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
    a = new Claims(kube, NS, 'remediator-a');
    b = new Claims(kube, NS, 'remediator-b');
  });

  afterEach(async () => {
    await fake.close();
  });

  const leases = () => fake.list('coordination.k8s.io/v1', 'Lease', NS);

  describe('claimOnce', () => {
    it('gives a key to the first replica to claim it, once and for all', async () => {
      const key = 'escalation|{}:{alertname="HighErrorRate"}|2024-05-01T09:55:00Z|default|0';
      expect(await a.claimOnce(key, NOW)).toBe(true);
      expect(await b.claimOnce(key, at(MINUTE))).toBe(false);
      expect(await a.claimOnce(key, at(2 * MINUTE))).toBe(false);
      expect(await b.claimOnce(`${key}|other`, at(MINUTE))).toBe(true);

      const claim = leases().find((l) => l.spec.holderIdentity === 'remediator-a');
      expect(claim?.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'remediator',
        'remediator.dev/lease': 'claim',
      });
      expect(claim?.metadata.annotations).toEqual({ 'remediator.dev/target': key });
      // No duration: a claim is never taken over, however old.
      expect(claim?.spec).toEqual({
        holderIdentity: 'remediator-a',
        acquireTime: '2024-05-01T10:00:00.000000Z',
        renewTime: '2024-05-01T10:00:00.000000Z',
      });
      expect(leaseWrites(fake).map((w) => `${w.method} ${w.status}`)).toEqual([
        'POST 201',
        'POST 409',
        'POST 409',
        'POST 201',
      ]);
    });

    it('names a claim by the whole key, and shortens only the annotation', async () => {
      const long = 'k'.repeat(2_000);
      expect(await a.claimOnce(`${long}1`, NOW)).toBe(true);
      expect(await a.claimOnce(`${long}2`, NOW)).toBe(true);
      for (const claim of leases())
        expect(claim.metadata.annotations['remediator.dev/target']).toBe(long.slice(0, 1024));
    });

    it('keeps a claim whose create was committed though its answer was lost', async () => {
      // The retry of the create meets the first try: 409 AlreadyExists, yet the claim is ours.
      fake.fault({ method: 'POST', pathPrefix: LEASES, dropAfterCommit: true, times: 1 });
      expect(await a.claimOnce('key', NOW)).toBe(true);
      expect(await b.claimOnce('key', NOW)).toBe(false);
      expect(await a.claimOnce('key', at(MINUTE))).toBe(false);
      expect(leaseWrites(fake).map((w) => `${w.method} ${w.status}`)).toEqual([
        'POST 201',
        'POST 409',
        'POST 409',
        'POST 409',
      ]);
    });

    it('rethrows a failure other than a claim already made', async () => {
      fake.fault({ method: 'POST', pathPrefix: LEASES, status: 403, times: 1 });
      await expect(a.claimOnce('key', NOW)).rejects.toMatchObject({ reason: 'forbidden' });
    });
  });

  describe('prune', () => {
    it('deletes the claims made before the cutoff, and nothing else', async () => {
      await a.claimOnce('old', NOW);
      await b.claimOnce('older', at(-MINUTE));
      await a.claimOnce('new', at(MINUTE));
      await new TargetLocks(kube, NS, 'remediator-a').lock(targetSubject(WEB), TTL, at(-MINUTE));
      await new AttemptRecords(kube, NS, 'remediator-a').record(
        'web-errors',
        targetSubject(WEB),
        at(-MINUTE),
        COOLDOWN,
        { changes: true },
      );

      expect(await a.prune(at(1))).toBe(2);
      expect(leases().map((l) => l.metadata.labels['remediator.dev/lease'])).toEqual(
        expect.arrayContaining(['claim', 'lock', 'record']),
      );
      expect(leases()).toHaveLength(3);
      // The claim left is the new one: claiming it again still loses, an old one wins anew.
      expect(await b.claimOnce('new', at(2 * MINUTE))).toBe(false);
      expect(await b.claimOnce('old', at(2 * MINUTE))).toBe(true);
    });

    it('counts a claim another replica deleted first as not deleted, without failing', async () => {
      await a.claimOnce('old', NOW);
      await a.claimOnce('older', at(-1));
      // Each delete finds its claim already gone, as when two replicas prune at once.
      const deletedFirst = new Proxy(kube, {
        get(target, property, receiver) {
          if (property === 'deleteLease')
            return async (namespace: string, name: string) => {
              await target.deleteLease(namespace, name);
              await target.deleteLease(namespace, name);
            };
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      expect(await new Claims(deletedFirst, NS, 'remediator-b').prune(at(1))).toBe(0);
      expect(leases()).toEqual([]);
    });
  });
});
