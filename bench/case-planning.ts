/**
 * Planning throughput in one process: 200 policies compiled by `loadPolicies` from dist/, and
 * 10,000 firing alerts (1,000 notifications of 10 alerts, each its own group) folded with
 * `applyNotification` and planned with `planChange`, as the planning stage does for each
 * journaled change (without the journal).
 */
import { performance } from 'node:perf_hooks';
import type { CaseSpec } from './context';
import { dist } from './dist';
import { bodyTemplate, render } from './payloads';
import { formatNumber, median } from './stats';
import type { WebhookPayload } from '../src/alertmanager/payload';

const ALERTNAMES = [
  'HighErrorRate',
  'HighLatency',
  'ServiceDown',
  'PodRestartingFrequently',
  'HighMemoryUsage',
  'HighCPUUsage',
  'DegradedPerformance',
  'ModelAccuracyDrop',
  'PredictionAnomaly',
  'AuthFailureSpike',
];
const NAMESPACES = Array.from({ length: 20 }, (_, i) => `team-${i}`);

/** 200 policies in the shapes the shipped example uses: equality, regex and negative matchers. */
export function policiesYaml(count: number): string {
  const lines = ['policies:'];
  for (let i = 0; i < count; i++) {
    const alertname = ALERTNAMES[i % ALERTNAMES.length] ?? 'HighErrorRate';
    const namespace = NAMESPACES[Math.floor(i / ALERTNAMES.length) % NAMESPACES.length] ?? 'prod';
    const match =
      i % 4 === 0
        ? [
            `alertname=~"${alertname}|${ALERTNAMES[(i + 1) % ALERTNAMES.length] ?? ''}"`,
            `namespace="${namespace}"`,
          ]
        : i % 4 === 1
          ? [
              `alertname="${alertname}"`,
              `namespace=~"${namespace}|${namespace}-canary"`,
              'severity!="info"',
            ]
          : [`alertname="${alertname}"`, `namespace="${namespace}"`];
    const step =
      i % 3 === 0
        ? '{ action: scale, params: { factor: 2, min: 2, max: 12 }, verify: 5m }'
        : i % 3 === 1
          ? '{ action: restart, verify: 5m }'
          : '{ action: rollback, params: { onlyIfChangedWithin: 2h }, verify: 10m }';
    lines.push(
      `  - name: policy-${String(i).padStart(3, '0')}`,
      `    match: [${match.map((m) => `'${m}'`).join(', ')}]`,
      `    minSeverity: ${1 + (i % 4)}`,
      "    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }",
      `    steps: [${step}]`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** 1,000 notifications of 10 firing alerts, spread over the alertnames and namespaces. */
export function notifications(groups: number, perGroup: number): WebhookPayload[] {
  const out: WebhookPayload[] = [];
  for (let g = 0; g < groups; g++) {
    const template = bodyTemplate({
      alerts: perGroup,
      alertname: ALERTNAMES[g % ALERTNAMES.length] ?? 'HighErrorRate',
      namespace: NAMESPACES[Math.floor(g / 7) % NAMESPACES.length] ?? 'prod',
      severity: g % 2 === 0 ? 'critical' : 'warning',
    });
    const id = g.toString(16).padStart(8, '0');
    // What the webhook hands on: the validated payload (defaults already there).
    out.push(JSON.parse(render(template, id)) as WebhookPayload);
  }
  return out;
}

export const planning: CaseSpec = {
  name: 'planning',
  title: 'planning: 10,000 alerts against 200 policies',
  run: (ctx) => {
    const { options } = ctx;
    const loaded = dist
      .loader()
      .loadPolicies(policiesYaml(200), 'bench-policies.yaml', dist.actions().ACTIONS);
    if (!loaded.ok) {
      throw new Error(`the generated policies do not load: ${JSON.stringify(loaded.problems[0])}`);
    }
    const { policySet } = loaded;
    const { applyNotification } = dist.incident();
    const { planChange } = dist.planner();
    const payloads = notifications(1000, 10);
    const alerts = payloads.reduce((a, p) => a + p.alerts.length, 0);

    const once = (): { seconds: number; entries: number } => {
      const planned = new Set<string>();
      let entries = 0;
      const started = performance.now();
      payloads.forEach((payload, i) => {
        const change = applyNotification({
          current: undefined,
          payload,
          severity: policySet.severity,
          now: 1_800_000_000_000 + i,
          nextId: i + 1,
        });
        if (change === undefined) return;
        const plan = planChange({
          change,
          policies: policySet.policies,
          isPlanned: (policy, alert, trigger) =>
            planned.has(`${policy}\0${alert.fingerprint}\0${alert.startsAt}\0${trigger}`),
        });
        for (const entry of plan.entries) {
          entries++;
          for (const a of entry.alerts) {
            planned.add(`${entry.policy}\0${a.fingerprint}\0${a.startsAt}\0${entry.trigger}`);
          }
        }
      });
      return { seconds: (performance.now() - started) / 1000, entries };
    };

    ctx.progress('planning: warm-up');
    once();
    const rounds = Math.max(3, options.rounds);
    const results = Array.from({ length: rounds }, () => once());
    const rate = median(results.map((r) => alerts / r.seconds));
    const entries = results[0]?.entries ?? 0;
    ctx.progress(`planning: ${Math.round(rate)} alerts/s, ${entries} plan entries a round`);
    return Promise.resolve([
      {
        case: 'planning',
        title: 'planning: 10,000 alerts against 200 policies',
        load: `in process, ${rounds} rounds of ${alerts.toLocaleString('en-US')} alerts (1,000 notifications of 10), dist/ applyNotification + planChange`,
        remediator: `${formatNumber(rate)} alerts/s (${entries.toLocaleString('en-US')} plan entries a round)`,
        vsBaseline: 'n/a (no HTTP: nothing for the baseline to do)',
        targets: [
          {
            text: '≥ 10,000 alerts/s in one process',
            met: rate >= 10_000,
            detail: `${formatNumber(rate)} alerts/s`,
          },
        ],
        figures: {
          alerts,
          policies: policySet.policies.length,
          alertsPerSecond: rate,
          entries,
          rounds: results.map((r) => Math.round(alerts / r.seconds)),
        },
        notes: [],
      },
    ]);
  },
};
