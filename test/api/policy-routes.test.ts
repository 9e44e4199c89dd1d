import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { fixture, fixtureText } from '../support/fixtures';
import { startServer, tempDir, type TestServer } from '../support/server';

const SHIPPED = join(__dirname, '..', '..', 'deploy', 'k8s', 'policies', 'runbook.yaml');
const SECRET_URL = 'https://hooks.slack.example/services/T000/B000/s3cr3t-sink-url';

/** The shipped policies, with one sink whose URL is written in the file (a secret). */
function policiesWithInlineSink(): string {
  return readFileSync(SHIPPED, 'utf8').replace(
    'oncall: { type: slack, urlFile: /etc/remediator/sinks/oncall-url }',
    `oncall: { type: slack, url: '${SECRET_URL}' }`,
  );
}

describe('the policies in force and the plan preview', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: TestServer;
  let file: string;
  beforeEach(async () => {
    dir = tempDir();
    file = join(dir.path, 'policies.yaml');
    writeFileSync(file, policiesWithInlineSink());
    server = await startServer({ dataDir: join(dir.path, 'data'), policiesFile: file });
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  it('shows the policies as validated, with their source file, and never a sink URL', async () => {
    const res = await request(server.url).get('/api/v1/policies').expect(200);
    expect(res.body.source).toBe(file);
    expect(res.body.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.rejected).toEqual([]);
    expect(res.body.policies).toContainEqual({
      name: 'performance-degradation',
      description:
        'Scale out within bounds (through the HPA when there is one); then page on-call.',
      actions: ['scale', 'notify'],
    });
    expect(res.body.text).toContain('name: performance-degradation');
    // Defaults filled in: the safety section, which the file does not write.
    expect(res.body.text).toContain('protectedNamespaces:');
    expect(JSON.stringify(res.body)).not.toContain('s3cr3t-sink-url');
    expect(res.body.text).toContain('url: "[redacted]"');
    expect(res.body.text).toContain('urlFile: /etc/remediator/sinks/sysadmin-url');
  });

  it('says when the file on disk was rejected and the last good policies stay in force', async () => {
    writeFileSync(file, 'policies:\n  - name: Bad Name\n');
    server.reloadPolicies();
    const res = await request(server.url).get('/api/v1/policies').expect(200);
    expect(res.body.policies.length).toBeGreaterThan(0);
    expect(res.body.rejected.length).toBeGreaterThan(0);
    expect(res.body.rejected[0]).toContain(`${file}:2`);
  });

  it('plans a payload with the policies in force, as remediator plan does, and records nothing', async () => {
    const payload = fixture('am-api-group-3-alerts-firing');
    const res = await request(server.url).post('/api/v1/plan').send(payload).expect(200);
    expect(res.body.policies).toEqual({ source: file, digest: expect.any(String) });
    expect(res.body.incident).toMatchObject({ severity: 'Sev1', status: 'identified' });
    expect(res.body.plan.map((p: { policy: string }) => p.policy)).toEqual([
      'service-disruption',
      'sev1-diagnostics',
      'sev1-status-update',
    ]);
    expect(res.body.plan[0].steps[0]).toEqual({
      action: 'rollback',
      params: { onlyIfChangedWithin: '2h' },
      verify: '10m',
    });
    expect(res.body.timeline[0]).toMatch(/^Incident opened for/);

    const incidents = await request(server.url).get('/api/v1/incidents').expect(200);
    expect(incidents.body.incidents).toEqual([]);
    // The same payload through the webhook then opens a fresh incident: nothing was planned.
    await request(server.url)
      .post('/webhook')
      .set({ 'Content-Type': 'application/json', Authorization: 'Bearer s3cr3t-test-token' })
      .send(fixtureText('am-api-group-3-alerts-firing'))
      .expect(200);
    const incident = await request(server.url).get('/api/v1/incidents/1').expect(200);
    expect(incident.body.plans.map((p: { policy: string }) => p.policy)).toEqual([
      'service-disruption',
      'sev1-diagnostics',
      'sev1-status-update',
    ]);
  });

  it('refuses an invalid payload with the field at fault, and a body over 256 KiB', async () => {
    const bad = await request(server.url)
      .post('/api/v1/plan')
      .send({ ...fixture('am-api-single-firing-bearer'), version: '3' })
      .expect(400);
    expect(bad.body).toEqual({ error: 'invalid_payload', message: 'version must be "4"' });
    const payload = fixture('am-api-single-firing-bearer');
    const alert = payload.alerts[0]!;
    alert.annotations = { big: 'x'.repeat(300 * 1024) };
    const big = await request(server.url).post('/api/v1/plan').send(payload).expect(413);
    expect(big.body.error).toBe('bad_request');
    await request(server.url).get('/api/v1/plan').expect(405);
  });
});
