import type { WebhookPayload } from '../../src/alertmanager/payload';
import type { Incident } from '../../src/incidents/incident';
import { decide, decideNotification, plannedKey, plannedKeys } from '../../src/policies/decide';
import { loadPolicies } from '../../src/policies/loader';
import type { PolicySet } from '../../src/policies/policy';
import { ACTIONS } from '../../src/remediations/actions/index';
import { fixture } from '../support/fixtures';

const T0 = Date.parse('2026-11-27T14:00:00Z');

function policies(yaml: string): PolicySet {
  const result = loadPolicies(yaml, 'test.yaml', ACTIONS);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.policySet;
}

const SET = policies(`
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:1/hook' }
safety:
  maxPlansPerNotification: 4
policies:
  - name: restart
    match: ['alertname="HighErrorRate"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps: [{ action: restart }]
  - name: page
    match: ['alertname="HighErrorRate"']
    steps: [{ action: notify, params: { sink: oncall } }]
`);

/** One group of `n` firing alerts, each naming its own Deployment. */
function group(n: number): WebhookPayload {
  const payload = fixture('am-api-group-3-alerts-firing');
  payload.alerts = Array.from({ length: n }, (_, i) => ({
    ...payload.alerts[0]!,
    labels: { ...payload.alerts[0]!.labels, deployment: `web-${i}` },
    fingerprint: i.toString(16).padStart(16, '0'),
  }));
  return payload;
}

/** Decides a notification as serve does, applying each slice before the next is asked for. */
function decideAll(payload: WebhookPayload, sliceAlerts: number, current?: Incident) {
  let latest = current;
  const planned = new Set<string>();
  const decisions = [];
  for (const decision of decideNotification({
    payload,
    policySet: SET,
    now: T0,
    current: () => latest,
    nextId: () => 1,
    isPlanned: (policy, alert, trigger) => planned.has(plannedKey(policy, alert, trigger)),
    sliceAlerts,
  })) {
    latest = decision.change.incident;
    for (const key of plannedKeys(decision.plan)) planned.add(key);
    decisions.push(decision);
  }
  return { decisions, incident: latest };
}

describe('decideNotification', () => {
  it('decides a notification no larger than a slice as decide does', () => {
    const payload = group(3);
    const { decisions } = decideAll(payload, 10);
    const once = decide({
      current: undefined,
      payload,
      policySet: SET,
      now: T0,
      nextId: 1,
      isPlanned: () => false,
    });
    expect(decisions).toEqual([once]);
  });

  it('decides a large group a slice at a time, sharing the plan limit between the slices', () => {
    const { decisions, incident } = decideAll(group(10), 3);
    expect(decisions.map((d) => d.change.alerts.length)).toEqual([3, 3, 3, 1]);
    // One incident, opened by the first slice; every later slice folds into it.
    expect(decisions.map((d) => d.change.incident.id)).toEqual([1, 1, 1, 1]);
    expect(incident?.alerts.size).toBe(10);
    const entries = decisions.flatMap((d) => d.plan.entries);
    // The first slice makes the four plans the limit allows; the later ones make none.
    expect(decisions.map((d) => d.plan.entries.length)).toEqual([4, 0, 0, 0]);
    expect(
      entries.map((e) => [e.policy, e.target && 'name' in e.target ? e.target.name : undefined]),
    ).toEqual([
      ['restart', 'web-0'],
      ['restart', 'web-1'],
      ['restart', 'web-2'],
      ['page', undefined],
    ]);
    const dropped = decisions
      .flatMap((d) => d.plan.skips)
      .filter((s) => s.code === 'too_many_plans')
      .flatMap((s) => s.alerts.map((a) => `${s.policy}:${Number.parseInt(a.fingerprint, 16)}`));
    // The page plan of the first slice covers its alerts; later slices would make another.
    expect(dropped).toEqual([
      'restart:3',
      'restart:4',
      'restart:5',
      'page:3',
      'page:4',
      'page:5',
      'restart:6',
      'restart:7',
      'restart:8',
      'page:6',
      'page:7',
      'page:8',
      'restart:9',
      'page:9',
    ]);
  });

  it('decides nothing for a repeat of a notification it already decided in slices', () => {
    const { incident } = decideAll(group(10), 3);
    expect(decideAll(group(10), 3, incident).decisions).toEqual([]);
  });
});
