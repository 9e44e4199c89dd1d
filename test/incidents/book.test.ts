import { Registry } from 'prom-client';
import { ManualClock } from '../../src/clock';
import { IncidentBook } from '../../src/incidents/book';
import { IncidentRecords } from '../../src/journal/incident-records';
import { Journal } from '../../src/journal/journal';
import { PlanRecords } from '../../src/journal/plan-records';
import { createMemoryLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { defaultPolicySet } from '../../src/policies/loader';
import { checkWebhookPayload, type WebhookPayload } from '../../src/receivers/payload';
import { fixture } from '../support/fixtures';
import { tempDir } from '../support/server';

describe('the incident book', () => {
  let dir: ReturnType<typeof tempDir>;
  let journal: Journal;
  let records: IncidentRecords;

  beforeEach(() => {
    dir = tempDir();
    journal = Journal.open({ dataDir: dir.path });
    records = new IncidentRecords(journal.db);
  });
  afterEach(() => {
    journal.close();
    dir.remove();
  });

  const book = (bounds: { cacheSize?: number; cacheAlerts?: number; cacheBytes?: number }) =>
    new IncidentBook({
      journal,
      records,
      clock: new ManualClock(),
      logger: createMemoryLogger().logger,
      metrics: createMetrics(new Registry(), { processMetrics: false }),
      plans: new PlanRecords(journal.db),
      policies: () => defaultPolicySet(),
      ...bounds,
    });
  const group = (n: number, alerts: number): WebhookPayload => {
    const payload = fixture('am-api-group-3-alerts-firing');
    payload.groupKey = `{}:{group="${n}"}`;
    payload.alerts = Array.from({ length: alerts }, (_, i) => ({
      ...payload.alerts[0]!,
      fingerprint: (n * 1000 + i).toString(16).padStart(16, '0'),
    }));
    const check = checkWebhookPayload(payload);
    if (!check.ok) throw new Error(check.message);
    return check.payload;
  };

  it.each([
    ['groups', { cacheSize: 2 }],
    ['alert instances', { cacheAlerts: 25 }],
  ])(
    'recognises repeats of groups it evicted from memory (bounded by %s)',
    async (_bound, bounds) => {
      const b = book(bounds);
      for (let n = 0; n < 10; n++)
        expect(await b.ingest(group(n, 10))).toEqual({ incidentId: n + 1, changed: true });
      for (let n = 0; n < 10; n++)
        expect(await b.ingest(group(n, 10))).toEqual({ incidentId: n + 1, changed: false });
      // A new alert in an evicted group joins that group's open incident, read back from the journal.
      const grown = group(0, 11);
      expect(await b.ingest(grown)).toEqual({ incidentId: 1, changed: true });
      expect(records.get(1)?.alerts.size).toBe(11);
    },
  );

  it('keeps no more huge label sets in memory than its byte bound allows', async () => {
    const b = book({ cacheBytes: 1_000_000 });
    const reads = jest.spyOn(records, 'latestForGroup');
    const huge = (n: number): WebhookPayload => {
      const payload = group(n, 1);
      const labels: Record<string, string> = { ...payload.alerts[0]!.labels };
      for (let i = 0; i < 5_000; i++) labels[`label_${i}`] = 'v'.repeat(100); // about 0.9 MB
      payload.alerts[0] = { ...payload.alerts[0]!, labels };
      return payload;
    };
    expect(await b.ingest(huge(0))).toEqual({ incidentId: 1, changed: true });
    expect(await b.ingest(huge(1))).toEqual({ incidentId: 2, changed: true });
    reads.mockClear();
    // Group 0 left memory to make room for group 1: its repeat is recognised from the journal.
    expect(await b.ingest(huge(0))).toEqual({ incidentId: 1, changed: false });
    expect(reads).toHaveBeenCalledWith(huge(0).groupKey);
  });

  it('starts without reading every open incident into memory, and still finds them', async () => {
    const first = book({});
    for (let n = 0; n < 3; n++) await first.ingest(group(n, 2));
    const second = book({});
    expect(await second.ingest(group(2, 2))).toEqual({ incidentId: 3, changed: false });
    expect(await second.ingest(group(7, 1))).toEqual({ incidentId: 4, changed: true });
  });
});
