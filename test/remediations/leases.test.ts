import type { V1Lease } from '@kubernetes/client-node';

import type { ClientNodeKube } from '../../src/kube/adapter';
import type { KubePort } from '../../src/kube/port';
import type { RenderedTarget } from '../../src/policies/planner';
import {
  leaseName,
  LeaseStore,
  lockName,
  recentRecordSelector,
  targetKey,
  targetSubject,
} from '../../src/remediations/leases';
import type { FakeKube, KubeObject } from '../support/fake-kube';
import { HOUR, NOW, startKube, WEB } from './support';

const NS = 'remediator';
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;
const MINUTE = 60_000;
const TTL = 5 * MINUTE;
const COOLDOWN = 10 * MINUTE;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const at = (ms: number) => new Date(NOW.getTime() + ms);

/**
 * The adapter, with every `readLease` held back until `readers` reads are in: the stores that
 * share it all read the same state before any of them writes, so the race is certain.
 */
function racing(kube: KubePort, readers: number): KubePort {
  let waiting: (() => void)[] = [];
  const readLease = async (namespace: string, name: string): Promise<V1Lease> => {
    try {
      return await kube.readLease(namespace, name);
    } finally {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === readers) {
          for (const release of waiting) release();
          waiting = [];
        }
      });
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

describe('LeaseStore', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;
  let a: LeaseStore;
  let b: LeaseStore;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
    a = new LeaseStore(kube, NS, 'remediator-a');
    b = new LeaseStore(kube, NS, 'remediator-b');
  });

  afterEach(async () => {
    await fake.close();
  });

  const lockNameOf = (target: RenderedTarget = WEB) => lockName(targetKey(target));
  const recordName = (policy: string, target: RenderedTarget = WEB) =>
    leaseName(policy, targetKey(target));
  const stored = (name: string): KubeObject =>
    fake.get('coordination.k8s.io/v1', 'Lease', NS, name);
  const leaseWrites = () => fake.writes().filter((r) => r.path.startsWith(LEASES));

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
      expect(leaseWrites().map((w) => `${w.method} ${w.path} ${w.status}`)).toEqual([
        `POST ${LEASES} 201`,
      ]);
      const body = leaseWrites()[0]?.body as KubeObject;
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
      expect(leaseWrites().map((w) => `${w.method} ${w.status}`)).toEqual(['POST 409', 'POST 409']);
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
        leaseWrites()
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
        new LeaseStore(shared, NS, 'remediator-a').lock(targetSubject(WEB), TTL, at(1_000)),
        new LeaseStore(shared, NS, 'remediator-b').lock(targetSubject(WEB), TTL, at(1_000)),
      ]);
      expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
      expect(
        leaseWrites()
          .map((w) => `${w.method} ${w.status}`)
          .sort(),
      ).toEqual(['POST 409', 'POST 409', 'PUT 200', 'PUT 409']);
    });

    it('gives the lock to exactly one of two plans in the same replica asking at once', async () => {
      const shared = new LeaseStore(kube, NS, 'remediator-a');
      const results = await Promise.all([
        shared.lock(targetSubject(WEB), TTL, NOW),
        shared.lock(targetSubject(WEB), TTL, NOW),
      ]);
      expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
    });

    // LeaseStore's contract: "a lock per target, so that two replicas (or two policies) never
    // act on one object at once". A holder that finds its own identity on a valid lock renews it.
    // The executor runs up to 4 steps at once, so two plans of one replica can reach one target.
    it('refuses a second lock on a target this same replica already holds', async () => {
      const first = await a.lock(targetSubject(WEB), TTL, NOW);
      expect(first.ok).toBe(true);
      const second = await a.lock(targetSubject(WEB), TTL, at(1_000));
      expect(second.ok).toBe(false);
    });

    it('rethrows a failure other than a lost race', async () => {
      fake.fault({ method: 'POST', pathPrefix: LEASES, status: 403, times: 1 });
      await expect(a.lock(targetSubject(WEB), TTL, NOW)).rejects.toMatchObject({
        reason: 'forbidden',
      });
    });
  });

  describe('recordAttempt', () => {
    it('creates the record on the first attempt, with the cooldown as its duration', async () => {
      expect(
        await a.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true }),
      ).toBe(true);
      const lease = stored(recordName('web-errors'));
      expect(lease.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'remediator',
        // 2024-05-01T10:00:00Z, in seconds and in minutes since the epoch.
        'remediator.dev/attempt-minute': '28575960',
        'remediator.dev/attempt-second': '1714557600',
        'remediator.dev/changes': 'true',
        'remediator.dev/lease': 'record',
        'remediator.dev/policy': 'web-errors',
        'remediator.dev/target-namespace': 'ns',
      });
      expect(lease.metadata.annotations).toEqual({
        'remediator.dev/target': 'Deployment/ns/web',
        'remediator.dev/attempts': JSON.stringify([NOW.getTime()]),
      });
      expect(lease.spec).toEqual({
        holderIdentity: 'remediator-a',
        leaseDurationSeconds: 600,
        acquireTime: '2024-05-01T10:00:00.000000Z',
        renewTime: '2024-05-01T10:00:00.000000Z',
        leaseTransitions: 0,
      });
      expect(leaseWrites().map((w) => `${w.method} ${w.status}`)).toEqual(['POST 201']);
    });

    it('updates the same record on later attempts, keeping when it was first acquired', async () => {
      await a.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      const before = stored(recordName('web-errors'));
      expect(
        await b.recordAttempt('web-errors', targetSubject(WEB), at(15 * MINUTE), 20 * MINUTE, {
          changes: true,
        }),
      ).toBe(true);
      const after = stored(recordName('web-errors'));
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(JSON.parse(after.metadata.annotations['remediator.dev/attempts'])).toEqual([
        NOW.getTime(),
        NOW.getTime() + 15 * MINUTE,
      ]);
      expect(after.spec).toMatchObject({
        holderIdentity: 'remediator-b',
        leaseDurationSeconds: 1200,
        acquireTime: '2024-05-01T10:00:00.000000Z',
        renewTime: '2024-05-01T10:15:00.000000Z',
      });
      expect(leaseWrites().map((w) => `${w.method} ${w.status}`)).toEqual(['POST 201', 'PUT 200']);
    });

    it('drops attempts older than a week from the record', async () => {
      await a.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      await a.recordAttempt('web-errors', targetSubject(WEB), at(6 * 24 * HOUR), COOLDOWN, {
        changes: true,
      });
      await a.recordAttempt('web-errors', targetSubject(WEB), at(8 * 24 * HOUR), COOLDOWN, {
        changes: true,
      });
      expect((await a.attempts('web-errors', targetSubject(WEB))).attempts).toEqual([
        NOW.getTime() + 6 * 24 * HOUR,
        NOW.getTime() + 8 * 24 * HOUR,
      ]);
    });

    it('answers false to the replica that loses a race to create the record', async () => {
      const shared = racing(kube, 2);
      const results = await Promise.all([
        new LeaseStore(shared, NS, 'remediator-a').recordAttempt(
          'web-errors',
          targetSubject(WEB),
          NOW,
          COOLDOWN,
          { changes: true },
        ),
        new LeaseStore(shared, NS, 'remediator-b').recordAttempt(
          'web-errors',
          targetSubject(WEB),
          at(1),
          COOLDOWN,
          { changes: true },
        ),
      ]);
      expect(results.sort()).toEqual([false, true]);
      expect((await a.attempts('web-errors', targetSubject(WEB))).attempts).toHaveLength(1);
    });

    it('answers false to the replica that loses a race to update the record', async () => {
      await a.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      const shared = racing(kube, 2);
      const later = at(HOUR);
      const results = await Promise.all([
        new LeaseStore(shared, NS, 'remediator-a').recordAttempt(
          'web-errors',
          targetSubject(WEB),
          later,
          COOLDOWN,
          { changes: true },
        ),
        new LeaseStore(shared, NS, 'remediator-b').recordAttempt(
          'web-errors',
          targetSubject(WEB),
          later,
          COOLDOWN,
          { changes: true },
        ),
      ]);
      expect(results.sort()).toEqual([false, true]);
      expect((await a.attempts('web-errors', targetSubject(WEB))).attempts).toEqual([
        NOW.getTime(),
        later.getTime(),
      ]);
    });

    it('rethrows a failure other than a lost race', async () => {
      await a.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      fake.fault({ method: 'PUT', pathPrefix: LEASES, status: 403, times: 1 });
      await expect(
        a.recordAttempt('web-errors', targetSubject(WEB), at(HOUR), COOLDOWN, { changes: true }),
      ).rejects.toMatchObject({
        reason: 'forbidden',
      });
    });

    // leaseName('lock', …) is both the lock and the record of a policy named `lock` (a valid
    // policy name): the record overwrites the lock and its release then fails with a 409.
    it('keeps the record of a policy named "lock" apart from the target lock', async () => {
      const lock = await a.lock(targetSubject(WEB), TTL, NOW);
      if (!lock.ok) throw new Error('expected the lock');
      expect(await a.recordAttempt('lock', targetSubject(WEB), NOW, HOUR, { changes: true })).toBe(
        true,
      );
      await lock.release();
      expect((await b.lock(targetSubject(WEB), TTL, at(1_000))).ok).toBe(true);
    });
  });

  describe('attempts', () => {
    it('reads no attempts for a target never acted on', async () => {
      expect((await a.attempts('web-errors', targetSubject(WEB))).attempts).toEqual([]);
    });

    it('reads the attempts of one policy on one target, oldest first', async () => {
      await a.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      await b.recordAttempt('web-errors', targetSubject(WEB), at(20 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await a.recordAttempt('other-policy', targetSubject(WEB), at(30 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await a.recordAttempt(
        'web-errors',
        targetSubject({ ...WEB, name: 'api' }),
        at(40 * MINUTE),
        COOLDOWN,
        { changes: true },
      );
      expect((await b.attempts('web-errors', targetSubject(WEB))).attempts).toEqual([
        NOW.getTime(),
        NOW.getTime() + 20 * MINUTE,
      ]);
    });

    it.each([
      ['not JSON', 'yesterday'],
      ['not a list', '{"at":1}'],
    ])('reads an attempts annotation that is %s as no attempts', async (_name, value) => {
      fake.seed({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: recordName('web-errors'),
          namespace: NS,
          annotations: { 'remediator.dev/attempts': value },
        },
        spec: {},
      });
      expect((await a.attempts('web-errors', targetSubject(WEB))).attempts).toEqual([]);
    });

    it('keeps only numbers from the annotation, sorted', async () => {
      fake.seed({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: recordName('web-errors'),
          namespace: NS,
          annotations: { 'remediator.dev/attempts': '[30, "20", 10, null]' },
        },
        spec: {},
      });
      expect((await a.attempts('web-errors', targetSubject(WEB))).attempts).toEqual([10, 30]);
    });
  });

  describe('recentAttempts', () => {
    const API: RenderedTarget = { kind: 'Deployment', namespace: 'other', name: 'api' };

    beforeEach(async () => {
      await a.recordAttempt('web-errors', targetSubject(WEB), at(-50 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await b.recordAttempt('web-errors', targetSubject(WEB), at(-10 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await a.recordAttempt('web-latency', targetSubject(WEB), at(-5 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await b.recordAttempt('web-errors', targetSubject(API), at(-20 * MINUTE), COOLDOWN, {
        changes: true,
      });
      // Neither a lock nor another remediator's records count.
      await a.lock(targetSubject(WEB), TTL, NOW);
      await new LeaseStore(kube, 'staging', 'remediator-s').recordAttempt(
        'web-errors',
        targetSubject(WEB),
        at(-MINUTE),
        COOLDOWN,
        { changes: true },
      );
    });

    it.each([
      ['ns', 30 * MINUTE, { cluster: 3, namespace: 2 }],
      ['ns', HOUR, { cluster: 4, namespace: 3 }],
      ['other', 30 * MINUTE, { cluster: 3, namespace: 1 }],
      ['other', 15 * MINUTE, { cluster: 2, namespace: 0 }],
      ['empty', HOUR, { cluster: 4, namespace: 0 }],
      ['ns', MINUTE, { cluster: 0, namespace: 0 }],
    ])(
      'counts attempts across policies and replicas in namespace %s within %d ms',
      async (namespace, windowMs, expected) => {
        expect(await a.recentAttempts(namespace, windowMs, NOW)).toEqual(expected);
      },
    );

    it('leaves out an attempt exactly the window old', async () => {
      expect(await a.recentAttempts('ns', 10 * MINUTE, NOW)).toEqual({
        cluster: 1,
        namespace: 1,
      });
    });
  });

  describe('blast-radius counting', () => {
    const API: RenderedTarget = { kind: 'Deployment', namespace: 'ns', name: 'api' };
    const WINDOW = 10 * MINUTE;
    const lists = () => fake.requests.filter((r) => r.method === 'GET' && r.path === LEASES).length;
    /** A gate with a limit of `limit` attempts in the namespace. */
    const atMost =
      (limit: number) =>
      (counts: { namespace: number }): string | undefined =>
        counts.namespace >= limit ? `${counts.namespace} already` : undefined;

    it('leaves out the records of policies that change nothing (notifications, diagnostics)', async () => {
      await a.recordAttempt('page', targetSubject(WEB), at(-MINUTE), COOLDOWN, {
        changes: false,
      });
      await a.recordAttempt('web-errors', targetSubject(API), at(-MINUTE), COOLDOWN, {
        changes: true,
      });
      expect(await b.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 1, namespace: 1 });
    });

    it('lets one of two steps through a limit of one when both ask at once', async () => {
      const verdicts = await Promise.all([
        a.admit('web-errors', targetSubject(WEB), WINDOW, NOW, atMost(1)),
        a.admit('web-errors', targetSubject(API), WINDOW, NOW, atMost(1)),
      ]);
      expect(verdicts.sort()).toEqual(['1 already', undefined]);
      expect(lists()).toBe(1);
    });

    it("counts this replica's recorded attempts at once, without listing again", async () => {
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 0, namespace: 0 });
      expect(await a.admit('web-errors', targetSubject(WEB), WINDOW, NOW, atMost(5))).toBe(
        undefined,
      );
      await a.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      await a.recordAttempt('web-errors', targetSubject(API), NOW, COOLDOWN, { changes: true });
      // The admitted attempt and its record are one attempt, not two.
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 2, namespace: 2 });
      expect(lists()).toBe(1);
    });

    it("sees another replica's attempts once its listing is a second old", async () => {
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 0, namespace: 0 });
      await b.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 0, namespace: 0 });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 1, namespace: 1 });
      expect(lists()).toBe(2);
    });

    it("does not count a step in flight twice on a target another replica's attempt already counts", async () => {
      await b.recordAttempt('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      // Both replicas heard of the alert; a's step on WEB is admitted once b's attempt is listed.
      expect(await a.admit('web-errors', targetSubject(WEB), WINDOW, NOW, atMost(5))).toBe(
        undefined,
      );
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 1, namespace: 1 });
      // Two steps in flight on one (policy, target) are one attempt at most, too.
      await a.admit('web-errors', targetSubject(API), WINDOW, at(1), atMost(5));
      await a.admit('web-errors', targetSubject(API), WINDOW, at(2), atMost(5));
      expect(await a.recentAttempts('ns', WINDOW, at(2))).toEqual({ cluster: 2, namespace: 2 });
      // A recorded attempt counts, whatever else is listed on its record.
      await a.recordAttempt('web-errors', targetSubject(WEB), at(3), COOLDOWN, { changes: true });
      expect(await a.recentAttempts('ns', WINDOW, at(3))).toEqual({ cluster: 3, namespace: 3 });
    });

    it('forgets its own recorded attempts once they left the window, however short', async () => {
      // A one-second window: no listing may ever show these attempts, so nothing else drops them.
      for (let i = 0; i < 50; i++) {
        const target = targetSubject({ ...WEB, name: `web-${i}` });
        await a.admit('web-errors', target, 1_000, at(i), atMost(1_000));
        await a.recordAttempt('web-errors', target, at(i), COOLDOWN, { changes: true });
      }
      expect(await a.recentAttempts('ns', 1_000, at(50))).toEqual({ cluster: 50, namespace: 50 });
      expect(await a.recentAttempts('ns', 1_000, at(2_000))).toEqual({ cluster: 0, namespace: 0 });
      // The memory it kept for them is gone too (a storm must not grow it for a week).
      expect((a as unknown as { own: Map<string, unknown> }).own.size).toBe(0);
    });

    it('stops counting an admitted attempt once it is withdrawn, unless it was recorded', async () => {
      await a.admit('web-errors', targetSubject(WEB), WINDOW, NOW, atMost(5));
      await a.admit('web-errors', targetSubject(API), WINDOW, NOW, atMost(5));
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 2, namespace: 2 });
      await a.recordAttempt('web-errors', targetSubject(API), NOW, COOLDOWN, { changes: true });
      a.withdraw('web-errors', targetSubject(WEB), NOW);
      a.withdraw('web-errors', targetSubject(API), NOW);
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 1, namespace: 1 });
    });

    it('lists only the records whose latest attempt falls in the window', async () => {
      await a.recordAttempt('web-errors', targetSubject(WEB), at(-3 * HOUR), COOLDOWN, {
        changes: true,
      });
      await a.recordAttempt('web-errors', targetSubject(API), at(-5 * MINUTE), COOLDOWN, {
        changes: true,
      });
      const listed = async (windowMs: number) => {
        let names: (string | undefined)[] = [];
        const spy = new Proxy(kube, {
          get(target, property, receiver) {
            if (property === 'listLeases')
              return async (namespace: string, selector: string) => {
                const leases = await target.listLeases(namespace, selector);
                names = leases.map((l) => l.metadata?.name);
                return leases;
              };
            const value: unknown = Reflect.get(target, property, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        await new LeaseStore(spy, NS, 'remediator-c').recentAttempts('ns', windowMs, NOW);
        return names;
      };
      expect(await listed(WINDOW)).toEqual([recordName('web-errors', API)]);
      expect(await listed(MINUTE)).toEqual([]);
      // Over 180 minutes: every record that counts; the window then sorts their attempts.
      expect(await listed(4 * HOUR)).toHaveLength(2);
    });

    it('lists again after a failed listing', async () => {
      fake.fault({ method: 'GET', pathPrefix: LEASES, status: 403, times: 1 });
      await expect(a.recentAttempts('ns', WINDOW, NOW)).rejects.toMatchObject({
        reason: 'forbidden',
      });
      expect(await a.recentAttempts('ns', WINDOW, NOW)).toEqual({ cluster: 0, namespace: 0 });
    });
  });

  describe('recentRecordSelector', () => {
    const T = Date.parse('2024-05-01T10:00:30.500Z');
    const base = 'remediator.dev/lease=record,remediator.dev/changes=true';

    it('names the seconds of a window of a minute or less', () => {
      expect(recentRecordSelector(2_000, T)).toBe(
        `${base},remediator.dev/attempt-second in (1714557628,1714557629,1714557630)`,
      );
    });

    it('names the minutes of a longer window', () => {
      expect(recentRecordSelector(10 * MINUTE, T)).toBe(
        `${base},remediator.dev/attempt-minute in (${Array.from({ length: 11 }, (_, i) => 28575950 + i).join(',')})`,
      );
    });

    it('selects every record that counts past 180 minutes', () => {
      expect(recentRecordSelector(179 * MINUTE, T)).toContain('attempt-minute in (');
      expect(recentRecordSelector(180 * MINUTE, T)).toBe(base);
    });
  });

  describe('Lease names', () => {
    const long = (c: string, n: number) => c.repeat(n);
    const TARGETS: [string, RenderedTarget][] = [
      ['a 253-character name', { kind: 'Deployment', namespace: 'ns', name: long('w', 253) }],
      [
        'a 63-character namespace and a dotted 253-character name',
        { kind: 'Pod', namespace: long('n', 63), name: `${long('a', 126)}.${long('b', 126)}` },
      ],
    ];

    it.each(TARGETS)('are DNS labels the server accepts for %s', async (_name, target) => {
      const policy = long('p', 63);
      expect((await a.lock(targetSubject(target), TTL, NOW)).ok).toBe(true);
      expect(
        await a.recordAttempt(policy, targetSubject(target), NOW, COOLDOWN, { changes: true }),
      ).toBe(true);
      for (const name of [lockNameOf(target), recordName(policy, target)]) {
        expect(name).toMatch(DNS_LABEL);
        expect(name.length).toBeLessThanOrEqual(253);
        expect(stored(name)).toBeDefined();
      }
      expect((await a.attempts(policy, targetSubject(target))).attempts).toEqual([NOW.getTime()]);
    });

    it('differ for long targets that differ only in their last character', async () => {
      const first: RenderedTarget = { ...WEB, name: `${long('w', 252)}a` };
      const second: RenderedTarget = { ...WEB, name: `${long('w', 252)}b` };
      expect(lockNameOf(first)).not.toBe(lockNameOf(second));
      expect((await a.lock(targetSubject(first), TTL, NOW)).ok).toBe(true);
      expect((await b.lock(targetSubject(second), TTL, NOW)).ok).toBe(true);
    });
  });
});
