import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, loadPolicies } from '../../src/policies/loader';

const problemsOf = (text: string) => {
  const result = loadPolicies(text, 'policies.yaml');
  return result.ok ? [] : result.problems.map(formatProblem);
};

describe('loading a policies file', () => {
  it('loads the shipped policies', () => {
    const file = join(__dirname, '..', '..', 'deploy', 'k8s', 'policies.yaml');
    const result = loadPolicies(readFileSync(file, 'utf8'), file);
    expect(result).toMatchObject({ ok: true, policySet: { source: file } });
  });

  it('uses the runbook defaults for an empty file', () => {
    const result = loadPolicies('', 'policies.yaml');
    if (!result.ok) throw new Error('expected ok');
    expect(result.policySet.severity.rules.length).toBeGreaterThan(3);
    expect(result.policySet.severity.default).toBe(4);
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
      'policies.yaml:3:14: severity.rules[0].level: must be >= 1',
      'policies.yaml:6:7: severity.rules[1].wehn: unknown key "wehn"',
      'policies.yaml:7:7: severity.rules[2]: missing required key "level"',
      'policies.yaml:8:30: severity.multipleAlerts.atLeast: must be >= 2',
      'policies.yaml:9:12: severity.default: must be integer',
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
    ['a top level that is a list', '- severity\n', /^policies\.yaml:1:1: must be object/],
    [
      'an unknown top-level key',
      'severity: {}\npolicy: []\n',
      /^policies\.yaml:2:1: policy: unknown key "policy"/,
    ],
    [
      'YAML 1.1 booleans, which YAML 1.2 reads as strings',
      'severity:\n  default: yes\n',
      /^policies\.yaml:2:12: severity\.default: must be integer/,
    ],
  ])('reports %s instead of crashing', (_case, text, expected) => {
    expect(problemsOf(text)).toEqual([expect.stringMatching(expected)]);
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
        const result = loadPolicies(text, 'fuzz.yaml');
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
