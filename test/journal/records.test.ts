import { alertKey, type AlertState, type Incident } from '../../src/incidents/incident';
import { IncidentRecords } from '../../src/journal/incident-records';
import type { Journal } from '../../src/journal/journal';
import { NotificationLog } from '../../src/journal/notification-log';
import { PlanRecords, type ApprovalRecord } from '../../src/journal/plan-records';
import { RemediationRecords } from '../../src/journal/remediation-records';
import { SilenceRecords } from '../../src/journal/silence-records';
import type { PlanEntry, PlanSkip } from '../../src/policies/planner';
import { describeEachJournal } from '../support/journals';

/**
 * The contract of every record class, on both backends: the same calls give the same results,
 * ordering included, with numbers as numbers and JSON as it was written. Each expectation is
 * literal, so a backend that differs fails here rather than in a replica.
 */
const T = Date.parse('2026-11-01T00:00:00Z');

function alert(fingerprint: string, labels: Record<string, string>, firing = true): AlertState {
  return {
    fingerprint,
    startsAt: '2026-11-01T00:00:00Z',
    status: firing ? 'firing' : 'resolved',
    labels,
    annotations: { summary: `about ${fingerprint}`, ünïcode: '✓ "quoted" \\ back' },
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph?g0.expr=up',
    firstSeenAt: T + Number.parseInt(fingerprint, 16),
    updatedAt: T + 1,
    ...(firing ? {} : { resolvedAt: T + 2 }),
  };
}

function incident(
  id: number,
  overrides: Partial<Incident> = {},
  alerts: AlertState[] = [],
): Incident {
  return {
    id,
    groupKey: `{}:{group="${id}"}`,
    receiver: 'remediator',
    groupLabels: { alertname: 'KubePodCrashLooping', group: String(id) },
    status: 'investigating',
    severity: 2,
    severityReasons: ['label severity=critical', 'ü'],
    openedAt: T + id,
    updatedAt: T + id,
    alerts: new Map(alerts.map((a) => [alertKey(a), a])),
    ...overrides,
  };
}

function entry(incidentId: number, policy: string, fingerprints: string[]): PlanEntry {
  return {
    policy,
    trigger: 'firing',
    incidentId,
    alerts: fingerprints.map((fingerprint) => ({ fingerprint, startsAt: '2026-11-01T00:00:00Z' })),
    alertnames: ['KubePodCrashLooping'],
    target: { kind: 'Deployment', namespace: 'prod', name: 'web' },
    steps: [
      {
        action: 'restart',
        params: { grace: 30, nested: { list: [1, 'two', null] } },
        verifyMs: 60_000,
      },
    ],
    dryRun: true,
    autoResolve: false,
    cooldownMs: 600_000,
    budget: { max: 3, perMs: 3_600_000 },
    reason: 'matched',
  };
}

const skip = (policy: string): PlanSkip => ({
  policy,
  trigger: 'firing',
  alerts: [{ fingerprint: '0f', startsAt: '2026-11-01T00:00:00Z' }],
  code: 'severity_below_minimum',
  reason: 'below Sev1',
});

describeEachJournal('journal records', (backend) => {
  let journal: Journal;
  let incidents: IncidentRecords;
  let plans: PlanRecords;
  let steps: RemediationRecords;
  let log: NotificationLog;
  let silences: SilenceRecords;

  beforeEach(() => {
    journal = backend.open();
    incidents = new IncidentRecords(journal.db);
    plans = new PlanRecords(journal.db);
    steps = new RemediationRecords(journal.db);
    log = new NotificationLog(journal.db);
    silences = new SilenceRecords(journal.db);
  });

  const count = (table: string) =>
    (journal.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  it('IncidentRecords: saves and reads back incidents, alerts and timeline, numbers and JSON intact', async () => {
    expect(incidents.maxId()).toBe(0);
    const first = incident(1, {}, [alert('0a', { pod: 'a' }), alert('0b', { pod: 'b' }, false)]);
    await journal.write(() =>
      incidents.saveChange({
        incident: first,
        alerts: [...first.alerts.values()],
        newlyFiring: [],
        newlyResolved: [],
        timeline: [
          {
            at: T,
            kind: 'opened',
            message: 'opened',
            data: { nested: { n: 1.5, list: ['é', null] } },
          },
          { at: T + 5, kind: 'status', message: 'no data' },
        ],
      }),
    );
    expect(incidents.get(1)).toEqual(first);
    expect(incidents.get(2)).toBeUndefined();
    expect(incidents.groupKeyOf(1)).toBe('{}:{group="1"}');
    const timeline = incidents.timeline(1);
    expect(timeline).toEqual([
      {
        id: 1,
        at: T,
        kind: 'opened',
        message: 'opened',
        data: { nested: { n: 1.5, list: ['é', null] } },
      },
      { id: 2, at: T + 5, kind: 'status', message: 'no data' },
    ]);
    expect(typeof timeline[0]?.id).toBe('number');
    expect(typeof timeline[0]?.at).toBe('number');
    expect(incidents.maxId()).toBe(1);

    // An update: the upsert keeps the key, changes what may change, and clears what was unset.
    const resolved = incident(
      1,
      {
        status: 'resolved',
        severity: 4,
        resolvedAt: T + 100,
        updatedAt: T + 100,
        holdOpen: 'autoResolve: false',
        rootCause: 'a bad "deploy"',
        prevention: 'canary',
        externalURL: 'http://alertmanager',
      },
      [alert('0a', { pod: 'a' }, false), alert('0b', { pod: 'b' }, false)],
    );
    await journal.write(() =>
      incidents.saveChange({
        incident: resolved,
        alerts: [...resolved.alerts.values()],
        newlyFiring: [],
        newlyResolved: [],
        timeline: [],
      }),
    );
    expect(incidents.get(1)).toEqual(resolved);
    expect(incidents.summary(1)).toEqual({
      id: 1,
      groupKey: '{}:{group="1"}',
      groupLabels: { alertname: 'KubePodCrashLooping', group: '1' },
      status: 'resolved',
      severity: 4,
      openedAt: T + 1,
      updatedAt: T + 100,
      resolvedAt: T + 100,
      alertsFiring: 0,
      alertsTotal: 2,
      holdOpen: 'autoResolve: false',
    });
    expect(incidents.summary(99)).toBeUndefined();
  });

  it('IncidentRecords: latestForGroup, list with every filter, openCounts', async () => {
    await journal.write(() => {
      incidents.saveIncident(incident(1, { groupKey: 'g', status: 'resolved', resolvedAt: T + 9 }));
      incidents.saveIncident(incident(2, { groupKey: 'g', severity: 1 }));
      incidents.saveIncident(incident(3, { severity: 1, status: 'identified' }));
      incidents.saveIncident(incident(4, { severity: 3, status: 'resolving' }));
      incidents.saveIncident(incident(5, { status: 'resolved', resolvedAt: T + 9 }));
    });
    await journal.write(() =>
      incidents.saveChange({
        incident: incident(3, { severity: 1, status: 'identified' }, [
          alert('01', {}),
          alert('02', {}, false),
        ]),
        alerts: [alert('01', {}), alert('02', {}, false)],
        newlyFiring: [],
        newlyResolved: [],
        timeline: [],
      }),
    );
    expect(incidents.latestForGroup('g')?.id).toBe(2);
    expect(incidents.latestForGroup('none')).toBeUndefined();
    const ids = (filter: Parameters<IncidentRecords['list']>[0]) =>
      incidents.list(filter).map((i) => i.id);
    expect(ids({ limit: 10 })).toEqual([5, 4, 3, 2, 1]);
    expect(ids({ limit: 2 })).toEqual([5, 4]);
    expect(ids({ limit: 10, before: 4 })).toEqual([3, 2, 1]);
    expect(ids({ limit: 10, status: 'open' })).toEqual([4, 3, 2]);
    expect(ids({ limit: 10, status: 'resolved' })).toEqual([5, 1]);
    expect(ids({ limit: 10, status: 'identified' })).toEqual([3]);
    expect(ids({ limit: 10, severity: 1 })).toEqual([3, 2]);
    expect(ids({ limit: 10, status: 'open', severity: 1, before: 3 })).toEqual([2]);
    const three = incidents.list({ limit: 1, before: 4 })[0];
    expect(three).toMatchObject({ id: 3, alertsFiring: 1, alertsTotal: 2, severity: 1 });
    expect(typeof three?.alertsFiring).toBe('number');
    expect(typeof three?.openedAt).toBe('number');
    expect(incidents.openCounts()).toEqual(
      new Map([
        [1, 2],
        [3, 1],
      ]),
    );
    expect([...incidents.openCounts().values()].every((n) => typeof n === 'number')).toBe(true);
  });

  it('IncidentRecords: labelValues sorted byte-wise, escalated', async () => {
    const alerts = [
      alert('01', { pod: 'é', node: 'n1' }),
      alert('02', { pod: 'a', node: 'n1' }),
      alert('03', { pod: '_x', node: 'n2' }),
      alert('04', { pod: 'B', other: 'o' }),
      alert('05', { pod: 'a' }),
      alert('06', { pod: 'Z' }),
    ];
    const one = incident(1, {}, alerts);
    const two = incident(2, {}, [alert('07', { node: 'n9' })]);
    await journal.write(() => {
      for (const i of [one, two]) {
        incidents.saveChange({
          incident: i,
          alerts: [...i.alerts.values()],
          newlyFiring: [],
          newlyResolved: [],
          timeline: [],
        });
      }
      incidents.saveIncident(incident(3));
      incidents.addTimeline(2, { at: T, kind: 'escalated', message: 'to humans' });
      incidents.addTimeline(2, { at: T, kind: 'escalated', message: 'again' });
      incidents.addTimeline(3, { at: T, kind: 'status', message: 'no' });
    });
    const values = incidents.labelValues([1, 2, 3], ['pod', 'node'], 10);
    expect([...values.keys()]).toEqual([1, 2]);
    // Byte-wise: upper case, then '_', then lower case, then UTF-8 beyond ASCII.
    expect(values.get(1)).toEqual({ node: ['n1', 'n2'], pod: ['B', 'Z', '_x', 'a', 'é'] });
    expect(values.get(2)).toEqual({ node: ['n9'] });
    expect(incidents.labelValues([1], ['pod'], 2)).toEqual(new Map([[1, { pod: ['B', 'Z'] }]]));
    expect(incidents.labelValues([], ['pod'], 2).size).toBe(0);
    expect(incidents.labelValues([1], [], 2).size).toBe(0);
    expect(incidents.escalated([1, 2, 3])).toEqual(new Set([2]));
    expect(incidents.escalated([])).toEqual(new Set());
  });

  it('PlanRecords: save, isPlanned, forIncident, get, and every update', async () => {
    await journal.write(() => incidents.saveIncident(incident(1)));
    const ids = await journal.write(() =>
      plans.save(
        1,
        {
          entries: [entry(1, 'restart', ['0a', '0b']), entry(1, 'scale', ['0a'])],
          skips: [skip('notify')],
        },
        T,
      ),
    );
    expect(ids).toEqual([1, 2]);
    const ref = { fingerprint: '0a', startsAt: '2026-11-01T00:00:00Z' };
    expect(plans.isPlanned('restart', ref, 'firing')).toBe(true);
    expect(plans.isPlanned('restart', ref, 'resolved')).toBe(false);
    expect(plans.isPlanned('notify', { ...ref, fingerprint: '0f' }, 'firing')).toBe(false);
    // Planning the same instance twice is ignored, not an error.
    await journal.write(() =>
      plans.save(1, { entries: [entry(1, 'restart', ['0a'])], skips: [] }, T),
    );
    expect(count('plan_alerts')).toBe(3);

    const { alertnames: _alertnames, ...stored } = entry(1, 'restart', ['0a', '0b']);
    expect(plans.get(1)).toEqual({
      ...stored,
      id: 1,
      status: 'planned',
      currentStep: 0,
      createdAt: T,
      updatedAt: T,
    });
    expect(plans.get(3)).toEqual({
      id: 3,
      incidentId: 1,
      policy: 'notify',
      trigger: 'firing',
      status: 'skipped',
      reason: 'below Sev1',
      alerts: [{ fingerprint: '0f', startsAt: '2026-11-01T00:00:00Z' }],
      steps: [],
      dryRun: false,
      autoResolve: true,
      cooldownMs: 0,
      budget: { max: 1, perMs: 0 },
      currentStep: 0,
      createdAt: T,
      updatedAt: T,
    });
    expect(plans.get(99)).toBeUndefined();
    expect(plans.forIncident(1).map((p) => [p.id, p.policy, p.status])).toEqual([
      [1, 'restart', 'planned'],
      [2, 'scale', 'planned'],
      [3, 'notify', 'skipped'],
      [4, 'restart', 'planned'],
    ]);

    const target = {
      kind: 'Deployment' as const,
      namespace: 'prod',
      name: 'web-2',
      from: { kind: 'Pod' as const, name: 'web-2-abc' },
    };
    const approval: ApprovalRecord = {
      state: 'pending',
      step: 1,
      change: 'restart prod/web',
      requestedAt: T,
      deadline: T + 500,
    };
    await journal.write(() => {
      plans.setStatus(2, 'running', 1, T + 10);
      plans.setTarget(2, target, T + 11);
      plans.setApproval(4, 'awaiting_approval', 1, approval, T + 12);
    });
    expect(plans.get(2)).toMatchObject({
      status: 'running',
      currentStep: 1,
      target,
      updatedAt: T + 11,
    });
    expect(plans.get(4)).toMatchObject({
      status: 'awaiting_approval',
      currentStep: 1,
      approvalRecord: approval,
    });
    expect(plans.awaitingApproval(0, 10).map((p) => p.id)).toEqual([4]);
    const answered: ApprovalRecord = {
      ...approval,
      state: 'approved',
      by: 'slack:ann',
      at: T + 20,
      comment: 'ok',
    };
    await journal.write(() => plans.setApproval(4, 'running', 1, answered, T + 20));
    expect(plans.get(4)).toMatchObject({ status: 'running', approvalRecord: answered });
    expect(plans.awaitingApproval(0, 10)).toEqual([]);
    expect(journal.db.prepare('SELECT approval_deadline FROM plans WHERE id = 4').get()).toEqual({
      approval_deadline: null,
    });
    expect(plans.withStatus('planned', 0, 10).map((p) => p.id)).toEqual([1]);
    expect(plans.withStatus('running', 0, 1).map((p) => p.id)).toEqual([2]);
    expect(plans.withStatus('running', 2, 10).map((p) => p.id)).toEqual([4]);
  });

  it('RemediationRecords: steps, verification, settings, circuits, escalations, notices', async () => {
    await journal.write(() => {
      incidents.saveIncident(incident(1));
      plans.save(
        1,
        { entries: [entry(1, 'restart', ['0a']), entry(1, 'notify', ['0b'])], skips: [] },
        T,
      );
    });
    const base = { incidentId: 1, policy: 'restart', action: 'restart', dryRun: false, at: T };
    const ids = await journal.write(() => [
      steps.insert({
        ...base,
        planId: 1,
        step: 0,
        status: 'intent',
        intent: { replicas: 3, list: ['é'] },
        target: { kind: 'Deployment', namespace: 'prod', name: 'web' },
      }),
      steps.insert({
        ...base,
        planId: 1,
        step: 1,
        status: 'skipped',
        reason: 'paused',
        summary: 'paused',
      }),
      steps.insert({
        ...base,
        planId: 2,
        step: 0,
        policy: 'notify',
        action: 'notify',
        status: 'intent',
        intent: { sink: 'slack' },
      }),
      steps.insert({
        ...base,
        planId: 2,
        step: 1,
        policy: 'notify',
        action: 'notify',
        status: 'intent',
        intent: { sink: 'pager' },
      }),
    ]);
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(steps.openIntents(0, 10).map((s) => s.id)).toEqual([1, 3, 4]);
    expect(steps.openIntents(1, 1).map((s) => s.id)).toEqual([3]);
    await journal.write(() => {
      steps.finish(
        1,
        { status: 'applied', result: { restarted: true, at: 1.5 }, verifyUntil: T + 60 },
        T + 5,
      );
      steps.finish(3, { status: 'applied', summary: 'told slack' }, T + 6);
      steps.finish(4, { status: 'failed', reason: 'sink_error' }, T + 6);
    });
    expect(steps.openIntents(0, 10)).toEqual([]);
    expect(steps.pendingVerifications(0, 10).map((s) => s.id)).toEqual([1]);
    expect(steps.forPlan(1)).toEqual([
      {
        id: 1,
        planId: 1,
        incidentId: 1,
        policy: 'restart',
        step: 0,
        action: 'restart',
        target: { kind: 'Deployment', namespace: 'prod', name: 'web' },
        status: 'applied',
        intent: { replicas: 3, list: ['é'] },
        result: { restarted: true, at: 1.5 },
        dryRun: false,
        startedAt: T,
        finishedAt: T + 5,
        verifyUntil: T + 60,
      },
      {
        id: 2,
        planId: 1,
        incidentId: 1,
        policy: 'restart',
        step: 1,
        action: 'restart',
        status: 'skipped',
        reason: 'paused',
        summary: 'paused',
        dryRun: false,
        startedAt: T,
        finishedAt: T,
      },
    ]);
    await journal.write(() => {
      steps.setVerification(1, 'effective');
      plans.setStatus(1, 'skipped', 1, T + 7);
    });
    expect(steps.pendingVerifications(0, 10)).toEqual([]);
    expect(steps.forPlan(1)[0]?.verification).toBe('effective');
    expect(steps.forIncident(1).map((s) => s.id)).toEqual([1, 2, 3, 4]);
    expect(steps.plansSkippedByPause()).toEqual([{ planId: 1, step: 1 }]);

    expect(steps.getSetting('paused')).toBeUndefined();
    await journal.write(() => {
      steps.setSetting('paused', '{"by":"ann"}', T);
      steps.setSetting('paused', 'false', T + 1);
      steps.saveCircuit('restart', 'open');
      steps.saveCircuit('b-scale', 'closed');
      steps.saveCircuit('restart', 'half_open');
    });
    expect(steps.getSetting('paused')).toBe('false');
    expect(new Map([...steps.circuits()].sort())).toEqual(
      new Map([
        ['b-scale', 'closed'],
        ['restart', 'half_open'],
      ]),
    );

    const rung = { ladder: 'default', index: 0, sink: 'email' };
    const recorded = await journal.write(() => [
      steps.recordEscalation(1, rung, 'no fix', T),
      steps.recordEscalation(1, rung, 'again', T),
      steps.recordEscalation(1, { ...rung, index: 2, sink: 'slack' }, 'still', T),
    ]);
    expect(recorded).toEqual([true, false, true]);
    expect(steps.escalatedRungs(1, 'default')).toEqual(new Set([0, 2]));
    expect(steps.escalatedRungs(1, 'other')).toEqual(new Set());
    // The applied notify step's sink and the escalations', once each, sorted; not the failed one.
    expect(steps.notifiedSinks(1)).toEqual(['email', 'slack']);
    const notices = await journal.write(() => [
      steps.recordResolutionNotice(1, 'slack', T),
      steps.recordResolutionNotice(1, 'slack', T + 1),
      steps.recordResolutionNotice(1, 'email', T),
    ]);
    expect(notices).toEqual([true, false, true]);
  });

  it('NotificationLog: append, marks, pages, windows, links and orphans', async () => {
    expect(log.lastSeq()).toBe(0);
    expect(log.appliedSeq()).toBe(0);
    const seqs = await journal.write(() => [
      log.append('{"n":1,"é":"✓"}', T, '10.0.0.1'),
      log.append('{"n":2}', T + 10, '10.0.0.2'),
      log.append('{"n":3}', T + 20, '10.0.0.1'),
    ]);
    expect(seqs).toEqual([1, 2, 3]);
    expect(log.lastSeq()).toBe(3);
    expect(log.after(0, 10)).toEqual([
      { seq: 1, receivedAt: T, source: '10.0.0.1', body: '{"n":1,"é":"✓"}' },
      { seq: 2, receivedAt: T + 10, source: '10.0.0.2', body: '{"n":2}' },
      { seq: 3, receivedAt: T + 20, source: '10.0.0.1', body: '{"n":3}' },
    ]);
    expect(log.after(1, 1).map((n) => n.seq)).toEqual([2]);
    expect(log.receivedBetween(T + 10, T + 20, 0, 10).map((n) => n.seq)).toEqual([2]);
    expect(log.receivedBetween(T, T + 30, 1, 1).map((n) => n.seq)).toEqual([2]);
    await journal.write(() => {
      incidents.saveIncident(incident(7));
      log.linkTo(1, 7);
      log.setApplied(2, T + 30);
    });
    expect(log.after(0, 1)[0]).toMatchObject({ seq: 1, incidentId: 7 });
    expect(log.appliedSeq()).toBe(2);
    // Only unlinked, applied and old enough: seq 2 (3 is not applied, 1 feeds incident 7).
    expect(await journal.write(() => log.pruneOrphans(T + 100, 10))).toBe(1);
    expect(log.after(0, 10).map((n) => n.seq)).toEqual([1, 3]);
    expect(await journal.write(() => log.pruneOrphans(T + 100, 10))).toBe(0);
    // A seq is never reused, even for the newest one once deleted.
    await journal.write(() => log.setApplied(3, T + 40));
    expect(await journal.write(() => log.pruneOrphans(T + 100, 10))).toBe(1);
    // The next seq is above every one ever appended, and above the applied mark (3): one at or
    // below it would be skipped by a restart's recovery, which reads after the mark.
    const next = await journal.write(() => log.append('{}', T + 50, 'x'));
    expect(next).toBe(4);
  });

  it('SilenceRecords: insert once, unlifted in order, lifted once', async () => {
    await journal.write(() => {
      incidents.saveIncident(incident(1));
      plans.save(1, { entries: [entry(1, 'silence', ['0a'])], skips: [] }, T);
      silences.insert({ id: 'b-uuid', planId: 1, alertname: 'A', createdAt: T, endsAt: T + 10 });
      silences.insert({ id: 'a-uuid', planId: 1, alertname: 'B', createdAt: T, endsAt: T + 20 });
      silences.insert({
        id: 'c-uuid',
        planId: 1,
        alertname: 'C',
        createdAt: T - 1,
        endsAt: T + 30,
      });
      silences.insert({ id: 'a-uuid', planId: 1, alertname: 'ignored', createdAt: T, endsAt: T });
    });
    expect(silences.unlifted(1).map((s) => s.id)).toEqual(['c-uuid', 'a-uuid', 'b-uuid']);
    expect(silences.get('a-uuid')).toEqual({
      id: 'a-uuid',
      planId: 1,
      alertname: 'B',
      createdAt: T,
      endsAt: T + 20,
    });
    await journal.write(() => {
      silences.lifted('a-uuid', T + 5);
      silences.lifted('a-uuid', T + 6);
    });
    expect(silences.get('a-uuid')?.liftedAt).toBe(T + 5);
    expect(silences.unlifted(1).map((s) => s.id)).toEqual(['c-uuid', 'b-uuid']);
    expect(silences.get('none')).toBeUndefined();
  });

  it('deleting an incident deletes everything that hangs off it, and nothing else', async () => {
    await journal.write(() => {
      for (const id of [1, 2]) {
        const i = incident(id, {}, [alert(`0${id}`, { pod: 'a' })]);
        incidents.saveChange({
          incident: i,
          alerts: [...i.alerts.values()],
          newlyFiring: [],
          newlyResolved: [],
          timeline: [{ at: T, kind: 'opened', message: 'o' }],
        });
        const [planId] = plans.save(
          id,
          { entries: [entry(id, 'restart', [`0${id}`])], skips: [skip('x')] },
          T,
        );
        steps.insert({
          planId: planId ?? 0,
          incidentId: id,
          policy: 'restart',
          step: 0,
          action: 'restart',
          status: 'intent',
          dryRun: false,
          at: T,
        });
        silences.insert({
          id: `s${id}`,
          planId: planId ?? 0,
          alertname: 'A',
          createdAt: T,
          endsAt: T,
        });
        steps.recordEscalation(id, { ladder: 'l', index: 0, sink: 's' }, 'r', T);
        steps.recordResolutionNotice(id, 's', T);
        log.linkTo(log.append('{}', T, 'x'), id);
      }
    });
    const tables = [
      'alerts',
      'timeline',
      'plans',
      'plan_alerts',
      'remediations',
      'silences',
      'escalations',
      'resolution_notices',
      'notifications',
    ];
    const counts = () => Object.fromEntries(tables.map((t) => [t, count(t)]));
    expect(counts()).toEqual({
      alerts: 2,
      timeline: 2,
      plans: 4,
      plan_alerts: 2,
      remediations: 2,
      silences: 2,
      escalations: 2,
      resolution_notices: 2,
      notifications: 2,
    });
    await journal.write(() => journal.db.prepare('DELETE FROM incidents WHERE id = ?').run(1));
    expect(counts()).toEqual({
      alerts: 1,
      timeline: 1,
      plans: 2,
      plan_alerts: 1,
      remediations: 1,
      silences: 1,
      escalations: 1,
      resolution_notices: 1,
      notifications: 1,
    });
    expect(incidents.get(1)).toBeUndefined();
    expect(incidents.get(2)?.alerts.size).toBe(1);
  });
});
