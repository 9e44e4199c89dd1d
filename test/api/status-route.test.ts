import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ManualClock } from '../../src/clock';
import { fixtureText } from '../support/fixtures';
import { AUTH, startServer, tempDir, type TestServer } from '../support/server';

const POLICIES = `
status:
  title: Heart-disease prediction
  outageSeverity: 1
  components:
    - name: Prediction API
      match: ['deployment="heart-disease-api"']
    - name: Worker
      match: ['deployment="heart-disease-worker"']
`;

describe('GET /api/v1/status', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: TestServer;
  const clock = new ManualClock('2026-11-27T14:00:00Z');
  beforeEach(async () => {
    dir = tempDir();
    const file = join(dir.path, 'policies.yaml');
    writeFileSync(file, POLICIES);
    server = await startServer({ dataDir: join(dir.path, 'data'), policiesFile: file }, { clock });
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  const post = (name: Parameters<typeof fixtureText>[0]) =>
    request(server.url)
      .post('/webhook')
      .set({ 'Content-Type': 'application/json', ...AUTH })
      .send(fixtureText(name))
      .expect(200);

  it('shows the components of the policies file, an outage during a Sev1 incident, operational after', async () => {
    const before = await request(server.url).get('/api/v1/status').expect(200);
    expect(before.body).toEqual({
      title: 'Heart-disease prediction',
      status: 'operational',
      components: [
        { name: 'Prediction API', status: 'operational' },
        { name: 'Worker', status: 'operational' },
      ],
      incidents: [],
      updatedAt: '2026-11-27T14:00:00.000Z',
      refreshSeconds: 10,
    });
    expect(before.headers['cache-control']).toBe('public, max-age=1');

    await post('am-api-group-3-alerts-firing');
    // Computed at most once a second: the same answer until the clock moves on.
    expect((await request(server.url).get('/api/v1/status')).body.status).toBe('operational');
    clock.advance(1000);
    const during = await request(server.url).get('/api/v1/status').expect(200);
    expect(during.body.status).toBe('outage');
    expect(during.body.components[0]).toEqual({ name: 'Prediction API', status: 'outage' });
    expect(during.body.incidents).toEqual([
      expect.objectContaining({
        id: 1,
        severity: 'Sev1',
        status: 'Investigating',
        impact: 'Service',
      }),
    ]);
    expect(JSON.stringify(during.body)).not.toMatch(/HighErrorRate|heart-disease-api|prod/);

    await post('am-api-group-all-resolved');
    clock.advance(1000);
    const after = await request(server.url).get('/api/v1/status').expect(200);
    expect(after.body.status).toBe('operational');
    expect(after.body.incidents).toEqual([]);
  });
});
