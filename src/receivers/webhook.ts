/**
 * receivers/: the first stage. `POST /webhook` on plain node:http (the hot path), checked in a
 * fixed order (404/405 → 415 → 401 → 413 → 400, each a JSON error), then handed to the pipeline's
 * `accept`; answered 200 only once the notification is in the notification log, 503 when it could
 * not be (journal refused, or the backlog is full).
 * Imports only the shared folders (alertmanager/, metrics, logger, errors).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError, JournalError, OverloadedError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { WebhookAuthenticator } from './auth';
import { checkWebhookPayload, type WebhookPayload } from '../alertmanager/payload';

/** An accepted notification: its place in the notification log, as the answer says it. */
export interface Accepted {
  readonly notification: number;
}

export interface WebhookDeps {
  auth: WebhookAuthenticator;
  maxBodyBytes: number;
  /**
   * Records the validated notification durably (the notification log) and resolves once it is;
   * rejects with JournalError or OverloadedError when it cannot, and the answer is then a 503.
   */
  accept: (payload: WebhookPayload, body: string, source: string) => Promise<Accepted>;
  metrics: Metrics;
  logger: Logger;
}

/** The JSON error body every rejection carries. */
export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
}

/**
 * `POST /webhook`, on node:http directly: this is the hot path, and Express's per-request
 * machinery would cost more than everything else here. Checks run in a fixed order, each with
 * its own status and a JSON body: 405 method → 415 content type → 401 credentials → 413 size →
 * 400 JSON and schema. The answer is 200 once the notification is logged; 5xx only when it
 * could not be, so that Alertmanager retries and nothing is lost.
 */
export function createWebhookHandler(deps: WebhookDeps) {
  const { auth, maxBodyBytes, metrics, logger } = deps;

  return function handleWebhook(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    res.once('finish', () => {
      const code = String(res.statusCode);
      metrics.webhookRequests.inc({ code });
      metrics.webhookDuration.observe({ code }, (performance.now() - started) / 1000);
    });
    const reject = (
      status: number,
      body: ErrorBody,
      headers: Record<string, string> = {},
    ): void => {
      logger.warn('webhook rejected', {
        status,
        error: body.error,
        reason: body.message,
        remote: req.socket.remoteAddress,
      });
      sendJson(res, status, body, headers);
    };

    if (req.method !== 'POST') {
      reject(
        405,
        { error: 'method_not_allowed', message: `${req.method ?? '?'} is not allowed; use POST` },
        { Allow: 'POST' },
      );
      return;
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
      reject(415, {
        error: 'unsupported_media_type',
        message: `content type must be application/json, got ${mediaType === '' ? 'none' : JSON.stringify(mediaType.slice(0, 100))}`,
      });
      return;
    }
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
      reject(415, {
        error: 'unsupported_media_type',
        message: `content encoding ${JSON.stringify(encoding.slice(0, 50))} is not supported`,
      });
      return;
    }
    const authResult = auth.check(req.headers.authorization);
    if (!authResult.ok) {
      reject(
        401,
        { error: 'unauthorized', message: authResult.message },
        { 'WWW-Authenticate': auth.challenge },
      );
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      reject(413, tooLarge(maxBodyBytes), { Connection: 'close' });
      return;
    }

    readBody(req, maxBodyBytes, (outcome) => {
      if (outcome === 'too_large') {
        reject(413, tooLarge(maxBodyBytes), { Connection: 'close' });
        return;
      }
      if (outcome === 'aborted') return;
      const text = outcome.toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        reject(400, {
          error: 'invalid_json',
          message: `body is not valid JSON: ${describeError(err)}`,
        });
        return;
      }
      const check = checkWebhookPayload(parsed);
      if (!check.ok) {
        reject(400, {
          error: 'invalid_payload',
          message: `invalid Alertmanager payload: ${check.message}`,
          field: check.field,
        });
        return;
      }
      for (const alert of check.payload.alerts)
        metrics.alertsReceived.inc({ status: alert.status });
      deps.accept(check.payload, text, req.socket.remoteAddress ?? '').then(
        (result) => {
          sendJson(res, 200, { status: 'accepted', ...result });
        },
        (err: unknown) => {
          if (err instanceof JournalError) {
            logger.error('webhook not accepted: journal write failed', { error: err.message });
            sendJson(res, 503, { error: err.code, message: err.message }, { 'Retry-After': '1' });
          } else if (err instanceof OverloadedError) {
            logger.warn('webhook not accepted: backlog full', { error: err.message });
            sendJson(
              res,
              503,
              { error: err.code, message: err.message },
              { 'Retry-After': String(err.retryAfterS) },
            );
          } else {
            logger.error('webhook not accepted: internal error', { error: describeError(err) });
            sendJson(res, 500, {
              error: 'internal_error',
              message: 'internal error; see the logs',
            });
          }
        },
      );
    });
  };
}

function tooLarge(limit: number): ErrorBody {
  return { error: 'payload_too_large', message: `body exceeds the limit of ${limit} bytes` };
}

/** Reads the body up to `limit` bytes; stops reading (without buffering more) past it. */
function readBody(
  req: IncomingMessage,
  limit: number,
  done: (outcome: Buffer | 'too_large' | 'aborted') => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (outcome: Buffer | 'too_large' | 'aborted'): void => {
    if (finished) return;
    finished = true;
    done(outcome);
  };
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > limit) {
      chunks.length = 0;
      finish('too_large');
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    finish(Buffer.concat(chunks, size));
  });
  req.on('error', () => {
    finish('aborted');
  });
  req.on('close', () => {
    if (!req.complete) finish('aborted');
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}
