import { join, relative } from 'node:path';
import { formatProblem } from '../../src/policies/loader';
import { untestedNotes, untestedPolicies } from '../../src/cli/run-policy-tests';
import { loadTestFile } from '../../src/cli/test-file';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = 'test/fixtures/policies';

/** Loads a file by its path from the repository root, so that problems name it that way. */
function load(file: string) {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    return loadTestFile(relative(ROOT, join(ROOT, file)));
  } finally {
    process.chdir(cwd);
  }
}

function problems(file: string): string[] {
  const result = load(file);
  if (result.ok) throw new Error(`${file} loaded`);
  return result.problems.map(formatProblem);
}

describe('loadTestFile', () => {
  it('reports a file that is not YAML with its line and column', () => {
    expect(problems(`${FIXTURES}/bad-yaml.test.yaml`)).toEqual([
      `${FIXTURES}/bad-yaml.test.yaml:6:1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('rejects unknown keys and bad values, listing every problem with its line and path', () => {
    const f = `${FIXTURES}/unknown-keys.test.yaml`;
    expect(problems(f)).toEqual([
      `${f}:3:22: groupBy[1]: must be a label name, or ... for all labels`,
      `${f}:7:13: tests[0].notifications[0].at: must be a duration such as 30s, 5m or 1h30m (units largest first)`,
      `${f}:9:47: tests[0].notifications[0].alerts[0].labels.bad-name: "bad-name" is not a label name (letters, digits and _, not starting with a digit)`,
      `${f}:9:65: tests[0].notifications[0].alerts[0].labels.pod: must not be empty`,
      `${f}:10:13: tests[0].notifications[0].alerts[0].annotation: unknown key "annotation": did you mean "annotations"?`,
      `${f}:11:21: tests[0].notifications[0].alerts[0].status: must be one of "firing", "resolved"`,
      `${f}:13:19: tests[0].expect[0].severity: must be one of "Sev1", "Sev2", "Sev3", "Sev4", 1, 2, 3, 4`,
      `${f}:16:29: tests[0].expect[0].plan[0].steps[1]: must be one of "rollback", "restart", "scale", "restore-model", "isolate", "run-job", "notify"`,
      `${f}:17:9: tests[0].expect[0].skip: unknown key "skip": did you mean "skips"?`,
    ]);
  });

  it('reports a policies file that does not exist at the key that names it', () => {
    expect(problems(`${FIXTURES}/missing-policies.test.yaml`)).toEqual([
      `${FIXTURES}/missing-policies.test.yaml:2:11: policies: cannot read policies file ${FIXTURES}/no-such.policies.yaml: ENOENT`,
    ]);
  });

  it("reports an invalid policies file with the policies file's own problems", () => {
    expect(problems(`${FIXTURES}/invalid-policies.test.yaml`)).toEqual([
      `${FIXTURES}/invalid-policies.test.yaml:2:11: policies: policies file ${FIXTURES}/invalid.policies.yaml is invalid (3 problems below)`,
      `${FIXTURES}/invalid.policies.yaml:7:25: policies[0].match[0]: bad matcher 'alertname=="HighLatency"': unescaped double quote in the value (write \\" for a literal one)`,
      `${FIXTURES}/invalid.policies.yaml:8:77: policies[0].target.name: unclosed {{`,
      `${FIXTURES}/invalid.policies.yaml:13:25: policies[0].steps[1].params.sink: no sink named "pager" under sinks:`,
    ]);
  });

  it('reports what only the loader can see: payload files, groups, time order, names, indexes, repeats', () => {
    const f = `${FIXTURES}/semantic.test.yaml`;
    expect(problems(f)).toEqual([
      `${f}:9:9: tests[0].notifications[0]: give exactly one of \`alerts\` (shorthand) or \`payload\` (a file)`,
      `${f}:12:13: tests[0].notifications[1].at: 30s is earlier than the previous notification's 1m`,
      `${f}:15:21: tests[0].notifications[1].alerts[1].labels: the alert belongs to group {}:{alertname="HighLatency", namespace="staging"}, not {}:{alertname="HighLatency", namespace="prod"} like alerts[0]: one notification carries one group (under groupBy), so write two notifications`,
      `${f}:16:18: tests[0].notifications[2].payload: cannot read ${FIXTURES}/no-such-payload.json: ENOENT`,
      `${f}:17:18: tests[0].notifications[3].payload: ${FIXTURES}/bad-payload.json is not an Alertmanager webhook payload: alerts[0].fingerprint is required`,
      `${f}:19:16: tests[0].expect[0].after: there is no notification 4: the test has 4 (0 to 3)`,
      `${f}:20:26: tests[0].expect[1].plan[0].policy: no policy named "scale-out-on-latency" in ${FIXTURES}/small.policies.yaml`,
      `${f}:21:27: tests[0].expect[1].skips[0].policy: no policy named "page-on-anythin" in ${FIXTURES}/small.policies.yaml`,
      `${f}:22:11: tests[1].name: duplicate test name (first at tests[0])`,
      `${f}:24:68: tests[1].notifications[0].alerts[1].labels: the same labels as alerts[0]: Alertmanager sends an alert once per notification`,
    ]);
  });

  it('reports a file it cannot read', () => {
    expect(problems(`${FIXTURES}/no-such.test.yaml`)).toEqual([
      `${FIXTURES}/no-such.test.yaml:1:1: cannot read: ENOENT`,
    ]);
  });

  it('builds shorthand alerts into payloads whose times follow each alert instance', () => {
    const result = load(`${FIXTURES}/shorthand.test.yaml`);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    const [test] = result.testFile.tests;
    const alerts = test!.notifications.map((n) => {
      const [alert] = n.payload.alerts;
      return [n.payload.status, alert!.status, alert!.startsAt, alert!.endsAt, alert!.annotations];
    });
    expect(alerts).toEqual([
      ['firing', 'firing', '2026-03-01T12:00:00Z', '0001-01-01T00:00:00Z', { restarts: '7' }],
      // Still firing: the same instance, its annotations carried over.
      ['firing', 'firing', '2026-03-01T12:00:00Z', '0001-01-01T00:00:00Z', { restarts: '7' }],
      ['resolved', 'resolved', '2026-03-01T12:00:00Z', '2026-03-01T12:02:00Z', { restarts: '7' }],
      // Firing again after it resolved: a new instance, starting now.
      ['firing', 'firing', '2026-03-01T12:10:00Z', '0001-01-01T00:00:00Z', { restarts: '7' }],
    ]);
    expect(test!.notifications.map((n) => n.at - Date.parse('2026-03-01T12:00:00Z'))).toEqual([
      0, 60_000, 120_000, 600_000,
    ]);
    expect(test!.notifications[0]!.payload).toMatchObject({
      version: '4',
      receiver: 'remediator',
      groupKey: '{}:{alertname="PodRestartingFrequently", namespace="prod"}',
      groupLabels: { alertname: 'PodRestartingFrequently', namespace: 'prod' },
      commonLabels: { alertname: 'PodRestartingFrequently', namespace: 'prod' },
      truncatedAlerts: 0,
    });
  });

  it('loads the shipped policy tests, whose expectations together name every shipped policy', () => {
    const files = ['runbook', 'kube-prometheus'].map((pack) => {
      const result = load(`deploy/k8s/policies/${pack}.test.yaml`);
      if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
      expect(result.testFile.policySet.source).toBe('deploy/k8s/policies');
      return result.testFile;
    });
    expect(untestedPolicies(files[1]!)).toContain('service-disruption');
    expect(untestedNotes(files)).toEqual([]);
  });
});
