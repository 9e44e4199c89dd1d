import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { LiveEvents } from '../../src/api/events';
import { createMemoryLogger } from '../../src/logger';
import { openEvents, type EventStream } from '../support/event-stream';
import { fixtureText } from '../support/fixtures';
import { AUTH, startServer, tempDir, type TestServer } from '../support/server';

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('GET /api/v1/events on remediator serve', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: TestServer;
  const streams: EventStream[] = [];
  const open = async () => {
    const stream = await openEvents(server.url);
    streams.push(stream);
    return stream;
  };

  beforeEach(async () => {
    dir = tempDir();
    server = await startServer(
      { dataDir: dir.path },
      {
        eventsHeartbeatMs: 100,
        timeouts: { headersMs: 500, requestMs: 500, checkIntervalMs: 50 },
      },
    );
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await server.close();
    dir.remove();
  });

  it('starts with the pause state, then tells of an incident Alertmanager posts, with its timeline', async () => {
    const stream = await open();
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toBe('no-store');
    const hello = await stream.next((e) => e.event === 'hello');
    expect(hello.data).toEqual({ paused: false });
    expect(stream.retries).toEqual(['3000']);

    await request(server.url)
      .post('/webhook')
      .set({ ...JSON_TYPE, ...AUTH })
      .send(fixtureText('am-api-group-3-alerts-firing'))
      .expect(200);

    const incident = await stream.next((e) => e.event === 'incident');
    expect(incident.data).toMatchObject({
      id: 1,
      status: 'investigating',
      severity: 'Sev1',
      alerts: { firing: 3, total: 3 },
      components: {
        namespace: ['prod'],
        deployment: ['heart-disease-api'],
        service: ['heart-disease-api'],
      },
      activity: { kind: 'watching' },
    });
    const timeline = await stream.next((e) => e.event === 'timeline');
    expect(timeline.data.incident).toBe(1);
    expect(timeline.data.entries.map((e: { kind: string }) => e.kind)).toEqual([
      'opened',
      'alerts_firing',
      'severity',
    ]);
    expect(timeline.data.entries[0]).toMatchObject({ actor: 'Alertmanager' });
    expect(Number(incident.id)).toBeLessThan(Number(timeline.id));
    await request(server.url).head('/api/v1/events').expect(405);
    await request(server.url).post('/api/v1/events').expect(405);
  });

  it('tells every client of the pause and its end, and a new client starts paused', async () => {
    const first = await open();
    const second = await open();
    await request(server.url).post('/api/v1/pause').set(AUTH).expect(200);
    for (const s of [first, second])
      expect((await s.next((e) => e.event === 'pause')).data).toEqual({ paused: true });
    const third = await open();
    expect((await third.next((e) => e.event === 'hello')).data).toEqual({ paused: true });
    await request(server.url).post('/api/v1/resume').set(AUTH).expect(200);
    expect((await third.next((e) => e.event === 'pause' && !e.data.paused)).data).toEqual({
      paused: false,
    });
  });

  it('keeps a stream open past the request timeout with keep-alive comments', async () => {
    const stream = await open();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(stream.comments.filter((c) => c === 'keep-alive').length).toBeGreaterThanOrEqual(5);
    const ended = await Promise.race([
      stream.ended.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10)),
    ]);
    expect(ended).toBe(false);
  });

  it('ends its streams when the server stops, so that stopping does not wait for them', async () => {
    const stream = await open();
    await stream.next((e) => e.event === 'hello');
    const started = Date.now();
    await server.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

/** A response the hub writes to, which reads nothing once `stalled`. */
class FakeResponse extends EventEmitter {
  written = '';
  statusCode = 200;
  headers: Record<string, unknown> = {};
  writableLength = 0;
  stalled = false;
  destroyed = false;
  ended = false;
  writeHead(status: number, headers: Record<string, unknown>) {
    this.statusCode = status;
    this.headers = headers;
    return this;
  }
  setHeader(name: string, value: unknown) {
    this.headers[name] = value;
  }
  write(chunk: string) {
    if (this.stalled) this.writableLength += Buffer.byteLength(chunk);
    else this.written += chunk;
    return !this.stalled;
  }
  end(chunk?: string) {
    if (chunk !== undefined) this.written += chunk;
    this.ended = true;
    this.emit('close');
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

const fakeRequest = { socket: { setNoDelay: () => undefined } } as unknown as IncomingMessage;

describe('LiveEvents', () => {
  const summary = (id: number) =>
    ({
      id,
      groupKey: `g${id}`,
      groupLabels: {},
      status: 'investigating',
      severity: 'Sev3',
      openedAt: '2026-11-27T14:00:00.000Z',
      updatedAt: '2026-11-27T14:00:00.000Z',
      resolvedAt: null,
      alerts: { firing: 1, total: 1 },
      components: {},
      activity: { kind: 'watching', text: 'Watching its alerts', until: null },
    }) as const;
  const entry = { at: Date.parse('2026-11-27T14:00:00Z'), kind: 'opened', message: 'opened' };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  let hubs: LiveEvents[] = [];
  const hub = (options: Partial<ConstructorParameters<typeof LiveEvents>[0]> = {}) => {
    const describe = jest.fn((ids: readonly number[]) => ids.map(summary));
    const events = new LiveEvents({
      logger: createMemoryLogger().logger,
      paused: () => false,
      describe,
      ...options,
    });
    hubs.push(events);
    return { events, describe };
  };
  const connect = (events: LiveEvents) => {
    const res = new FakeResponse();
    events.connect(fakeRequest, res as unknown as ServerResponse);
    return res;
  };
  afterEach(() => {
    for (const h of hubs) h.close();
    hubs = [];
  });

  it('does no work for a change while no client listens', async () => {
    const { events, describe } = hub();
    events.incidentChanged({ id: 1 }, [entry]);
    events.pauseChanged(true);
    await settle();
    expect(describe).not.toHaveBeenCalled();
  });

  it('answers the webhook first: a change is read and sent at the next turn, once for the turn', async () => {
    const { events, describe } = hub();
    const res = connect(events);
    events.incidentChanged({ id: 1 }, [entry]);
    events.incidentChanged({ id: 2 }, []);
    events.incidentChanged({ id: 1 }, [{ ...entry, kind: 'severity' }]);
    expect(describe).not.toHaveBeenCalled();
    await settle();
    expect(describe).toHaveBeenCalledTimes(1);
    expect(describe).toHaveBeenCalledWith([1, 2]);
    const names = [...res.written.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names).toEqual(['hello', 'incident', 'incident', 'timeline']);
  });

  it('sends a storm of changes over several turns, at most 100 incidents a turn', async () => {
    const { events, describe } = hub();
    const res = connect(events);
    for (let id = 1; id <= 250; id++) events.incidentChanged({ id }, []);
    await settle();
    expect(describe).toHaveBeenCalledTimes(1);
    expect(describe.mock.calls[0]?.[0]).toHaveLength(100);
    await settle();
    await settle();
    expect(describe.mock.calls.map((call) => call[0].length)).toEqual([100, 100, 50]);
    expect(res.written.match(/^event: incident$/gm)).toHaveLength(250);
  });

  it('drops a client that stops reading once its unread bytes pass the bound, and keeps serving the others', async () => {
    const { events } = hub({ maxBufferedBytes: 4096 });
    const slow = connect(events);
    const fast = connect(events);
    slow.stalled = true;
    for (let i = 0; i < 20; i++) {
      events.incidentChanged({ id: i + 1 }, [entry]);
      await settle();
    }
    expect(slow.destroyed).toBe(true);
    expect(slow.writableLength).toBeLessThanOrEqual(4096);
    expect(fast.destroyed).toBe(false);
    expect(fast.written).toContain('"id":20');
    expect(events.clientCount).toBe(1);
  });

  it('refuses a client over the limit with a JSON 503', () => {
    const { events } = hub({ maxClients: 1 });
    connect(events);
    const refused = connect(events);
    expect(refused.statusCode).toBe(503);
    expect(JSON.parse(refused.written)).toMatchObject({ error: 'unavailable' });
    expect(events.clientCount).toBe(1);
  });

  it('sends keep-alive comments only while a client is connected', () => {
    jest.useFakeTimers();
    try {
      const { events } = hub({ heartbeatMs: 1000 });
      const res = connect(events);
      jest.advanceTimersByTime(3000);
      expect(res.written.match(/^: keep-alive$/gm)).toHaveLength(3);
      res.destroy();
      expect(events.clientCount).toBe(0);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('survives a journal that cannot be read: the pause still goes out', async () => {
    const { events } = hub({
      describe: () => {
        throw new Error('disk I/O error');
      },
    });
    const res = connect(events);
    events.pauseChanged(true);
    events.incidentChanged({ id: 1 }, []);
    await settle();
    expect(res.written).toContain('event: pause\ndata: {"paused":true}');
  });
});
