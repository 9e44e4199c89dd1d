/**
 * Replicas of `remediator serve` on one PostgreSQL journal, in this process: one leads, the
 * others take webhooks and forward the rest to it, and the lock passes on when the leader's
 * session goes. (The end-to-end suite's ha test does the same with processes, the real
 * Alertmanager, a proxy in front and a PostgreSQL that stops.)
 */
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './support/postgres';
import { fixtureText } from './support/fixtures';
import { AUTH, startServer, tempDir, type TestServer } from './support/server';
import { waitFor } from './scenarios/harness';

let database: TestDatabase;
const running: TestServer[] = [];
const dirs: { remove: () => void }[] = [];

beforeEach(async () => {
  database = await createTestDatabase('remediator_replicas');
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
  for (const dir of dirs.splice(0)) dir.remove();
  await database.drop();
});

async function replica(
  instance: string,
  options: { leadershipCheckMs?: number; onLeadershipLost?: () => void } = {},
): Promise<TestServer> {
  const dir = tempDir();
  dirs.push(dir);
  const server = await startServer(
    {
      dataDir: dir.path,
      instance,
      journal: { kind: 'postgres', url: database.url },
      policiesFile: 'deploy/k8s/policies',
    },
    { leadershipCheckMs: 100, onLeadershipLost: () => undefined, ...options },
  );
  running.push(server);
  return server;
}

async function post(server: TestServer, name: Parameters<typeof fixtureText>[0]) {
  const res = await fetch(`${server.url}/webhook`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: fixtureText(name),
  });
  return { status: res.status, body: (await res.json()) as { notification?: number } };
}

async function incidents(server: TestServer): Promise<{ status: string; id: number }[]> {
  const res = await fetch(`${server.url}/api/v1/incidents`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { incidents: { status: string; id: number }[] }).incidents;
}

describe('replicas on one PostgreSQL journal', () => {
  it('have one leader; a notification on one and its resolution on another make one incident, resolved', async () => {
    const a = await replica('a');
    const b = await replica('b');
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);
    expect(() => b.executor).toThrow(/does not lead/);

    expect((await post(b, 'am-api-group-3-alerts-firing')).status).toBe(200);
    await waitFor(async () => (await incidents(a)).length === 1, 'the leader applies it');
    expect((await post(a, 'am-api-group-all-resolved')).status).toBe(200);
    await waitFor(
      async () => (await incidents(a))[0]?.status === 'resolved',
      'the leader resolves it',
    );

    // The follower forwards the API: the same answer, whichever replica is asked.
    const fromLeader = await incidents(a);
    expect(await incidents(b)).toEqual(fromLeader);
    expect(fromLeader).toHaveLength(1);
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(/^remediator_leader 0$/m);
    expect(await (await fetch(`${a.url}/metrics`)).text()).toMatch(/^remediator_leader 1$/m);
  });

  it('forward writes to the leader, with the credentials they were given', async () => {
    const a = await replica('a');
    const b = await replica('b');
    expect((await fetch(`${b.url}/api/v1/pause`, { method: 'POST' })).status).toBe(401);
    const res = await fetch(`${b.url}/api/v1/pause`, { method: 'POST', headers: AUTH });
    expect(res.status).toBe(200);
    expect(a.executor.isPaused).toBe(true);
  });

  it('hand the work on when the leader loses its session, and the old leader stops', async () => {
    const lost = jest.fn();
    const a = await replica('a', { onLeadershipLost: lost });
    const b = await replica('b');
    expect((await post(b, 'am-api-group-3-alerts-firing')).status).toBe(200);
    await waitFor(async () => (await incidents(a)).length === 1, 'the leader applies it');

    // What a network partition or a PostgreSQL restart does to the leader's session.
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'remediator a'",
      );
    } finally {
      await admin.end();
    }
    await waitFor(() => lost.mock.calls.length === 1, 'the old leader gives up');
    expect(a.isLeader).toBe(false);
    await waitFor(() => b.isLeader, 'the other replica takes over');

    // The new leader carries on from the journal: the resolution closes the same incident.
    expect((await post(b, 'am-api-group-all-resolved')).status).toBe(200);
    await waitFor(
      async () => (await incidents(b))[0]?.status === 'resolved',
      'the new leader resolves it',
    );
    expect(await incidents(b)).toHaveLength(1);
  });

  it('answer 503 with Retry-After while no replica leads', async () => {
    const a = await replica('a');
    const b = await replica('b', { leadershipCheckMs: 60_000 });
    await a.close();
    const res = await fetch(`${b.url}/api/v1/incidents`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({ error: 'no_leader' });
    // The webhook still takes notifications: the next leader applies them.
    expect((await post(b, 'am-api-group-3-alerts-firing')).status).toBe(200);
  });
});
