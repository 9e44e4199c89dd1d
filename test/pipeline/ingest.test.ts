import { Registry } from 'prom-client';
import { ManualClock } from '../../src/clock';
import { incidentPipeline } from '../support/pipeline';
import { IncidentRecords } from '../../src/journal/incident-records';
import { Journal } from '../../src/journal/journal';
import { PlanRecords } from '../../src/journal/plan-records';
import { createMemoryLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { defaultPolicySet, loadPolicies } from '../../src/policies/loader';
import type { PolicySet } from '../../src/policies/policy';
import { checkWebhookPayload, type WebhookPayload } from '../../src/alertmanager/payload';
import { fixture } from '../support/fixtures';
import { tempDir } from '../support/server';
import { ACTIONS } from '../../src/remediations/actions/index';

describe('the ingest pipeline and its incident store', () => {
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

  const pipeline = (
    bounds: { cacheSize?: number; cacheBytes?: number },
    policySet: PolicySet = defaultPolicySet(ACTIONS),
  ) =>
    incidentPipeline({
      journal,
      records,
      clock: new ManualClock(),
      logger: createMemoryLogger().logger,
      metrics: createMetrics(new Registry(), { processMetrics: false }),
      plans: new PlanRecords(journal.db),
      policies: () => policySet,
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
    ['estimated bytes', { cacheBytes: 2 * 10 * 1_200 }],
  ])(
    'recognises repeats of groups it evicted from memory (bounded by %s)',
    async (_bound, bounds) => {
      const b = pipeline(bounds).ingest;
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

  it('keeps the groups that are still notifying when it must evict: a read counts as use', async () => {
    const { ingest } = pipeline({ cacheSize: 2 });
    await ingest.ingest(group(0, 2));
    await ingest.ingest(group(1, 2));
    // Group 0 keeps firing (a repeat writes nothing, but it is read), then a new group arrives.
    expect(await ingest.ingest(group(0, 2))).toEqual({ incidentId: 1, changed: false });
    await ingest.ingest(group(2, 2));
    const reads = jest.spyOn(records, 'latestForGroup');
    expect(await ingest.ingest(group(0, 2))).toEqual({ incidentId: 1, changed: false });
    expect(reads).not.toHaveBeenCalled();
    expect(await ingest.ingest(group(1, 2))).toEqual({ incidentId: 2, changed: false });
    expect(reads).toHaveBeenCalledWith(group(1, 2).groupKey);
  });

  it('keeps no more huge label sets in memory than its byte bound allows', async () => {
    const b = pipeline({ cacheBytes: 1_000_000 }).ingest;
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
    const first = pipeline({}).ingest;
    for (let n = 0; n < 3; n++) await first.ingest(group(n, 2));
    const second = pipeline({}).ingest;
    expect(await second.ingest(group(2, 2))).toEqual({ incidentId: 3, changed: false });
    expect(await second.ingest(group(7, 1))).toEqual({ incidentId: 4, changed: true });
  });

  it('gives an incident by id from memory when it is its group latest, else from the journal', async () => {
    const { ingest, store } = pipeline({});
    await ingest.ingest(group(0, 3));
    const reads = jest.spyOn(records, 'get');
    // Every step of every plan asks for its incident: thousands of alerts must not be read back
    // for each of them.
    expect(store.get(1)?.alerts.size).toBe(3);
    expect(store.get(1)).toBe(store.get(1));
    expect(reads).not.toHaveBeenCalled();
    expect(store.get(99)).toBeUndefined();

    // The group resolves and fires again: incident 2 is its latest, incident 1 is read back.
    const resolved = group(0, 3);
    resolved.alerts = resolved.alerts.map((a) => ({ ...a, status: 'resolved' as const }));
    resolved.status = 'resolved';
    await ingest.ingest(resolved);
    const again = group(0, 3);
    again.alerts = again.alerts.map((a) => ({ ...a, startsAt: '2026-11-27T15:00:00Z' }));
    expect(await ingest.ingest(again)).toEqual({ incidentId: 2, changed: true });
    expect(store.get(1)?.status).toBe('resolved');
    expect(reads).toHaveBeenCalledWith(1);
    reads.mockClear();
    expect(store.get(2)?.status).not.toBe('resolved');
    expect(reads).not.toHaveBeenCalled();
  });

  describe('a notification larger than a slice', () => {
    const loaded = loadPolicies(
      `
safety:
  maxPlansPerNotification: 50
policies:
  - name: restart
    match: ['alertname="HighErrorRate"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps: [{ action: restart }]
`,
      'policies.yaml',
      ACTIONS,
    );
    if (!loaded.ok) throw new Error('invalid test policies');
    const restart = loaded.policySet;
    /** 1,200 alerts (three slices), each naming its own Deployment. */
    const storm = (): WebhookPayload => {
      const payload = group(0, 1_200);
      payload.alerts = payload.alerts.map((a, i) => ({
        ...a,
        labels: { ...a.labels, deployment: `web-${i}` },
      }));
      return payload;
    };
    const count = (table: string) =>
      (journal.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

    it('is journaled a slice at a time, answered once all of it is, with its plans bounded', async () => {
      const { ingest } = pipeline({}, restart);
      const planned: number[] = [];
      ingest.onChange((_change, entries) => planned.push(entries.length));
      const dropped = jest.fn();
      ingest.onPlansDropped(dropped);
      const writes = jest.spyOn(journal, 'write');
      expect(await ingest.ingest(storm())).toEqual({ incidentId: 1, changed: true });
      expect(writes).toHaveBeenCalledTimes(3);
      expect(records.get(1)?.alerts.size).toBe(1_200);
      expect(planned).toEqual([50, 0, 0]);
      expect(count("plans WHERE status = 'planned'")).toBe(50);
      expect(dropped).toHaveBeenCalledTimes(1);
      expect(dropped).toHaveBeenCalledWith(expect.objectContaining({ id: 1 }), {
        alerts: 1_150,
        policies: ['restart'],
        limit: 50,
      });
    });

    it('fails as a whole when a slice cannot be journaled, and its resend completes it once', async () => {
      const plans = new PlanRecords(journal.db);
      const { ingest } = incidentPipeline({
        journal,
        records,
        clock: new ManualClock(),
        logger: createMemoryLogger().logger,
        metrics: createMetrics(new Registry(), { processMetrics: false }),
        plans,
        policies: () => restart,
      });
      const original = plans.save.bind(plans);
      const save = jest.spyOn(plans, 'save');
      // The second slice's transaction fails (a crash there would leave the same journal).
      save.mockImplementationOnce(original);
      save.mockImplementationOnce(() => {
        throw new Error('disk gone');
      });
      await expect(ingest.ingest(storm())).rejects.toThrow('disk gone');
      expect(records.get(1)?.alerts.size).toBe(500);
      expect(records.get(1)?.status).toBe('identified');
      save.mockRestore();

      // Alertmanager, never answered, sends the whole notification again.
      expect(await ingest.ingest(storm())).toEqual({ incidentId: 1, changed: true });
      expect(records.get(1)?.alerts.size).toBe(1_200);
      // The first slice was a repeat: the resend planned for the rest only, up to the limit,
      // and no Deployment twice.
      expect(count("plans WHERE status = 'planned'")).toBe(100);
      expect(count("(SELECT DISTINCT target FROM plans WHERE status = 'planned')")).toBe(100);
    });

    it('decides the notifications of one group one after the other, each whole', async () => {
      const { ingest } = pipeline({}, restart);
      // The next notification, arriving while the first is between two slices: the first
      // thousand alerts resolved, the rest left out.
      const next = storm();
      next.alerts = next.alerts.slice(0, 1_000).map((a) => ({
        ...a,
        status: 'resolved',
        endsAt: '2026-11-27T14:05:00Z',
      }));
      next.status = 'resolved';
      const results = await Promise.all([ingest.ingest(storm()), ingest.ingest(next)]);
      // As if each had been decided whole, in order: the 200 alerts the second one does not
      // mention still fire. Folded in between the first one's slices, the second would have
      // resolved the incident, and the first one's last slice opened another.
      expect(results.map((r) => r.incidentId)).toEqual([1, 1]);
      expect(count('incidents')).toBe(1);
      expect(records.get(1)?.status).not.toBe('resolved');
      expect(
        [...(records.get(1)?.alerts.values() ?? [])].filter((a) => a.status === 'firing'),
      ).toHaveLength(200);
    });
  });
});
