import request from 'supertest';
import { readCookie, SESSION_COOKIE, Sessions } from '../../src/api/sessions';
import { ManualClock } from '../../src/clock';
import { FIXTURE_TOKEN, fixtureText } from '../support/fixtures';
import { AUTH, startServer, tempDir, type TestServer } from '../support/server';

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** The session cookie a sign-in set, as the browser sends it back. */
function cookieOf(res: request.Response): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const value = readCookie(set[0]?.split(';')[0], SESSION_COOKIE);
  if (value === undefined) throw new Error(`no session cookie in ${JSON.stringify(set)}`);
  return `${SESSION_COOKIE}=${value}`;
}

describe('console sessions on remediator serve', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: TestServer;
  beforeEach(async () => {
    dir = tempDir();
    server = await startServer({ dataDir: dir.path });
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  const signIn = (body: object, headers: Record<string, string> = {}) =>
    request(server.url)
      .post('/api/v1/session')
      .set({ ...JSON_TYPE, ...headers })
      .send(body);

  it('starts signed out, with writes enabled and the schemes the server takes', async () => {
    const res = await request(server.url).get('/api/v1/session').expect(200);
    expect(res.body).toEqual({
      writes: 'enabled',
      signedIn: false,
      name: null,
      csrfToken: null,
      expiresAt: null,
      schemes: ['bearer'],
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses a wrong token without a cookie, and never echoes it', async () => {
    const res = await signIn({ token: 'not-the-token-123' }).expect(401);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('not-the-token-123');
    expect(JSON.stringify(server.lines)).not.toContain('not-the-token-123');
    await signIn({}).expect(400);
  });

  it('exchanges the token for an HttpOnly, SameSite=Strict cookie holding a random id, not the token', async () => {
    const res = await signIn({ token: FIXTURE_TOKEN, name: 'Ann\u0000 On-call' }).expect(200);
    const [cookie = ''] = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(cookie).toMatch(
      new RegExp(
        `^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200$`,
      ),
    );
    expect(cookie).not.toContain(FIXTURE_TOKEN);
    expect(res.body).toMatchObject({ signedIn: true, name: 'Ann  On-call' });
    expect(res.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(server.lines)).not.toContain(FIXTURE_TOKEN);

    const again = await request(server.url).get('/api/v1/session').set('Cookie', cookieOf(res));
    expect(again.body).toMatchObject({ signedIn: true, csrfToken: res.body.csrfToken });
  });

  it('marks the cookie Secure behind a proxy that terminated TLS', async () => {
    const res = await signIn({ token: FIXTURE_TOKEN }, { 'X-Forwarded-Proto': 'https' }).expect(
      200,
    );
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure$/);
  });

  it('takes a console write only with the session’s CSRF token in its header', async () => {
    const res = await signIn({ token: FIXTURE_TOKEN, name: 'Ann' }).expect(200);
    const cookie = cookieOf(res);
    const pause = () => request(server.url).post('/api/v1/pause').set('Cookie', cookie);

    expect((await pause().expect(403)).body).toMatchObject({ error: 'csrf' });
    expect((await pause().set('X-CSRF-Token', 'guess').expect(403)).body.error).toBe('csrf');
    await pause().set('X-CSRF-Token', res.body.csrfToken).expect(200, { paused: true });
    expect(server.lines).toContainEqual(
      expect.objectContaining({ message: 'remediation paused', by: 'Ann (console)' }),
    );
  });

  it('records who wrote what: the session’s name in the timeline', async () => {
    await request(server.url)
      .post('/webhook')
      .set({ ...JSON_TYPE, ...AUTH })
      .send(fixtureText('am-api-single-firing-bearer'))
      .expect(200);
    const res = await signIn({ token: FIXTURE_TOKEN, name: 'Ann' }).expect(200);
    await request(server.url)
      .patch('/api/v1/incidents/1')
      .set({ ...JSON_TYPE, Cookie: cookieOf(res), 'X-CSRF-Token': res.body.csrfToken })
      .send({ rootCause: 'a bad rollout' })
      .expect(200);
    await request(server.url)
      .patch('/api/v1/incidents/1')
      .set({ ...JSON_TYPE, ...AUTH })
      .send({ prevention: 'canary rollouts' })
      .expect(200);
    const incident = await request(server.url).get('/api/v1/incidents/1').expect(200);
    const narrative = incident.body.timeline.filter(
      (e: { kind: string }) => e.kind === 'narrative',
    );
    expect(narrative.map((e: { actor: string }) => e.actor)).toEqual([
      'Ann (console)',
      'an API client at 127.0.0.1',
    ]);
    expect(incident.body.timeline[0].actor).toBe('Alertmanager');
  });

  it('signs out: the cookie is cleared and the session no longer writes', async () => {
    const res = await signIn({ token: FIXTURE_TOKEN }).expect(200);
    const headers = { Cookie: cookieOf(res), 'X-CSRF-Token': res.body.csrfToken as string };
    await request(server.url).delete('/api/v1/session').set({ Cookie: headers.Cookie }).expect(403);
    const out = await request(server.url).delete('/api/v1/session').set(headers).expect(200);
    expect(String(out.headers['set-cookie'])).toMatch(
      new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`),
    );
    expect(out.body.signedIn).toBe(false);
    const refused = await request(server.url).post('/api/v1/pause').set(headers).expect(401);
    expect(refused.body.message).toBe('the console session has expired: sign in again');
  });
});

describe('console sessions without credentials configured', () => {
  it('says writes are disabled and refuses to sign in', async () => {
    const dir = tempDir();
    const server = await startServer({ dataDir: dir.path, credentials: {}, credentialSources: [] });
    try {
      const state = await request(server.url).get('/api/v1/session').expect(200);
      expect(state.body).toMatchObject({ writes: 'disabled', schemes: [] });
      const res = await request(server.url)
        .post('/api/v1/session')
        .set(JSON_TYPE)
        .send({ token: 'anything' })
        .expect(403);
      expect(res.body.message).toMatch(/no credentials are configured/);
    } finally {
      await server.close();
      dir.remove();
    }
  });
});

describe('console sessions with basic auth', () => {
  it('signs in with the user name and password Alertmanager sends', async () => {
    const dir = tempDir();
    const server = await startServer({
      dataDir: dir.path,
      credentials: { basicAuth: { username: 'am', password: 'pw-123' } },
    });
    try {
      await request(server.url)
        .post('/api/v1/session')
        .set(JSON_TYPE)
        .send({ username: 'am', password: 'wrong' })
        .expect(401);
      const res = await request(server.url)
        .post('/api/v1/session')
        .set(JSON_TYPE)
        .send({ username: 'am', password: 'pw-123' })
        .expect(200);
      expect(res.body).toMatchObject({ signedIn: true, name: 'console', schemes: ['basic'] });
    } finally {
      await server.close();
      dir.remove();
    }
  });
});

describe('Sessions', () => {
  const req = (id: string) => ({ headers: { cookie: `other=1; ${SESSION_COOKIE}=${id}` } });

  it('ends a session at its expiry', () => {
    const clock = new ManualClock();
    const sessions = new Sessions({ clock, ttlMs: 60_000 });
    const session = sessions.create('ann');
    expect(sessions.fromRequest(req(session.id))).toBe(session);
    clock.advance(59_999);
    expect(sessions.fromRequest(req(session.id))).toBe(session);
    clock.advance(1);
    expect(sessions.fromRequest(req(session.id))).toBeUndefined();
    expect(sessions.size).toBe(0);
  });

  it('keeps at most `max` sessions, the oldest going first, and gives each a fresh id and token', () => {
    const sessions = new Sessions({ clock: new ManualClock(), max: 2 });
    const [a, b, c] = [sessions.create('a'), sessions.create('b'), sessions.create('c')];
    expect(sessions.size).toBe(2);
    expect(sessions.fromRequest(req(a.id))).toBeUndefined();
    expect(sessions.fromRequest(req(b.id))).toBe(b);
    expect(sessions.fromRequest(req(c.id))).toBe(c);
    expect(new Set([a.id, b.id, c.id, a.csrfToken, b.csrfToken, c.csrfToken]).size).toBe(6);
  });
});
