import { DEFAULT_SEVERITY_SPEC } from '../../src/policies/defaults';
import nock from 'nock';
import { checkCommand } from '../../src/cli/check';
import { runCli } from '../support/cli';

const F = 'test/fixtures/policies';
/** small.policies.yaml keeps the runbook's default severity rules. */
const SMALL = `  SUCCESS: 1 policy, ${DEFAULT_SEVERITY_SPEC.rules.length} severity rules, 1 sink`;

describe('remediator check (the built binary)', () => {
  it('passes the shipped policies (a directory, loaded as one set) with a count of what it found, and exits 0', () => {
    const { code, stdout, stderr } = runCli(['check', 'deploy/k8s/policies']);
    expect(stdout).toMatch(
      /^Checking deploy\/k8s\/policies\n {2}SUCCESS: \d+ policies, \d+ severity rules, \d+ sinks\n\n$/,
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

  it("reports a file's schema and semantic problems in one run, and none of the YAML library's warnings", () => {
    const file = 'test/policies/invalid/schema-and-semantic-problems.yaml';
    const { code, stdout, stderr } = runCli(['check', file]);
    expect(stdout).toBe(`Checking ${file}\n`);
    const problems = stderr.split('\n').filter((line) => line.startsWith(file));
    // The unquoted template and the misspelt duration beside a bad matcher, a wrong kind, an
    // unknown template root, an unknown sink and a missing target: all at once.
    expect(problems.map((p) => p.replace(/^[^ ]+ /, ''))).toEqual([
      expect.stringMatching(
        /^policies\[0\]\.match\[0\]: bad matcher .*missing opening double quote/,
      ),
      expect.stringMatching(
        /^policies\[0\]\.target\.namespace: \{\{ … \}\} must be quoted in YAML/,
      ),
      expect.stringMatching(/^policies\[0\]\.cooldown: must be a duration/),
      expect.stringMatching(/^policies\[1\]\.value\.greaterThan: unknown key .*above, atLeast/),
      expect.stringMatching(/^policies\[1\]\.minSeverity: must be a severity level/),
      expect.stringMatching(/^policies\[1\]\.target\.kind: isolate .* acts on Pod, not Deployment/),
      expect.stringMatching(/^policies\[1\]\.target\.name: unknown root "label"/),
      expect.stringMatching(/^policies\[1\]\.steps\[1\]\.params\.sink: no sink named "pager"/),
      expect.stringMatching(/^policies\[2\]\.match: must not be empty/),
      expect.stringMatching(/^policies\[2\]\.steps\[0\]\.action: restart needs a target/),
      expect.stringMatching(/^policies\[2\]\.steps\[1\]\.params\.text: unclosed \{\{/),
      expect.stringMatching(/^policies\[2\]\.dryRun: must be true or false/),
      expect.stringMatching(/^policies\[3\]\.match\[0\]: bad matcher .*missing closing \)/),
    ]);
    expect(stderr).toBe(`  FAILED:\n${problems.join('\n')}\n\n`);
    expect(`${stdout}${stderr}`).not.toMatch(/stringified|Warning|must NOT|must be string/);
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
        `${F}/unknown-key.policies.yaml:4:14: severity.rules[0].level: must be a severity level from 1 (Sev1) to 4 (Sev4): 2, Sev2 or sev2`,
        `${F}/unknown-key.policies.yaml:11:5: policies[0].colldown: unknown key "colldown": did you mean "cooldown"?`,
        '',
        '',
      ].join('\n'),
    );
    expect(code).toBe(1);
  });

  it('exits 0 when every one of several files is valid', () => {
    const { code } = runCli(['check', `${F}/small.policies.yaml`, 'deploy/k8s/policies']);
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
    expect(stdout).toContain(
      'Usage: remediator check [--rules PATH]... [--prometheus-url URL] FILE...',
    );
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

describe('remediator check on verify windows and queries', () => {
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await checkCommand(argv, {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
    });
    return { code, out, err };
  };
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.restore());

  it("warns about a step judged by its alert whose window is shorter than the alert's decay", async () => {
    const { code, out, err } = await run(
      ['check', '--rules', 'test/fixtures/rules', `${F}/verify.policies.yaml`].slice(1),
    );
    expect(err).toBe('');
    expect(code).toBe(0);
    // HighLatency: [5m] + 30s evaluation + 1m keep_firing_for + 5m group_interval; the query step
    // and the long enough errors step (recorded [10m] + 30s, then 30s, + 5m) are not warned of.
    expect(out.split('\n').filter((l) => l.includes('WARNING'))).toEqual([
      "  WARNING: policy latency steps[0] (scale): verify 5m is shorter than HighLatency can fire after a fix that works: its expression looks back 5m, evaluated every 30s, kept firing for 1m, plus Alertmanager's group_interval 5m; make it at least 11m30s, or verify by a query",
    ]);
    const judgedByAlertmanager = await run([
      '--rules',
      'test/fixtures/rules/decay.rules.yml',
      '--group-interval',
      '0s',
      `${F}/verify.policies.yaml`,
    ]);
    expect(judgedByAlertmanager.out).toContain('make it at least 6m30s');
    const stricter = await run([
      '--rules',
      'test/fixtures/rules',
      '--group-interval',
      '10m',
      `${F}/verify.policies.yaml`,
    ]);
    expect(stricter.out).toContain(
      'policy errors steps[0] (restart): verify 20m is shorter than HighErrorRate can fire after a fix that works: its expression looks back 10m30s, evaluated every 30s',
    );
  });

  it('has Prometheus parse every query, with placeholders for its values, and reports its errors at the line', async () => {
    const scope = nock('http://prom.test:9090')
      .get('/api/v1/parse_query')
      .query({ query: 'p99{deployment="x1"}' })
      .reply(400, { status: 'error', errorType: 'bad_data', error: 'unknown metric' });
    const { code, err } = await run([
      '--prometheus-url',
      'http://prom.test:9090',
      `${F}/verify.policies.yaml`,
    ]);
    expect(scope.isDone()).toBe(true);
    expect(code).toBe(1);
    expect(err).toBe(
      `  FAILED:\n${F}/verify.policies.yaml:12:39: policies[0].steps[1].verify.query: Prometheus cannot parse the query: unknown metric\n\n`,
    );
    nock('http://prom.test:9090').get('/api/v1/parse_query').query(true).reply(404, 'not found');
    const old = await run([
      '--prometheus-url',
      'http://prom.test:9090',
      `${F}/verify.policies.yaml`,
    ]);
    expect(old.code).toBe(0);
    expect(old.out).toContain('NOTE: Prometheus could not parse the queries');
  });
});
