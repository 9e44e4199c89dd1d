import { readFile as readFileFromDisk } from 'node:fs/promises';
import type { Clock } from '../clock';
import { describeError, RemediatorError } from '../errors';
import type { Logger } from '../logger';
import { durationMs } from '../labels/durations';
import type { SinkSpec } from '../policies/schema';
import { renderApproval } from './approval-message';
import { DRY_RUN_MARK, renderMessage, type RenderedMessage } from './messages';
import type { DeliveryResult, MessageTemplate, Notification, Notifier } from './notifier';
import { slackBody, webhookBody } from './sink-bodies';

/** Attempts per notification, the first included. */
export const MAX_ATTEMPTS = 3;
/** First wait between attempts; doubles each time, never more than half the sink's timeout. */
export const DEFAULT_BACKOFF_MS = 500;
/** An attempt shorter than this (or the sink's timeout, if shorter) is not worth starting. */
const MIN_ATTEMPT_MS = 100;
/** How much of a receiver's answer is read: enough for Slack's error codes (`invalid_payload`). */
const SNIPPET_BYTES = 256;
/** Response bodies quoted in errors: bare error codes only, since a page may echo the URL. */
const ERROR_CODE_BODY = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * How one `send` ended, for metrics: `result` is a closed set, `code` a small bounded one (system
 * error codes and `timeout`); neither ever holds a URL.
 */
export interface DeliveryOutcome {
  readonly result: 'delivered' | 'failed' | 'rejected' | 'unconfigured' | 'dry_run';
  readonly template: MessageTemplate;
  readonly attempts: number;
  /** The last HTTP status, if any answer came. */
  readonly status?: number;
  /** The last network error code (`ECONNRESET`, `timeout`...), if the last attempt got none. */
  readonly code?: string;
  readonly durationMs: number;
}

export type NotificationErrorCode =
  /** No sink of that name in the policies in force. */
  | 'sink_unknown'
  /** The sink's URL source is absent, empty, unreadable or not an http(s) URL. */
  | 'sink_url_missing'
  /** The receiver answered 3xx or 4xx (not 429): sending again would not help. */
  | 'delivery_rejected'
  /** Every attempt failed with a network error, a timeout, a 5xx or a 429. */
  | 'delivery_failed';

/**
 * A notification that was not delivered. The message names the sink and, for deliveries, the
 * attempts and the last status or error code; it never contains the sink's URL.
 */
export class NotificationError extends RemediatorError {
  readonly sink: string;
  /** Attempts made: 0 when the sink could not be resolved. */
  readonly attempts: number;
  /** True when the same notification may succeed later without a configuration change. */
  readonly retryable: boolean;
  /** The last HTTP status, when an answer came. */
  readonly status?: number;

  constructor(
    override readonly code: NotificationErrorCode,
    message: string,
    details: { sink: string; attempts?: number; retryable?: boolean; status?: number },
  ) {
    super(code, message);
    this.sink = details.sink;
    this.attempts = details.attempts ?? 0;
    this.retryable = details.retryable ?? false;
    if (details.status !== undefined) this.status = details.status;
  }
}

export interface SinkNotifierDeps {
  /** The sinks of the policies in force; called on every send, so reloads apply at once. */
  readonly sinks: () => Readonly<Record<string, SinkSpec>>;
  /** Where `urlEnv` is looked up (the composition root passes `process.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  /** Reads a `urlFile`; defaults to reading UTF-8 from disk. Read on every send (rotation). */
  readonly readFile?: (path: string) => Promise<string>;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** First wait between attempts, doubled each retry; defaults to {@link DEFAULT_BACKOFF_MS}. */
  readonly backoffMs?: number;
  readonly logger?: Logger;
  readonly onDelivery?: (sink: string, outcome: DeliveryOutcome) => void;
}

type Attempt =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly retryAfterMs?: number;
      readonly body: string;
    }
  | { readonly kind: 'error'; readonly code: string };

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Delivers notifications to the sinks under `sinks:`: renders the runbook message, shapes it for
 * the sink type (`webhook` or `slack`) and POSTs it as JSON. Network errors, timeouts, 5xx and 429
 * are retried with exponential backoff (Retry-After honoured), at most {@link MAX_ATTEMPTS}
 * attempts and never longer than that many timeouts in total; any other 4xx fails at once.
 *
 * Incoming-webhook URLs are secrets: no URL, path or query string ever appears in an error, a log
 * line or an outcome.
 */
export class SinkNotifier implements Notifier {
  private readonly fetch: typeof fetch;
  private readonly readFile: (path: string) => Promise<string>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly backoffMs: number;

  constructor(private readonly deps: SinkNotifierDeps) {
    // Not the bare global: fetch called as a method of another object may refuse its `this`.
    this.fetch = deps.fetch ?? ((input, init) => fetch(input, init));
    this.readFile = deps.readFile ?? ((path) => readFileFromDisk(path, 'utf8'));
    this.sleep = deps.sleep ?? realSleep;
    this.backoffMs = deps.backoffMs ?? DEFAULT_BACKOFF_MS;
  }

  withhold(notification: Notification): void {
    try {
      this.deps.onDelivery?.(notification.sink, {
        result: 'dry_run',
        template: notification.template,
        attempts: 0,
        durationMs: 0,
      });
    } catch (err) {
      this.deps.logger?.warn('notification outcome not recorded', {
        sink: notification.sink,
        reason: describeError(err),
      });
    }
  }

  async send(notification: Notification): Promise<DeliveryResult> {
    const started = this.now();
    const name = notification.sink;
    const report = (outcome: Omit<DeliveryOutcome, 'template' | 'durationMs'>): void => {
      try {
        this.deps.onDelivery?.(name, {
          ...outcome,
          template: notification.template,
          durationMs: this.now() - started,
        });
      } catch (err) {
        // Metrics must not decide whether a notification counts as sent.
        this.deps.logger?.warn('notification outcome not recorded', {
          sink: name,
          reason: describeError(err),
        });
      }
    };
    const logFields = {
      sink: name,
      template: notification.template,
      incident: notification.incident.id,
    };

    let spec: SinkSpec;
    let url: string;
    try {
      spec = this.sink(name);
      url = await this.resolveUrl(name, spec);
    } catch (err) {
      if (err instanceof NotificationError) {
        report({ result: 'unconfigured', attempts: 0 });
        this.deps.logger?.warn('notification not sent', { ...logFields, reason: err.message });
      }
      throw err;
    }

    const message = renderNotification(notification, this.deps.clock.now().getTime());
    const body = JSON.stringify(
      spec.type === 'slack' ? slackBody(notification, message) : webhookBody(notification, message),
    );
    const timeoutMs = sinkTimeoutMs(spec);
    const deadline = started + MAX_ATTEMPTS * timeoutMs;

    for (let n = 1; ; n++) {
      const attemptMs = Math.min(timeoutMs, deadline - this.now());
      const attempt = await this.attempt(url, body, attemptMs);
      const last = describeAttempt(attempt, attemptMs);
      const lastFields =
        attempt.kind === 'answer' ? { status: attempt.status } : { code: attempt.code };

      if (attempt.kind === 'answer' && attempt.status >= 200 && attempt.status < 300) {
        report({ result: 'delivered', attempts: n, status: attempt.status });
        this.deps.logger?.info('notification sent', { ...logFields, attempts: n, ...lastFields });
        return { sink: name, attempts: n, status: attempt.status };
      }
      if (attempt.kind === 'answer' && !retryableStatus(attempt.status)) {
        const redirect = attempt.status < 400 ? '; redirects are not followed' : '';
        const err = new NotificationError(
          'delivery_rejected',
          `sink "${name}": rejected with ${last} after ${attempts(n)}${redirect}; not retried`,
          { sink: name, attempts: n, retryable: false, status: attempt.status },
        );
        throw this.fail(err, { result: 'rejected', attempts: n, ...lastFields }, report, logFields);
      }

      const next = this.nextWait(n, attempt, timeoutMs, deadline);
      if (typeof next === 'string') {
        const err = new NotificationError(
          'delivery_failed',
          `sink "${name}": delivery failed after ${attempts(n)}; last ${last}${next}`,
          {
            sink: name,
            attempts: n,
            retryable: true,
            ...(attempt.kind === 'answer' ? { status: attempt.status } : {}),
          },
        );
        throw this.fail(err, { result: 'failed', attempts: n, ...lastFields }, report, logFields);
      }
      this.deps.logger?.warn('notification attempt failed; retrying', {
        ...logFields,
        attempt: n,
        ...lastFields,
        waitMs: next,
      });
      await this.sleep(next);
    }
  }

  /**
   * How long to wait before attempt `n + 1`, or why there is none: the attempts are used up, or
   * the wait (backoff, or a longer Retry-After) would leave no time for an attempt before the
   * deadline. Never retrying earlier than Retry-After asks is what honouring it means.
   */
  private nextWait(
    n: number,
    attempt: Attempt,
    timeoutMs: number,
    deadline: number,
  ): number | string {
    if (n >= MAX_ATTEMPTS) return '';
    const backoff = Math.min(this.backoffMs * 2 ** (n - 1), timeoutMs / 2);
    const retryAfter = attempt.kind === 'answer' ? attempt.retryAfterMs : undefined;
    const wait = Math.max(backoff, retryAfter ?? 0);
    if (deadline - this.now() - wait >= Math.min(timeoutMs, MIN_ATTEMPT_MS)) return wait;
    const budget = formatMs(MAX_ATTEMPTS * timeoutMs);
    return retryAfter !== undefined && retryAfter > backoff
      ? ` (Retry-After ${formatMs(retryAfter)} exceeds the retry budget of ${budget})`
      : ` (retry budget of ${budget} spent)`;
  }

  private sink(name: string): SinkSpec {
    const sinks = this.deps.sinks();
    const spec = Object.hasOwn(sinks, name) ? sinks[name] : undefined;
    if (spec === undefined) {
      const known = Object.keys(sinks).sort();
      throw new NotificationError(
        'sink_unknown',
        `sink "${name}" is not configured under sinks: (${known.length === 0 ? 'no sinks are configured' : `configured: ${known.join(', ')}`})`,
        { sink: name },
      );
    }
    return spec;
  }

  /** The sink's URL, from the one source it names; errors name the source, never the value. */
  private async resolveUrl(name: string, spec: SinkSpec): Promise<string> {
    const missing = (why: string): NotificationError =>
      new NotificationError('sink_url_missing', `sink "${name}": ${why}`, { sink: name });
    const given = (['url', 'urlFile', 'urlEnv'] as const).filter((k) => spec[k] !== undefined);
    if (given.length !== 1) {
      throw missing(
        given.length === 0
          ? 'no URL: give one of url, urlFile or urlEnv'
          : `gives ${given.join(' and ')}: give exactly one of url, urlFile or urlEnv`,
      );
    }
    let raw: string;
    let source: string;
    if (spec.urlEnv !== undefined) {
      source = `environment variable ${JSON.stringify(spec.urlEnv)} (urlEnv)`;
      const value = this.deps.env[spec.urlEnv];
      if (value === undefined) throw missing(`${source} is not set`);
      raw = value.trim();
    } else if (spec.urlFile !== undefined) {
      source = `file ${JSON.stringify(spec.urlFile)} (urlFile)`;
      try {
        raw = (await this.readFile(spec.urlFile)).trim();
      } catch (err) {
        throw missing(`cannot read ${source}: ${errorCode(err) ?? 'read error'}`);
      }
    } else {
      source = 'url';
      raw = (spec.url ?? '').trim();
    }
    if (raw === '') throw missing(`${source} is empty`);
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw missing(`${source} does not hold a valid URL (value not shown: it may be a secret)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw missing(`${source} holds a URL that is not http(s) (value not shown)`);
    }
    if (parsed.username !== '' || parsed.password !== '') {
      throw missing(`${source} holds a URL with credentials in it, which fetch refuses`);
    }
    return parsed.href;
  }

  private async attempt(url: string, body: string, timeoutMs: number): Promise<Attempt> {
    const signal = AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs)));
    try {
      const res = await this.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'remediator' },
        body,
        signal,
        // A redirect would resend the message somewhere the policy did not name.
        redirect: 'manual',
      });
      const text = await readSnippet(res);
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
      return {
        kind: 'answer',
        status: res.status,
        body: text,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    } catch (err) {
      return {
        kind: 'error',
        code: signal.aborted ? 'timeout' : (errorCode(err) ?? 'network_error'),
      };
    }
  }

  private fail(
    err: NotificationError,
    outcome: Omit<DeliveryOutcome, 'template' | 'durationMs'>,
    report: (outcome: Omit<DeliveryOutcome, 'template' | 'durationMs'>) => void,
    logFields: Record<string, unknown>,
  ): NotificationError {
    report(outcome);
    this.deps.logger?.warn('notification failed', { ...logFields, reason: err.message });
    return err;
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }
}

/** The runbook's message, or an approval request or answer. */
function renderNotification(notification: Notification, nowMs: number): RenderedMessage {
  if (notification.approval === undefined) return renderMessage(notification, nowMs);
  const mark = notification.dryRun === true ? DRY_RUN_MARK : '';
  return renderApproval(notification.approval, notification.incident, nowMs, mark);
}

/** The sink's per-attempt timeout in ms (`timeout`; the schema's default is 5s). */
export function sinkTimeoutMs(spec: Pick<SinkSpec, 'timeout'>): number {
  return durationMs(spec.timeout);
}

/** 5xx and 429 may pass on a later attempt; other answers will not. */
function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * A Retry-After header in ms: delay-seconds or an HTTP-date (relative to `nowMs`); `undefined`
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // HTTP-dates end in GMT; without this, Date.parse would read `-1` as a year.
  const at = v.endsWith('GMT') ? Date.parse(v) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** `status 400 (invalid_payload)`, `error ECONNRESET`, `error timeout (no answer within 5s)`. */
function describeAttempt(attempt: Attempt, timeoutMs: number): string {
  if (attempt.kind === 'error') {
    return attempt.code === 'timeout'
      ? `error timeout (no answer within ${formatMs(timeoutMs)})`
      : `error ${attempt.code}`;
  }
  const body = attempt.body.trim();
  // Slack answers errors with a bare code (`invalid_payload`); anything else may echo the URL.
  return ERROR_CODE_BODY.test(body)
    ? `status ${attempt.status} (${body})`
    : `status ${attempt.status}`;
}

/**
 * A system error code (`ECONNRESET`, `UND_ERR_SOCKET`, `ENOENT`) from an error or its causes.
 * Messages are never used: they may quote a host, a path or a URL.
 */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    if ('code' in e && typeof e.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(e.code)) {
      return e.code;
    }
    if ('name' in e && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timeout';
    e = 'cause' in e ? e.cause : undefined;
  }
  return undefined;
}

/** Reads at most {@link SNIPPET_BYTES} of the answer, then lets the rest go. */
async function readSnippet(res: Response): Promise<string> {
  if (res.body === null) return '';
  // The DOM typings give the body's chunks as `any`; fetch's are bytes.
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    if (size >= SNIPPET_BYTES) await reader.cancel();
  } catch {
    // The status is what counts; a body cut short (or timed out) leaves it unquoted.
    return '';
  }
  return Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8');
}

function attempts(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}

function formatMs(ms: number): string {
  const rounded = Math.round(ms);
  return rounded % 1000 === 0 ? `${rounded / 1000}s` : `${rounded}ms`;
}
