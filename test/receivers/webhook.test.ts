import fc from 'fast-check';
import { connect } from 'node:net';
import request from 'supertest';
import {
  AUTH,
  incidentOfNotification,
  startServer,
  tempDir,
  type TestServer,
} from '../support/server';
import {
  fixture,
  fixtureHeaders,
  FIXTURE_NAMES,
  fixtureText,
  FIXTURE_TOKEN,
} from '../support/fixtures';

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('POST /webhook', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: TestServer;

  beforeEach(async () => {
    dir = tempDir();
    server = await startServer({ dataDir: dir.path, maxBodyBytes: 64 * 1024 });
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  const post = (body: string, headers: Record<string, string> = { ...JSON_TYPE, ...AUTH }) =>
    request(server.url).post('/webhook').set(headers).send(body);

  it.each(FIXTURE_NAMES)('accepts %s sent with the headers Alertmanager sent', async (name) => {
    const {
      authorization,
      'content-type': contentType,
      'user-agent': userAgent,
    } = fixtureHeaders(name);
    const res = await post(fixtureText(name), {
      Authorization: authorization!,
      'Content-Type': contentType!,
      'User-Agent': userAgent!,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    // Its place in the notification log: the incident follows once the log is applied.
    expect(res.body).toEqual({ status: 'accepted', notification: 1 });
    expect(await incidentOfNotification(server, 1)).toBe(1);
  });

  it('logs a repeat like any notification, and the projection changes nothing for it', async () => {
    await post(fixtureText('am-api-group-3-alerts-firing')).expect(200);
    await server.projector.idle();
    const timeline = () =>
      server.journal.db.prepare('SELECT count(*) AS n FROM timeline').get() as { n: number };
    const before = timeline().n;
    const res = await post(fixtureText('am-api-group-3-alerts-firing')).expect(200);
    expect(res.body).toEqual({ status: 'accepted', notification: 2 });
    expect(await incidentOfNotification(server, 2)).toBe(1);
    expect(timeline().n).toBe(before);
  });

  it('accepts a charset parameter and +json media types', async () => {
    await post(fixtureText('amtool-single-firing'), {
      ...AUTH,
      'Content-Type': 'application/json; charset=utf-8',
    }).expect(200);
    await post(fixtureText('am-api-single-firing-bearer'), {
      ...AUTH,
      'Content-Type': 'application/vnd.alertmanager+json',
    }).expect(200);
  });

  describe('rejections, each a JSON body in a fixed order', () => {
    const expectJsonError = (res: request.Response, status: number, error: string) => {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toMatchObject({ error, message: expect.any(String) });
      expect(res.text).not.toMatch(/<html|at .*\.ts:\d+/i);
    };

    it('404 for an unknown path', async () => {
      expectJsonError(
        await request(server.url).post('/hook').set(JSON_TYPE).send('{}'),
        404,
        'not_found',
      );
    });

    it('405 for another method, naming the allowed one', async () => {
      const res = await request(server.url).get('/webhook');
      expectJsonError(res, 405, 'method_not_allowed');
      expect(res.headers.allow).toBe('POST');
    });

    it.each([
      ['text/plain', { 'Content-Type': 'text/plain' }],
      ['form encoding', { 'Content-Type': 'application/x-www-form-urlencoded' }],
      ['gzip', { ...JSON_TYPE, 'Content-Encoding': 'gzip' }],
    ])('415 for %s, even without credentials', async (_case, headers) => {
      expectJsonError(
        await post(fixtureText('amtool-single-firing'), headers),
        415,
        'unsupported_media_type',
      );
    });

    it('415 when there is no content type at all', async () => {
      const res = await request(server.url)
        .post('/webhook')
        .set(AUTH)
        .send(Buffer.from(fixtureText('amtool-single-firing')));
      expectJsonError(res, 415, 'unsupported_media_type');
    });

    it.each([
      ['no credentials', {}],
      ['a wrong token', { Authorization: 'Bearer nope' }],
      [
        'basic auth when a token is configured',
        { Authorization: `Basic ${Buffer.from(`am:${FIXTURE_TOKEN}`).toString('base64')}` },
      ],
    ])('401 for %s, with a challenge', async (_case, auth) => {
      const res = await post(fixtureText('amtool-single-firing'), { ...JSON_TYPE, ...auth });
      expectJsonError(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="remediator"');
    });

    it('401 comes before 413: an unauthenticated client learns nothing about the limit', async () => {
      expectJsonError(await post('x'.repeat(100 * 1024), JSON_TYPE), 401, 'unauthorized');
    });

    it('413 for a declared length over the limit', async () => {
      expectJsonError(await post('x'.repeat(100 * 1024)), 413, 'payload_too_large');
    });

    it('413 for a chunked body that grows over the limit', async () => {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(
            `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${FIXTURE_TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`,
          );
          const chunk = 'y'.repeat(16 * 1024);
          for (let i = 0; i < 5; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        });
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('error', reject);
        socket.on('close', () =>
          resolve({
            status: Number(text.split(' ')[1]),
            body: text.slice(text.indexOf('\r\n\r\n') + 4),
          }),
        );
      });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toEqual({
        error: 'payload_too_large',
        message: 'body exceeds the limit of 65536 bytes',
      });
    });

    it('400 for malformed JSON', async () => {
      const res = await post('{"version": "4", ');
      expectJsonError(res, 400, 'invalid_json');
      expect(res.body.message).toMatch(/^body is not valid JSON: /);
    });

    it('400 for a schema violation, naming the field', async () => {
      const payload = fixture('am-api-group-3-alerts-firing');
      (payload.alerts[1] as { startsAt: unknown }).startsAt = 42;
      const res = await post(JSON.stringify(payload));
      expectJsonError(res, 400, 'invalid_payload');
      expect(res.body).toEqual({
        error: 'invalid_payload',
        message: 'invalid Alertmanager payload: alerts[1].startsAt must be string',
        field: 'alerts[1].startsAt',
      });
    });

    it('counts every answer by code in the metrics', async () => {
      await post('{');
      await request(server.url).get('/webhook');
      await post(fixtureText('amtool-single-firing'));
      const metrics = (await request(server.url).get('/metrics')).text;
      expect(metrics).toMatch(/remediator_webhook_requests_total\{code="400"\} 1/);
      expect(metrics).toMatch(/remediator_webhook_requests_total\{code="405"\} 1/);
      expect(metrics).toMatch(/remediator_webhook_requests_total\{code="200"\} 1/);
      expect(metrics).toMatch(/remediator_webhook_request_duration_seconds_count\{code="200"\} 1/);
      expect(metrics).toMatch(/remediator_alerts_received_total\{status="firing"\} 1/);
    });
  });

  it('answers 503 when the journal cannot take the payload, then accepts the retry and loses nothing', async () => {
    const pages = server.journal.sqlite.pragma('page_count', { simple: true }) as number;
    server.journal.sqlite.pragma(`max_page_count = ${pages}`);
    const payload = fixture('am-api-group-3-alerts-firing');
    for (const alert of payload.alerts) alert.annotations.description = 'x'.repeat(8000);
    const refused = await post(JSON.stringify(payload));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ error: 'journal_unavailable' });

    server.journal.sqlite.pragma('max_page_count = 1073741823');
    const retried = await post(JSON.stringify(payload)).expect(200);
    // The refused attempt left nothing behind: the retry is the log's first notification.
    expect(retried.body.notification).toBe(1);
    const id = await incidentOfNotification(server, 1);
    const incident = await request(server.url).get(`/api/v1/incidents/${id}`).expect(200);
    expect(incident.body.alerts).toHaveLength(3);
  });

  it('never writes the token to the log', async () => {
    await post(fixtureText('amtool-single-firing'));
    await post(fixtureText('amtool-single-firing'), {
      ...JSON_TYPE,
      Authorization: 'Bearer guessed-wrong',
    });
    const log = JSON.stringify(server.lines);
    expect(log).toContain('webhook rejected');
    expect(log).not.toContain(FIXTURE_TOKEN);
    expect(log).not.toContain('guessed-wrong');
  });

  it('never answers 5xx or crashes, whatever the body, headers or content type', async () => {
    const valid = fixtureText('am-api-group-3-alerts-firing');
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.nat({ max: valid.length }).map((cut) => valid.slice(0, cut)),
      fc
        .tuple(fc.nat({ max: valid.length }), fc.string())
        .map(([at, s]) => valid.slice(0, at) + s + valid.slice(at)),
    );
    const contentType = fc.constantFrom(
      'application/json',
      'text/plain',
      '',
      'application/json; charset=latin1',
      'multipart/form-data',
    );
    const auth = fc.constantFrom(`Bearer ${FIXTURE_TOKEN}`, '', 'Bearer', 'Basic !!!', 'Bearer x');
    await fc.assert(
      fc.asyncProperty(body, contentType, auth, async (text, type, authorization) => {
        const headers: Record<string, string> = {};
        if (type !== '') headers['Content-Type'] = type;
        if (authorization !== '') headers.Authorization = authorization;
        const res = await request(server.url).post('/webhook').set(headers).send(text);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      }),
      { seed: Number(process.env.FC_SEED ?? 42), numRuns: 150 },
    );
    await request(server.url).get('/healthz').expect(200);
  });
});

describe('slow clients', () => {
  it('are cut off once the request timeout passes', async () => {
    const dir = tempDir();
    const server = await startServer(
      { dataDir: dir.path },
      { timeouts: { headersMs: 300, requestMs: 500, checkIntervalMs: 100 } },
    );
    try {
      const started = Date.now();
      const closedAfter = await new Promise<number>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(
            'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"ver',
          );
        });
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Date.now() - started));
      });
      expect(closedAfter).toBeLessThan(3000);
    } finally {
      await server.close();
      dir.remove();
    }
  });
});
