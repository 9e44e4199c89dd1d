import { join } from 'node:path';
import request from 'supertest';
import { checkWebhookPayload } from '../../src/alertmanager/payload';
import { applyNotification } from '../../src/incidents/incident';
import { renderReportMarkdown, reportData } from '../../src/notify/report';
import { defaultPolicySet } from '../../src/policies/loader';
import { ACTIONS } from '../../src/remediations/actions/index';
import { runCli } from '../support/cli';
import { fixture, fixtureText } from '../support/fixtures';
import { AUTH, startServer, tempDir, type TestServer } from '../support/server';

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('the post-incident report', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: TestServer;

  beforeEach(async () => {
    dir = tempDir();
    server = await startServer({
      dataDir: join(dir.path, 'data'),
      policiesFile: 'deploy/k8s/policies',
    });
    const post = (name: Parameters<typeof fixtureText>[0]) =>
      request(server.url)
        .post('/webhook')
        .set({ ...JSON_TYPE, ...AUTH })
        .send(fixtureText(name))
        .expect(200);
    await post('am-api-single-firing-bearer');
    // The plan's first step runs (a dry run: no credentials here) before the alert resolves.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const body = (await request(server.url).get('/api/v1/incidents/1')).body;
      if (body.plans.some((p: { remediations: unknown[] }) => p.remediations.length > 0)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await post('am-api-single-resolved');
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  it('records root cause and prevention through the authenticated API, in the timeline too', async () => {
    await request(server.url).patch('/api/v1/incidents/1').send({ rootCause: 'x' }).expect(401);
    await request(server.url)
      .patch('/api/v1/incidents/1')
      .set(AUTH)
      .send({ rootcause: 'x' })
      .expect(400, {
        error: 'invalid_body',
        message: 'unknown field "rootcause" (rootCause, prevention)',
      });
    await request(server.url)
      .patch('/api/v1/incidents/1')
      .set(AUTH)
      .send({ prevention: '  ' })
      .expect(400);
    const res = await request(server.url)
      .patch('/api/v1/incidents/1')
      .set(AUTH)
      .send({
        rootCause: 'a cache stampede after the 13:50 deploy',
        prevention: 'jittered cache expiry',
      })
      .expect(200);
    expect(res.body.timeline.slice(-2).map((e: { message: string }) => e.message)).toEqual([
      'Root cause recorded: a cache stampede after the 13:50 deploy',
      'Prevention recorded: jittered cache expiry',
    ]);
  });

  it('renders as JSON with the actions taken, their outcomes and the timeline', async () => {
    await request(server.url)
      .patch('/api/v1/incidents/1')
      .set(AUTH)
      .send({ rootCause: 'bad deploy' })
      .expect(200);
    const report = (
      await request(server.url).get('/api/v1/incidents/1/report?format=json').expect(200)
    ).body;
    expect(report).toMatchObject({
      id: 1,
      severity: 'Sev1',
      status: 'Resolved',
      impact: 'Performance',
      rootCause: 'bad deploy',
      prevention: null,
      alerts: [{ alertname: 'HighLatency', fingerprint: '2c73220912164df8', status: 'resolved' }],
    });
    expect(report.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          policy: 'performance-degradation',
          action: 'scale',
          step: 1,
          steps: 2,
          outcome: 'dry_run',
        }),
      ]),
    );
    expect(report.timeline[0].message).toMatch(/^Incident opened for/);
    expect(report.durationSeconds).toBeGreaterThanOrEqual(0);
  });

  it('renders as Markdown when asked, with the runbook resolution fields', async () => {
    const res = await request(server.url)
      .get('/api/v1/incidents/1/report')
      .set('Accept', 'text/markdown')
      .expect(200);
    expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(res.text).toMatch(
      /^# Incident 1: \{alertname="HighLatency", deployment="heart-disease-api", namespace="prod"\}\n/,
    );
    expect(res.text).toContain('| Root cause | under investigation |');
    expect(res.text).toContain('| Prevention | to be decided in the post-incident review |');
    expect(res.text).toMatch(
      /\| performance-degradation \| 1\/2 \| scale \| Deployment prod\/heart-disease-api \| dry_run \|/,
    );
    expect(res.text).toContain('## Timeline');
  });

  it('answers 404 for an unknown incident and 400 for an unknown format', async () => {
    await request(server.url).get('/api/v1/incidents/9/report').expect(404);
    await request(server.url).get('/api/v1/incidents/1/report?format=pdf').expect(400);
  });

  it('is printed by remediator report from the journal, beside the running server', () => {
    const dataDir = join(dir.path, 'data');
    const md = runCli(['report', '1', '--data-dir', dataDir]);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^# Incident 1: /);
    const json = runCli(['report', '1', '--data-dir', dataDir, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 1, severity: 'Sev1' });
    const missing = runCli(['report', '7', '--data-dir', dataDir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no incident 7');
    expect(runCli(['report', 'abc']).code).toBe(2);
    expect(runCli(['report', '1', '--data-dir', join(dir.path, 'nowhere')]).stderr).toMatch(
      /cannot open the journal/,
    );
  });
});

describe('pause and resume', () => {
  it('are authenticated, survive a restart, and show in /metrics', async () => {
    const dir = tempDir();
    let server = await startServer({ dataDir: dir.path });
    try {
      await request(server.url).post('/api/v1/pause').expect(401);
      await request(server.url).post('/api/v1/pause').set(AUTH).expect(200, { paused: true });
      expect((await request(server.url).get('/metrics')).text).toMatch(/^remediator_paused 1$/m);
      await server.close();
      server = await startServer({ dataDir: dir.path });
      await request(server.url).get('/api/v1/pause').expect(200, { paused: true });
      await request(server.url).post('/api/v1/resume').set(AUTH).expect(200, { paused: false });
      expect((await request(server.url).get('/metrics')).text).toMatch(/^remediator_paused 0$/m);
    } finally {
      await server.close();
      dir.remove();
    }
  });
});

describe('the Markdown report with hostile alert values', () => {
  const hostile = {
    alertname: '<script>alert(1)</script>',
    namespace: '[phish](https://evil.example)',
    deployment: 'a|b\n# heading',
    pod: '<img src=x onerror=alert(1)>',
    service: '*bold* `code` ~~gone~~ \\ &amp;',
  };
  const render = (): string => {
    const payload = fixture('am-api-single-firing-bearer');
    payload.groupLabels = { alertname: hostile.alertname, namespace: hostile.namespace };
    payload.alerts = payload.alerts.map((a) => ({ ...a, labels: { ...a.labels, ...hostile } }));
    const check = checkWebhookPayload(payload);
    if (!check.ok) throw new Error(check.message);
    const change = applyNotification({
      current: undefined,
      payload: check.payload,
      severity: defaultPolicySet(ACTIONS).severity,
      now: Date.parse('2026-12-01T10:00:00Z'),
      nextId: 1,
    });
    if (change === undefined) throw new Error('no incident');
    return renderReportMarkdown(
      reportData({
        incident: change.incident,
        timeline: change.timeline,
        plans: [],
        remediations: [],
        now: Date.parse('2026-12-01T10:05:00Z'),
      }),
    );
  };

  it('leaves no HTML tag, link or emphasis of the sender in the document', () => {
    const markdown = render();
    expect(markdown).not.toMatch(/<(script|img)/i);
    expect(markdown).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(markdown).not.toMatch(/(?<!\\)\[phish(?<!\\)\]\(/);
    expect(markdown).toContain('\\[phish\\](https://evil.example)');
    expect(markdown).not.toMatch(/(?<!\\)\*bold/);
    expect(markdown).toContain('&amp;amp;');
    // A newline in a label cannot start a heading of its own.
    expect(markdown.split('\n').filter((l) => l.startsWith('#'))).toEqual([
      expect.stringMatching(/^# Incident 1: /),
      '## Alerts',
      '## Actions taken',
      '## Timeline',
    ]);
  });

  it('keeps every table row to its columns', () => {
    const rows = render()
      .split('\n')
      .filter((l) => l.startsWith('|'));
    const cells = (row: string): number => row.split(/(?<!\\)\|/).length - 2;
    const alerts = rows.filter((r) => r.startsWith('| &lt;script&gt;'));
    expect(alerts.length).toBeGreaterThan(0);
    for (const row of alerts) expect(cells(row)).toBe(5);
    for (const row of rows.slice(0, 10)) expect([2, 5, 8]).toContain(cells(row));
  });
});
