import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../../src/policies/loader';
import { formatResults, runPolicyTests } from '../../src/cli/run-policy-tests';
import { loadTestFile } from '../../src/cli/test-file';
import { tempDir } from '../support/server';

const POLICIES = `
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:9/hook' }
policies:
  - name: scale
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { factor: 2, max: 10 }
  - name: page
    match: ['alertname!=""']
    steps:
      - action: notify
        params: { sink: oncall, template: status-update }
`;

const DEPLOYED = '{ alertname: HighLatency, namespace: prod, deployment: api }';

/** Runs one test whose only notification is one HighLatency alert, against `expectations`. */
function run(
  expectations: string,
  labels = DEPLOYED,
  policies = POLICIES,
  annotations = '{}',
): { failed: boolean; report: string } {
  const dir = tempDir();
  try {
    writeFileSync(join(dir.path, 'policies.yaml'), policies);
    const file = join(dir.path, 't.test.yaml');
    writeFileSync(
      file,
      `policies: policies.yaml
tests:
  - name: one
    notifications:
      - alerts: [{ labels: ${labels}, annotations: ${annotations} }]
    expect:
${expectations}`,
    );
    const loaded = loadTestFile(file);
    if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
    const results = runPolicyTests(loaded.testFile);
    return {
      failed: results.some((r) => r.failures.length > 0),
      report: formatResults(loaded.testFile, results),
    };
  } finally {
    dir.remove();
  }
}

describe('runPolicyTests', () => {
  it.each([
    [
      'plan entries match in any order',
      `      - plan: [{ policy: page }, { policy: scale }]`,
      false,
    ],
    [
      'a planned entry nobody expected fails: the list is exact',
      `      - plan: [{ policy: page }]`,
      true,
    ],
    ['an empty list asserts that nothing is planned', `      - plan: []`, true],
    [
      'params are a subset of the rendered params, by action',
      `      - plan: [{ policy: scale, params: { scale: { factor: 2 } } }, { policy: page }]`,
      false,
    ],
    [
      "the policy's gitops is checked, skip by default",
      `      - plan: [{ policy: scale, gitops: skip }, { policy: page }]`,
      false,
    ],
    [
      'a gitops that differs fails',
      `      - plan: [{ policy: scale, gitops: suspend }, { policy: page }]`,
      true,
    ],
    [
      'a param that differs fails',
      `      - plan: [{ policy: scale, params: { scale: { factor: 3 } } }, { policy: page }]`,
      true,
    ],
    [
      'a target is written Kind namespace/name, or null',
      `      - plan: [{ policy: page, target: null }, { policy: scale, target: Deployment prod/api }]`,
      false,
    ],
    ['severity may be written as a number', `      - severity: 1`, false],
  ])('%s', (_name, expectations, failed) => {
    expect(run(expectations).failed).toBe(failed);
  });

  it('matches a skip reason as a substring: a template reading a missing label skips its policy', () => {
    const noDeployment = '{ alertname: HighLatency, namespace: prod }';
    const skips = `\n        skips: [{ policy: scale, code: template_missing_value, reason: 'label "deployment" is missing' }]`;
    expect(run(`      - plan: [{ policy: page }]${skips}`, noDeployment).failed).toBe(false);
    expect(
      run(
        `      - plan: [{ policy: page }]${skips.replace('deployment', 'namespace')}`,
        noDeployment,
      ).failed,
    ).toBe(true);
  });

  it('expects the invalid_target skip of a name the API server would refuse', () => {
    const slashed = '{ alertname: HighLatency, namespace: prod, deployment: "web/x" }';
    const skip = (reason: string) =>
      `      - plan: [{ policy: page }]\n        skips: [{ policy: scale, code: invalid_target, reason: '${reason}' }]`;
    expect(run(skip('target name "web/x" is not a valid Deployment name'), slashed).failed).toBe(
      false,
    );
    expect(run(skip('target name "web/x"'), DEPLOYED).failed).toBe(true);
  });

  it('expects the value_condition_not_met skip, which quotes the value, its annotation and the bound', () => {
    const policies = `
sinks: { oncall: { type: webhook, url: 'http://127.0.0.1:9/hook' } }
policies:
  - name: deep-queue
    match: ['alertname="QueueDepth"']
    value: { annotation: queue_depth, above: 1000 }
    steps: [{ action: notify, params: { sink: oncall } }]
`;
    const labels = '{ alertname: QueueDepth, namespace: prod }';
    const skipped = `      - plan: []\n        skips: [{ policy: deep-queue, code: value_condition_not_met, reason: 'annotation queue_depth="800" (800) is not > 1000' }]`;
    expect(run(skipped, labels, policies, '{ queue_depth: "800" }').failed).toBe(false);
    const planned = `      - plan: [{ policy: deep-queue }]\n        skips: []`;
    expect(run(planned, labels, policies, '{ queue_depth: "1200" }').failed).toBe(false);
  });

  it('says which expectation failed, after which notification, and what was got', () => {
    const { report } = run(`      - severity: Sev2\n        heldOpen: true`);
    expect(report).toContain(
      '  FAIL  one\n    after notification 0 (at 0s), tests[0].expect[0]:\n',
    );
    expect(report).toContain('      severity: expected Sev2, got Sev1\n');
    expect(report).toContain('      heldOpen: expected true, got false\n');
  });
});
