import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem } from '../../src/policies/loader';
import { PolicyStore, readPolicyFile } from '../../src/policies/store';
import { ACTIONS } from '../../src/remediations/actions/index';
import { tempDir } from '../support/server';

const TWO_POLICIES = `
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:9/hook' }
policies:
  - name: page
    match: ['alertname="HighLatency"']
    steps: [{ action: notify, params: { sink: oncall } }]
  - name: page-errors
    match: ['alertname="HighErrorRate"']
    steps: [{ action: notify, params: { sink: oncall } }]
`;

describe('the policy store', () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    dir = tempDir();
    file = join(dir.path, 'policies.yaml');
  });
  afterEach(() => dir.remove());

  const storeWith = (text: string): PolicyStore => {
    writeFileSync(file, text);
    return PolicyStore.open(file, ACTIONS);
  };

  it.each([
    ['an empty file', ''],
    ['a comment-only file', '# policies moved elsewhere\n'],
    ['a file with other sections only', 'severity: { default: 3 }\n'],
  ])('refuses %s that would drop every policy in force, and keeps them', (_what, text) => {
    const store = storeWith(TWO_POLICIES);
    writeFileSync(file, text);
    const result = store.reload();
    expect(result).toEqual({
      outcome: 'rejected',
      problems: [
        expect.objectContaining({
          path: 'policies',
          message: expect.stringContaining(
            'would remove all 2 policies in force; write "policies: []"',
          ),
        }),
      ],
    });
    expect(store.policies.policies.map((p) => p.name)).toEqual(['page', 'page-errors']);
    expect(Object.keys(store.policies.sinks)).toEqual(['oncall']);
  });

  it('takes an explicit "policies: []"', () => {
    const store = storeWith(TWO_POLICIES);
    writeFileSync(file, 'policies: []\n');
    expect(store.reload()).toMatchObject({ outcome: 'loaded' });
    expect(store.policies.policies).toEqual([]);
  });

  it('takes a file without policies when none were in force', () => {
    const store = storeWith('policies: []\n');
    writeFileSync(file, '# nothing yet\n');
    expect(store.reload()).toMatchObject({ outcome: 'loaded' });
  });

  it('takes a smaller set of policies', () => {
    const store = storeWith(TWO_POLICIES);
    writeFileSync(file, TWO_POLICIES.split('  - name: page-errors')[0] ?? '');
    expect(store.reload()).toMatchObject({ outcome: 'loaded' });
    expect(store.policies.policies.map((p) => p.name)).toEqual(['page']);
  });
});

describe('a directory of policies files', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  const RUNBOOK = `severity: { default: 3 }
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:9/hook' }
policies:
  - name: page
    match: ['alertname="HighLatency"']
    steps: [{ action: notify, params: { sink: oncall } }]
`;
  const PACK = `# a pack: policies only, naming a sink of another file
policies:
  - name: crash-loop
    match: ['alertname="KubePodCrashLooping"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', fromPod: '{{ labels.pod }}' }
    steps: [{ action: restart }, { action: notify, params: { sink: oncall } }]
`;
  const write = (name: string, text: string): void => writeFileSync(join(dir.path, name), text);

  it('loads every policies file in name order as one set, sharing sinks, and skips tests and hidden files', () => {
    write('b-runbook.yaml', RUNBOOK);
    write('a-kube-prometheus.yaml', PACK);
    write('a-kube-prometheus.test.yaml', 'policies: a-kube-prometheus.yaml\ntests: []\n');
    write('..data', 'not: policies');
    write('notes.txt', 'not yaml');
    const result = readPolicyFile(dir.path, ACTIONS);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.policySet.source).toBe(dir.path);
    expect(result.policySet.policies.map((p) => p.name)).toEqual(['crash-loop', 'page']);
    expect(Object.keys(result.policySet.sinks)).toEqual(['oncall']);
    expect(result.policySet.severity.default).toBe(3);
  });

  it('reports each problem in the file and at the line it is about', () => {
    write('a.yaml', RUNBOOK);
    write(
      'b.yaml',
      `severity: { default: 2 }
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:9/other' }
policies:
  - name: page
    match: ['alertname="X"']
    steps: [{ action: notify, params: { sink: pager } }]
`,
    );
    const result = readPolicyFile(dir.path, ACTIONS);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      `${join(dir.path, 'b.yaml')}:1:11: severity: \`severity\` is given by a.yaml too: give it in one file of the set`,
      `${join(dir.path, 'b.yaml')}:3:11: sinks.oncall: sink "oncall" is defined in a.yaml too: define it in one file of the set`,
      `${join(dir.path, 'b.yaml')}:5:11: policies[0].name: duplicate policy name "page" (first at a.yaml policies[0])`,
      `${join(dir.path, 'b.yaml')}:7:47: policies[0].steps[0].params.sink: no sink named "pager" under sinks:`,
    ]);
  });

  it('says so when the directory holds no policies file', () => {
    write('only.test.yaml', 'tests: []\n');
    const result = readPolicyFile(dir.path, ACTIONS);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      `${dir.path}:1:1: no policies files in this directory (*.yaml or *.yml, other than *.test.yaml)`,
    ]);
  });

  it('reloads when a file of the directory changes, and keeps the set when one is broken', async () => {
    write('a.yaml', RUNBOOK);
    const store = PolicyStore.open(dir.path, ACTIONS);
    const reloads: string[] = [];
    const stop = store.watch({
      onReload: (result) => reloads.push(result.outcome),
      pollMs: 50,
      debounceMs: 10,
    });
    try {
      write('b.yaml', PACK);
      await waitUntil(() => store.policies.policies.length === 2);
      write('b.yaml', 'policies: [');
      await waitUntil(() => reloads.includes('rejected'));
      expect(store.policies.policies.map((p) => p.name)).toEqual(['page', 'crash-loop']);
    } finally {
      stop();
    }
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
