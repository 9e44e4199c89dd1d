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

  const book = (bounds: { cacheSize?: number; cacheAlerts?: number }) =>
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

  it('starts without reading every open incident into memory, and still finds them', async () => {
    const first = book({});
    for (let n = 0; n < 3; n++) await first.ingest(group(n, 2));
    const second = book({});
    expect(await second.ingest(group(2, 2))).toEqual({ incidentId: 3, changed: false });
    expect(await second.ingest(group(7, 1))).toEqual({ incidentId: 4, changed: true });
  });
});
