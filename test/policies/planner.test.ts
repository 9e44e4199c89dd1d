import { applyNotification, type IncidentChange } from '../../src/incidents/incident';
import { loadPolicies } from '../../src/policies/loader';
import {
  applyPlan,
  planChange,
  targetText,
  type AlertRef,
  type Trigger,
} from '../../src/policies/planner';
import type { PolicySet } from '../../src/policies/policy';
import type { WebhookPayload } from '../../src/alertmanager/payload';
import { fixture } from '../support/fixtures';
import { ACTIONS } from '../../src/remediations/actions/index';

const T0 = Date.parse('2026-11-27T14:00:00Z');

function policies(yaml: string): PolicySet {
  const result = loadPolicies(yaml, 'test.yaml', ACTIONS);
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
        gitops: 'skip',
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
        // severity="critical" makes the incident Sev2, still below the policy's Sev1.
        reason: 'incident is Sev2; the policy acts on Sev1 or worse',
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
    const below = planChange({
      change: change(valued, payload),
      policies: valued.policies,
      isPlanned: nothingPlanned,
    });
    expect(below.matches.size).toBe(0);
    expect(below.entries).toEqual([]);
    payload.alerts[0]!.annotations.p99_seconds = '1900ms';
    const above = planChange({
      change: change(valued, payload),
      policies: valued.policies,
      isPlanned: nothingPlanned,
    });
    expect(above.entries).toHaveLength(1);
    expect(above.entries[0]?.reason).toContain('and annotation p99_seconds="1900ms" (1.9) > 1');
    expect(above.skips).toEqual([]);
  });

  it('says why a value condition kept a policy from acting: the value, where it came from, the bound', () => {
    const valued = policies(`
policies:
  - name: queue-scale
    match: ['alertname="QueueDepth"']
    value: { annotation: queue_depth, above: 1000 }
    steps: [{ action: notify, params: { sink: s } }]
sinks: { s: { type: webhook, urlEnv: HOOK } }
`);
    const payload = fixture('am-api-single-firing-bearer');
    payload.alerts[0]!.labels.alertname = 'QueueDepth';
    payload.alerts[0]!.annotations.queue_depth = '800';
    const ref = { fingerprint: payload.alerts[0]!.fingerprint, startsAt: '2026-11-27T13:56:01Z' };
    const at = (depth: string | undefined) => {
      if (depth === undefined) delete payload.alerts[0]!.annotations.queue_depth;
      else payload.alerts[0]!.annotations.queue_depth = depth;
      return planChange({
        change: change(valued, payload),
        policies: valued.policies,
        isPlanned: nothingPlanned,
      }).skips;
    };
    expect(at('800')).toEqual([
      {
        policy: 'queue-scale',
        trigger: 'firing',
        alerts: [ref],
        code: 'value_condition_not_met',
        reason: 'value condition not met: annotation queue_depth="800" (800) is not > 1000',
      },
    ]);
    expect(at('lots')[0]?.reason).toBe(
      'value condition not met: annotation queue_depth="lots" is not a number (expected e.g. 1.9, 1900ms, 95%)',
    );
    expect(at(undefined)[0]?.reason).toBe(
      'value condition not met: annotation queue_depth is absent',
    );
  });

  describe('target names taken from alert labels', () => {
    const plan = (labels: Record<string, string>) => {
      const payload = fixture('am-api-single-firing-bearer');
      Object.assign(payload.alerts[0]!.labels, labels);
      return planChange({
        change: change(set, payload),
        policies: set.policies,
        isPlanned: nothingPlanned,
      });
    };

    it.each([
      [{ deployment: '..' }, 'target name ".." is not a valid Deployment name'],
      [{ deployment: '../kube-system' }, 'target name "../kube-system" is not a valid Deployment'],
      [{ deployment: 'web/scale' }, 'target name "web/scale"'],
      [{ deployment: 'web\nx' }, 'target name "web\\nx"'],
      [{ deployment: 'Web' }, 'target name "Web"'],
    ])('refuses %j as invalid_target, quoting the value escaped', (labels, reason) => {
      const result = plan(labels);
      expect(result.entries).toEqual([]);
      expect(result.skips).toEqual([
        expect.objectContaining({
          policy: 'scale-out',
          code: 'invalid_target',
          reason: expect.stringContaining(reason) as unknown,
        }),
      ]);
    });

    it('refuses a namespace of ".." (which would address the Namespace itself) and a 300-character name, cut short', () => {
      const scaled = policies(SCALE.replace('namespace=~"prod|staging"', 'namespace!=""'));
      const payload = fixture('am-api-single-firing-bearer');
      payload.alerts[0]!.labels.namespace = '..';
      payload.alerts[0]!.labels.deployment = 'a'.repeat(300);
      const { skips } = planChange({
        change: change(scaled, payload),
        policies: scaled.policies,
        isPlanned: nothingPlanned,
      });
      expect(skips.map((s) => [s.code, s.reason])).toEqual([
        [
          'invalid_target',
          `target namespace ".." is not a valid Namespace name: it must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); target name "${'a'.repeat(64)}"... (300 characters) is not a valid Deployment name: it must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit, at most 253 characters)`,
        ],
      ]);
    });

    it('plans a valid name with dots', () => {
      expect(plan({ deployment: 'api.v2' }).entries[0]?.target).toEqual({
        kind: 'Deployment',
        namespace: 'prod',
        name: 'api.v2',
      });
    });
  });
});

describe('targets found through a pod or an HPA', () => {
  const owners = policies(`
policies:
  - name: crash-loop
    match: ['alertname="KubePodCrashLooping"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', fromPod: '{{ labels.pod }}' }
    steps:
      - action: restart
  - name: hpa-maxed
    match: ['alertname="KubeHpaMaxedOut"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', fromHpa: '{{ labels.horizontalpodautoscaler }}' }
    steps:
      - action: scale
        params: { of: hpaMaxReplicas, by: 2, max: 20 }
`);
  // KubePodCrashLooping as kubernetes-mixin's rule makes it: the pod, never the Deployment.
  const crashLooping = (pod: string, namespace = 'prod') => {
    const payload = fixture('am-api-single-firing-bearer');
    payload.alerts[0]!.labels = {
      alertname: 'KubePodCrashLooping',
      namespace,
      pod,
      container: 'web',
      reason: 'CrashLoopBackOff',
      job: 'kube-state-metrics',
      severity: 'warning',
    };
    return planChange({
      change: change(owners, payload),
      policies: owners.policies,
      isPlanned: nothingPlanned,
    });
  };

  it('plans for the Deployment that owns the pod, to be found when the step runs', () => {
    const plan = crashLooping('web-7d9f8b6c5-abcde');
    expect(plan.skips).toEqual([]);
    expect(plan.entries.map((e) => e.target)).toEqual([
      { kind: 'Deployment', namespace: 'prod', from: { kind: 'Pod', name: 'web-7d9f8b6c5-abcde' } },
    ]);
    const { timeline } = applyPlan(
      change(owners, fixture('am-api-single-firing-bearer')).incident,
      plan,
      T0,
    );
    expect(timeline[0]?.message).toBe(
      'Plan (policy crash-loop): restart on the Deployment that owns pod prod/web-7d9f8b6c5-abcde for KubePodCrashLooping: 1 alert firing',
    );
  });

  it('refuses a pod name the API server would refuse, as invalid_target', () => {
    const plan = crashLooping('../web');
    expect(plan.entries).toEqual([]);
    expect(plan.skips.map((s) => [s.code, s.reason])).toEqual([
      [
        'invalid_target',
        `target pod "../web" is not a valid Pod name: it must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit, at most 253 characters)`,
      ],
    ]);
  });

  it('plans for what an HPA scales', () => {
    const payload = fixture('am-api-single-firing-bearer');
    payload.alerts[0]!.labels = {
      alertname: 'KubeHpaMaxedOut',
      namespace: 'prod',
      horizontalpodautoscaler: 'web',
      severity: 'warning',
    };
    const plan = planChange({
      change: change(owners, payload),
      policies: owners.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.entries.map((e) => [e.policy, e.target])).toEqual([
      [
        'hpa-maxed',
        {
          kind: 'Deployment',
          namespace: 'prod',
          from: { kind: 'HorizontalPodAutoscaler', name: 'web' },
        },
      ],
    ]);
  });

  it.each([
    [{ kind: 'Deployment', namespace: 'prod', name: 'web' }, 'Deployment prod/web'],
    [
      { kind: 'Deployment', namespace: 'prod', from: { kind: 'Pod', name: 'web-1' } },
      'Deployment that owns pod prod/web-1',
    ],
    [
      {
        kind: 'StatefulSet',
        namespace: 'db',
        from: { kind: 'HorizontalPodAutoscaler', name: 'pg' },
      },
      'StatefulSet scaled by HPA db/pg',
    ],
    [
      { kind: 'Deployment', namespace: 'prod', name: 'web', from: { kind: 'Pod', name: 'web-1' } },
      'Deployment prod/web (owns pod prod/web-1)',
    ],
  ] as const)('says %j as %j', (target, text) => {
    expect(targetText(target)).toBe(text);
  });
});

describe('policy routing: continue', () => {
  const routed = (continueFirst: string, text = 'info') =>
    policies(`
policies:
  - name: info-only
    match: ['severity="info"']
    ${continueFirst}
    steps: [{ action: notify, params: { sink: s, text: '${text}' } }]
  - name: catch-all
    match: ['alertname!=""']
    steps: [{ action: notify, params: { sink: s, template: resolution-notice } }]
sinks: { s: { type: webhook, urlEnv: HOOK } }
`);
  const group = () => {
    const payload = fixture('am-api-group-3-alerts-firing');
    payload.alerts[0]!.labels.severity = 'info';
    return payload;
  };
  const planned = (set: PolicySet) => {
    const plan = planChange({
      change: change(set, group()),
      policies: set.policies,
      isPlanned: nothingPlanned,
    });
    return {
      entries: plan.entries.map((e) => [e.policy, e.alerts.length]),
      skips: plan.skips.map((s) => [s.policy, s.code, s.alerts.length]),
      reasons: [...plan.entries, ...plan.skips].map((e) => e.reason),
    };
  };

  it('lets every matching policy act by default (continue: true)', () => {
    expect(planned(routed('')).entries).toEqual([
      ['info-only', 1],
      ['catch-all', 3],
    ]);
  });

  it('stops evaluating later policies for an alert a continue: false policy matched, and only for it', () => {
    const result = planned(routed('continue: false'));
    expect(result.entries).toEqual([
      ['info-only', 1],
      ['catch-all', 2],
    ]);
    expect(result.reasons[0]).toMatch(/continue: false, so no later policy is evaluated/);
    expect(result.reasons[1]).not.toMatch(/continue/);
  });

  it('stops even when the matching policy is then skipped, as an Alertmanager route matches by labels', () => {
    const result = planned(routed('continue: false', '{{ labels.missing }}'));
    expect(result.entries).toEqual([['catch-all', 2]]);
    expect(result.skips).toEqual([['info-only', 'template_missing_value', 1]]);
    expect(result.reasons[1]).toMatch(/continue: false, so no later policy is evaluated/);
  });

  it('does not stop when the policy does not match because its value condition fails', () => {
    const set = policies(`
policies:
  - name: deep-queue
    match: ['alertname!=""']
    value: { annotation: queue_depth, above: 1000 }
    continue: false
    steps: [{ action: notify, params: { sink: s } }]
  - name: catch-all
    match: ['alertname!=""']
    steps: [{ action: notify, params: { sink: s, template: resolution-notice } }]
sinks: { s: { type: webhook, urlEnv: HOOK } }
`);
    const payload = group();
    payload.alerts[1]!.annotations.queue_depth = '5000';
    const plan = planChange({
      change: change(set, payload),
      policies: set.policies,
      isPlanned: nothingPlanned,
    });
    expect(plan.entries.map((e) => [e.policy, e.alerts.length])).toEqual([
      ['deep-queue', 1],
      ['catch-all', 2],
    ]);
    expect(plan.skips.map((s) => [s.policy, s.code, s.alerts.length])).toEqual([
      ['deep-queue', 'value_condition_not_met', 2],
    ]);
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

describe('the plan limit of one notification', () => {
  const set = policies(`
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:1/hook' }
policies:
  - name: restart
    match: ['alertname="HighErrorRate"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps: [{ action: restart }]
  - name: page
    match: ['alertname="HighErrorRate"']
    steps: [{ action: notify, params: { sink: oncall } }]
`);
  /** A group of HighErrorRate alerts, each naming the Deployment given for it. */
  const group = (deployments: readonly string[]): WebhookPayload => {
    const payload = fixture('am-api-group-3-alerts-firing');
    payload.alerts = deployments.map((deployment, i) => ({
      ...payload.alerts[0]!,
      labels: { ...payload.alerts[0]!.labels, deployment },
      fingerprint: i.toString(16).padStart(16, '0'),
    }));
    return payload;
  };
  const ref = (i: number): AlertRef => ({
    fingerprint: i.toString(16).padStart(16, '0'),
    startsAt: '2026-11-27T13:56:28.515Z',
  });

  it('keeps the plans of the first alerts, every policy of one alert before the next alert', () => {
    const c = change(set, group(['a', 'b', 'c', 'a', 'd']));
    const plan = planChange({
      change: c,
      policies: set.policies,
      isPlanned: nothingPlanned,
      planLimit: { left: 3, of: 10 },
    });
    // Alert 0 makes restart a and the one page (every alert joins it); alert 1 restart b.
    // Alert 3 names a again: it joins that plan, and counts for nothing.
    expect(
      plan.entries.map((e) => [
        e.policy,
        e.target && 'name' in e.target ? e.target.name : undefined,
        e.alerts.length,
      ]),
    ).toEqual([
      ['restart', 'a', 2],
      ['restart', 'b', 1],
      ['page', undefined, 5],
    ]);
    expect(plan.skips).toEqual([
      {
        policy: 'restart',
        trigger: 'firing',
        code: 'too_many_plans',
        reason:
          'the notification would make more than 10 remediation plans, the most one notification may make (safety.maxPlansPerNotification)',
        alerts: [ref(2), ref(4)],
      },
    ]);
  });

  it('makes no new plan once the limit is used up, and needs none for an alert that joins one', () => {
    const c = change(set, group(['a', 'b']));
    const plan = planChange({
      change: c,
      policies: set.policies,
      isPlanned: nothingPlanned,
      planLimit: { left: 0, of: 2 },
    });
    expect(plan.entries).toEqual([]);
    expect(plan.skips.map((s) => [s.policy, s.code, s.alerts.length])).toEqual([
      ['restart', 'too_many_plans', 2],
      ['page', 'too_many_plans', 2],
    ]);
  });

  it('plans everything without a limit', () => {
    const c = change(set, group(['a', 'b', 'c', 'd']));
    const plan = planChange({ change: c, policies: set.policies, isPlanned: nothingPlanned });
    expect(plan.entries).toHaveLength(5);
    expect(plan.skips).toEqual([]);
  });
});
