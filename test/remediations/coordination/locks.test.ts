import type { ClientNodeKube } from '../../../src/kube/adapter';
import type { RenderedTarget } from '../../../src/policies/planner';
import { targetKey, targetSubject } from '../../../src/remediations/coordination/leases';
import { lockName, TargetLocks } from '../../../src/remediations/coordination/locks';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import { NOW, startKube, WEB } from '../support';
import { at, LEASES, leaseWrites, NS, racing, storedLease, TTL } from './support';

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('TargetLocks', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;
  let a: TargetLocks;
  let b: TargetLocks;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
    a = new TargetLocks(kube, NS, 'remediator-a');
    b = new TargetLocks(kube, NS, 'remediator-b');
  });

  afterEach(async () => {
    await fake.close();
  });

  const lockNameOf = (target: RenderedTarget = WEB) => lockName(targetKey(target));
  const stored = (name: string): KubeObject => storedLease(fake, name);

  describe('lock', () => {
    it('creates a Lease in its own namespace naming the holder, with 6-digit MicroTimes and labels', async () => {
      const now = new Date('2024-05-01T10:00:00.123Z');
      const lock = await a.lock(targetSubject(WEB), TTL, now);
      expect(lock.ok).toBe(true);

      const lease = stored(lockNameOf());
      expect(lease.metadata.namespace).toBe(NS);
      expect(lease.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'remediator',
        'remediator.dev/lease': 'lock',
      });
      expect(lease.metadata.annotations).toEqual({ 'remediator.dev/target': 'Deployment/ns/web' });
      expect(lease.spec).toEqual({
        holderIdentity: 'remediator-a',
        leaseDurationSeconds: 300,
        acquireTime: '2024-05-01T10:00:00.123000Z',
        renewTime: '2024-05-01T10:00:00.123000Z',
        leaseTransitions: 0,
      });
      expect(leaseWrites(fake).map((w) => `${w.method} ${w.path} ${w.status}`)).toEqual([
        `POST ${LEASES} 201`,
      ]);
      const body = leaseWrites(fake)[0]?.body as KubeObject;
      expect(body.spec.acquireTime).toMatch(MICRO_TIME);
      expect(body.spec.renewTime).toMatch(MICRO_TIME);
    });

    it('rounds a TTL up to whole seconds, and to at least one', async () => {
      await a.lock(targetSubject(WEB), 1_500, NOW);
      await b.lock(targetSubject({ ...WEB, name: 'api' }), 0, NOW);
      expect(stored(lockNameOf()).spec.leaseDurationSeconds).toBe(2);
      expect(stored(lockNameOf({ ...WEB, name: 'api' })).spec.leaseDurationSeconds).toBe(1);
    });

    it('refuses a second holder while the first holder is within its TTL, changing nothing', async () => {
      expect((await a.lock(targetSubject(WEB), TTL, NOW)).ok).toBe(true);
      const before = stored(lockNameOf());
      fake.resetRequests();
      for (const now of [NOW, at(TTL - 1)]) {
        expect(await b.lock(targetSubject(WEB), TTL, now)).toEqual({
          ok: false,
          holder: 'remediator-a',
        });
      }
      // Its only writes are creates the server refused because the Lease exists.
      expect(leaseWrites(fake).map((w) => `${w.method} ${w.status}`)).toEqual([
        'POST 409',
        'POST 409',
      ]);
      expect(stored(lockNameOf())).toEqual(before);
    });

    it('takes a lock it released again in one write, without reading it', async () => {
      for (const now of [NOW, at(1_000), at(2_000)]) {
        const lock = await a.lock(targetSubject(WEB), TTL, now);
        if (!lock.ok) throw new Error('expected the lock');
        await lock.release();
      }
      expect(
        fake.requests
          .filter((r) => r.path.startsWith(LEASES))
          .map((r) => `${r.method} ${r.status}`),
      ).toEqual(['POST 201', 'PUT 200', 'PUT 200', 'PUT 200', 'PUT 200', 'PUT 200']);
      expect(stored(lockNameOf()).spec).toMatchObject({ holderIdentity: '', leaseTransitions: 2 });
    });

    it('reads the lock again when another replica took it since its release', async () => {
      const first = await a.lock(targetSubject(WEB), TTL, NOW);
      if (!first.ok) throw new Error('expected the lock');
      await first.release();
      expect((await b.lock(targetSubject(WEB), TTL, at(1_000))).ok).toBe(true);
      fake.resetRequests();
      expect(await a.lock(targetSubject(WEB), TTL, at(2_000))).toEqual({
        ok: false,
        holder: 'remediator-b',
      });
      expect(
        fake.requests
          .filter((r) => r.path.startsWith(LEASES))
          .map((r) => `${r.method} ${r.status}`),
      ).toEqual(['PUT 409', 'GET 200']);
      expect(stored(lockNameOf()).spec.holderIdentity).toBe('remediator-b');
    });

    it('keeps locks on different targets apart', async () => {
      expect((await a.lock(targetSubject(WEB), TTL, NOW)).ok).toBe(true);
      expect((await b.lock(targetSubject({ ...WEB, name: 'api' }), TTL, NOW)).ok).toBe(true);
      expect((await b.lock(targetSubject({ ...WEB, namespace: 'other' }), TTL, NOW)).ok).toBe(true);
      expect(
        (await b.lock(targetSubject({ kind: 'Pod', namespace: 'ns', name: 'web' }), TTL, NOW)).ok,
      ).toBe(true);
    });

    it('lets another holder take over an expired lock, counting the transition', async () => {
      expect((await a.lock(targetSubject(WEB), TTL, NOW)).ok).toBe(true);
      const before = stored(lockNameOf());
      const takeover = await b.lock(targetSubject(WEB), TTL, at(TTL));
      expect(takeover.ok).toBe(true);
      const after = stored(lockNameOf());
      expect(after.spec).toMatchObject({
        holderIdentity: 'remediator-b',
        acquireTime: '2024-05-01T10:05:00.000000Z',
        renewTime: '2024-05-01T10:05:00.000000Z',
        leaseTransitions: 1,
      });
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
    });

    it('leaves the new holder in place when a holder that lost its lock releases it', async () => {
      const first = await a.lock(targetSubject(WEB), TTL, NOW);
      expect((await b.lock(targetSubject(WEB), TTL, at(TTL + 1))).ok).toBe(true);
      if (!first.ok) throw new Error('expected the first lock');
      await first.release();
      expect(stored(lockNameOf()).spec.holderIdentity).toBe('remediator-b');
      expect(await a.lock(targetSubject(WEB), TTL, at(TTL + 2))).toEqual({
        ok: false,
        holder: 'remediator-b',
      });
    });

    it('is free for another holder at once after a release', async () => {
      const lock = await a.lock(targetSubject(WEB), TTL, NOW);
      if (!lock.ok) throw new Error('expected the lock');
      await lock.release();
      expect(stored(lockNameOf()).spec).toMatchObject({
        holderIdentity: '',
        leaseDurationSeconds: 1,
      });
      const next = await b.lock(targetSubject(WEB), TTL, NOW);
      expect(next.ok).toBe(true);
      expect(stored(lockNameOf()).spec).toMatchObject({
        holderIdentity: 'remediator-b',
        leaseDurationSeconds: 300,
        leaseTransitions: 1,
      });
    });

    it('gives the lock to exactly one of two replicas asking at once for a new target', async () => {
      const results = await Promise.all([
        a.lock(targetSubject(WEB), TTL, NOW),
        b.lock(targetSubject(WEB), TTL, NOW),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const winner = results[0].ok ? 'remediator-a' : 'remediator-b';
      expect(results.find((r) => !r.ok)).toEqual({ ok: false, holder: winner });
      expect(stored(lockNameOf()).spec.holderIdentity).toBe(winner);
      expect(
        leaseWrites(fake)
          .map((w) => w.status)
          .sort(),
      ).toEqual([201, 409]);
    });

    it('gives the lock to exactly one of two replicas asking at once for a released target', async () => {
      const lock = await a.lock(targetSubject(WEB), TTL, NOW);
      if (!lock.ok) throw new Error('expected the lock');
      await lock.release();
      fake.resetRequests();
      const shared = racing(kube, 2);
      const results = await Promise.all([
        new TargetLocks(shared, NS, 'remediator-a').lock(targetSubject(WEB), TTL, at(1_000)),
        new TargetLocks(shared, NS, 'remediator-b').lock(targetSubject(WEB), TTL, at(1_000)),
      ]);
      expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
      expect(
        leaseWrites(fake)
          .map((w) => `${w.method} ${w.status}`)
          .sort(),
      ).toEqual(['POST 409', 'POST 409', 'PUT 200', 'PUT 409']);
    });

    it('gives the lock to exactly one of two plans in the same replica asking at once', async () => {
      const shared = new TargetLocks(kube, NS, 'remediator-a');
      const results = await Promise.all([
        shared.lock(targetSubject(WEB), TTL, NOW),
        shared.lock(targetSubject(WEB), TTL, NOW),
      ]);
      expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
    });

    // TargetLocks' contract: "a lock per target, so that two replicas (or two policies) never
    // act on one object at once". A holder that finds its own identity on a valid lock renews it.
    // The executor runs up to 4 steps at once, so two plans of one replica can reach one target.
    it('refuses a second lock on a target this same replica already holds', async () => {
      const first = await a.lock(targetSubject(WEB), TTL, NOW);
      expect(first.ok).toBe(true);
      const second = await a.lock(targetSubject(WEB), TTL, at(1_000));
      expect(second.ok).toBe(false);
    });

    it('holds a lock whose create was committed though its answer was lost, without writing again', async () => {
      fake.fault({ method: 'POST', pathPrefix: LEASES, dropAfterCommit: true, times: 1 });
      const lock = await a.lock(targetSubject(WEB), TTL, NOW);
      expect(lock.ok).toBe(true);
      expect(leaseWrites(fake).map((w) => `${w.method} ${w.status}`)).toEqual([
        `POST 201`,
        `POST 409`,
      ]);
      expect(await b.lock(targetSubject(WEB), TTL, at(1))).toEqual({
        ok: false,
        holder: 'remediator-a',
      });
      if (lock.ok) await lock.release();
      expect(stored(lockNameOf()).spec.holderIdentity).toBe('');
    });

    it('rethrows a failure other than a lost race', async () => {
      fake.fault({ method: 'POST', pathPrefix: LEASES, status: 403, times: 1 });
      await expect(a.lock(targetSubject(WEB), TTL, NOW)).rejects.toMatchObject({
        reason: 'forbidden',
      });
    });
  });
});
