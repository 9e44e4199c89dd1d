import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, systemClock } from '../../src/clock';
import { createMemoryLogger } from '../../src/logger';
import type { Notification } from '../../src/notify/notifier';
import {
  NotificationError,
  parseRetryAfter,
  SinkNotifier,
  type DeliveryOutcome,
  type SinkNotifierDeps,
} from '../../src/notify/sinks';
import type { SinkSpec } from '../../src/policies/schema';
import { latencyIncident, notification, OPENED } from './incidents';
import { closedPort, startReceiver, type Behaviour, type Receiver } from './receiver';

/** Shaped like a Slack incoming-webhook URL: the path and the query are the secret. */
const SECRET_PATH = '/services/T0SECRET/B0SECRET/s3cr3tW3bh00kP4th';
const SECRET_QUERY = '?token=hunter2secret';
const SECRET_MARKERS = ['T0SECRET', 'B0SECRET', 's3cr3tW3bh00kP4th', 'hunter2secret', '/services/'];

let receivers: Receiver[] = [];
let tempDirs: string[] = [];

afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs = [];
});

async function receiver(behaviours: readonly Behaviour[] = [], fallback?: Behaviour) {
  const r = await startReceiver(behaviours, fallback);
  receivers.push(r);
  return r;
}

function secretUrl(r: Receiver): string {
  return r.url(SECRET_PATH + SECRET_QUERY);
}

function sink(spec: Partial<SinkSpec>): SinkSpec {
  return { type: 'webhook', timeout: '2s', ...spec };
}

/** A notifier over these sinks, with a memory logger and the outcomes it reports. */
function setup(
  sinks: Record<string, SinkSpec>,
  deps: Partial<SinkNotifierDeps> = {},
): {
  notifier: SinkNotifier;
  lines: Record<string, unknown>[];
  outcomes: [string, DeliveryOutcome][];
  waits: number[];
} {
  const { logger, lines } = createMemoryLogger('debug');
  const outcomes: [string, DeliveryOutcome][] = [];
  const waits: number[] = [];
  const notifier = new SinkNotifier({
    sinks: () => sinks,
    env: {},
    clock: systemClock,
    backoffMs: 20,
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, ms));
    },
    logger,
    onDelivery: (name, outcome) => outcomes.push([name, outcome]),
    ...deps,
  });
  return { notifier, lines, outcomes, waits };
}

function sent(overrides: Partial<Notification> = {}): Notification {
  return notification(latencyIncident(), { sink: 'oncall', ...overrides });
}

async function rejection(promise: Promise<unknown>): Promise<NotificationError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(NotificationError);
    return err as NotificationError;
  }
  throw new Error('expected the send to be rejected');
}

function expectNoSecret(text: string, r?: Receiver): void {
  for (const marker of SECRET_MARKERS) expect(text).not.toContain(marker);
  if (r !== undefined) expect(text).not.toContain(`127.0.0.1:${r.port}`);
}

describe('a notification kept back by a dry run', () => {
  it('leaves nothing, and is counted as dry_run like a delivery is counted', async () => {
    const r = await receiver();
    const { notifier, outcomes } = setup({ oncall: sink({ url: secretUrl(r) }) });
    notifier.withhold(sent());
    expect(r.requests).toEqual([]);
    expect(outcomes).toEqual([
      ['oncall', { result: 'dry_run', template: 'status-update', attempts: 0, durationMs: 0 }],
    ]);
  });

  it('sent for a dry run, says so in its title', async () => {
    const r = await receiver();
    const { notifier } = setup({ oncall: sink({ url: secretUrl(r) }) });
    await notifier.send(sent({ dryRun: true }));
    const body = JSON.parse(r.requests[0]?.body ?? '');
    expect(body.title).toMatch(/^\[Dry run: nothing was changed\] \[Sev\d\] Incident Update$/);
    expect(body.text.split('\n')[0]).toBe(body.title);
  });
});

describe('webhook sinks', () => {
  it('POST the rendered message and the incident as JSON', async () => {
    const r = await receiver();
    const { notifier, outcomes } = setup({ oncall: sink({ url: secretUrl(r) }) });

    const result = await notifier.send(
      sent({ nextUpdate: new Date(Date.now() + 30 * 60_000), reason: 'policy x, step 1' }),
    );

    expect(result).toEqual({ sink: 'oncall', attempts: 1, status: 200 });
    expect(r.requests).toHaveLength(1);
    const [request] = r.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(SECRET_PATH + SECRET_QUERY);
    expect(request?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request?.body ?? '');
    expect(body).toEqual({
      title: '[Sev1] Incident Update',
      text: expect.stringMatching(/^\[Sev1\] Incident Update\nStatus: Investigating\n/),
      severity: 'Sev1',
      status: 'investigating',
      template: 'status-update',
      reason: 'policy x, step 1',
      fields: [
        { label: 'Status', value: 'Investigating' },
        { label: 'Impact', value: 'Performance' },
        { label: 'Details', value: expect.stringContaining('HighLatency ×2') },
        { label: 'Next Update', value: expect.stringMatching(/\d\d:\d\d UTC$/) },
      ],
      incident: {
        id: 42,
        groupKey: '{}:{alertname="HighLatency"}',
        status: 'investigating',
        severity: 'Sev1',
        openedAt: new Date(OPENED).toISOString(),
        resolvedAt: null,
      },
    });
    expect(outcomes).toEqual([
      [
        'oncall',
        {
          result: 'delivered',
          template: 'status-update',
          attempts: 1,
          status: 200,
          durationMs: expect.any(Number),
        },
      ],
    ]);
  });

  it('send the resolution notice with the resolution time', async () => {
    const r = await receiver();
    const { notifier } = setup({ oncall: sink({ url: r.url('/hook') }) });
    const resolvedAt = OPENED + 72 * 60_000;
    await notifier.send(
      notification(latencyIncident({ status: 'resolved', resolvedAt }), {
        sink: 'oncall',
        template: 'resolution-notice',
      }),
    );
    const body = JSON.parse(r.requests[0]?.body ?? '');
    expect(body.title).toBe('Incident Resolution');
    expect(body.text).toContain('\nDuration: 1h 12m\n');
    expect(body.incident.resolvedAt).toBe(new Date(resolvedAt).toISOString());
  });

  it('count a delivery as sent even when recording its outcome throws', async () => {
    const r = await receiver();
    const { notifier, lines } = setup(
      { oncall: sink({ url: r.url('/hook') }) },
      {
        onDelivery: () => {
          throw new Error('registry closed');
        },
      },
    );
    await expect(notifier.send(sent())).resolves.toMatchObject({ attempts: 1, status: 200 });
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'notification outcome not recorded',
        reason: 'registry closed',
      }),
    );
  });

  it('accept any 2xx answer', async () => {
    const r = await receiver([{ status: 204 }]);
    const { notifier } = setup({ oncall: sink({ url: r.url('/hook') }) });
    await expect(notifier.send(sent())).resolves.toEqual({
      sink: 'oncall',
      attempts: 1,
      status: 204,
    });
  });
});

describe('slack sinks', () => {
  it('POST a Slack-compatible {text, blocks} whose text is the whole message', async () => {
    const r = await receiver();
    const { notifier } = setup({ oncall: sink({ type: 'slack', url: secretUrl(r) }) });

    await notifier.send(sent());

    expect(r.requests[0]?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(r.requests[0]?.body ?? '');
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text']);
    expect(body.text.split('\n')).toEqual([
      '[Sev1] Incident Update',
      'Status: Investigating',
      'Impact: Performance',
      expect.stringMatching(/^Details: 3 alerts firing \(HighLatency ×2, HighErrorRate\)/),
      'Next Update: on change',
    ]);
    expect(body.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '[Sev1] Incident Update' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Status*\nInvestigating' },
          { type: 'mrkdwn', text: '*Impact*\nPerformance' },
          { type: 'mrkdwn', text: expect.stringMatching(/^\*Details\*\n3 alerts firing/) },
          { type: 'mrkdwn', text: '*Next Update*\non change' },
        ],
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: 'Incident #42 · policy scale-out-on-latency, step 1' }],
      },
    ]);
  });

  it('escape the characters Slack reads as markup', async () => {
    const r = await receiver();
    const { notifier } = setup({ oncall: sink({ type: 'slack', url: r.url('/hook') }) });
    await notifier.send(sent({ text: 'p99 > 1s & <!channel> paged', reason: 'a <b>' }));
    const body = JSON.parse(r.requests[0]?.body ?? '');
    expect(body.text).toBe('[Sev1] Incident Update\np99 &gt; 1s &amp; &lt;!channel&gt; paged');
    expect(body.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: 'p99 &gt; 1s &amp; &lt;!channel&gt; paged' },
    });
    expect(body.blocks[2].elements[0].text).toBe('Incident #42 · a &lt;b&gt;');
  });
});

describe('retries', () => {
  it('retry after a 503 and succeed', async () => {
    const r = await receiver([{ status: 503 }]);
    const { notifier, lines } = setup({ oncall: sink({ url: r.url('/hook') }) });
    await expect(notifier.send(sent())).resolves.toEqual({
      sink: 'oncall',
      attempts: 2,
      status: 200,
    });
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1]?.body).toBe(r.requests[0]?.body);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'notification attempt failed; retrying',
        sink: 'oncall',
        attempt: 1,
        status: 503,
      }),
    );
  });

  it('retry after a dropped connection and succeed', async () => {
    const r = await receiver(['drop']);
    const { notifier, lines } = setup({ oncall: sink({ url: r.url('/hook') }) });
    await expect(notifier.send(sent())).resolves.toMatchObject({ attempts: 2, status: 200 });
    expect(r.requests).toHaveLength(2);
    expect(lines).toContainEqual(
      expect.objectContaining({ attempt: 1, code: expect.stringMatching(/^[A-Z_]+$/) }),
    );
  });

  it('wait as long as Retry-After asks on a 429', async () => {
    const r = await receiver([{ status: 429, headers: { 'retry-after': '1' } }]);
    const { notifier, waits } = setup({ oncall: sink({ url: r.url('/hook') }) });
    await expect(notifier.send(sent())).resolves.toMatchObject({ attempts: 2, status: 200 });
    expect(waits).toEqual([1000]);
    const [first, second] = r.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(990);
  });

  it('give up at once when Retry-After is beyond the retry budget', async () => {
    const r = await receiver([], { status: 429, headers: { 'retry-after': '3600' } });
    const { notifier, waits, outcomes } = setup({ oncall: sink({ url: r.url('/hook') }) });
    const started = performance.now();
    const err = await rejection(notifier.send(sent()));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.message).toBe(
      'sink "oncall": delivery failed after 1 attempt; last status 429 (Retry-After 3600s exceeds the retry budget of 6s)',
    );
    expect(err).toMatchObject({ code: 'delivery_failed', retryable: true, attempts: 1 });
    expect(waits).toEqual([]);
    expect(r.requests).toHaveLength(1);
    expect(outcomes[0]?.[1]).toMatchObject({ result: 'failed', attempts: 1, status: 429 });
  });

  it('do not retry a 400, and quote a Slack-style error code', async () => {
    const r = await receiver([], { status: 400, body: 'invalid_payload' });
    const { notifier, outcomes } = setup({ oncall: sink({ type: 'slack', url: r.url('/hook') }) });
    const err = await rejection(notifier.send(sent()));
    expect(err.message).toBe(
      'sink "oncall": rejected with status 400 (invalid_payload) after 1 attempt; not retried',
    );
    expect(err).toMatchObject({
      code: 'delivery_rejected',
      sink: 'oncall',
      attempts: 1,
      status: 400,
      retryable: false,
    });
    expect(r.requests).toHaveLength(1);
    expect(outcomes[0]?.[1]).toMatchObject({ result: 'rejected', status: 400 });
  });

  it('do not follow a redirect', async () => {
    const other = await receiver();
    const r = await receiver([], { status: 302, headers: { location: other.url('/elsewhere') } });
    const { notifier } = setup({ oncall: sink({ url: r.url('/hook') }) });
    const err = await rejection(notifier.send(sent()));
    expect(err.message).toBe(
      'sink "oncall": rejected with status 302 after 1 attempt; redirects are not followed; not retried',
    );
    expect(other.requests).toHaveLength(0);
  });

  it('fail after three 5xx answers, naming the attempts and the last status', async () => {
    const r = await receiver([{ status: 500 }, { status: 502 }], { status: 503 });
    const { notifier, waits } = setup({ oncall: sink({ url: r.url('/hook') }) });
    const err = await rejection(notifier.send(sent()));
    expect(err.message).toBe('sink "oncall": delivery failed after 3 attempts; last status 503');
    expect(err).toMatchObject({ attempts: 3, status: 503, retryable: true });
    expect(waits).toEqual([20, 40]);
    expect(r.requests).toHaveLength(3);
  });

  it('fail with the error code when nothing listens', async () => {
    const port = await closedPort();
    const { notifier } = setup({ oncall: sink({ url: `http://127.0.0.1:${port}/hook` }) });
    const err = await rejection(notifier.send(sent()));
    expect(err.message).toBe(
      'sink "oncall": delivery failed after 3 attempts; last error ECONNREFUSED',
    );
  });

  it('bound a receiver that never answers by about three timeouts', async () => {
    const r = await receiver([], 'hang');
    const { notifier, outcomes } = setup({
      oncall: sink({ url: r.url('/hook'), timeout: '200ms' }),
    });
    const started = performance.now();
    const err = await rejection(notifier.send(sent()));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(1000);
    expect(err.message).toMatch(
      /^sink "oncall": delivery failed after [23] attempts; last error timeout \(no answer within \d+ms\)/,
    );
    expect(r.requests.length).toBeLessThanOrEqual(3);
    expect(outcomes[0]?.[1]).toMatchObject({ result: 'failed', code: 'timeout' });
  });

  it('back off exponentially within the budget (injected fetch and clock)', async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    const fakeFetch = (() => {
      calls.push(clock.now().getTime());
      clock.advance(1_000);
      return Promise.resolve(new Response('busy', { status: 503 }));
    }) as typeof fetch;
    const waits: number[] = [];
    const notifier = new SinkNotifier({
      sinks: () => ({ oncall: sink({ url: 'https://hooks.example/x', timeout: '5s' }) }),
      env: {},
      clock,
      fetch: fakeFetch,
      sleep: (ms) => {
        waits.push(ms);
        clock.advance(ms);
        return Promise.resolve();
      },
    });
    const err = await rejection(notifier.send(sent()));
    expect(err.attempts).toBe(3);
    expect(waits).toEqual([500, 1000]);
    expect(calls.map((t) => t - calls[0]!)).toEqual([0, 1500, 3500]);
  });

  it('stop retrying when the next wait would leave no time for an attempt', async () => {
    const clock = new ManualClock();
    const fakeFetch = (() => {
      clock.advance(3_000);
      return Promise.resolve(new Response(null, { status: 502 }));
    }) as typeof fetch;
    const notifier = new SinkNotifier({
      sinks: () => ({ oncall: sink({ url: 'https://hooks.example/x', timeout: '3s' }) }),
      env: {},
      clock,
      fetch: fakeFetch,
      backoffMs: 1_500,
      sleep: (ms) => {
        clock.advance(ms);
        return Promise.resolve();
      },
    });
    // Two attempts timing out (3s each) and a 1.5s wait use 7.5s of the 9s; another 1.5s wait
    // would leave nothing for a third attempt.
    const err = await rejection(notifier.send(sent()));
    expect(err.message).toBe(
      'sink "oncall": delivery failed after 2 attempts; last status 502 (retry budget of 9s spent)',
    );
  });
});

describe('parsing Retry-After', () => {
  const now = Date.parse('2026-11-27T14:00:00Z');
  it.each([
    ['5', 5000],
    [' 0 ', 0],
    ['Fri, 27 Nov 2026 14:00:30 GMT', 30_000],
    ['Fri, 27 Nov 2026 13:00:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    [null, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('URL sources', () => {
  it('read the URL from the environment variable urlEnv names', async () => {
    const r = await receiver();
    const { notifier } = setup(
      { oncall: sink({ urlEnv: 'ONCALL_WEBHOOK_URL' }) },
      { env: { ONCALL_WEBHOOK_URL: ` ${r.url('/from-env')}\n` } },
    );
    await expect(notifier.send(sent())).resolves.toMatchObject({ status: 200 });
    expect(r.requests[0]?.url).toBe('/from-env');
  });

  it('read the URL from the file urlFile names, trimmed, on every send', async () => {
    const r = await receiver();
    const dir = mkdtempSync(join(tmpdir(), 'remediator-sinks-'));
    tempDirs.push(dir);
    const file = join(dir, 'oncall-url');
    writeFileSync(file, `${r.url('/first')}\n`);
    const { notifier } = setup({ oncall: sink({ urlFile: file }) });

    await notifier.send(sent());
    writeFileSync(file, `${r.url('/rotated')}\n`);
    await notifier.send(sent());

    expect(r.requests.map((q) => q.url)).toEqual(['/first', '/rotated']);
  });

  it('use the sinks in force at each send', async () => {
    const r = await receiver();
    let sinks: Record<string, SinkSpec> = { oncall: sink({ url: r.url('/v1') }) };
    const notifier = new SinkNotifier({ sinks: () => sinks, env: {}, clock: systemClock });
    await notifier.send(sent());
    sinks = { oncall: sink({ url: r.url('/v2') }) };
    await notifier.send(sent());
    expect(r.requests.map((q) => q.url)).toEqual(['/v1', '/v2']);
  });

  it('reject an unknown sink, naming it and the configured ones, without sending', async () => {
    const r = await receiver();
    const { notifier, outcomes, lines } = setup({
      security: sink({ url: r.url('/hook') }),
      oncall: sink({ url: r.url('/hook') }),
    });
    const err = await rejection(notifier.send(sent({ sink: 'pager' })));
    expect(err.message).toBe(
      'sink "pager" is not configured under sinks: (configured: oncall, security)',
    );
    expect(err).toMatchObject({ code: 'sink_unknown', sink: 'pager', attempts: 0 });
    expect(r.requests).toHaveLength(0);
    expect(outcomes).toEqual([
      [
        'pager',
        expect.objectContaining({ result: 'unconfigured', attempts: 0, template: 'status-update' }),
      ],
    ]);
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'notification not sent', reason: err.message }),
    );
  });

  it('say when no sinks are configured at all', async () => {
    const { notifier } = setup({});
    const err = await rejection(notifier.send(sent()));
    expect(err.message).toBe(
      'sink "oncall" is not configured under sinks: (no sinks are configured)',
    );
  });

  it('do not take a sink name from the object prototype', async () => {
    const { notifier } = setup({});
    const err = await rejection(notifier.send(sent({ sink: 'constructor' })));
    expect(err.code).toBe('sink_unknown');
  });

  const missingFile = join(tmpdir(), 'remediator-no-such-dir', 'oncall-url');
  it.each<[string, Partial<SinkSpec>, Record<string, string>, string]>([
    [
      'an unset variable',
      { urlEnv: 'ONCALL_WEBHOOK_URL' },
      {},
      'sink "oncall": environment variable "ONCALL_WEBHOOK_URL" (urlEnv) is not set',
    ],
    [
      'an empty variable',
      { urlEnv: 'ONCALL_WEBHOOK_URL' },
      { ONCALL_WEBHOOK_URL: '  ' },
      'sink "oncall": environment variable "ONCALL_WEBHOOK_URL" (urlEnv) is empty',
    ],
    [
      'a missing file',
      { urlFile: missingFile },
      {},
      `sink "oncall": cannot read file ${JSON.stringify(missingFile)} (urlFile): ENOENT`,
    ],
    [
      'a variable that holds no URL',
      { urlEnv: 'ONCALL_WEBHOOK_URL' },
      { ONCALL_WEBHOOK_URL: 'hooks.example.com/services/T0SECRET/B0SECRET/s3cr3tW3bh00kP4th' },
      'sink "oncall": environment variable "ONCALL_WEBHOOK_URL" (urlEnv) does not hold a valid URL (value not shown: it may be a secret)',
    ],
    [
      'a variable that holds a non-http URL',
      { urlEnv: 'ONCALL_WEBHOOK_URL' },
      { ONCALL_WEBHOOK_URL: 'ftp://hooks.example.com/services/T0SECRET' },
      'sink "oncall": environment variable "ONCALL_WEBHOOK_URL" (urlEnv) holds a URL that is not http(s) (value not shown)',
    ],
    [
      'a URL with credentials',
      { urlEnv: 'ONCALL_WEBHOOK_URL' },
      { ONCALL_WEBHOOK_URL: 'https://user:hunter2secret@hooks.example.com/x' },
      'sink "oncall": environment variable "ONCALL_WEBHOOK_URL" (urlEnv) holds a URL with credentials in it, which fetch refuses',
    ],
    ['no source at all', {}, {}, 'sink "oncall": no URL: give one of url, urlFile or urlEnv'],
    [
      'two sources',
      { url: 'https://hooks.example.com/services/T0SECRET', urlEnv: 'ONCALL_WEBHOOK_URL' },
      {},
      'sink "oncall": gives url and urlEnv: give exactly one of url, urlFile or urlEnv',
    ],
  ])('reject %s with a reason naming the sink and the source', async (_case, spec, env, reason) => {
    const { notifier, lines } = setup({ oncall: sink(spec) }, { env });
    const err = await rejection(notifier.send(sent()));
    expect(err.message).toBe(reason);
    expect(err.code).toBe('sink_url_missing');
    expectNoSecret(err.message);
    expectNoSecret(JSON.stringify(lines));
  });

  it('reject an empty url file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'remediator-sinks-'));
    tempDirs.push(dir);
    const file = join(dir, 'oncall-url');
    writeFileSync(file, '\n');
    const { notifier } = setup({ oncall: sink({ urlFile: file }) });
    const err = await rejection(notifier.send(sent()));
    expect(err.message).toBe(`sink "oncall": file ${JSON.stringify(file)} (urlFile) is empty`);
  });
});

describe('secrecy of sink URLs', () => {
  it.each<[string, readonly Behaviour[], Behaviour, Partial<SinkSpec>]>([
    ['a delivery', [], { status: 200, body: 'ok' }, {}],
    ['retries then success', [{ status: 503 }, 'drop'], { status: 200 }, {}],
    [
      'a 404 page that echoes the path',
      [],
      { status: 404, body: `Cannot POST ${SECRET_PATH}${SECRET_QUERY}` },
      {},
    ],
    ['5xx answers that echo the path', [], { status: 500, body: `error at ${SECRET_PATH}` }, {}],
    ['dropped connections', [], 'drop', {}],
    ['a receiver that never answers', [], 'hang', { timeout: '150ms' }],
    ['a Retry-After beyond budget', [], { status: 429, headers: { 'retry-after': '600' } }, {}],
  ])(
    'keep the URL out of errors, log lines and outcomes after %s',
    async (_case, first, rest, spec) => {
      for (const type of ['webhook', 'slack'] as const) {
        const r = await receiver(first, rest);
        for (const source of ['url', 'urlEnv'] as const) {
          const { notifier, lines, outcomes } = setup(
            {
              oncall: sink({
                type,
                ...(source === 'url' ? { url: secretUrl(r) } : { urlEnv: 'HOOK' }),
                ...spec,
              }),
            },
            { env: { HOOK: secretUrl(r) } },
          );
          let message = '';
          try {
            await notifier.send(sent());
          } catch (err) {
            expect(err).toBeInstanceOf(NotificationError);
            message = `${(err as Error).message} ${(err as Error).stack ?? ''}`;
          }
          expectNoSecret(message, r);
          expect(lines.length).toBeGreaterThan(0);
          expectNoSecret(JSON.stringify(lines), r);
          expectNoSecret(JSON.stringify(outcomes), r);
        }
        // The receiver did get the secret path: it was the delivery target all along.
        expect(r.requests[0]?.url).toBe(SECRET_PATH + SECRET_QUERY);
      }
    },
  );
});
