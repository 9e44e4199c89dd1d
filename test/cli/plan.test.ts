import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebhookPayload } from '../../src/alertmanager/payload';
import { runCli } from '../support/cli';

const AM = 'test/fixtures/alertmanager';
const SMALL = 'test/fixtures/policies/small.policies.yaml';

describe('remediator plan (the built binary)', () => {
  it('feeds the payloads in order as successive notifications and prints the decisions as JSON', () => {
    const { code, stdout, stderr } = runCli([
      'plan',
      '--policies',
      SMALL,
      '--interval',
      '1m',
      `${AM}/am-api-single-firing-bearer.json`,
      `${AM}/am-api-single-resolved.json`,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const groupKey =
      '{}:{alertname="HighLatency", deployment="heart-disease-api", namespace="prod"}';
    const incident = {
      id: 1,
      severity: 'Sev1',
      severityReasons: ['HighLatency: alertname="HighLatency" → Sev1'],
      heldOpen: false,
    };
    expect(JSON.parse(stdout)).toEqual({
      policies: SMALL,
      notifications: [
        {
          payload: `${AM}/am-api-single-firing-bearer.json`,
          at: '0s',
          groupKey,
          changed: true,
          incident: { ...incident, status: 'identified' },
          plan: [
            {
              policy: 'page-on-anything',
              trigger: 'firing',
              target: null,
              steps: [
                {
                  action: 'notify',
                  params: { sink: 'oncall', template: 'status-update' },
                  verify: '5m',
                },
              ],
              dryRun: false,
              autoResolve: true,
              alertnames: ['HighLatency'],
              alerts: [{ fingerprint: '2c73220912164df8', startsAt: '2026-11-27T13:56:01Z' }],
              reason:
                'HighLatency firing, matched alertname!=""; incident Sev1 (acts on Sev4 or worse)',
            },
          ],
          skips: [],
          timeline: [
            'Incident opened for {alertname="HighLatency", deployment="heart-disease-api", namespace="prod"}',
            '1 alert firing: HighLatency',
            'Severity Sev1: HighLatency: alertname="HighLatency" → Sev1',
            'Plan (policy page-on-anything): notify for HighLatency: 1 alert firing',
            'Status Investigating → Identified: 1 remediation plan(s) made',
          ],
        },
        {
          payload: `${AM}/am-api-single-resolved.json`,
          at: '1m',
          groupKey,
          changed: true,
          incident: { ...incident, status: 'resolved' },
          // page-on-anything acts on firing alerts only: the resolved notice plans nothing.
          plan: [],
          skips: [],
          timeline: [
            '1 alert resolved: HighLatency',
            'Status Identified → Resolved: all 1 alert(s) resolved',
          ],
        },
      ],
    });
  });

  it('with --dry-run, plans as a server in dry-run mode runs: every plan is a dry run, and says so', () => {
    const args = ['plan', '--policies', SMALL, `${AM}/am-api-single-firing-bearer.json`];
    const live = JSON.parse(runCli(args).stdout);
    const dry = runCli([...args.slice(0, 3), '--dry-run', ...args.slice(3)]);
    expect(dry.code).toBe(0);
    const [notification] = JSON.parse(dry.stdout).notifications;
    expect(live.notifications[0].plan.map((p: { dryRun: boolean }) => p.dryRun)).toEqual([false]);
    expect(notification.plan.map((p: { dryRun: boolean }) => p.dryRun)).toEqual([true]);
    expect(notification.timeline).toContain(
      'Plan (policy page-on-anything): notify for HighLatency: 1 alert firing [dry run]',
    );
  });

  it('plans a group once with the shipped policies, and nothing for its repeat or its resolution', () => {
    const { code, stdout } = runCli([
      'plan',
      '--policies',
      'deploy/k8s/policies',
      `${AM}/am-api-group-3-alerts-firing.json`,
      `${AM}/am-api-group-3-alerts-firing.json`,
      `${AM}/am-api-group-all-resolved.json`,
    ]);
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(
      output.notifications.map((n: any) => ({
        at: n.at,
        changed: n.changed,
        incident: [n.incident.id, n.incident.status, n.incident.severity],
        plan: n.plan.map((p: any) => [p.policy, p.trigger, p.alerts.length]),
        skips: n.skips.map((s: any) => s.policy),
      })),
    ).toEqual([
      {
        at: '0s',
        changed: true,
        incident: [1, 'identified', 'Sev1'],
        plan: [
          ['service-disruption', 'firing', 3],
          ['sev1-diagnostics', 'firing', 3],
          ['sev1-status-update', 'firing', 3],
        ],
        skips: [],
      },
      { at: '0s', changed: false, incident: [1, 'identified', 'Sev1'], plan: [], skips: [] },
      {
        at: '0s',
        changed: true,
        incident: [1, 'resolved', 'Sev1'],
        plan: [],
        skips: [],
      },
    ]);
    expect(output.notifications[0].plan[0].target).toEqual({
      kind: 'Deployment',
      namespace: 'prod',
      name: 'heart-disease-api',
    });
  });

  it('shows the refusal of a target name from a label that the API server would refuse, as serve decides it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'remediator-plan-'));
    try {
      const payload = JSON.parse(
        readFileSync(`${AM}/am-api-single-firing-bearer.json`, 'utf8'),
      ) as WebhookPayload;
      payload.alerts[0]!.labels.deployment = '../kube-system\nx';
      const file = join(dir, 'dot-dot.json');
      writeFileSync(file, JSON.stringify(payload));
      const { code, stdout } = runCli(['plan', '--policies', 'deploy/k8s/policies', file]);
      expect(code).toBe(0);
      const [notification] = JSON.parse(stdout).notifications;
      expect(notification.plan.map((p: any) => p.policy)).toEqual(['sev1-status-update']);
      expect(notification.skips.map((s: any) => [s.policy, s.code, s.reason])).toEqual([
        [
          'performance-degradation',
          'invalid_target',
          expect.stringMatching(
            /^target name "\.\.\/kube-system\\nx" is not a valid Deployment name: it must be a DNS-1123 subdomain/,
          ),
        ],
        ['sev1-diagnostics', 'invalid_target', expect.stringContaining('kube-system')],
      ]);
      expect(notification.timeline).toContainEqual(
        expect.stringMatching(/^Policy performance-degradation skipped: target name/),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows the plans one notification may not make as too_many_plans, as serve decides it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'remediator-plan-'));
    try {
      const payload = JSON.parse(
        readFileSync(`${AM}/am-api-group-3-alerts-firing.json`, 'utf8'),
      ) as WebhookPayload;
      // 150 alerts, each naming its own Deployment and service: the shipped policies would make
      // a rollback plan and a diagnostics plan for each, past safety.maxPlansPerNotification (100).
      payload.alerts = Array.from({ length: 150 }, (_, i) => ({
        ...payload.alerts[0]!,
        labels: { ...payload.alerts[0]!.labels, deployment: `web-${i}`, service: `web-${i}` },
        fingerprint: i.toString(16).padStart(16, '0'),
      }));
      const file = join(dir, 'storm.json');
      writeFileSync(file, JSON.stringify(payload));
      const { code, stdout } = runCli([
        'plan',
        '--policies',
        'deploy/k8s/policies/runbook.yaml',
        file,
      ]);
      expect(code).toBe(0);
      const [notification] = JSON.parse(stdout).notifications;
      const count = (policy: string) =>
        notification.plan.filter((p: any) => p.policy === policy).length;
      // Every policy of the first alerts before the next alert's: the status update is kept.
      expect(notification.plan).toHaveLength(100);
      expect(['service-disruption', 'sev1-diagnostics', 'sev1-status-update'].map(count)).toEqual([
        50, 49, 1,
      ]);
      expect(notification.skips.map((s: any) => [s.policy, s.code, s.alerts.length])).toEqual([
        ['service-disruption', 'too_many_plans', 100],
        ['sev1-diagnostics', 'too_many_plans', 101],
      ]);
      expect(notification.timeline).toContainEqual(
        expect.stringMatching(
          /^Policy service-disruption skipped: the notification would make more than 100 remediation plans/,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a payload that is not what Alertmanager sends, naming the file and the field', () => {
    const { code, stdout, stderr } = runCli([
      'plan',
      '--policies',
      SMALL,
      `${AM}/am-api-single-firing-bearer.json`,
      'test/fixtures/policies/bad-payload.json',
      'test/fixtures/policies/no-such.json',
    ]);
    expect(stderr).toBe(
      [
        'remediator plan: test/fixtures/policies/bad-payload.json is not an Alertmanager webhook payload: alerts[0].fingerprint is required',
        'remediator plan: cannot read test/fixtures/policies/no-such.json: ENOENT',
        '',
      ].join('\n'),
    );
    expect(stdout).toBe('');
    expect(code).toBe(1);
  });

  it('refuses an invalid policies file with its problems', () => {
    const { code, stderr } = runCli([
      'plan',
      '--policies',
      'test/fixtures/policies/unknown-key.policies.yaml',
      `${AM}/am-api-single-firing-bearer.json`,
    ]);
    expect(stderr).toBe(
      [
        'remediator plan: test/fixtures/policies/unknown-key.policies.yaml is invalid:',
        'test/fixtures/policies/unknown-key.policies.yaml:4:14: severity.rules[0].level: must be a severity level from 1 (Sev1) to 4 (Sev4): 2, Sev2 or sev2',
        'test/fixtures/policies/unknown-key.policies.yaml:11:5: policies[0].colldown: unknown key "colldown": did you mean "cooldown"?',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
  });

  it.each([
    [[`${AM}/am-api-single-firing-bearer.json`], '--policies FILE is required'],
    [['--policies', SMALL], 'no payload file given'],
    [
      ['--policies', SMALL, '--interval', 'soon', 'x.json'],
      '--interval "soon" is not a duration such as 0s, 30s or 5m',
    ],
    [['--policies'], "Option '--policies <value>' argument missing"],
  ])('exits 2 on a usage error (%j), without a stack trace', (args, message) => {
    const { code, stdout, stderr } = runCli(['plan', ...args]);
    expect(stderr).toBe(
      `remediator plan: ${message}\nRun 'remediator plan --help' for its usage.\n`,
    );
    expect(stdout).toBe('');
    expect(code).toBe(2);
  });

  it('prints its usage with --help and exits 0', () => {
    const { code, stdout } = runCli(['plan', '--help']);
    expect(stdout).toContain(
      'Usage: remediator plan --policies FILE [--interval DURATION] [--dry-run] PAYLOAD.json...',
    );
    expect(code).toBe(0);
  });
});
