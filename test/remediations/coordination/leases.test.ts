import type { ClientNodeKube } from '../../../src/kube/adapter';
import type { RenderedTarget } from '../../../src/policies/planner';
import { AttemptRecords, recordName } from '../../../src/remediations/coordination/attempts';
import {
  groupSubject,
  targetKey,
  targetSubject,
} from '../../../src/remediations/coordination/leases';
import { lockName, TargetLocks } from '../../../src/remediations/coordination/locks';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import { HOUR, NOW, startKube, WEB } from '../support';
import { at, COOLDOWN, NS, storedLease, TTL } from './support';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What the Lease kinds share: subjects, names, and one namespace for all of them. */
describe('coordination Leases', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;
  let locks: TargetLocks;
  let otherLocks: TargetLocks;
  let records: AttemptRecords;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
    locks = new TargetLocks(kube, NS, 'remediator-a');
    otherLocks = new TargetLocks(kube, NS, 'remediator-b');
    records = new AttemptRecords(kube, NS, 'remediator-a');
  });

  afterEach(async () => {
    await fake.close();
  });

  const lockNameOf = (target: RenderedTarget = WEB) => lockName(targetKey(target));
  const stored = (name: string): KubeObject => storedLease(fake, name);

  it("locks an incident's group for a plan without a target, apart from every target", async () => {
    const group = groupSubject('{}:{alertname="HighErrorRate"}');
    expect(group).toEqual({ key: 'group/{}:{alertname="HighErrorRate"}', namespace: '' });
    expect((await locks.lock(group, TTL, NOW)).ok).toBe(true);
    expect(await otherLocks.lock(group, TTL, NOW)).toEqual({ ok: false, holder: 'remediator-a' });
    expect((await otherLocks.lock(targetSubject(WEB), TTL, NOW)).ok).toBe(true);
    expect(stored(lockName(group.key)).metadata.annotations).toEqual({
      'remediator.dev/target': group.key,
    });
  });

  it('keeps the record of a policy named "lock" apart from the target lock', async () => {
    const lock = await locks.lock(targetSubject(WEB), TTL, NOW);
    if (!lock.ok) throw new Error('expected the lock');
    expect(await records.record('lock', targetSubject(WEB), NOW, HOUR, { changes: true })).toBe(
      true,
    );
    await lock.release();
    expect((await otherLocks.lock(targetSubject(WEB), TTL, at(1_000))).ok).toBe(true);
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
      expect((await locks.lock(targetSubject(target), TTL, NOW)).ok).toBe(true);
      expect(
        await records.record(policy, targetSubject(target), NOW, COOLDOWN, { changes: true }),
      ).toBe(true);
      for (const name of [lockNameOf(target), recordName(policy, targetKey(target))]) {
        expect(name).toMatch(DNS_LABEL);
        expect(name.length).toBeLessThanOrEqual(253);
        expect(stored(name)).toBeDefined();
      }
      expect((await records.read(policy, targetSubject(target))).attempts).toEqual([NOW.getTime()]);
    });

    it('differ for long targets that differ only in their last character', async () => {
      const first: RenderedTarget = { ...WEB, name: `${long('w', 252)}a` };
      const second: RenderedTarget = { ...WEB, name: `${long('w', 252)}b` };
      expect(lockNameOf(first)).not.toBe(lockNameOf(second));
      expect((await locks.lock(targetSubject(first), TTL, NOW)).ok).toBe(true);
      expect((await otherLocks.lock(targetSubject(second), TTL, NOW)).ok).toBe(true);
    });
  });
});
