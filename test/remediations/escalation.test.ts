import { join } from 'node:path';
import { Registry } from 'prom-client';

import { ManualClock } from '../../src/clock';
import { incidentPipeline } from '../support/pipeline';
import { transition, type Incident, type IncidentStatus } from '../../src/incidents/incident';
import type { Severity } from '../../src/incidents/severity';
import { IncidentRecords, type StoredTimelineEntry } from '../../src/journal/incident-records';
import { Journal } from '../../src/journal/journal';
import { PlanRecords } from '../../src/journal/plan-records';
import { RemediationRecords } from '../../src/journal/remediation-records';
import { createMemoryLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import type { DeliveryResult, Notification } from '../../src/notify/notifier';
import { defaultPolicySet } from '../../src/policies/loader';
import { parseMatcher } from '../../src/labels/matchers';
import type { EscalationLadder, EscalationRung, PolicySet } from '../../src/policies/policy';
import { checkWebhookPayload } from '../../src/alertmanager/payload';
import {
  chooseLadder,
  dueRungs,
  Escalator,
  type EscalatorDeps,
  type EscalationReason,
} from '../../src/remediations/escalation';
import { fixture, type FixtureName } from '../support/fixtures';
import { tempDir } from '../support/server';
import { alert, incident as supportIncident, StubNotifier } from './support';
import { ACTIONS } from '../../src/remediations/actions/index';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function rung(sink: string, afterMs: number, minSeverity: Severity = 4, who?: string) {
  return { sink, afterMs, minSeverity, ...(who === undefined ? {} : { who }) };
}

function ladder(
  name: string,
  match: string[],
  rungs: EscalationRung[] = [rung('oncall', 0)],
): EscalationLadder {
  return { name, match: match.map(parseMatcher), rungs };
}

/** An open incident (opened at OPENED) with one alert per label set. */
const OPENED = Date.parse('2024-05-01T10:00:00Z');
function openIncident(
  severity: Severity,
  labelSets: Record<string, string>[] = [{ alertname: 'HighErrorRate', namespace: 'ns' }],
): Incident {
  return {
    ...supportIncident(labelSets.map((labels, i) => alert(labels, `fp${i}`))),
    severity,
    openedAt: OPENED,
  };
}

describe('chooseLadder', () => {
  const SECURITY = ladder('security', ['alertname=~"AuthFailureSpike|DataBreach"']);
  const PROD = ladder('prod', ['namespace="prod"']);
  const DEFAULT = ladder('technical', []);

  it.each<[string, Record<string, string>[], EscalationLadder[], string | undefined]>([
    [
      'the first ladder whose matchers fit an alert',
      [{ alertname: 'DataBreach', namespace: 'prod' }],
      [SECURITY, PROD, DEFAULT],
      'security',
    ],
    [
      'an earlier matching ladder over a later one',
      [{ alertname: 'DataBreach', namespace: 'prod' }],
      [PROD, SECURITY, DEFAULT],
      'prod',
    ],
    [
      'a ladder that fits any one of the alerts',
      [
        { alertname: 'HighLatency', namespace: 'staging' },
        { alertname: 'AuthFailureSpike', namespace: 'staging' },
      ],
      [SECURITY, DEFAULT],
      'security',
    ],
    [
      'the ladder without match when no other fits',
      [{ alertname: 'HighLatency', namespace: 'staging' }],
      [SECURITY, DEFAULT, PROD],
      'technical',
    ],
    [
      'the ladder without match when it comes first',
      [{ alertname: 'DataBreach', namespace: 'prod' }],
      [DEFAULT, SECURITY],
      'technical',
    ],
    [
      'none when no ladder fits and none is the default',
      [{ alertname: 'HighLatency', namespace: 'staging' }],
      [SECURITY, PROD],
      undefined,
    ],
    ['none when there are no ladders', [{ alertname: 'DataBreach' }], [], undefined],
  ])('picks %s', (_name, labelSets, ladders, expected) => {
    expect(chooseLadder(openIncident(2, labelSets), ladders)?.name).toBe(expected);
  });

  it('needs every matcher of a ladder to fit the same alert', () => {
    const both = ladder('both', ['alertname="DataBreach"', 'namespace="prod"']);
    const split = openIncident(1, [
      { alertname: 'DataBreach', namespace: 'staging' },
      { alertname: 'HighLatency', namespace: 'prod' },
    ]);
    expect(chooseLadder(split, [both])).toBeUndefined();
  });
});

describe('dueRungs', () => {
  const LADDER = ladder(
    'technical',
    [],
    [
      rung('oncall', 5 * MINUTE, 4, 'on-call'),
      rung('lead', 30 * MINUTE, 2, 'tech lead'),
      rung('cto', HOUR, 1),
    ],
  );
  const indexes = (
    severity: Severity,
    notified: number[],
    openFor: number,
    reason: EscalationReason,
  ) =>
    dueRungs(openIncident(severity), LADDER, new Set(notified), OPENED + openFor, reason).map(
      (r) => r.index,
    );

  it.each<[string, Severity, number[], number, number[]]>([
    ['nothing before the first after', 2, [], 5 * MINUTE - 1, []],
    ['the first rung once its after has passed', 2, [], 5 * MINUTE, [0]],
    ['every rung whose after has passed', 2, [], 30 * MINUTE, [0, 1]],
    ['only rungs whose minSeverity fits a Sev2', 2, [], 2 * HOUR, [0, 1]],
    ['every rung for a Sev1', 1, [], 2 * HOUR, [0, 1, 2]],
    ['only rungs for any severity for a Sev4', 4, [], 2 * HOUR, [0]],
    ['rungs not yet notified', 1, [0, 2], 2 * HOUR, [1]],
    ['nothing once every rung was notified', 1, [0, 1, 2], 2 * HOUR, []],
  ])('while unresolved, gives %s', (_name, severity, notified, openFor, expected) => {
    expect(indexes(severity, notified, openFor, 'unresolved')).toEqual(expected);
  });

  it.each<[string, Severity, number[], number, number[]]>([
    ['the first rung at once, before its after', 2, [], 0, [0]],
    ['the next rung not yet told, before its after', 2, [0], MINUTE, [1]],
    ['the next rung that fits the severity', 2, [0, 1], MINUTE, []],
    ['the next rung for a Sev1, skipping none', 1, [0, 1], MINUTE, [2]],
    ['the rungs due by time, when some are', 1, [], 45 * MINUTE, [0, 1]],
    ['nothing for a Sev4 once its only rung was told', 4, [0], 2 * HOUR, []],
  ])('when automation gives up, gives %s', (_name, severity, notified, openFor, expected) => {
    expect(indexes(severity, notified, openFor, 'steps_exhausted')).toEqual(expected);
  });

  it.each<EscalationReason>([
    'steps_exhausted',
    'budget',
    'circuit_open',
    'blast_radius',
    'interrupted',
  ])('goes one rung up at once for %s', (reason) => {
    expect(indexes(2, [], 0, reason)).toEqual([0]);
  });

  it('returns the rungs themselves with their index', () => {
    expect(dueRungs(openIncident(1), LADDER, new Set([0]), OPENED, 'budget')).toEqual([
      { index: 1, rung: LADDER.rungs[1] },
    ]);
  });

  // The policies reference: `after` is "Notify once the incident has been open this long
  // (0s: as soon as automation gives up)". A 0s rung is for giving up, not for the clock alone.
  it('leaves a rung with after 0s to the moment automation gives up', () => {
    const immediate = ladder('technical', [], [rung('oncall', 0), rung('lead', HOUR)]);
    expect(dueRungs(openIncident(2), immediate, new Set(), OPENED + MINUTE, 'unresolved')).toEqual(
      [],
    );
  });
});

describe('Escalator', () => {
  const START = '2026-11-27T14:00:00.000Z';
  const TECHNICAL = ladder(
    'technical',
    [],
    [
      rung('oncall', 10 * MINUTE, 4, 'on-call'),
      rung('lead', 30 * MINUTE, 4, 'tech lead'),
      rung('cto', 2 * HOUR, 1),
    ],
  );

  let dir: ReturnType<typeof tempDir>;
  let journal: Journal;
  let incidents: IncidentRecords;
  let remediations: RemediationRecords;
  let pipeline: ReturnType<typeof incidentPipeline>;
  let clock: ManualClock;
  let registry: Registry;
  let lines: Record<string, unknown>[];
  let ladders: EscalationLadder[];
  let notifier: StubNotifier;
  /** A new Escalator over the same journal (a second one is what a restart would make). */
  let escalator: (dryRun?: boolean, claims?: EscalatorDeps['claims']) => Escalator;

  beforeEach(() => {
    dir = tempDir();
    journal = Journal.open({ dataDir: join(dir.path, 'data'), sync: 'normal' });
    incidents = new IncidentRecords(journal.db);
    remediations = new RemediationRecords(journal.db);
    clock = new ManualClock(START);
    registry = new Registry();
    const memory = createMemoryLogger();
    lines = memory.lines;
    const metrics = createMetrics(registry, { processMetrics: false });
    pipeline = incidentPipeline({
      journal,
      records: incidents,
      clock,
      logger: memory.logger,
      metrics,
      plans: new PlanRecords(journal.db),
      policies: () => defaultPolicySet(ACTIONS),
    });
    ladders = [TECHNICAL];
    notifier = new StubNotifier((n) => Promise.resolve({ sink: n.sink, attempts: 1, status: 200 }));
    escalator = (dryRun = false, claims) =>
      new Escalator({
        ...(claims === undefined ? {} : { claims }),
        journal,
        store: pipeline.store,
        incidents,
        remediations,
        notifier,
        policies: (): PolicySet => ({ ...defaultPolicySet(ACTIONS), ladders }),
        metrics,
        logger: memory.logger,
        clock,
        dryRun,
      });
  });

  afterEach(() => {
    journal.close();
    dir.remove();
  });

  /** Ingests a captured Alertmanager notification; returns the incident as journaled. */
  async function ingest(name: FixtureName = 'am-api-single-firing-bearer'): Promise<Incident> {
    const check = checkWebhookPayload(fixture(name));
    if (!check.ok) throw new Error(check.message);
    const { incidentId } = await pipeline.ingest.ingest(check.payload);
    return current(incidentId ?? 0);
  }
  function current(id: number): Incident {
    const found = incidents.get(id);
    if (found === undefined) throw new Error(`no incident ${id}`);
    return found;
  }
  async function moveTo(incident: Incident, status: IncidentStatus): Promise<Incident> {
    return pipeline.store.update(incident, (c) => {
      const moved = transition(c, status, 'a remediation is planned', clock.now().getTime());
      return { incident: moved.incident, timeline: [moved.entry] };
    });
  }
  const timeline = (id: number): StoredTimelineEntry[] => incidents.timeline(id);
  const kinds = (id: number, kind: string) =>
    timeline(id)
      .filter((e) => e.kind === kind)
      .map((e) => e.message);
  const sent = (n: readonly Notification[] = notifier.sent) =>
    n.map((s) => `${s.template} ${s.sink}`);
  async function counter(name: string, labels: Record<string, string>): Promise<number> {
    const metric = registry.getSingleMetric(name);
    if (metric === undefined) throw new Error(`no metric ${name}`);
    const { values } = await metric.get();
    const found = values.find((v) =>
      Object.entries(labels).every(([k, value]) => v.labels[k] === value),
    );
    return found?.value ?? 0;
  }

  it('starts from a Sev1 incident ingested from the captured notification', async () => {
    const incident = await ingest();
    expect(incident).toMatchObject({
      status: 'investigating',
      severity: 1,
      openedAt: Date.parse(START),
    });
  });

  describe('escalate', () => {
    it('moves the incident to investigating and writes why in the timeline', async () => {
      const incident = await moveTo(await ingest(), 'identified');
      clock.advance(MINUTE);
      await escalator().escalate(
        incident,
        'steps_exhausted',
        'all 2 step(s) of policy scale-out ran',
      );

      expect(current(incident.id).status).toBe('investigating');
      const entries = timeline(incident.id).slice(-3);
      expect(entries.map((e) => [e.kind, e.message])).toEqual([
        ['escalated', 'Escalated to humans: all 2 step(s) of policy scale-out ran'],
        ['status', 'Status Identified → Investigating: automation gave up (steps_exhausted)'],
        ['notification', 'Escalation to on-call (oncall): delivered (HTTP 200, 1 attempt)'],
      ]);
      expect(entries[0]?.data).toEqual({ reason: 'steps_exhausted' });
      expect(entries[2]?.data).toEqual({ sink: 'oncall', template: 'status-update' });
      expect(entries.every((e) => e.at === Date.parse(START) + MINUTE)).toBe(true);
      expect(notifier.sent).toEqual([
        {
          sink: 'oncall',
          template: 'status-update',
          incident,
          reason: 'escalation (technical ladder, on-call): all 2 step(s) of policy scale-out ran',
        },
      ]);
      expect(await counter('remediator_escalations_total', { reason: 'steps_exhausted' })).toBe(1);
    });

    it('goes one rung further up with each call and tells every rung once', async () => {
      const incident = await moveTo(await ingest(), 'resolving');
      const e = escalator();
      await e.escalate(incident, 'steps_exhausted', 'first');
      await e.escalate(incident, 'budget', 'second');
      await e.escalate(incident, 'circuit_open', 'third');
      await e.escalate(incident, 'interrupted', 'fourth');
      expect(sent()).toEqual(['status-update oncall', 'status-update lead', 'status-update cto']);
      expect(notifier.sent.map((n) => n.reason)).toEqual([
        'escalation (technical ladder, on-call): first',
        'escalation (technical ladder, tech lead): second',
        'escalation (technical ladder, cto): third',
      ]);
      expect(kinds(incident.id, 'escalated')).toHaveLength(4);
      expect(
        timeline(incident.id).filter((t) => t.kind === 'status' && t.data?.to === 'investigating'),
      ).toHaveLength(1);
      expect(remediations.escalatedRungs(incident.id, 'technical')).toEqual(new Set([0, 1, 2]));
    });

    it('tells a rung once when two escalations come at the same moment', async () => {
      const incident = await ingest();
      const e = escalator();
      await Promise.all([
        e.escalate(incident, 'steps_exhausted', 'a'),
        e.escalate(incident, 'budget', 'b'),
      ]);
      expect(sent()).toEqual(['status-update oncall']);
      expect(kinds(incident.id, 'notification')).toHaveLength(1);
    });

    it('does not tell a rung again after a restart', async () => {
      const incident = await ingest();
      await escalator().escalate(incident, 'steps_exhausted', 'first');
      const afterRestart = escalator();
      await afterRestart.tick();
      clock.advance(15 * MINUTE);
      await afterRestart.tick();
      expect(sent()).toEqual(['status-update oncall']);
    });

    it('leaves a Sev2 incident off the rungs reserved for Sev1', async () => {
      ladders = [ladder('technical', [], [rung('oncall', 0), rung('cto', 0, 1)])];
      const sev2 = { ...(await ingest()), severity: 2 as Severity };
      const e = escalator();
      await e.escalate(sev2, 'budget', 'first');
      await e.escalate(sev2, 'budget', 'second');
      expect(sent()).toEqual(['status-update oncall']);
    });

    it('only logs and journals when no ladder fits', async () => {
      ladders = [ladder('security', ['alertname="DataBreach"'])];
      const incident = await ingest();
      await escalator().escalate(incident, 'blast_radius', 'too many plans in prod');
      expect(notifier.sent).toEqual([]);
      expect(kinds(incident.id, 'escalated')).toEqual([
        'Escalated to humans: too many plans in prod',
      ]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'no escalation ladder configured',
          incident: incident.id,
          reason: 'blast_radius',
        }),
      );
    });

    it('records a rejected notification in the timeline and the log', async () => {
      notifier = new StubNotifier(() =>
        Promise.reject(new Error('sink oncall answered HTTP 503 after 3 attempts')),
      );
      const incident = await ingest();
      await escalator().escalate(incident, 'steps_exhausted', 'nothing worked');
      expect(kinds(incident.id, 'notification')).toEqual([
        'Escalation to on-call (oncall) failed: sink oncall answered HTTP 503 after 3 attempts',
      ]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'notification failed',
          incident: incident.id,
          sink: 'oncall',
          template: 'status-update',
          error: 'sink oncall answered HTTP 503 after 3 attempts',
        }),
      );
    });

    it('leaves the sending to the replica that claimed the rung first', async () => {
      const incident = await ingest();
      const claimed: string[] = [];
      const claims = {
        claimOnce: (key: string) => {
          claimed.push(key);
          return Promise.resolve(false);
        },
      };
      await escalator(false, claims).escalate(incident, 'steps_exhausted', 'nothing worked');
      expect(claimed).toHaveLength(1);
      expect(notifier.sent).toEqual([]);
      expect(kinds(incident.id, 'notification')).toEqual([
        'Escalation to on-call (oncall): sent by another replica',
      ]);
    });

    it('sends anyway when the claim cannot be made (the API server is down)', async () => {
      const incident = await ingest();
      const claims = {
        claimOnce: () => Promise.reject(new Error('create lease in remediator: HTTP 503')),
      };
      await escalator(false, claims).escalate(incident, 'steps_exhausted', 'nothing worked');
      expect(sent()).toEqual(['status-update oncall']);
      expect(kinds(incident.id, 'notification')).toEqual([
        'Escalation to on-call (oncall): delivered (HTTP 200, 1 attempt)',
      ]);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          incident: incident.id,
          error: 'create lease in remediator: HTTP 503',
        }),
      );
    });

    it('names the attempts a delivery took', async () => {
      notifier = new StubNotifier((n): Promise<DeliveryResult> =>
        Promise.resolve({ sink: n.sink, attempts: 3, status: 202 }),
      );
      const incident = await ingest();
      await escalator().escalate(incident, 'steps_exhausted', 'nothing worked');
      expect(kinds(incident.id, 'notification')).toEqual([
        'Escalation to on-call (oncall): delivered (HTTP 202, 3 attempts)',
      ]);
    });

    it('sends nothing in a dry run and says so in the timeline', async () => {
      const incident = await ingest();
      await escalator(true).escalate(incident, 'steps_exhausted', 'nothing worked');
      expect(notifier.sent).toEqual([]);
      expect(kinds(incident.id, 'notification')).toEqual([
        'Escalation to on-call (oncall): not sent (dry run)',
      ]);
      // Withheld through the notifier, which counts it as `result="dry_run"`.
      expect(notifier.withheld.map((n) => [n.sink, n.template])).toEqual([
        ['oncall', 'status-update'],
      ]);
    });
  });

  describe('tick', () => {
    it('tells each rung once as the clock passes its after', async () => {
      const incident = await ingest();
      const e = escalator();
      const sinksAfter = async (ms: number) => {
        clock.advance(ms);
        await e.tick();
        return sent();
      };
      expect(await sinksAfter(0)).toEqual([]);
      expect(await sinksAfter(10 * MINUTE - 1)).toEqual([]);
      expect(await sinksAfter(1)).toEqual(['status-update oncall']);
      expect(await sinksAfter(MINUTE)).toEqual(['status-update oncall']);
      expect(await sinksAfter(20 * MINUTE)).toEqual(['status-update oncall', 'status-update lead']);
      expect(await sinksAfter(2 * HOUR)).toEqual([
        'status-update oncall',
        'status-update lead',
        'status-update cto',
      ]);
      expect(await sinksAfter(24 * HOUR)).toHaveLength(3);
      expect(notifier.sent[0]?.reason).toBe(
        'escalation (technical ladder, on-call): still unresolved',
      );
      expect(kinds(incident.id, 'notification')).toEqual([
        'Escalation to on-call (oncall): delivered (HTTP 200, 1 attempt)',
        'Escalation to tech lead (lead): delivered (HTTP 200, 1 attempt)',
        'Escalation to cto (cto): delivered (HTTP 200, 1 attempt)',
      ]);
      expect(await counter('remediator_escalations_total', { reason: 'unresolved' })).toBe(3);
    });

    it('lets other work run between two incidents (each is read synchronously)', async () => {
      await ingest();
      await ingest('am-api-group-3-alerts-firing');
      const order: string[] = [];
      const ticked = escalator()
        .tick()
        .then(() => order.push('tick done'));
      setImmediate(() => order.push('a webhook'));
      await ticked;
      expect(order).toEqual(['a webhook', 'tick done']);
    });

    it('tells every rung that became due while no tick ran, at once', async () => {
      await ingest();
      clock.advance(3 * HOUR);
      await escalator().tick();
      expect(sent()).toEqual(['status-update oncall', 'status-update lead', 'status-update cto']);
    });

    it('keeps escalating an incident that humans already own', async () => {
      const incident = await ingest();
      const e = escalator();
      await e.escalate(incident, 'steps_exhausted', 'gave up');
      expect(current(incident.id).status).toBe('investigating');
      clock.advance(30 * MINUTE);
      await e.tick();
      expect(sent()).toEqual(['status-update oncall', 'status-update lead']);
    });

    it('leaves resolved incidents alone', async () => {
      await ingest();
      clock.advance(MINUTE);
      await ingest('am-api-single-resolved');
      clock.advance(3 * HOUR);
      await escalator().tick();
      expect(notifier.sent).toEqual([]);
    });

    it('does nothing without a ladder and does not warn about it', async () => {
      ladders = [];
      await ingest();
      clock.advance(3 * HOUR);
      await escalator().tick();
      expect(notifier.sent).toEqual([]);
      expect(lines.filter((l) => l.message === 'no escalation ladder configured')).toEqual([]);
    });

    // See dueRungs: a 0s rung is "as soon as automation gives up"; the checks every 30 s would
    // otherwise page it for every incident, including those automation is about to fix.
    it('does not page a rung with after 0s while automation is still trying', async () => {
      ladders = [ladder('technical', [], [rung('oncall', 0), rung('lead', HOUR)])];
      await ingest();
      clock.advance(30_000);
      await escalator().tick();
      expect(sent()).toEqual([]);
    });
  });

  describe('announceResolution', () => {
    it('sends the resolution notice once to each sink that escalation told', async () => {
      const incident = await ingest();
      const e = escalator();
      await e.escalate(incident, 'steps_exhausted', 'gave up');
      await e.escalate(incident, 'budget', 'still failing');
      clock.advance(5 * MINUTE);
      await ingest('am-api-single-resolved');
      const resolved = current(incident.id);
      expect(resolved.status).toBe('resolved');

      await e.announceResolution(resolved);
      await e.announceResolution(resolved);
      await Promise.all([e.announceResolution(resolved), escalator().announceResolution(resolved)]);

      const notices = notifier.sent.filter((n) => n.template === 'resolution-notice');
      expect(sent(notices)).toEqual(['resolution-notice lead', 'resolution-notice oncall']);
      expect(notices[0]).toMatchObject({ incident: resolved, reason: 'the incident resolved' });
      expect(kinds(incident.id, 'notification').slice(-2)).toEqual([
        'Resolution notice to lead: delivered (HTTP 200, 1 attempt)',
        'Resolution notice to oncall: delivered (HTTP 200, 1 attempt)',
      ]);
      expect(
        timeline(incident.id)
          .filter((t) => t.kind === 'notification')
          .slice(-1)[0]?.data,
      ).toEqual({ sink: 'oncall', template: 'resolution-notice' });
    });

    it('sends one notice to a sink that two rungs share', async () => {
      ladders = [
        ladder('technical', [], [rung('oncall', 0, 4, 'first'), rung('oncall', 0, 4, 'second')]),
      ];
      const incident = await ingest();
      const e = escalator();
      await e.escalate(incident, 'budget', 'a');
      await e.escalate(incident, 'budget', 'b');
      expect(sent()).toEqual(['status-update oncall', 'status-update oncall']);
      await e.announceResolution(incident);
      expect(sent().filter((s) => s.startsWith('resolution-notice'))).toEqual([
        'resolution-notice oncall',
      ]);
    });

    it('sends nothing for an incident no sink was told about', async () => {
      const incident = await ingest();
      await escalator().announceResolution(incident);
      expect(notifier.sent).toEqual([]);
      expect(kinds(incident.id, 'notification')).toEqual([]);
    });

    it('does not send the notice again after a failed delivery', async () => {
      const incident = await ingest();
      await escalator().escalate(incident, 'budget', 'gave up');
      notifier = new StubNotifier(() => Promise.reject(new Error('connection refused')));
      const e = escalator();
      await e.announceResolution(incident);
      await e.announceResolution(incident);
      expect(notifier.sent).toHaveLength(1);
      expect(kinds(incident.id, 'notification').slice(-1)).toEqual([
        'Resolution notice to oncall failed: connection refused',
      ]);
    });

    it('sends nothing in a dry run and says so', async () => {
      const incident = await ingest();
      const e = escalator(true);
      await e.escalate(incident, 'budget', 'gave up');
      await e.announceResolution(incident);
      expect(notifier.sent).toEqual([]);
      expect(kinds(incident.id, 'notification')).toEqual([
        'Escalation to on-call (oncall): not sent (dry run)',
        'Resolution notice to oncall: not sent (dry run)',
      ]);
      expect(notifier.withheld.map((n) => [n.sink, n.template])).toEqual([
        ['oncall', 'status-update'],
        ['oncall', 'resolution-notice'],
      ]);
    });
  });
});
