import { Registry } from 'prom-client';
import { checkWebhookPayload, type WebhookPayload } from '../../src/alertmanager/payload';
import { ManualClock } from '../../src/clock';
import { OverloadedError } from '../../src/errors';
import { Journal } from '../../src/journal/journal';
import { NotificationLog } from '../../src/journal/notification-log';
import { createMemoryLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import type { Ingest } from '../../src/pipeline/ingest';
import { Projector } from '../../src/pipeline/projector';
import { fixture } from '../support/fixtures';
import { tempDir } from '../support/server';

const MIB = 1024 * 1024;

/**
 * The projection's bounds, with an ingest that applies only when the test lets it: what is
 * accepted and not yet applied is refused past its bounds (so Alertmanager retries later instead
 * of the heap filling), and large notifications are not all applied at once.
 */
describe('the projector`s bounds', () => {
  let dir: ReturnType<typeof tempDir>;
  let journal: Journal;
  const started: { payload: WebhookPayload; done: () => void }[] = [];
  const ingest = {
    ingest: (payload: WebhookPayload) =>
      new Promise<void>((resolve) => started.push({ payload, done: resolve })),
  } as unknown as Ingest;
  const payload = checkWebhookPayload(fixture('am-api-single-firing-bearer'));
  if (!payload.ok) throw new Error(payload.message);

  const projector = (bounds: { maxBacklog?: number; maxBacklogBytes?: number }) =>
    new Projector({
      journal,
      log: new NotificationLog(journal.db),
      ingest,
      clock: new ManualClock(),
      logger: createMemoryLogger().logger,
      metrics: createMetrics(new Registry(), { processMetrics: false }),
      ...bounds,
    });
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    dir = tempDir();
    journal = Journal.open({ dataDir: dir.path });
    started.length = 0;
  });
  afterEach(() => {
    journal.close();
    dir.remove();
  });

  it('refuses with OverloadedError past its count, logging nothing, and accepts again once applied', async () => {
    const p = projector({ maxBacklog: 3 });
    for (let i = 0; i < 3; i++) await p.accept(payload.payload, 'x', 'test');
    await expect(p.accept(payload.payload, 'x', 'test')).rejects.toBeInstanceOf(OverloadedError);
    expect(new NotificationLog(journal.db).lastSeq()).toBe(3);
    expect(p.overloaded()).toMatch(/3 notifications not yet applied/);
    started.shift()?.done();
    await settle();
    await expect(p.accept(payload.payload, 'x', 'test')).resolves.toEqual({ notification: 4 });
    p.close();
  });

  it('counts the bodies being applied, not only those queued, against its byte bound', async () => {
    const p = projector({ maxBacklogBytes: 2 * MIB });
    const body = 'x'.repeat(MIB);
    await p.accept(payload.payload, body, 'test');
    await p.accept(payload.payload, body, 'test');
    expect(p.backlog().bytes).toBe(2 * MIB);
    await expect(p.accept(payload.payload, body, 'test')).rejects.toBeInstanceOf(OverloadedError);
    p.close();
  });

  it('applies small notifications many at a time, large ones a few megabytes at a time', async () => {
    const p = projector({});
    for (let i = 0; i < 5; i++) await p.accept(payload.payload, 'x', 'test');
    expect(started).toHaveLength(5);
    for (const s of started.splice(0)) s.done();
    await settle();
    const large = 'x'.repeat(3 * MIB);
    for (let i = 0; i < 3; i++) await p.accept(payload.payload, large, 'test');
    expect(started).toHaveLength(1);
    started.shift()?.done();
    await settle();
    expect(started).toHaveLength(1);
    expect(p.backlog().count).toBe(2);
    p.close();
  });
});
