import { approvalFor } from '../../src/policies/approval';
import { formatProblem, loadPolicies } from '../../src/policies/loader';
import { ACTIONS } from '../../src/remediations/actions/index';

/** One scale policy with `approval` as given, a notify step when `notify`, and two sinks. */
function file(approval: string, notify = false): string {
  return `sinks:
  oncall: { type: slack, url: 'https://hooks.example/oncall' }
  ic: { type: webhook, url: 'https://hooks.example/ic' }
policies:
  - name: latency
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: prod, name: web }
    approval: ${approval}
    steps:
      - action: scale
        params: { by: 2, max: 10 }
${notify ? '      - action: notify\n        params: { sink: oncall }\n' : ''}`;
}

function load(text: string) {
  const result = loadPolicies(text, 'policies.yaml', ACTIONS, {});
  return result.ok
    ? { approval: result.policySet.policies[0]?.approval, problems: [] }
    : { approval: undefined, problems: result.problems.map(formatProblem) };
}

describe('approval in the policy language', () => {
  it('compiles its timeout, minimum severity and sinks', () => {
    expect(load(file('{ minSeverity: Sev1, timeout: 15m, sinks: [ic] }'))).toEqual({
      approval: { minSeverity: 1, timeoutMs: 900_000, sinks: ['ic'] },
      problems: [],
    });
  });

  it("defaults to 30 minutes, always, and to the sinks of the policy's notify steps", () => {
    expect(load(file('{}', true)).approval).toEqual({ timeoutMs: 1_800_000, sinks: ['oncall'] });
  });

  it.each([
    [
      '{}',
      'policies.yaml:8:15: policies[0].approval: an approval request must go somewhere: list sinks under approval.sinks, or give the policy a notify step',
    ],
    [
      '{ sinks: [pager] }',
      'policies.yaml:8:24: policies[0].approval.sinks: no sink named "pager" under sinks:',
    ],
    [
      '{ timeout: 2d, sinks: [ic] }',
      'policies.yaml:8:26: policies[0].approval.timeout: an approval timeout must be more than 0s and at most 24h',
    ],
  ])('refuses %s with a problem naming the key', (approval, problem) => {
    expect(load(file(approval)).problems).toEqual([problem]);
  });

  it('refuses unknown keys, as everywhere in the policy language', () => {
    expect(load(file('{ sinks: [ic], quorum: 2 }')).problems.join('\n')).toContain('quorum');
  });
});

describe('whether a plan needs approval', () => {
  const always = { timeoutMs: 60_000, sinks: ['ic'] };
  const sev1 = { ...always, minSeverity: 1 as const };

  it.each([
    ['no approval configured', undefined, 1, false],
    ['always, at Sev4', always, 4, true],
    ['minSeverity 1, at Sev1', sev1, 1, true],
    ['minSeverity 1, at Sev2', sev1, 2, false],
  ] as const)('%s', (_what, config, severity, needed) => {
    expect(approvalFor(config, severity) !== undefined).toBe(needed);
  });

  it('says why, for the plan and the request', () => {
    expect(approvalFor(sev1, 1)).toEqual({
      timeoutMs: 60_000,
      sinks: ['ic'],
      why: 'the incident is Sev1 and the policy asks for approval on Sev1 or worse',
    });
    expect(approvalFor(always, 3)?.why).toBe('the policy always asks for approval');
  });
});
