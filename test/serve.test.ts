import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import request from 'supertest';
import { createMemoryLogger } from '../src/logger';
import { fixtureText } from './support/fixtures';
import { AUTH, incidentOfNotification, startServer, tempDir } from './support/server';

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('remediator serve', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  const post = (url: string, name: Parameters<typeof fixtureText>[0]) =>
    request(url)
      .post('/webhook')
      .set({ ...JSON_TYPE, ...AUTH })
      .send(fixtureText(name));

  it('keeps open incidents open across a restart, and still recognises a repeat', async () => {
    let server = await startServer({ dataDir: dir.path });
    const first = await post(server.url, 'am-api-group-3-alerts-firing').expect(200);
    const incident = await incidentOfNotification(server, first.body.notification);
    await server.close();

    server = await startServer({ dataDir: dir.path });
    try {
      const repeat = await post(server.url, 'am-api-group-3-alerts-firing').expect(200);
      expect(repeat.body).toEqual({ status: 'accepted', notification: 2 });
      expect(await incidentOfNotification(server, 2)).toBe(incident);
      const open = await request(server.url).get('/api/v1/incidents?status=open').expect(200);
      expect(open.body.incidents).toEqual([
        expect.objectContaining({
          id: incident,
          status: 'investigating',
          severity: 'Sev1',
          alerts: { firing: 3, total: 3 },
        }),
      ]);
      // The resolved notice after the restart closes the incident opened before it.
      await post(server.url, 'am-api-group-all-resolved').expect(200);
      expect(await incidentOfNotification(server, 3)).toBe(incident);
      const closed = await request(server.url).get(`/api/v1/incidents/${incident}`).expect(200);
      expect(closed.body.status).toBe('resolved');
      // A new incident gets a fresh id, not one reused from before the restart.
      await post(server.url, 'am-api-single-firing-bearer').expect(200);
      expect(await incidentOfNotification(server, 4)).toBe((incident ?? 0) + 1);
    } finally {
      await server.close();
    }
  });

  it('applies after a restart what the log accepted and the last run did not apply, once', async () => {
    let server = await startServer({ dataDir: dir.path });
    // Stopped before it applies anything: what a SIGKILL right after the append leaves.
    server.projector.close();
    await post(server.url, 'am-api-group-3-alerts-firing').expect(200);
    await post(server.url, 'am-api-single-firing-bearer').expect(200);
    await post(server.url, 'am-api-group-3-alerts-firing').expect(200);
    expect(server.journal.db.prepare('SELECT count(*) AS n FROM incidents').get()).toEqual({
      n: 0,
    });
    await server.close();

    server = await startServer({ dataDir: dir.path });
    try {
      await server.projector.recover();
      const list = await request(server.url).get('/api/v1/incidents').expect(200);
      expect(list.body.incidents.map((i: { alerts: { total: number } }) => i.alerts.total)).toEqual(
        [1, 3],
      );
      const timeline = await request(server.url).get('/api/v1/incidents/1').expect(200);
      expect(
        timeline.body.timeline.filter((e: { kind: string }) => e.kind === 'opened'),
      ).toHaveLength(1);
      expect(
        (
          server.journal.db
            .prepare("SELECT value FROM settings WHERE key = 'log_applied_seq'")
            .get() as {
            value: string;
          }
        ).value,
      ).toBe('3');
    } finally {
      await server.close();
    }
  });

  it('announces dry-run mode and open webhook authentication at start-up', async () => {
    const { logger, lines } = createMemoryLogger();
    const server = await startServer(
      { dataDir: dir.path, credentials: {}, credentialSources: [] },
      { logger },
    );
    await server.close();
    const messages = lines.map((l) => `${String(l.level)}: ${String(l.message)}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^warn: no Kubernetes credentials found .* running in dry-run mode/),
        expect.stringMatching(/^warn: webhook authentication is off/),
        'info: remediator listening',
      ]),
    );
    expect(lines.find((l) => l.message === 'remediator listening')).toMatchObject({
      dryRun: true,
      kubernetes: 'none',
    });
  });

  it('without credentials, accepts alerts but refuses every API write with a 403 naming the variables', async () => {
    const server = await startServer({ dataDir: dir.path, credentials: {}, credentialSources: [] });
    try {
      await request(server.url)
        .post('/webhook')
        .set(JSON_TYPE)
        .send(fixtureText('am-api-single-firing-bearer'))
        .expect(200);
      const writes = [
        request(server.url).post('/api/v1/pause'),
        request(server.url).post('/api/v1/resume'),
        request(server.url).post('/api/v1/incidents/1/resolve'),
        request(server.url).patch('/api/v1/incidents/1').send({ rootCause: 'x' }),
      ];
      for (const write of writes) {
        const res = await write.expect(403);
        expect(res.body).toEqual({
          error: 'forbidden',
          message: expect.stringContaining('REMEDIATOR_WEBHOOK_TOKEN_FILE'),
        });
      }
      await request(server.url).get('/api/v1/pause').expect(200, { paused: false });
      await request(server.url).get('/api/v1/incidents/1').expect(200);
    } finally {
      await server.close();
    }
  });

  it('finds credentials in KUBECONFIG and leaves dry-run off', async () => {
    const { writeFileSync } = await import('node:fs');
    const kubeconfig = `${dir.path}/kubeconfig`;
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: ops}}]\ncurrent-context: x\n',
    );
    const server = await startServer({ dataDir: dir.path }, { env: { KUBECONFIG: kubeconfig } });
    try {
      expect(server.dryRun).toBe(false);
      const ready = await request(server.url).get('/readyz').expect(200);
      expect(ready.body.checks.kubernetes).toEqual({
        ok: true,
        detail: 'credentials: kubeconfig, namespace ops',
      });
    } finally {
      await server.close();
    }
  });

  it('reports readiness with every check, and says when dry-run mode is on', async () => {
    const server = await startServer({ dataDir: dir.path });
    try {
      await request(server.url).get('/healthz').expect(200, { status: 'ok' });
      const ready = await request(server.url).get('/readyz').expect(200);
      expect(ready.body).toEqual({
        status: 'ready',
        checks: {
          journal: { ok: true, detail: expect.stringMatching(/journal\.db$/) },
          policies: { ok: true, detail: '(defaults) (0 policies)' },
          kubernetes: { ok: true, detail: 'dry-run mode: no credentials found' },
          log: { ok: true, detail: '0 notifications not yet applied' },
        },
      });
      server.journal.close();
      const notReady = await request(server.url).get('/readyz').expect(503);
      expect(notReady.body.checks.journal).toEqual({
        ok: false,
        detail: expect.stringMatching(/journal\.db: not writable \(closed\)$/),
      });
    } finally {
      await server.close();
    }
  });

  it('answers 503 with Retry-After while the journal refuses writes, is not ready, and recovers', async () => {
    const server = await startServer({ dataDir: dir.path });
    try {
      // The database refuses writes as a read-only file would (tests run as root, which file
      // modes do not stop).
      server.journal.sqlite.pragma('query_only = ON');
      const refused = await post(server.url, 'am-api-group-3-alerts-firing').expect(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toMatchObject({ error: 'journal_unavailable' });
      const notReady = await request(server.url).get('/readyz').expect(503);
      expect(notReady.body.checks.journal).toEqual({
        ok: false,
        detail: expect.stringContaining(
          'not writable (journal commit failed: attempt to write a readonly database)',
        ),
      });
      server.journal.sqlite.pragma('query_only = OFF');
      // Readiness retries a write of its own, at most once a second, so it recovers unprompted.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await request(server.url).get('/readyz').expect(200);
      await post(server.url, 'am-api-group-3-alerts-firing').expect(200);
    } finally {
      await server.close();
    }
  });

  it('refuses to start on an invalid policies file, naming file, line and path', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = `${dir.path}/policies.yaml`;
    writeFileSync(file, 'severity:\n  default: 7\n');
    await expect(startServer({ dataDir: dir.path, policiesFile: file })).rejects.toThrow(
      `${file}:2:12: severity.default: must be a severity level from 1 (Sev1) to 4 (Sev4)`,
    );
  });
});

describe('the read API', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    dir = tempDir();
    server = await startServer({ dataDir: dir.path });
    const post = (name: Parameters<typeof fixtureText>[0]) =>
      request(server.url)
        .post('/webhook')
        .set({ ...JSON_TYPE, ...AUTH })
        .send(fixtureText(name))
        .expect(200);
    await post('am-api-single-firing-bearer'); // 1: HighLatency, Sev1
    await post('am-api-single-resolved'); //       1 resolved
    await post('am-api-group-3-alerts-firing'); // 2: HighErrorRate x3, Sev1
    await post('amtool-single-firing'); //         3: ModelAccuracyDrop, Sev2
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it('lists incidents newest first', async () => {
    const res = await request(server.url).get('/api/v1/incidents').expect(200);
    expect(res.body.incidents.map((i: { id: number }) => i.id)).toEqual([3, 2, 1]);
  });

  it.each([
    ['status=open', [3, 2]],
    ['status=resolved', [1]],
    ['severity=2', [3]],
    ['severity=Sev1', [2, 1]],
    ['status=open&severity=sev1', [2]],
    ['limit=1', [3]],
    ['limit=2&before=3', [2, 1]],
  ])('filters by %s', async (query, ids) => {
    const res = await request(server.url).get(`/api/v1/incidents?${query}`).expect(200);
    expect(res.body.incidents.map((i: { id: number }) => i.id)).toEqual(ids);
  });

  it('gives the next page cursor when a page is full', async () => {
    const res = await request(server.url).get('/api/v1/incidents?limit=2').expect(200);
    expect(res.body.next).toBe('before=2');
  });

  it.each(['status=closed', 'severity=5', 'limit=0', 'limit=abc', 'before=-1'])(
    'rejects the query %s with a JSON 400',
    async (query) => {
      const res = await request(server.url).get(`/api/v1/incidents?${query}`).expect(400);
      expect(res.body).toMatchObject({ error: 'invalid_query' });
    },
  );

  it('shows one incident with its alerts, severity reasons and timeline', async () => {
    const res = await request(server.url).get('/api/v1/incidents/1').expect(200);
    expect(res.body).toMatchObject({
      id: 1,
      status: 'resolved',
      severity: 'Sev1',
      severityReasons: ['HighLatency: alertname="HighLatency" → Sev1'],
      affected: {
        namespace: ['prod'],
        deployment: ['heart-disease-api'],
        service: ['heart-disease-api'],
      },
      alerts: [
        { fingerprint: '2c73220912164df8', status: 'resolved', startsAt: '2026-11-27T13:56:01Z' },
      ],
    });
    expect(res.body.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'opened',
      'alerts_firing',
      'severity',
      'alerts_resolved',
      'status',
    ]);
    expect(res.body.durationSeconds).toEqual(expect.any(Number));
  });

  it.each(['999', 'abc', '0'])('answers 404 in JSON for incident %s', async (id) => {
    const res = await request(server.url).get(`/api/v1/incidents/${id}`).expect(404);
    expect(res.body).toMatchObject({ error: 'not_found' });
  });

  it.each([
    ['GET', '/report'],
    ['PATCH', ''],
    ['POST', '/resolve'],
  ] as const)(
    'answers 404 in JSON to %s on the incident%s of an incident that does not exist',
    async (method, path) => {
      const agent = request(server.url);
      const url = `/api/v1/incidents/999${path}`;
      const call =
        method === 'GET'
          ? agent.get(url)
          : (method === 'PATCH' ? agent.patch(url) : agent.post(url)).send({ rootCause: 'x' });
      const res = await call.set({ ...JSON_TYPE, ...AUTH }).expect(404);
      expect(res.body).toEqual({ error: 'not_found', message: 'no incident "999"' });
    },
  );

  it('routes an absolute-form request line to the webhook, as to any other route', async () => {
    const { hostname: host, port } = new URL(server.url);
    const raw = (target: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const body = fixtureText('am-api-single-firing-bearer');
        const socket = connect(Number(port), host, () => {
          socket.end(
            `POST ${target} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\n` +
              `Authorization: ${AUTH.Authorization}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
              `Connection: close\r\n\r\n${body}`,
          );
        });
        let answer = '';
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
      });
    expect(await raw(`http://${host}:${port}/webhook`)).toMatch(
      /^HTTP\/1\.1 200 [^]*"status":"accepted"/,
    );
    expect(await raw(`http://${host}:${port}/webhook?x=1`)).toMatch(/^HTTP\/1\.1 200/);
    expect(await raw(`http://${host}:${port}/api/v1/incidents/1`)).toMatch(/^HTTP\/1\.1 405/);
  });

  it('answers 405 in JSON for writes to the read API', async () => {
    const res = await request(server.url).delete('/api/v1/incidents/1').expect(405);
    expect(res.body).toMatchObject({ error: 'method_not_allowed' });
    expect(res.headers.allow).toBe('GET, HEAD, PATCH');
  });

  it('exports open incidents by severity, every series present', async () => {
    const text = (await request(server.url).get('/metrics').expect(200)).text;
    expect(text).toMatch(/remediator_incidents_open\{severity="sev1"\} 1/);
    expect(text).toMatch(/remediator_incidents_open\{severity="sev2"\} 1/);
    expect(text).toMatch(/remediator_incidents_open\{severity="sev4"\} 0/);
    expect(text).toMatch(/remediator_incidents_opened_total\{severity="sev1"\} 2/);
    expect(text).toMatch(/remediator_incidents_resolved_total\{severity="sev1"\} 1/);
  });

  it('exports metrics, process metrics included, that promtool check metrics finds nothing wrong with', async () => {
    const other = tempDir();
    const withProcess = await startServer({ dataDir: other.path }, { processMetrics: true });
    const text = (await request(withProcess.url).get('/metrics').expect(200)).text;
    await withProcess.close();
    other.remove();
    expect(text).toContain('process_cpu_seconds_total');
    let promtool: string;
    try {
      promtool = execFileSync('which', ['promtool']).toString().trim();
    } catch {
      throw new Error('promtool is not installed: apt-get install prometheus (.ci/run does)');
    }
    expect(execFileSync(promtool, ['check', 'metrics'], { input: text }).toString()).toBe('');
  });
});
