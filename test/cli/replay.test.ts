import nock from 'nock';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { replayCommand } from '../../src/cli/replay';
import { FIXTURE_NAMES, fixtureText } from '../support/fixtures';
import { AUTH, startServer, tempDir } from '../support/server';

/** What remediator serve ran with: scale on latency, page on everything. */
const RECORDED = `
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:9/hook' }
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps: [{ action: scale, params: { by: 2, max: 10 } }]
  - name: page
    match: ['alertname!=""']
    steps: [{ action: notify, params: { sink: oncall } }]
`;

/** A change under review: scale by 3, page only for Sev1, and restart on model accuracy. */
const PROPOSED = `
sinks:
  oncall: { type: webhook, url: 'http://127.0.0.1:9/hook' }
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps: [{ action: scale, params: { by: 3, max: 10 } }]
  - name: page
    match: ['alertname!=""']
    minSeverity: 1
    steps: [{ action: notify, params: { sink: oncall } }]
  - name: restart-model
    match: ['alertname="ModelAccuracyDrop"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps: [{ action: restart }]
`;

const NOW = Date.parse('2026-12-06T12:00:00Z');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}

describe('remediator replay', () => {
  let dir: ReturnType<typeof tempDir>;
  const write = (name: string, text: string): string => {
    const file = join(dir.path, name);
    writeFileSync(file, text);
    return file;
  };
  const SECRET_FILES: Record<string, string> = { '/secret/user': 'u\n', '/secret/password': 'p\n' };
  const replay = (argv: string[], env: Record<string, string> = {}, now = NOW) => {
    const captured = io();
    return replayCommand(argv, captured.io, {
      env,
      now: () => now,
      readFile: (path: string) => SECRET_FILES[path] ?? 'prom-token\n',
    }).then((code) => ({ code, out: captured.out.join(''), err: captured.err.join('') }));
  };

  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  describe('from a journal written by remediator serve', () => {
    let dataDir: string;
    beforeEach(async () => {
      dataDir = join(dir.path, 'data');
      const server = await startServer({ dataDir, policiesFile: write('recorded.yaml', RECORDED) });
      try {
        for (const name of FIXTURE_NAMES) {
          await request(server.url)
            .post('/webhook')
            .set({ 'Content-Type': 'application/json', ...AUTH })
            .send(fixtureText(name))
            .expect(200);
        }
        await server.projector.idle();
      } finally {
        await server.close();
      }
    });

    /** The last hour of the recorded journal through `policies`, as CI would run it. */
    const replayLastHour = (policies: string) =>
      replay(
        [
          '--policies',
          policies,
          '--data-dir',
          dataDir,
          '--since',
          '1h',
          '--fail-on-change',
          '--json',
        ],
        {},
        Date.now(),
      );

    it('finds nothing to change through the policies that recorded it', async () => {
      const result = await replayLastHour(write('same.yaml', RECORDED));
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      const json = JSON.parse(result.out);
      expect(json).toMatchObject({ notifications: 5, incidents: 3, differing: 0, diffs: [] });
      expect(json.alerts).toBe(9);
    });

    it('lists the plans a policy change adds, drops and changes, and fails CI with --fail-on-change', async () => {
      const result = await replayLastHour(write('proposed.yaml', PROPOSED));
      expect(result.code).toBe(1);
      const { diffs } = JSON.parse(result.out) as { diffs: any[] };
      const byGroup = new Map(diffs.map((d) => [d.groupKey, d]));
      const latency = [...byGroup.values()].find((d) => d.groupKey.includes('HighLatency'));
      expect(latency.changed).toEqual([
        {
          before: expect.objectContaining({
            policy: 'scale-out',
            steps: ['scale {"by":2,"max":10,"min":1}'],
          }),
          after: expect.objectContaining({
            policy: 'scale-out',
            steps: ['scale {"by":3,"max":10,"min":1}'],
          }),
        },
      ]);
      expect(latency.same).toBe(1);
      const model = [...byGroup.values()].find((d) => d.groupKey.includes('ModelAccuracyDrop'));
      expect(model.added).toEqual([expect.objectContaining({ policy: 'restart-model' })]);
      expect(model.removed).toEqual([expect.objectContaining({ policy: 'page' })]);
      expect(model.severity).toEqual({ recorded: 'Sev2', replayed: 'Sev2' });
    });

    it('says it in text, one incident at a time', async () => {
      const result = await replay(
        ['--policies', write('proposed.yaml', PROPOSED), '--data-dir', dataDir, '--since', '1h'],
        {},
        Date.now(),
      );
      expect(result.code).toBe(0);
      expect(result.out).toMatch(
        /^remediator replay: 5 notifications \(9 alerts\) logged from .*: 3 incidents, 2 differ from what was recorded/,
      );
      expect(result.out).toContain(
        '  + would plan  policy restart-model (firing) on Deployment prod/heart-disease-api: restart {}',
      );
      expect(result.out).toContain(
        '  - would drop  policy page (firing): notify {"sink":"oncall","template":"status-update"}',
      );
      expect(result.out).toContain(
        '  ~ would change policy scale-out (firing) on Deployment prod/heart-disease-api: scale {"by":2,"max":10,"min":1}',
      );
    });

    it('replays only what arrived within --since', async () => {
      const result = await replay([
        '--policies',
        write('p.yaml', PROPOSED),
        '--data-dir',
        dataDir,
        '--since',
        '1m',
        '--json',
      ]);
      // The journal's notifications arrived now, as the clock of this test runs: long before NOW.
      expect(JSON.parse(result.out)).toMatchObject({ notifications: 0, incidents: 0 });
    });
  });

  describe('from Prometheus', () => {
    afterEach(() => nock.cleanAll());
    afterAll(() => nock.restore());
    const PROM = 'http://prometheus.test:9090';

    it('rebuilds notifications from ALERTS and shows what would have been planned, naming what it cannot judge', async () => {
      const start = NOW - 3_600_000;
      const samples = Array.from({ length: 20 }, (_, i) => [
        (start + 600_000 + i * 15_000) / 1000,
        '1',
      ]);
      nock(PROM, { reqheaders: { authorization: 'Bearer prom-token' } })
        .get('/api/v1/query_range')
        .query((q) => q.query === 'ALERTS{alertstate="firing"}' && q.step === '15s')
        .reply(200, {
          status: 'success',
          data: {
            resultType: 'matrix',
            result: [
              {
                metric: {
                  __name__: 'ALERTS',
                  alertstate: 'firing',
                  alertname: 'HighLatency',
                  namespace: 'prod',
                  deployment: 'web',
                },
                values: samples,
              },
            ],
          },
        });
      const policies = write(
        'p.yaml',
        `${RECORDED}
  - name: by-value
    match: ['alertname="HighLatency"']
    value: { annotation: p99_seconds, above: 1 }
    steps: [{ action: notify, params: { sink: oncall } }]
`,
      );
      const result = await replay(
        [
          '--policies',
          policies,
          '--from-prometheus',
          PROM,
          '--since',
          '1h',
          '--group-by',
          'alertname,namespace',
          '--json',
        ],
        { REMEDIATOR_PROMETHEUS_TOKEN_FILE: '/secret/token' },
      );
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      const json = JSON.parse(result.out);
      expect(json).toMatchObject({ series: 1, notifications: 2 });
      expect(json.incidents).toEqual([
        {
          groupKey: '{}:{alertname="HighLatency", namespace="prod"}',
          severity: 'Sev1',
          plans: [
            expect.objectContaining({ policy: 'scale-out', target: 'Deployment prod/web' }),
            expect.objectContaining({ policy: 'page' }),
          ],
        },
      ]);
      expect(json.cannotJudge).toEqual(
        expect.arrayContaining(['policy by-value (value: annotation p99_seconds)']),
      );
    });

    it('fails with the reason when Prometheus cannot answer', async () => {
      nock(PROM).get('/api/v1/query_range').query(true).reply(400, {
        status: 'error',
        errorType: 'bad_data',
        error: 'exceeded maximum resolution of 11,000 points per timeseries',
      });
      const result = await replay([
        '--policies',
        write('p.yaml', RECORDED),
        '--from-prometheus',
        PROM,
      ]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/bad_data: exceeded maximum resolution/);
    });

    it('takes Prometheus credentials from the _FILE variables, never from the URL', async () => {
      const policies = write('p.yaml', RECORDED);
      const inUrl = await replay([
        '--policies',
        policies,
        '--from-prometheus',
        'http://user:hunter2@prometheus.test:9090',
      ]);
      expect(inUrl.code).toBe(1);
      expect(inUrl.err).toMatch(/credentials do not go in the URL/);
      expect(inUrl.err).not.toContain('hunter2');

      nock(PROM, {
        reqheaders: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
      })
        .get('/api/v1/query_range')
        .query(true)
        .reply(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
      const basic = await replay(['--policies', policies, '--from-prometheus', PROM, '--json'], {
        REMEDIATOR_PROMETHEUS_USERNAME_FILE: '/secret/user',
        REMEDIATOR_PROMETHEUS_PASSWORD_FILE: '/secret/password',
      });
      expect(basic.err).toBe('');
      expect(JSON.parse(basic.out)).toMatchObject({ series: 0 });
    });
  });

  it.each([
    [[], /--policies FILE\|DIR is required/],
    [['--policies', 'x.yaml', '--since', 'a week'], /--since "a week" is not a duration/],
    [['--policies', 'x.yaml', 'extra'], /unexpected argument "extra"/],
  ])('refuses %j', async (argv, message) => {
    const result = await replay(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});
