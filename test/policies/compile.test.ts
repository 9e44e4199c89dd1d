import { formatProblem, loadPolicies, type ServerSources } from '../../src/policies/loader';
import { decide } from '../../src/policies/decide';
import { ACTIONS } from '../../src/remediations/actions/index';

/** A policy whose one scale step has this `verify`, and `extra` keys of the policy. */
function file(verify: string, extra = ''): string {
  return `policies:
  - name: latency
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
        verify: ${verify}
${extra}`;
}

const BOTH: ServerSources = { prometheus: true, alertmanager: true };

function load(text: string, sources?: ServerSources) {
  return loadPolicies(text, 'policies.yaml', ACTIONS, { sources });
}

function problems(text: string, sources?: ServerSources): string[] {
  const result = load(text, sources);
  return result.ok ? [] : result.problems.map(formatProblem);
}

function policyOf(text: string, sources: ServerSources = BOTH) {
  const result = load(text, sources);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  const [policy] = result.policySet.policies;
  if (policy === undefined) throw new Error('no policy');
  return { policy, policySet: result.policySet };
}

describe('a step verified by a PromQL query', () => {
  const QUERY = `{ window: 5m, name: p99, below: 1, interval: 30s, for: 2m, query: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{pod="{{ labels.pod }}"}[2m])))' }`;

  it('compiles its window, bounds, interval and for; `verify: 5m` stays a window alone', () => {
    const { policy } = policyOf(file(QUERY));
    expect(policy.steps[0]).toMatchObject({
      verifyMs: 300_000,
      check: { name: 'p99', bounds: { below: 1 }, intervalMs: 30_000, forMs: 120_000 },
    });
    const plain = policyOf(file('5m')).policy.steps[0];
    expect(plain?.verifyMs).toBe(300_000);
    expect(plain?.check).toBeUndefined();
  });

  it('is rendered into the plan with the alert`s labels escaped', () => {
    const { policySet } = policyOf(file(QUERY));
    const decision = decide({
      payload: {
        receiver: 'r',
        status: 'firing',
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: 'HighLatency',
              namespace: 'prod',
              deployment: 'web',
              pod: 'web"} or vector(0) or x{a="',
            },
            annotations: {},
            startsAt: '2026-11-27T13:56:01Z',
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint: '00000000000000a1',
          },
        ],
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: '',
        version: '4',
        groupKey: '{}:{}',
        truncatedAlerts: 0,
      },
      current: undefined,
      policySet,
      now: Date.parse('2026-11-27T14:00:00Z'),
      nextId: 1,
      isPlanned: () => false,
    });
    expect(decision?.plan.skips).toEqual([]);
    expect(decision?.plan.entries[0]?.steps[0]?.check).toEqual({
      query:
        'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{pod="web\\"} or vector(0) or x{a=\\""}[2m])))',
      name: 'p99',
      bounds: { below: 1 },
      intervalMs: 30_000,
      forMs: 120_000,
    });
  });

  it('reports every problem with file and line: syntax, bounds, interval, for, a missing source', () => {
    expect(
      problems(
        file(
          `{ window: 1m, query: 'rate(x{d="{{ labels.deployment }}"}[5m]', interval: 2m, for: 3m }`,
        ),
        { prometheus: false, alertmanager: true },
      ),
    ).toEqual([
      'policies.yaml:8:17: policies[0].steps[0].verify: a query needs bounds: above, atLeast, below or atMost',
      'policies.yaml:8:39: policies[0].steps[0].verify.query: verifying by a PromQL query needs Prometheus: start remediator with --prometheus-url (REMEDIATOR_PROMETHEUS_URL)',
      'policies.yaml:8:39: policies[0].steps[0].verify.query: PromQL syntax error: the query ends too early',
      'policies.yaml:8:91: policies[0].steps[0].verify.interval: interval must be more than 0s and less than the window (1m)',
      'policies.yaml:8:100: policies[0].steps[0].verify.for: for (3m) cannot be longer than the window (1m)',
    ]);
    expect(problems(file(`{ window: 1m, query: 'up', below: 1, for: 30s }`))).toEqual([
      'policies.yaml:8:59: policies[0].steps[0].verify.for: `for` needs an `interval`: the query runs once otherwise',
    ]);
    expect(problems(file(`{ window: 1m, below: 1 }`))).toEqual([
      'policies.yaml:8:17: policies[0].steps[0].verify: below needs a `query`',
    ]);
    expect(problems(file(`{ query: 'up', below: 1 }`))).toEqual([
      'policies.yaml:8:17: policies[0].steps[0].verify: missing required key "window"',
    ]);
  });

  it('points at the column of a syntax error before any template', () => {
    expect(
      problems(file(`{ window: 1m, query: 'rate(x[5m]) by (a) + {{ labels.x }}', below: 1 }`)),
    ).toEqual([
      // The value starts at column 39; `by` is 12 characters into it.
      'policies.yaml:8:51: policies[0].steps[0].verify.query: PromQL syntax error near "by (a) + x1"',
    ]);
  });

  it('is checked by the offline commands without a Prometheus (no sources given)', () => {
    expect(problems(file(QUERY))).toEqual([]);
  });
});

describe('silence', () => {
  it('is `true`, `{ for }`, or off by default', () => {
    expect(policyOf(file('5m', '    silence: true')).policy.silence).toEqual({});
    expect(policyOf(file('5m', '    silence: { for: 30m }')).policy.silence).toEqual({
      forMs: 1_800_000,
    });
    expect(policyOf(file('5m')).policy.silence).toBeUndefined();
    expect(policyOf(file('5m', '    silence: false')).policy.silence).toBeUndefined();
  });

  it('needs Alertmanager in a server', () => {
    expect(
      problems(file('5m', '    silence: true'), { prometheus: true, alertmanager: false }),
    ).toEqual([
      'policies.yaml:9:14: policies[0].silence: silencing alerts needs Alertmanager: start remediator with --alertmanager-url (REMEDIATOR_ALERTMANAGER_URL)',
    ]);
  });
});

describe('a model registry step', () => {
  const MLFLOW = `policies:
  - name: model
    match: ['alertname="ModelAccuracyDrop"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: restore-model
        params: { mlflow: { model: heart-disease } }
        verify: 10m
`;

  it('needs MLflow in a server, and gets the alias and restart defaults', () => {
    expect(problems(MLFLOW, BOTH)).toEqual([
      'policies.yaml:7:27: policies[0].steps[0].params.mlflow: a model registry step needs MLflow: start remediator with --mlflow-url (REMEDIATOR_MLFLOW_URL)',
    ]);
    expect(problems(MLFLOW)).toEqual([]);
    const { policy } = policyOf(MLFLOW, { ...BOTH, mlflow: true });
    expect(policy.steps[0]?.params).toMatchObject({
      mlflow: { model: expect.anything(), alias: expect.anything(), restart: expect.anything() },
    });
  });
});
