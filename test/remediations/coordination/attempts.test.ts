import type { ClientNodeKube } from '../../../src/kube/adapter';
import type { RenderedTarget } from '../../../src/policies/planner';
import {
  AttemptRecords,
  recentRecordSelector,
  recordName as nameOfRecord,
} from '../../../src/remediations/coordination/attempts';
import { targetKey, targetSubject } from '../../../src/remediations/coordination/leases';
import { TargetLocks } from '../../../src/remediations/coordination/locks';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import { HOUR, NOW, startKube, WEB } from '../support';
import { at, COOLDOWN, LEASES, leaseWrites, MINUTE, NS, racing, storedLease, TTL } from './support';

describe('AttemptRecords', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;
  let a: AttemptRecords;
  let b: AttemptRecords;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
    a = new AttemptRecords(kube, NS, 'remediator-a');
    b = new AttemptRecords(kube, NS, 'remediator-b');
  });

  afterEach(async () => {
    await fake.close();
  });

  const recordName = (policy: string, target: RenderedTarget = WEB) =>
    nameOfRecord(policy, targetKey(target));
  const stored = (name: string): KubeObject => storedLease(fake, name);

  describe('record', () => {
    it('creates the record on the first attempt, with the cooldown as its duration', async () => {
      expect(
        await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true }),
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
      expect(leaseWrites(fake).map((w) => `${w.method} ${w.status}`)).toEqual(['POST 201']);
    });

    it('updates the same record on later attempts, keeping when it was first acquired', async () => {
      await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      const before = stored(recordName('web-errors'));
      expect(
        await b.record('web-errors', targetSubject(WEB), at(15 * MINUTE), 20 * MINUTE, {
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
      expect(leaseWrites(fake).map((w) => `${w.method} ${w.status}`)).toEqual([
        'POST 201',
        'PUT 200',
      ]);
    });

    it('drops attempts older than a week from the record', async () => {
      await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      await a.record('web-errors', targetSubject(WEB), at(6 * 24 * HOUR), COOLDOWN, {
        changes: true,
      });
      await a.record('web-errors', targetSubject(WEB), at(8 * 24 * HOUR), COOLDOWN, {
        changes: true,
      });
      expect((await a.read('web-errors', targetSubject(WEB))).attempts).toEqual([
        NOW.getTime() + 6 * 24 * HOUR,
        NOW.getTime() + 8 * 24 * HOUR,
      ]);
    });

    /** Two replicas record an attempt on WEB at once, each having read before either writes. */
    const raceToRecord = (first: Date, second: Date) => {
      const shared = racing(kube, 2);
      const replicas: [string, Date][] = [
        ['remediator-a', first],
        ['remediator-b', second],
      ];
      return Promise.all(
        replicas.map(([instance, now]) =>
          new AttemptRecords(shared, NS, instance).record(
            'web-errors',
            targetSubject(WEB),
            now,
            COOLDOWN,
            {
              changes: true,
            },
          ),
        ),
      );
    };

    it('answers false to the replica that loses a race to create the record', async () => {
      expect((await raceToRecord(NOW, at(1))).sort()).toEqual([false, true]);
      expect((await a.read('web-errors', targetSubject(WEB))).attempts).toHaveLength(1);
    });

    it('answers false to the replica that loses a race to update the record', async () => {
      await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      const later = at(HOUR);
      expect((await raceToRecord(later, later)).sort()).toEqual([false, true]);
      expect((await a.read('web-errors', targetSubject(WEB))).attempts).toEqual([
        NOW.getTime(),
        later.getTime(),
      ]);
    });

    it('takes a write whose answer was lost, met again by its own retry, as its own', async () => {
      // The API server commits the write, then the connection drops: the adapter retries and the
      // retry meets the first try (409 AlreadyExists on create, 409 Conflict on update).
      fake.fault({ method: 'POST', pathPrefix: LEASES, dropAfterCommit: true, times: 1 });
      expect(
        await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true }),
      ).toBe(true);
      fake.fault({ method: 'PUT', pathPrefix: LEASES, dropAfterCommit: true, times: 1 });
      expect(
        await a.record('web-errors', targetSubject(WEB), at(HOUR), COOLDOWN, { changes: true }),
      ).toBe(true);
      expect(leaseWrites(fake).map((w) => `${w.method} ${w.status}`)).toEqual([
        'POST 201',
        'POST 409',
        'PUT 200',
        'PUT 409',
      ]);
      expect((await a.read('web-errors', targetSubject(WEB))).attempts).toEqual([
        NOW.getTime(),
        NOW.getTime() + HOUR,
      ]);
    });

    it("does not take another replica's record for its own after a conflict", async () => {
      await b.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      // This replica read nothing yet (an empty record), so it creates: 409, and the Lease it
      // then reads is b's.
      expect(
        await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, {
          changes: true,
          known: { attempts: [] },
        }),
      ).toBe(false);
    });

    it('rethrows a failure other than a lost race', async () => {
      await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      fake.fault({ method: 'PUT', pathPrefix: LEASES, status: 403, times: 1 });
      await expect(
        a.record('web-errors', targetSubject(WEB), at(HOUR), COOLDOWN, { changes: true }),
      ).rejects.toMatchObject({
        reason: 'forbidden',
      });
    });

    // leaseName('lock', …) is both the lock and the record of a policy named `lock` (a valid
    // policy name): the record overwrites the lock and its release then fails with a 409.
  });

  describe('read', () => {
    it('reads no attempts for a target never acted on', async () => {
      expect((await a.read('web-errors', targetSubject(WEB))).attempts).toEqual([]);
    });

    it('reads the attempts of one policy on one target, oldest first', async () => {
      await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      await b.record('web-errors', targetSubject(WEB), at(20 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await a.record('other-policy', targetSubject(WEB), at(30 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await a.record(
        'web-errors',
        targetSubject({ ...WEB, name: 'api' }),
        at(40 * MINUTE),
        COOLDOWN,
        { changes: true },
      );
      expect((await b.read('web-errors', targetSubject(WEB))).attempts).toEqual([
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
      expect((await a.read('web-errors', targetSubject(WEB))).attempts).toEqual([]);
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
      expect((await a.read('web-errors', targetSubject(WEB))).attempts).toEqual([10, 30]);
    });
  });

  describe('recent', () => {
    const API: RenderedTarget = { kind: 'Deployment', namespace: 'other', name: 'api' };

    beforeEach(async () => {
      await a.record('web-errors', targetSubject(WEB), at(-50 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await b.record('web-errors', targetSubject(WEB), at(-10 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await a.record('web-latency', targetSubject(WEB), at(-5 * MINUTE), COOLDOWN, {
        changes: true,
      });
      await b.record('web-errors', targetSubject(API), at(-20 * MINUTE), COOLDOWN, {
        changes: true,
      });
      // Neither a lock nor another remediator's records count.
      await new TargetLocks(kube, NS, 'remediator-a').lock(targetSubject(WEB), TTL, NOW);
      await new AttemptRecords(kube, 'staging', 'remediator-s').record(
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
        expect(await a.recent(namespace, windowMs, NOW)).toEqual(expected);
      },
    );

    it('leaves out an attempt exactly the window old', async () => {
      expect(await a.recent('ns', 10 * MINUTE, NOW)).toEqual({
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
      await a.record('page', targetSubject(WEB), at(-MINUTE), COOLDOWN, {
        changes: false,
      });
      await a.record('web-errors', targetSubject(API), at(-MINUTE), COOLDOWN, {
        changes: true,
      });
      expect(await b.recent('ns', WINDOW, NOW)).toEqual({ cluster: 1, namespace: 1 });
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
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 0, namespace: 0 });
      expect(await a.admit('web-errors', targetSubject(WEB), WINDOW, NOW, atMost(5))).toBe(
        undefined,
      );
      await a.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      await a.record('web-errors', targetSubject(API), NOW, COOLDOWN, { changes: true });
      // The admitted attempt and its record are one attempt, not two.
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 2, namespace: 2 });
      expect(lists()).toBe(1);
    });

    it("sees another replica's attempts once its listing is a second old", async () => {
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 0, namespace: 0 });
      await b.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 0, namespace: 0 });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 1, namespace: 1 });
      expect(lists()).toBe(2);
    });

    it("does not count a step in flight twice on a target another replica's attempt already counts", async () => {
      await b.record('web-errors', targetSubject(WEB), NOW, COOLDOWN, { changes: true });
      // Both replicas heard of the alert; a's step on WEB is admitted once b's attempt is listed.
      expect(await a.admit('web-errors', targetSubject(WEB), WINDOW, NOW, atMost(5))).toBe(
        undefined,
      );
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 1, namespace: 1 });
      // Two steps in flight on one (policy, target) are one attempt at most, too.
      await a.admit('web-errors', targetSubject(API), WINDOW, at(1), atMost(5));
      await a.admit('web-errors', targetSubject(API), WINDOW, at(2), atMost(5));
      expect(await a.recent('ns', WINDOW, at(2))).toEqual({ cluster: 2, namespace: 2 });
      // A recorded attempt counts, whatever else is listed on its record.
      await a.record('web-errors', targetSubject(WEB), at(3), COOLDOWN, { changes: true });
      expect(await a.recent('ns', WINDOW, at(3))).toEqual({ cluster: 3, namespace: 3 });
    });

    it('forgets its own recorded attempts once they left the window, however short', async () => {
      // A one-second window: no listing may ever show these attempts, so nothing else drops them.
      for (let i = 0; i < 50; i++) {
        const target = targetSubject({ ...WEB, name: `web-${i}` });
        await a.admit('web-errors', target, 1_000, at(i), atMost(1_000));
        await a.record('web-errors', target, at(i), COOLDOWN, { changes: true });
      }
      expect(await a.recent('ns', 1_000, at(50))).toEqual({ cluster: 50, namespace: 50 });
      expect(await a.recent('ns', 1_000, at(2_000))).toEqual({ cluster: 0, namespace: 0 });
      // The memory it kept for them is gone too (a storm must not grow it for a week).
      expect((a as unknown as { own: Map<string, unknown> }).own.size).toBe(0);
    });

    it('stops counting an admitted attempt once it is withdrawn, unless it was recorded', async () => {
      await a.admit('web-errors', targetSubject(WEB), WINDOW, NOW, atMost(5));
      await a.admit('web-errors', targetSubject(API), WINDOW, NOW, atMost(5));
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 2, namespace: 2 });
      await a.record('web-errors', targetSubject(API), NOW, COOLDOWN, { changes: true });
      a.withdraw('web-errors', targetSubject(WEB), NOW);
      a.withdraw('web-errors', targetSubject(API), NOW);
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 1, namespace: 1 });
    });

    it('lists only the records whose latest attempt falls in the window', async () => {
      await a.record('web-errors', targetSubject(WEB), at(-3 * HOUR), COOLDOWN, {
        changes: true,
      });
      await a.record('web-errors', targetSubject(API), at(-5 * MINUTE), COOLDOWN, {
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
        await new AttemptRecords(spy, NS, 'remediator-c').recent('ns', windowMs, NOW);
        return names;
      };
      expect(await listed(WINDOW)).toEqual([recordName('web-errors', API)]);
      expect(await listed(MINUTE)).toEqual([]);
      // Over 180 minutes: every record that counts; the window then sorts their attempts.
      expect(await listed(4 * HOUR)).toHaveLength(2);
    });

    it('lists again after a failed listing', async () => {
      fake.fault({ method: 'GET', pathPrefix: LEASES, status: 403, times: 1 });
      await expect(a.recent('ns', WINDOW, NOW)).rejects.toMatchObject({
        reason: 'forbidden',
      });
      expect(await a.recent('ns', WINDOW, NOW)).toEqual({ cluster: 0, namespace: 0 });
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
});
