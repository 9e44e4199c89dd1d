import { Registry } from 'prom-client';
import { ManualClock } from '../../src/clock';
import { incidentPipeline } from '../support/pipeline';
import { IncidentRecords } from '../../src/journal/incident-records';
import { Journal } from '../../src/journal/journal';
import { PlanRecords } from '../../src/journal/plan-records';
import { pruneResolved, retentionCheckInterval } from '../../src/journal/retention';
import { createMemoryLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { defaultPolicySet } from '../../src/policies/loader';
import { checkWebhookPayload, type WebhookPayload } from '../../src/alertmanager/payload';
import { fixture } from '../support/fixtures';
import { describeEachJournal, journalBackend, type JournalBackend } from '../support/journals';
import { ACTIONS } from '../../src/remediations/actions/index';

const HOUR = 3_600_000;

/** A journal with a pipeline that ingests into it, on a clock the test moves. */
function retentionFixture(backend: JournalBackend) {
  const f = {} as {
    journal: Journal;
    records: IncidentRecords;
    pipeline: ReturnType<typeof incidentPipeline>;
    clock: ManualClock;
  };
  beforeEach(() => {
    f.clock = new ManualClock('2026-11-01T00:00:00Z');
    f.journal = backend.open({ sync: 'normal' });
    f.records = new IncidentRecords(f.journal.db);
    f.pipeline = incidentPipeline({
      journal: f.journal,
      records: f.records,
      clock: f.clock,
      logger: createMemoryLogger().logger,
      metrics: createMetrics(new Registry(), { processMetrics: false }),
      plans: new PlanRecords(f.journal.db),
      policies: () => defaultPolicySet(ACTIONS),
    });
  });
  const ingest = (payload: WebhookPayload) => {
    const check = checkWebhookPayload(payload);
    if (!check.ok) throw new Error(check.message);
    return f.pipeline.ingest.ingest(check.payload);
  };
  /** A group of `alerts` alerts that fires, then resolves an hour later. */
  const episode = async (group: number, alerts = 3, resolve = true) => {
    const firing = fixture('am-api-group-3-alerts-firing');
    firing.groupKey = `{}:{group="${group}"}`;
    firing.alerts = Array.from({ length: alerts }, (_, i) => ({
      ...firing.alerts[0]!,
      labels: { ...firing.alerts[0]!.labels, pod: `pod-${group}-${i}` },
      annotations: { description: 'x'.repeat(500) },
      fingerprint: (group * 1000 + i).toString(16).padStart(16, '0'),
    }));
    await ingest(firing);
    if (!resolve) return;
    f.clock.advance(HOUR);
    const resolved = structuredClone(firing);
    resolved.status = 'resolved';
    for (const a of resolved.alerts) a.status = 'resolved';
    await ingest(resolved);
  };
  const count = (table: string) =>
    (f.journal.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { f, episode, count };
}

describeEachJournal('retention', (backend) => {
  const { f, episode, count } = retentionFixture(backend);
  let journal: Journal;
  let records: IncidentRecords;
  let clock: ManualClock;
  beforeEach(() => {
    ({ journal, records, clock } = f);
  });

  it('deletes incidents resolved before the cutoff with everything that hangs off them, and keeps the rest', async () => {
    await episode(1); // resolved at T+1h
    clock.advance(10 * HOUR);
    await episode(2); // resolved at T+12h
    await episode(3, 2, false); // still open, opened long ago by the time we prune
    clock.advance(100 * HOUR);

    const deleted = await pruneResolved(journal, Date.parse('2026-11-01T06:00:00Z'));
    expect(deleted).toBe(1);
    expect(records.list({ limit: 10 }).map((i) => [i.id, i.status])).toEqual([
      [3, 'investigating'],
      [2, 'resolved'],
    ]);
    expect(count('alerts')).toBe(5);
    expect(
      journal.db.prepare('SELECT count(*) AS n FROM timeline WHERE incident_id = 1').get(),
    ).toEqual({ n: 0 });
  });

  it('never prunes an open incident, however old', async () => {
    await episode(1, 1, false);
    clock.advance(1000 * HOUR);
    expect(await pruneResolved(journal, clock.now().getTime())).toBe(0);
    expect(records.list({ status: 'open', limit: 10 })).toHaveLength(1);
  });

  it('prunes in small transactions, so a large backlog does not hold the journal at once', async () => {
    // One more than a batch (200): PostgreSQL takes some 6 ms an episode, so no more than that.
    for (let g = 0; g < 201; g++) await episode(g, 1);
    let commits = 0;
    const counting = backend.open({ sync: 'normal', onCommit: () => commits++ });
    expect(await pruneResolved(counting, clock.now().getTime() + 1)).toBe(201);
    // Two batches of incidents, then one of notifications that fed none.
    expect(commits).toBe(3);
    expect(count('incidents')).toBe(0);
  });
});

describe('retention: SQLite only', () => {
  const { f, episode } = retentionFixture(journalBackend('sqlite'));

  it('keeps the journal file bounded: the space of pruned incidents is given back', async () => {
    for (let g = 0; g < 40; g++) await episode(g, 20);
    f.journal.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const full = f.journal.sizeBytes();
    expect(await pruneResolved(f.journal, f.clock.now().getTime() + 1)).toBe(40);
    const pruned = f.journal.sizeBytes();
    expect(pruned).toBeLessThan(full / 2);
  });
});

describe('retention: PostgreSQL only', () => {
  const { f, episode } = retentionFixture(journalBackend('postgres'));

  it('reports the database size as a number, and leaves compaction to autovacuum', async () => {
    for (let g = 0; g < 5; g++) await episode(g, 5);
    const size = f.journal.sizeBytes();
    expect(typeof size).toBe('number');
    expect(size).toBeGreaterThan(1_000_000);
    expect(await pruneResolved(f.journal, f.clock.now().getTime() + 1)).toBe(5);
    expect(() => f.journal.compact()).not.toThrow();
  });
});

describe('how often retention runs', () => {
  it.each([
    ['the default 30d: hourly', 30 * 24 * 3_600_000, 3_600_000],
    ['6h: every 30 minutes', 6 * 3_600_000, 1_800_000],
    ['1h: every 5 minutes', 3_600_000, 300_000],
    ['the minimum, 1m: every 5 s', 60_000, 5_000],
  ])('%s', (_case, retentionMs, intervalMs) => {
    expect(retentionCheckInterval(retentionMs)).toBe(intervalMs);
  });
});
