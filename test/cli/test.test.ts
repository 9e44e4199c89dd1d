import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli';

const F = 'test/fixtures/policies';

describe('remediator test (the built binary)', () => {
  it('passes the shipped policy tests, which together cover every shipped policy, and exits 0', () => {
    const { code, stdout, stderr } = runCli([
      'test',
      'deploy/k8s/policies/runbook.test.yaml',
      'deploy/k8s/policies/kube-prometheus.test.yaml',
    ]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(
      /^Unit testing deploy\/k8s\/policies\/runbook\.test\.yaml \(policies: deploy\/k8s\/policies\)\n/,
    );
    expect(stdout).toContain(
      'Unit testing deploy/k8s/policies/kube-prometheus.test.yaml (policies: deploy/k8s/policies)\n',
    );
    expect(stdout).not.toContain('FAIL');
    expect(stdout).not.toContain('note:');
    expect(stdout).toMatch(/\n\n(\d+) tests, 0 failed\n$/);
    expect(Number(/(\d+) tests, 0 failed/.exec(stdout)?.[1])).toBeGreaterThanOrEqual(10);
    expect(code).toBe(0);
  });

  it("passes a new SRE's three policies without workarounds: a pod's Deployment restarted for a Sev2+ crash loop, a value condition that says why, continue: false", () => {
    const { code, stdout, stderr } = runCli(['test', `${F}/newcomer.test.yaml`]);
    expect(stderr).toBe('');
    expect(stdout).not.toContain('FAIL');
    expect(stdout).not.toContain('note:');
    expect(stdout).toMatch(/\n\n4 tests, 0 failed\n$/);
    expect(code).toBe(0);
  });

  it('notes the policies of a set that no test file of the run names', () => {
    const { code, stdout } = runCli(['test', 'deploy/k8s/policies/kube-prometheus.test.yaml']);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'note: no expectation of deploy/k8s/policies/kube-prometheus.test.yaml names policy "service-disruption" of deploy/k8s/policies in a plan or a skip',
    );
    expect(stdout).not.toMatch(/note: .*"crash-loop"/);
  });

  it('prints each failed expectation with its notification, expected versus got, and exits 1', () => {
    const { code, stdout, stderr } = runCli(['test', `${F}/failing.test.yaml`]);
    expect(stderr).toBe('');
    expect(stdout).toBe(
      [
        `Unit testing ${F}/failing.test.yaml (policies: ${F}/small.policies.yaml)`,
        '  PASS  a test that passes',
        '  FAIL  a test that expects the wrong severity and plan',
        '    after notification 0 (at 0s), tests[1].expect[0]:',
        '      severity: expected Sev3, got Sev1',
        '      plan:',
        '        expected:',
        '          - policy: page-on-anything',
        '            steps: [restart]',
        '            params:',
        '              notify: {sink: pager}',
        '        got:',
        '          - policy: page-on-anything',
        '            trigger: firing',
        '            target: null',
        '            steps: [notify]',
        '            params:',
        '              notify: {sink: oncall, template: status-update}',
        '    after notification 1 (at 5m), tests[1].expect[1]:',
        '      status: expected investigating, got resolved',
        '      skips:',
        '        expected:',
        '          - policy: page-on-anything',
        '            reason: not planned',
        '        got: []',
        '',
        '2 tests, 1 failed',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
  });

  it('runs several files and sums them up; a file that does not load is reported, not thrown', () => {
    const { code, stdout, stderr } = runCli([
      'test',
      `${F}/shorthand.test.yaml`,
      `${F}/missing-policies.test.yaml`,
      `${F}/failing.test.yaml`,
    ]);
    expect(stdout).toContain(
      '  PASS  an alert that fires again after resolving opens a new incident',
    );
    expect(stdout).toMatch(/\n3 tests, 1 failed, 1 file not loaded\n$/);
    expect(stderr).toBe(
      [
        `Unit testing ${F}/missing-policies.test.yaml`,
        '  FAILED to load:',
        `${F}/missing-policies.test.yaml:2:11: policies: cannot read policies file ${F}/no-such.policies.yaml: ENOENT`,
        '',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
  });

  it.each(['bad-yaml', 'unknown-keys', 'invalid-policies', 'semantic'])(
    'reports the test file %s.test.yaml with file, line and path, never a stack trace',
    (name) => {
      const { code, stdout, stderr } = runCli(['test', `${F}/${name}.test.yaml`]);
      expect(stderr).toMatch(
        new RegExp(`^Unit testing ${F}/${name}\\.test\\.yaml\\n {2}FAILED to load:\\n`),
      );
      expect(stderr).toMatch(/\.yaml:\d+:\d+: /);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(stdout).toBe('0 tests, 0 failed, 1 file not loaded\n');
      expect(code).toBe(1);
    },
  );

  it.each([
    [[], 'no test file given'],
    [['--run', 'x'], "Unknown option '--run'"],
  ])('exits 2 on a usage error (%j)', (args, message) => {
    const { code, stderr } = runCli(['test', ...args]);
    expect(stderr).toBe(
      `remediator test: ${message}\nRun 'remediator test --help' for its usage.\n`,
    );
    expect(code).toBe(2);
  });

  it('prints its usage with --help and exits 0', () => {
    const { code, stdout } = runCli(['test', '--help']);
    expect(stdout).toContain('Usage: remediator test FILE...');
    expect(code).toBe(0);
  });

  it('points --help to the generated reference of its file format, which exists', () => {
    const { stdout } = runCli(['test', '--help']);
    expect(stdout).toContain('docs/policy-tests.md');
    expect(existsSync(join(__dirname, '..', '..', 'docs', 'policy-tests.md'))).toBe(true);
  });
});
