import { applyNotification, type IncidentChange } from '../../src/incidents/incident';
import { loadPolicies } from '../../src/policies/loader';
import { applyPlan, planChange, type AlertRef, type Trigger } from '../../src/policies/planner';
import type { PolicySet } from '../../src/policies/policy';
import type { WebhookPayload } from '../../src/receivers/payload';
import { fixture } from '../support/fixtures';

const T0 = Date.parse('2026-11-27T14:00:00Z');

function policies(yaml: string): PolicySet {
  const result = loadPolicies(yaml, 'test.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.policySet;
}

function change(
  set: PolicySet,
  payload: WebhookPayload,
  current?: IncidentChange['incident'],
): IncidentChange {
  const c = applyNotification({ current, payload, severity: set.severity, now: T0, nextId: 1 });
  if (c === undefined) throw new Error('expected a change');
  return c;
}

const nothingPlanned = () => false;

const SCALE = `
policies:
  - name: scale-out
    match: ['alertname="HighLatency"', 'namespace=~"prod|staging"']
    minSeverity: 2
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: 5m
      - action: notify
        params: { sink: oncall, text: '{{ severity }} on {{ labels.deployment }}: {{ annotations.summary }}' }
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:1/hook' }
`;

describe('planning', () => {
  const set = policies(SCALE);

  it('plans a matching policy with its target and every step rendered', () => {
    const plan = planChange({
      change: change(set, fixture('am-api-single-firing-bearer')),
      policies: set.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.skips).toEqual([]);
    expect(plan.entries).toEqual([
      {
        policy: 'scale-out',
        trigger: 'firing',
        incidentId: 1,
        alerts: [{ fingerprint: '2c73220912164df8', startsAt: '2026-11-27T13:56:01Z' }],
        alertnames: ['HighLatency'],
        target: { kind: 'Deployment', namespace: 'prod', name: 'heart-disease-api' },
        steps: [
          { action: 'scale', params: { by: 2, max: 10, min: 1 }, verifyMs: 300_000 },
          {
            action: 'notify',
            params: {
              sink: 'oncall',
              template: 'status-update',
              text: 'Sev1 on heart-disease-api: High p99 latency on heart-disease-api',
            },
            verifyMs: 300_000,
          },
        ],
        dryRun: false,
        autoResolve: true,
        cooldownMs: 900_000,
        budget: { max: 3, perMs: 3_600_000 },
        reason:
          'HighLatency firing, matched alertname="HighLatency", namespace=~"prod|staging"; incident Sev1 (acts on Sev2 or worse)',
      },
    ]);
    expect(plan.matches).toEqual(new Map([['scale-out', 1]]));
  });

  it("selects by each alert's own labels, not the group's common labels", () => {
    const payload = fixture('am-api-group-3-alerts-firing');
    for (const a of payload.alerts) a.labels.alertname = 'HighLatency';
    payload.alerts[1]!.labels.namespace = 'dev';
    payload.commonLabels = { alertname: 'HighLatency', namespace: 'prod' };
    const plan = planChange({
      change: change(set, payload),
      policies: set.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.entries.map((e) => e.alerts.map((a) => a.fingerprint))).toEqual([
      ['845b19416a7cc11e', '4f59a1b000ef1a48'],
    ]);
  });

  it('merges alert instances of one target into one entry', () => {
    const payload = fixture('am-api-group-3-alerts-firing');
    for (const a of payload.alerts) a.labels.alertname = 'HighLatency';
    const plan = planChange({
      change: change(set, payload),
      policies: set.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.entries).toHaveLength(1);
    expect(plan.entries[0]?.alerts).toHaveLength(3);
    expect(plan.matches.get('scale-out')).toBe(3);
  });

  it('does not plan again what was already planned for an instance (a repeat)', () => {
    const seen = new Set<string>();
    const isPlanned = (policy: string, a: AlertRef, t: Trigger) =>
      seen.has(`${policy}/${a.fingerprint}/${a.startsAt}/${t}`);
    const c = change(set, fixture('am-api-single-firing-bearer'));
    const first = planChange({ change: c, policies: set.policies, isPlanned });
    for (const e of first.entries)
      for (const a of e.alerts) seen.add(`${e.policy}/${a.fingerprint}/${a.startsAt}/${e.trigger}`);
    const again = planChange({ change: c, policies: set.policies, isPlanned });
    expect(again.entries).toEqual([]);
    expect(again.skips).toEqual([]);
  });

  it('skips, with the reason, when the incident is not severe enough', () => {
    const payload = fixture('am-api-single-firing-bearer');
    const lenient = policies(
      SCALE.replace('minSeverity: 2', 'minSeverity: 1').replace(
        'alertname="HighLatency"',
        'alertname="Slow"',
      ),
    );
    payload.alerts[0]!.labels.alertname = 'Slow';
    const plan = planChange({
      change: change(lenient, payload),
      policies: lenient.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.entries).toEqual([]);
    expect(plan.skips).toEqual([
      expect.objectContaining({
        policy: 'scale-out',
        code: 'severity_below_minimum',
        reason: 'incident is Sev4; the policy acts on Sev1 or worse',
      }),
    ]);
  });

  it('skips, with the reason, when a template reads a missing label: never an empty name', () => {
    const payload = fixture('am-api-single-firing-bearer');
    delete payload.alerts[0]!.labels.deployment;
    const plan = planChange({
      change: change(set, payload),
      policies: set.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.entries).toEqual([]);
    expect(plan.skips).toEqual([
      expect.objectContaining({
        code: 'template_missing_value',
        reason:
          'cannot render target.name: label "deployment" is missing; steps[1].params.text: label "deployment" is missing',
      }),
    ]);
  });

  it('acts on resolved alerts only where a policy asks for it', () => {
    const both = policies(`
policies:
  - name: firing-only
    match: ['alertname="HighLatency"']
    steps: [{ action: notify, params: { sink: s } }]
  - name: on-resolve
    match: ['alertname="HighLatency"']
    on: [resolved]
    steps: [{ action: notify, params: { sink: s, template: resolution-notice } }]
sinks: { s: { type: webhook, urlEnv: HOOK } }
`);
    const fired = change(both, fixture('am-api-single-firing-bearer'));
    expect(
      planChange({ change: fired, policies: both.policies, isPlanned: nothingPlanned }).entries.map(
        (e) => e.policy,
      ),
    ).toEqual(['firing-only']);
    const resolved = change(both, fixture('am-api-single-resolved'), fired.incident);
    const plan = planChange({
      change: resolved,
      policies: both.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.entries.map((e) => [e.policy, e.trigger])).toEqual([['on-resolve', 'resolved']]);
  });

  it('re-considers firing alerts when the incident becomes more severe', () => {
    const sev1Only = policies(`
policies:
  - name: page
    match: ['alertname="HighErrorRate"']
    minSeverity: 1
    steps: [{ action: notify, params: { sink: s } }]
sinks: { s: { type: webhook, urlEnv: HOOK } }
`);
    const payload = fixture('am-api-group-3-alerts-firing');
    const two = structuredClone(payload);
    two.alerts = two.alerts.slice(0, 2);
    const first = change(sev1Only, two);
    expect(first.incident.severity).toBe(2);
    const atSev2 = planChange({
      change: first,
      policies: sev1Only.policies,
      isPlanned: nothingPlanned,
    });
    expect(atSev2.entries).toEqual([]);
    expect(atSev2.matches.get('page')).toBe(2);
    const third = change(sev1Only, payload, first.incident);
    expect(third.incident.severity).toBe(1);
    const plan = planChange({
      change: third,
      policies: sev1Only.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.entries).toHaveLength(1);
    expect(plan.entries[0]?.alerts).toHaveLength(3);
    // Matches count alert instances once, when they start firing: 2 + 1, never 2 + 3.
    expect(plan.matches.get('page')).toBe(1);
  });

  it('honours a numeric condition on the alert', () => {
    const valued = policies(`
policies:
  - name: slow
    match: ['alertname="LatencyObserved"']
    value: { annotation: p99_seconds, above: 1 }
    steps: [{ action: notify, params: { sink: s } }]
sinks: { s: { type: webhook, urlEnv: HOOK } }
`);
    const payload = fixture('am-api-single-firing-bearer');
    payload.alerts[0]!.labels.alertname = 'LatencyObserved';
    payload.alerts[0]!.annotations.p99_seconds = '800ms';
    expect(
      planChange({
        change: change(valued, payload),
        policies: valued.policies,
        isPlanned: nothingPlanned,
      }).matches.size,
    ).toBe(0);
    payload.alerts[0]!.annotations.p99_seconds = '1900ms';
    expect(
      planChange({
        change: change(valued, payload),
        policies: valued.policies,
        isPlanned: nothingPlanned,
      }).entries,
    ).toHaveLength(1);
  });
});

describe('what a plan does to its incident', () => {
  const set = policies(SCALE);

  it('moves Investigating to Identified and adds a timeline entry per plan', () => {
    const c = change(set, fixture('am-api-single-firing-bearer'));
    const plan = planChange({ change: c, policies: set.policies, isPlanned: nothingPlanned });
    const { incident, timeline } = applyPlan(c.incident, plan, T0 + 1);
    expect(incident?.status).toBe('identified');
    expect(timeline.map((e) => e.message)).toEqual([
      'Plan (policy scale-out): scale → notify on Deployment prod/heart-disease-api for HighLatency: 1 alert firing',
      'Status Investigating → Identified: 1 remediation plan(s) made',
    ]);
  });

  it('holds the incident open for a human when a policy says autoResolve: false', () => {
    const held = policies(
      SCALE.replace('    minSeverity: 2', '    minSeverity: 2\n    autoResolve: false'),
    );
    const c = change(held, fixture('am-api-single-firing-bearer'));
    const plan = planChange({ change: c, policies: held.policies, isPlanned: nothingPlanned });
    const incident = applyPlan(c.incident, plan, T0).incident!;
    expect(incident.holdOpen).toBe('policy scale-out does not resolve automatically');
    const resolved = change(held, fixture('am-api-single-resolved'), incident);
    expect(resolved.incident.status).toBe('identified');
    expect(resolved.timeline.at(-1)?.message).toMatch(/stays open until a human resolves it/);
  });

  it('leaves the incident alone when nothing is planned', () => {
    const c = change(set, fixture('amtool-single-firing'));
    const plan = planChange({ change: c, policies: set.policies, isPlanned: nothingPlanned });
    expect(applyPlan(c.incident, plan, T0)).toEqual({ timeline: [] });
  });
});
