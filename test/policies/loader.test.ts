import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, loadPolicies } from '../../src/policies/loader';
import { ACTIONS } from '../../src/remediations/actions/index';

const problemsOf = (text: string) => {
  const result = loadPolicies(text, 'policies.yaml', ACTIONS);
  return result.ok ? [] : result.problems.map(formatProblem);
};

describe('loading a policies file', () => {
  it('loads the shipped policies', () => {
    const file = join(__dirname, '..', '..', 'deploy', 'k8s', 'policies', 'runbook.yaml');
    const result = loadPolicies(readFileSync(file, 'utf8'), file, ACTIONS);
    expect(result).toMatchObject({ ok: true, policySet: { source: file } });
  });

  it('uses the runbook defaults for an empty file', () => {
    const result = loadPolicies('', 'policies.yaml', ACTIONS);
    if (!result.ok) throw new Error('expected ok');
    expect(result.policySet.severity.rules.length).toBeGreaterThan(3);
    expect(result.policySet.severity.default).toBe(4);
  });

  it('reads the status page section, and defaults it', () => {
    const result = loadPolicies(
      `status:
  title: Heart-disease prediction
  components:
    - { name: Prediction API, match: ['deployment="heart-disease-api"'] }
  outageSeverity: Sev2
  publicAnnotations: [public_summary]
`,
      'policies.yaml',
      ACTIONS,
    );
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    const { status } = result.policySet;
    expect(status).toMatchObject({
      title: 'Heart-disease prediction',
      componentLabel: 'service',
      outageSeverity: 2,
      publicAnnotations: ['public_summary'],
    });
    expect(status.components.map((c) => c.name)).toEqual(['Prediction API']);
    expect(status.components[0]?.match[0]?.matches('heart-disease-api')).toBe(true);
    const defaults = loadPolicies('', 'policies.yaml', ACTIONS);
    expect(defaults.ok && defaults.policySet.status).toEqual({
      title: 'Service status',
      components: [],
      componentLabel: 'service',
      outageSeverity: 1,
      publicAnnotations: [],
    });
  });

  it("reports a status component's bad matcher where it is", () => {
    expect(
      problemsOf(`status:
  components:
    - name: API
      match: ['deployment=~"("']
    - name: ""
      match: []
`),
    ).toEqual([
      expect.stringMatching(/^policies\.yaml:4:\d+: status\.components\[0\]\.match\[0\]: /),
      expect.stringMatching(/^policies\.yaml:5:\d+: status\.components\[1\]\.name: /),
      expect.stringMatching(/^policies\.yaml:6:\d+: status\.components\[1\]\.match: /),
    ]);
  });

  it('lists every schema problem with file, line, column and path', () => {
    expect(
      problemsOf(`severity:
  rules:
    - level: 0
      when: ['alertname="A"']
    - level: 2
      wehn: ['alertname="B"']
    - when: ['alertname="C"']
  multipleAlerts: { atLeast: 1, level: 1 }
  default: "4"
`),
    ).toEqual([
      'policies.yaml:3:14: severity.rules[0].level: must be a severity level from 1 (Sev1) to 4 (Sev4): 2, Sev2 or sev2',
      'policies.yaml:6:7: severity.rules[1].wehn: unknown key "wehn": did you mean "when"?',
      'policies.yaml:7:7: severity.rules[2]: missing required key "level"',
      'policies.yaml:8:30: severity.multipleAlerts.atLeast: must be at least 2',
      'policies.yaml:9:12: severity.default: must be a severity level from 1 (Sev1) to 4 (Sev4): 2, Sev2 or sev2',
    ]);
  });

  it('reports matcher and condition problems where they are', () => {
    expect(
      problemsOf(`severity:
  rules:
    - level: 1
      when: ['alertname=~"("', 'ok="fine"']
    - level: 2
      value: { label: a, annotation: b, above: 1 }
    - level: 3
      value: { annotation: p99 }
    - level: 4
`),
    ).toEqual([
      expect.stringMatching(
        /^policies\.yaml:4:\d+: severity\.rules\[0\]\.when\[0\]: .*invalid regular expression/,
      ),
      'policies.yaml:6:14: severity.rules[1].value: a value condition reads exactly one of `label` or `annotation`',
      'policies.yaml:8:14: severity.rules[2].value: the condition on annotation p99 sets no bound (above, atLeast, below, atMost or equals)',
      'policies.yaml:9:7: severity.rules[3]: a rule needs `when` matchers, a `value` condition, or both',
    ]);
  });

  it.each([
    [
      'a duplicate key',
      'severity:\n  default: 3\n  default: 4\n',
      /^policies\.yaml:3:3: Map keys must be unique/,
    ],
    [
      'a tab used for indentation',
      'severity:\n\tdefault: 3\n',
      /^policies\.yaml:2:1: Tabs are not allowed as indentation/,
    ],
    [
      'an alias to no anchor',
      'severity:\n  default: *four\n',
      /^policies\.yaml:2:12: alias \*four refers to no anchor defined before it/,
    ],
    [
      'a top level that is a list',
      '- severity\n',
      /^policies\.yaml:1:1: must be a map of keys to values$/,
    ],
    [
      'an unknown top-level key',
      'severity: {}\npolicy: []\n',
      /^policies\.yaml:2:1: policy: unknown key "policy": allowed keys are severity, sinks, safety, status, escalation, policies$/,
    ],
    [
      'YAML 1.1 booleans, which YAML 1.2 reads as strings',
      'severity:\n  default: yes\n',
      /^policies\.yaml:2:12: severity\.default: must be a severity level from 1 \(Sev1\) to 4 \(Sev4\)/,
    ],
  ])('reports %s instead of crashing', (_case, text, expected) => {
    expect(problemsOf(text)).toEqual([expect.stringMatching(expected)]);
  });

  it('says that an unquoted template must be quoted, and prints no warning of the YAML library', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const consoleWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(
        problemsOf(`policies:
  - name: restart
    match: ['alertname="X"']
    target: { kind: Deployment, namespace: {{ labels.namespace }}, name: web }
    steps:
      - action: restart
        params: {}
      - action: notify
        params:
          sink: {{ labels.team | default "oncall" }}
`),
      ).toEqual([
        `policies.yaml:4:44: policies[0].target.namespace: {{ … }} must be quoted in YAML, which otherwise reads it as a map: write '{{ labels.namespace }}'`,
        `policies.yaml:10:17: policies[0].steps[1].params.sink: {{ … }} must be quoted in YAML, which otherwise reads it as a map: write '{{ labels.team | default "oncall" }}'`,
      ]);
      expect(warn).not.toHaveBeenCalled();
      expect(consoleWarn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      consoleWarn.mockRestore();
    }
  });

  it.each([
    [
      'minItems',
      'policies: [{ name: a, match: [], steps: [{ action: notify }] }]',
      'policies[0].match: must not be empty: give at least one item',
    ],
    [
      'maxLength',
      `policies: [{ name: ${'a'.repeat(64)}, match: ['a="b"'], steps: [{ action: notify }] }]`,
      'policies[0].name: must be at most 63 characters long',
    ],
    [
      'uniqueItems',
      `policies: [{ name: a, match: ['a="b"'], on: [firing, firing], steps: [{ action: notify }] }]`,
      'policies[0].on: must not repeat an item (items 0 and 1 are the same)',
    ],
    [
      'exclusiveMinimum',
      `policies: [{ name: a, match: ['a="b"'], target: { kind: Deployment, namespace: a, name: b }, steps: [{ action: scale, params: { factor: 0, max: 2 } }] }]`,
      'policies[0].steps[0].params.factor: must be greater than 1',
    ],
    [
      'type',
      'policies: [{ name: a, match: "a=b", steps: [{ action: notify }] }]',
      'policies[0].match: must be a list',
    ],
    [
      'type (boolean)',
      `policies: [{ name: a, match: ['a="b"'], dryRun: "no", steps: [{ action: notify }] }]`,
      'policies[0].dryRun: must be true or false',
    ],
  ])("turns the validator's %s wording into plain English", (_keyword, text, expected) => {
    expect(problemsOf(text).map((p) => p.replace(/^policies\.yaml:\d+:\d+: /, ''))).toEqual([
      expected,
    ]);
  });

  it('accepts every level as 2, Sev2 or sev2', () => {
    const result = loadPolicies(
      `severity:
  rules: [{ level: Sev1, when: ['a="b"'] }]
  multipleAlerts: { atLeast: 3, level: sev1, minAlertSeverity: Sev2 }
  default: 3
escalation:
  ladders: [{ name: all, rungs: [{ sink: s, minSeverity: Sev2 }] }]
sinks: { s: { type: webhook, urlEnv: S } }
policies:
  - { name: a, match: ['a="b"'], minSeverity: Sev2, steps: [{ action: notify, params: { sink: s } }] }
`,
      'policies.yaml',
      ACTIONS,
    );
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    const { severity, policies, ladders } = result.policySet;
    expect(severity.rules[0]?.level).toBe(1);
    expect(severity.multipleAlerts).toEqual({ atLeast: 3, level: 1, minAlertSeverity: 2 });
    expect(severity.default).toBe(3);
    expect(policies[0]?.minSeverity).toBe(2);
    expect(ladders[0]?.rungs[0]?.minSeverity).toBe(2);
  });

  it('refuses alias bombs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [*${'abcdefgh'[i - 1]},*${'abcdefgh'[i - 1]},*${'abcdefgh'[i - 1]},*${'abcdefgh'[i - 1]}]`,
      );
    expect(problemsOf(bomb.join('\n'))).toEqual([expect.stringMatching(/Excessive alias count/)]);
  });

  it('returns policies or problems for any text, never throws', () => {
    const yamlish = fc.stringMatching(/^[ a-z:\-'"{}[\],*&|>\n\t0-9=~!]*$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish), (text) => {
        const result = loadPolicies(text, 'fuzz.yaml', ACTIONS);
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const p of result.problems) {
            expect(p.line).toBeGreaterThanOrEqual(1);
            expect(p.column).toBeGreaterThanOrEqual(1);
          }
        }
      }),
      { seed: Number(process.env.FC_SEED ?? 42), numRuns: 1000 },
    );
  });
});
