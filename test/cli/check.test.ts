import { DEFAULT_SEVERITY_SPEC } from '../../src/policies/defaults';
import { runCli } from '../support/cli';

const F = 'test/fixtures/policies';
/** small.policies.yaml keeps the runbook's default severity rules. */
const SMALL = `  SUCCESS: 1 policy, ${DEFAULT_SEVERITY_SPEC.rules.length} severity rules, 1 sink`;

describe('remediator check (the built binary)', () => {
  it('passes the shipped policies with a count of what it found, and exits 0', () => {
    const { code, stdout, stderr } = runCli(['check', 'deploy/k8s/policies.yaml']);
    expect(stdout).toMatch(
      /^Checking deploy\/k8s\/policies\.yaml\n {2}SUCCESS: \d+ policies, \d+ severity rules, \d+ sinks\n\n$/,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('fails an invalid file with every problem as FILE:LINE:COL: path: message, and exits 1', () => {
    const { code, stdout, stderr } = runCli(['check', `${F}/invalid.policies.yaml`]);
    expect(stdout).toBe(`Checking ${F}/invalid.policies.yaml\n`);
    expect(stderr).toBe(
      [
        '  FAILED:',
        `${F}/invalid.policies.yaml:7:25: policies[0].match[0]: bad matcher 'alertname=="HighLatency"': unescaped double quote in the value (write \\" for a literal one)`,
        `${F}/invalid.policies.yaml:8:77: policies[0].target.name: unclosed {{`,
        `${F}/invalid.policies.yaml:13:25: policies[0].steps[1].params.sink: no sink named "pager" under sinks:`,
        '',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
  });

  it('checks several files, each on its own, and exits 1 when any of them fails', () => {
    const { code, stdout, stderr } = runCli([
      'check',
      `${F}/small.policies.yaml`,
      `${F}/unknown-key.policies.yaml`,
      `${F}/small.policies.yaml`,
    ]);
    expect(stdout).toBe(
      [
        `Checking ${F}/small.policies.yaml`,
        SMALL,
        '',
        `Checking ${F}/unknown-key.policies.yaml`,
        `Checking ${F}/small.policies.yaml`,
        SMALL,
        '',
        '',
      ].join('\n'),
    );
    expect(stderr).toBe(
      [
        '  FAILED:',
        `${F}/unknown-key.policies.yaml:4:14: severity.rules[0].level: must be <= 4`,
        `${F}/unknown-key.policies.yaml:11:5: policies[0].colldown: unknown key "colldown"`,
        '',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
  });

  it('exits 0 when every one of several files is valid', () => {
    const { code } = runCli(['check', `${F}/small.policies.yaml`, 'deploy/k8s/policies.yaml']);
    expect(code).toBe(0);
  });

  it('reports a file it cannot read like any other problem', () => {
    const { code, stderr } = runCli(['check', `${F}/no-such.policies.yaml`]);
    expect(stderr).toBe(`  FAILED:\n${F}/no-such.policies.yaml:1:1: cannot read: ENOENT\n\n`);
    expect(code).toBe(1);
  });

  it.each([
    [[], 'remediator check: no policy file given'],
    [['--strict', 'x.yaml'], "remediator check: Unknown option '--strict'"],
  ])('exits 2 on a usage error (%j), without a stack trace', (args, message) => {
    const { code, stdout, stderr } = runCli(['check', ...args]);
    expect(stderr).toBe(`${message}\nRun 'remediator check --help' for its usage.\n`);
    expect(stdout).toBe('');
    expect(code).toBe(2);
  });

  it('prints its usage with --help and exits 0', () => {
    const { code, stdout } = runCli(['check', '--help']);
    expect(stdout).toContain('Usage: remediator check FILE...');
    expect(code).toBe(0);
  });
});

describe('remediator --help', () => {
  it('lists the offline commands beside serve', () => {
    const { code, stdout } = runCli(['--help']);
    expect(stdout).toContain('remediator check FILE...');
    expect(stdout).toContain('remediator test FILE...');
    expect(stdout).toContain('remediator plan --policies FILE PAYLOAD.json...');
    expect(code).toBe(0);
  });
});
