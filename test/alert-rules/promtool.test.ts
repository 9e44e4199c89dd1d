import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

/*
 * The Prometheus alerting rules in alert-rules/ are checked by the real promtool (its syntax check
 * and its unit tests in alert-rules/tests/), and their shape by this file: the alert names that
 * remediator's severity defaults and shipped policies match, the labels policies template targets
 * from, the annotations severity rules read, and the literal durations the end-to-end test rewrites.
 */

const RULES_DIR = join(__dirname, '..', '..', 'alert-rules');
const TESTS_DIR = join(RULES_DIR, 'tests');
const PROMTOOL_MISSING =
  'promtool is not installed: apt-get install prometheus; .ci/run installs it';
const RUNBOOK = 'https://github.com/remediator-dev/remediator/blob/main/docs/runbook.md';
const PROMTOOL_TIMEOUT_MS = 60_000;

type Severity = 'critical' | 'warning';
interface AlertSpec {
  severity: Severity;
  /** The annotation that carries the alert's value as a plain number, for severity rules. */
  valueAnnotation: string;
}

/** The alerts for the protected service; remediator's defaults and policies match these names. */
const SERVICE_ALERTS: Record<string, AlertSpec> = {
  ServiceDown: { severity: 'critical', valueAnnotation: 'value' },
  ServerErrorSurge: { severity: 'critical', valueAnnotation: 'error_ratio' },
  HighLatency: { severity: 'critical', valueAnnotation: 'p99_seconds' },
  HighErrorRate: { severity: 'critical', valueAnnotation: 'error_ratio' },
  ModelAccuracyDrop: { severity: 'warning', valueAnnotation: 'accuracy' },
  IncorrectPredictions: { severity: 'critical', valueAnnotation: 'accuracy' },
  PredictionAnomaly: { severity: 'warning', valueAnnotation: 'value' },
  HighCPUUsage: { severity: 'warning', valueAnnotation: 'value' },
  HighMemoryUsage: { severity: 'warning', valueAnnotation: 'value' },
  PodRestartingFrequently: { severity: 'warning', valueAnnotation: 'value' },
  AuthFailureSpike: { severity: 'warning', valueAnnotation: 'value' },
  UnusualAccessPattern: { severity: 'warning', valueAnnotation: 'value' },
  DataExfiltrationSuspected: { severity: 'critical', valueAnnotation: 'value' },
};

/** The alerts on remediator itself. */
const REMEDIATOR_ALERTS: Record<string, AlertSpec> = {
  RemediatorDown: { severity: 'critical', valueAnnotation: 'value' },
  RemediationsFailing: { severity: 'warning', valueAnnotation: 'value' },
  RemediatorCircuitOpen: { severity: 'warning', valueAnnotation: 'value' },
  RemediatorPausedTooLong: { severity: 'warning', valueAnnotation: 'value' },
  RemediatorPolicyReloadFailing: { severity: 'warning', valueAnnotation: 'value' },
  RemediatorWebhookRejecting: { severity: 'warning', valueAnnotation: 'value' },
  RemediatorJournalFailing: { severity: 'critical', valueAnnotation: 'value' },
};

interface RuleFileSpec {
  file: string;
  alerts: Record<string, AlertSpec>;
  /** Labels that at least one firing test case of every alert must show, with a non-empty value. */
  requiredLabels: readonly string[];
  /** Labels with a fixed value on every alert of the file. */
  fixedLabels: Record<string, string>;
}

const RULE_FILE_SPECS: readonly RuleFileSpec[] = [
  {
    file: 'service.rules.yml',
    alerts: SERVICE_ALERTS,
    requiredLabels: ['severity', 'namespace', 'deployment', 'service'],
    fixedLabels: {},
  },
  {
    file: 'remediator.rules.yml',
    alerts: REMEDIATOR_ALERTS,
    requiredLabels: ['severity', 'namespace', 'service'],
    fixedLabels: { service: 'remediator' },
  },
];

// Shapes of the YAML files, as far as these tests read them.
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}
interface ExpectedAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}
interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: ExpectedAlert[] | null;
}
interface TestFile {
  rule_files: string[];
  tests: { name?: string; alert_rule_test?: AlertRuleTest[] }[];
}

function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => join(dir, name));
}

const ruleFilePaths = listFiles(RULES_DIR, '.rules.yml');
const testFilePaths = listFiles(TESTS_DIR, '.test.yml');

function readRuleFile(path: string): RuleFile {
  return parse(readFileSync(path, 'utf8')) as RuleFile;
}

function readTestFile(path: string): TestFile {
  return parse(readFileSync(path, 'utf8')) as TestFile;
}

function alertRules(file: RuleFile): Rule[] {
  return file.groups.flatMap((group) => group.rules.filter((rule) => rule.alert !== undefined));
}

/**
 * Runs promtool and returns its output. Throws with promtool's own output when it fails, and with
 * the install hint when it is not on PATH: a missing checker must fail the suite, never skip it.
 */
function promtool(args: readonly string[], cwd: string): string {
  try {
    return execFileSync('promtool', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: PROMTOOL_TIMEOUT_MS,
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & {
      status?: number | null;
      stdout?: string;
      stderr?: string;
    };
    if (failure.code === 'ENOENT') throw new Error(PROMTOOL_MISSING);
    throw new Error(
      `promtool ${args.join(' ')} (in ${cwd}) exited with ${String(failure.status)}:\n` +
        `${failure.stdout ?? ''}${failure.stderr ?? ''}`,
    );
  }
}

describe('promtool', () => {
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'remediator-alert-rules-'));
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('is installed', () => {
    expect(promtool(['--version'], RULES_DIR)).toMatch(/^promtool, version \d+\.\d+/);
  });

  it('finds rule files and unit test files to check', () => {
    expect(ruleFilePaths.map((path) => basename(path))).toEqual(
      expect.arrayContaining(RULE_FILE_SPECS.map((spec) => spec.file)),
    );
    expect(testFilePaths.length).toBeGreaterThanOrEqual(RULE_FILE_SPECS.length);
  });

  it.each(ruleFilePaths.map((path) => [basename(path), path]))(
    'accepts the rules in %s',
    (_name, path) => {
      expect(promtool(['check', 'rules', path], RULES_DIR)).toMatch(/SUCCESS: \d+ rules found/);
    },
    PROMTOOL_TIMEOUT_MS,
  );

  it.each(testFilePaths.map((path) => [basename(path), path]))(
    'passes the unit tests in %s',
    (_name, path) => {
      // rule_files are relative to the test file, so promtool runs from its folder.
      expect(promtool(['test', 'rules', basename(path)], dirname(path))).toContain('SUCCESS');
    },
    PROMTOOL_TIMEOUT_MS,
  );

  // The checks above can only fail if a failing promtool run fails them.
  it('reports a broken rule file as a failure, with promtool output', () => {
    const broken = join(scratch, 'broken.rules.yml');
    writeFileSync(
      broken,
      'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: rate(x[5m]\n',
    );
    expect(() => promtool(['check', 'rules', broken], scratch)).toThrow(
      /exited with 1[\s\S]*broken/,
    );
  });

  it('reports a failing unit test as a failure, with promtool output', () => {
    writeFileSync(
      join(scratch, 'always.rules.yml'),
      'groups:\n  - name: always\n    rules:\n      - alert: Always\n        expr: vector(1)\n',
    );
    writeFileSync(
      join(scratch, 'always.test.yml'),
      [
        'rule_files: [always.rules.yml]',
        'tests:',
        '  - alert_rule_test:',
        '      - { eval_time: 1m, alertname: Always, exp_alerts: [] }',
        '',
      ].join('\n'),
    );
    expect(() => promtool(['test', 'rules', 'always.test.yml'], scratch)).toThrow(
      /exited with 1[\s\S]*alertname: Always/,
    );
  });
});

describe('the alert rule files', () => {
  it.each(RULE_FILE_SPECS.map((spec) => [spec.file, spec]))(
    '%s defines exactly the alerts remediator matches by name',
    (file, spec) => {
      const names = alertRules(readRuleFile(join(RULES_DIR, file))).map((rule) => rule.alert);
      expect([...names].sort()).toEqual(Object.keys(spec.alerts).sort());
      expect(new Set(names).size).toBe(names.length);
    },
  );

  it.each(testFilePaths.map((path) => [basename(path), path]))(
    '%s points at rule files that exist',
    (_name, path) => {
      const { rule_files: ruleFiles } = readTestFile(path);
      expect(ruleFiles.length).toBeGreaterThan(0);
      for (const ruleFile of ruleFiles) {
        expect(ruleFilePaths).toContain(resolve(dirname(path), ruleFile));
      }
    },
  );

  it.each(ruleFilePaths.map((path) => [basename(path), path]))(
    '%s is unit-tested by a file in alert-rules/tests',
    (_name, path) => {
      const testedBy = testFilePaths.filter((testPath) =>
        readTestFile(testPath).rule_files.some((file) => resolve(dirname(testPath), file) === path),
      );
      expect(testedBy).not.toHaveLength(0);
    },
  );
});

// One row per alert: [alertname, rule file spec].
const alertRows = RULE_FILE_SPECS.flatMap((spec) =>
  Object.keys(spec.alerts).map((name): [string, RuleFileSpec] => [name, spec]),
);

function findAlert(spec: RuleFileSpec, name: string): Rule {
  const rule = alertRules(readRuleFile(join(RULES_DIR, spec.file))).find((r) => r.alert === name);
  if (rule === undefined) throw new Error(`alert ${name} is missing from alert-rules/${spec.file}`);
  return rule;
}

/** The promtool cases that test `name`, from every test file that loads the alert's rule file. */
function casesFor(spec: RuleFileSpec, name: string): AlertRuleTest[] {
  const rulePath = join(RULES_DIR, spec.file);
  return testFilePaths
    .map((path) => ({ path, file: readTestFile(path) }))
    .filter(({ path, file }) =>
      file.rule_files.some((ruleFile) => resolve(dirname(path), ruleFile) === rulePath),
    )
    .flatMap(({ file }) => file.tests.flatMap((test) => test.alert_rule_test ?? []))
    .filter((check) => check.alertname === name);
}

const PLAIN_NUMBER = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?$/;

describe.each(alertRows)('alert %s', (name, spec) => {
  const expected = spec.alerts[name]!;

  it(`is labelled severity="${expected.severity}"`, () => {
    const rule = findAlert(spec, name);
    expect(rule.labels).toEqual({ severity: expected.severity, ...spec.fixedLabels });
  });

  it(`has a summary, a description with its value, a runbook link and a "${expected.valueAnnotation}" value`, () => {
    const annotations = findAlert(spec, name).annotations ?? {};
    expect(Object.keys(annotations).sort()).toEqual(
      ['summary', 'description', 'runbook_url', expected.valueAnnotation].sort(),
    );
    expect(annotations.summary).toMatch(/\S/);
    expect(annotations.description).toContain('$value');
    expect(annotations.runbook_url).toBe(`${RUNBOOK}#${name.toLowerCase()}`);
    // Rendered as a plain number without unit, which severity rules compare.
    expect(annotations[expected.valueAnnotation]).toBe('{{ $value }}');
  });

  it('is unit-tested firing, with its labels and value, and not firing in a close case', () => {
    const cases = casesFor(spec, name);
    const firing = cases.flatMap((check) => check.exp_alerts ?? []);
    const silent = cases.filter((check) => (check.exp_alerts ?? []).length === 0);
    expect(firing).not.toHaveLength(0);
    expect(silent).not.toHaveLength(0);

    // promtool compares labels and annotations exactly, so these are the alert's real ones.
    const withAllLabels = firing.filter((alert) =>
      spec.requiredLabels.every((label) => (alert.exp_labels?.[label] ?? '') !== ''),
    );
    expect(withAllLabels).not.toHaveLength(0);
    for (const alert of firing) {
      expect(alert.exp_labels).toMatchObject({ severity: expected.severity, ...spec.fixedLabels });
      expect(alert.exp_annotations?.[expected.valueAnnotation]).toMatch(PLAIN_NUMBER);
    }
  });
});

// The end-to-end test rewrites `[<n>m]`, `[<n>h]` and `for: <n>m` to seconds; anything else
// (offset, subqueries, `@`, `for: 1h`, quoted durations) would keep its real length there.
const ruleRows = ruleFilePaths.flatMap((path) =>
  readRuleFile(path).groups.flatMap((group) =>
    group.rules.map((rule): [string, string, Rule] => [
      rule.alert ?? rule.record ?? '?',
      basename(path),
      rule,
    ]),
  ),
);

/** The expression without its string literals (label values, regular expressions). */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

describe('durations in the rules', () => {
  it.each(ruleRows)(
    '%s (%s) writes every range window as [<n>m] or [<n>h]',
    (_name, _file, rule) => {
      const code = withoutStrings(rule.expr);
      const windows = code.match(/\[[^\]]*\]/g) ?? [];
      for (const window of windows) expect(window).toMatch(/^\[\d+[mh]\]$/);
      expect(code).not.toMatch(/\boffset\b|@/);
    },
  );

  it.each(ruleRows)('%s (%s) writes its for: as <n>m', (_name, _file, rule) => {
    if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+m$/);
  });

  it.each(ruleFilePaths.map((path) => [basename(path), path]))(
    '%s writes every for: line literally as `for: <n>m`, and sets no group interval',
    (_name, path) => {
      const text = readFileSync(path, 'utf8');
      const forLines = text.split('\n').filter((line) => /^\s*for:/.test(line));
      expect(forLines).not.toHaveLength(0);
      for (const line of forLines) expect(line).toMatch(/^\s*for: \d+m$/);
      for (const group of readRuleFile(path).groups) expect(group.interval).toBeUndefined();
    },
  );
});
