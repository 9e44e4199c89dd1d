import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { fixture, fixtureText } from '../support/fixtures';
import { AUTH, startServer, tempDir, type TestServer } from '../support/server';

const JSON_TYPE = { 'Content-Type': 'application/json' };

const POLICIES = `
sinks:
  oncall: { type: webhook, urlEnv: ONCALL_URL }
policies:
  - name: scale-out
    match: ['alertname="HighLatency"']
    minSeverity: 2
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 2, max: 10 }
      - action: notify
        params: { sink: oncall }
`;

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('planning in remediator serve', () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  let server: TestServer;

  beforeEach(async () => {
    dir = tempDir();
    file = join(dir.path, 'policies.yaml');
    writeFileSync(file, POLICIES);
    server = await startServer(
      { dataDir: join(dir.path, 'data'), policiesFile: file },
      { policyPollMs: 100 },
    );
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  const post = (name: Parameters<typeof fixtureText>[0]) =>
    request(server.url)
      .post('/webhook')
      .set({ ...JSON_TYPE, ...AUTH })
      .send(fixtureText(name))
      .expect(200);
  const incident = async (id: number) =>
    (await request(server.url).get(`/api/v1/incidents/${id}`).expect(200)).body;
  const metrics = async () => (await request(server.url).get('/metrics').expect(200)).text;
  /** The incident once its first plan has run its first step. */
  const planned = async (id: number) =>
    until(async () => {
      const body = await incident(id);
      return body.plans[0]?.remediations.length > 0 ? body : undefined;
    }, 'a plan and its first step');

  it('journals the plan, shows it in the incident and its timeline, and counts it', async () => {
    await post('am-api-single-firing-bearer');
    const body = await planned(1);
    expect(body.status).toBe('identified');
    expect(body.plans).toEqual([
      expect.objectContaining({
        policy: 'scale-out',
        trigger: 'firing',
        // No Kubernetes credentials here: the first step runs as a dry run and is being verified.
        status: 'running',
        remediations: [
          expect.objectContaining({
            step: 0,
            action: 'scale',
            status: 'dry_run',
            summary:
              'would run scale {by: 2, max: 10, min: 1} on Deployment prod/heart-disease-api (no Kubernetes credentials: nothing read, so the exact change is unknown; nothing written)',
          }),
        ],
        // A server without credentials runs every plan as a dry run, and says so.
        dryRun: true,
        target: {
          kind: 'Deployment',
          namespace: 'prod',
          name: 'heart-disease-api',
          text: 'Deployment prod/heart-disease-api',
        },
        steps: [
          expect.objectContaining({ action: 'scale', params: { by: 2, max: 10, min: 1 } }),
          expect.objectContaining({
            action: 'notify',
            params: { sink: 'oncall', template: 'status-update' },
          }),
        ],
        alerts: [{ fingerprint: '2c73220912164df8', startsAt: '2026-11-27T13:56:01Z' }],
      }),
    ]);
    expect(body.timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'opened',
      'alerts_firing',
      'severity',
      'plan',
      'status',
      'remediation',
    ]);
    const text = await metrics();
    expect(text).toMatch(/remediator_plans_total\{policy="scale-out",action="scale"\} 1/);
    expect(text).toMatch(/remediator_policy_matches_total\{policy="scale-out"\} 1/);
    expect(text).toMatch(/remediator_policies_loaded 1/);
  });

  it('plans an alert instance once, however often Alertmanager repeats it', async () => {
    await post('am-api-single-firing-bearer');
    await planned(1);
    for (let i = 0; i < 5; i++) await post('am-api-single-firing-bearer');
    expect((await incident(1)).plans).toHaveLength(1);
    expect(await metrics()).toMatch(
      /remediator_plans_total\{policy="scale-out",action="scale"\} 1/,
    );
  });

  it('takes a valid new policies file without a restart, and keeps the last good one when the new one is invalid', async () => {
    writeFileSync(
      file,
      POLICIES.replace('alertname="HighLatency"', 'alertname="ModelAccuracyDrop"'),
    );
    await until(
      async () =>
        (await metrics()).includes('remediator_policy_reloads_total{result="success"} 1')
          ? true
          : undefined,
      'the reload',
    );
    await post('amtool-single-firing');
    expect((await planned(1)).plans[0].policy).toBe('scale-out');

    writeFileSync(file, 'policies:\n  - name: Broken\n');
    const text = await until(async () => {
      const t = await metrics();
      return t.includes('remediator_policy_reloads_total{result="failure"} 1') ? t : undefined;
    }, 'the rejection');
    expect(text).toMatch(/remediator_policy_last_reload_successful 0/);
    const rejected = server.lines.find(
      (l) => l.message === 'policies file rejected; the last good policies stay in force',
    );
    expect(rejected?.problems).toEqual([
      `${file}:2:5: policies[0]: missing required key "match"`,
      `${file}:2:5: policies[0]: missing required key "steps"`,
      `${file}:2:11: policies[0].name: must be lower-case letters, digits and dashes, starting and ending with a letter or digit`,
    ]);
    const ready = await request(server.url).get('/readyz').expect(200);
    expect(ready.body.checks.policies.detail).toMatch(
      /the file on disk was rejected \(3 problems\); the last good policies are in force/,
    );
    // The last good policies still plan.
    await post('am-api-group-3-alerts-firing');
    const other = fixture('amtool-single-firing');
    other.groupKey = '{}:{alertname="ModelAccuracyDrop", namespace="staging"}';
    other.alerts[0]!.fingerprint = 'aaaaaaaaaaaaaaaa';
    await request(server.url)
      .post('/webhook')
      .set({ ...JSON_TYPE, ...AUTH })
      .send(JSON.stringify(other))
      .expect(200);
    expect((await planned(3)).plans[0].policy).toBe('scale-out');
  });
});

describe('reloading a policies file mounted from a ConfigMap', () => {
  it('follows the ..data symlink swap Kubernetes does', async () => {
    const dir = tempDir();
    // The layout the kubelet makes: policies.yaml → ..data/policies.yaml, ..data → ..<timestamp>.
    const mount = join(dir.path, 'mount');
    mkdirSync(join(mount, '..v1'), { recursive: true });
    writeFileSync(join(mount, '..v1', 'policies.yaml'), POLICIES);
    symlinkSync('..v1', join(mount, '..data'));
    symlinkSync('..data/policies.yaml', join(mount, 'policies.yaml'));
    const server = await startServer(
      { dataDir: join(dir.path, 'data'), policiesFile: join(mount, 'policies.yaml') },
      { policyPollMs: 60_000 },
    );
    try {
      mkdirSync(join(mount, '..v2'));
      writeFileSync(join(mount, '..v2', 'policies.yaml'), POLICIES.replace('max: 10', 'max: 20'));
      symlinkSync('..v2', join(mount, '..data_tmp'));
      renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
      await until(
        () =>
          server.lines.find(
            (l) => l.message === 'policies reloaded' && l.trigger === 'file change',
          ),
        'the reload after the swap',
      );
      await request(server.url)
        .post('/webhook')
        .set({ ...JSON_TYPE, ...AUTH })
        .send(fixtureText('am-api-single-firing-bearer'))
        .expect(200);
      const body = await until(async () => {
        const b = (await request(server.url).get('/api/v1/incidents/1')).body;
        return b.plans?.length > 0 ? b : undefined;
      }, 'a plan');
      expect(body.plans[0].steps[0].params.max).toBe(20);
    } finally {
      await server.close();
      dir.remove();
    }
  });
});

describe('a notification and its plan', () => {
  it('are journaled in one transaction: a journal that refuses the write keeps neither', async () => {
    const dir = tempDir();
    const file = join(dir.path, 'policies.yaml');
    writeFileSync(file, POLICIES);
    const server = await startServer({ dataDir: join(dir.path, 'data'), policiesFile: file });
    const count = (table: string) =>
      (server.journal.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    try {
      const pages = server.journal.sqlite.pragma('page_count', { simple: true }) as number;
      server.journal.sqlite.pragma(`max_page_count = ${pages}`);
      const payload = fixture('am-api-single-firing-bearer');
      payload.alerts[0]!.annotations.description = 'x'.repeat(20_000);
      const post = () =>
        request(server.url)
          .post('/webhook')
          .set({ ...JSON_TYPE, ...AUTH })
          .send(JSON.stringify(payload));
      await post().expect(503);
      expect([count('incidents'), count('alerts'), count('plans')]).toEqual([0, 0, 0]);

      server.journal.sqlite.pragma('max_page_count = 1073741823');
      await post().expect(200);
      await server.projector.idle();
      expect([count('incidents'), count('alerts'), count('plans')]).toEqual([1, 1, 1]);
    } finally {
      await server.close();
      dir.remove();
    }
  });
});

describe('incidents held open for a human', () => {
  it('resolve only through the authenticated API', async () => {
    const dir = tempDir();
    const file = join(dir.path, 'policies.yaml');
    writeFileSync(
      file,
      POLICIES.replace('    minSeverity: 2', '    minSeverity: 2\n    autoResolve: false'),
    );
    const server = await startServer({ dataDir: join(dir.path, 'data'), policiesFile: file });
    try {
      const post = (name: Parameters<typeof fixtureText>[0]) =>
        request(server.url)
          .post('/webhook')
          .set({ ...JSON_TYPE, ...AUTH })
          .send(fixtureText(name))
          .expect(200);
      await post('am-api-single-firing-bearer');
      await until(
        async () =>
          (await request(server.url).get('/api/v1/incidents/1')).body.heldOpen ? true : undefined,
        'the hold',
      );
      await post('am-api-single-resolved');
      const held = (await request(server.url).get('/api/v1/incidents/1').expect(200)).body;
      expect(held.status).toBe('identified');
      expect(held.alerts[0].status).toBe('resolved');

      await request(server.url)
        .post('/api/v1/incidents/1/resolve')
        .send({ reason: 'forensics done' })
        .expect(401);
      const resolved = await request(server.url)
        .post('/api/v1/incidents/1/resolve')
        .set(AUTH)
        .send({ reason: 'forensics done' })
        .expect(200);
      expect(resolved.body.status).toBe('resolved');
      expect(resolved.body.timeline.at(-1).message).toBe(
        'Status Identified → Resolved: forensics done',
      );
      await request(server.url).post('/api/v1/incidents/1/resolve').set(AUTH).expect(409);
      await request(server.url).post('/api/v1/incidents/99/resolve').set(AUTH).expect(404);
    } finally {
      await server.close();
      dir.remove();
    }
  });
});
