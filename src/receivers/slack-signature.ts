import { createHmac, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock';

/**
 * Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature` is `v0=` and the hex HMAC-SHA256, keyed with the app's signing secret, of
 * `v0:{X-Slack-Request-Timestamp}:{raw body}`. A request is accepted when the signature matches
 * (compared in constant time), its timestamp is within 5 minutes of now, and the same signature
 * was not accepted before: a captured request cannot be replayed, not even inside the window.
 */
export const SLACK_WINDOW_MS = 5 * 60_000;
/** Signatures remembered at once: each interaction is one; far more than any team clicks in 5 min. */
const MAX_REMEMBERED = 10_000;
const SIGNATURE = /^v0=([0-9a-f]{64})$/;

export type SlackVerdict = { ok: true } | { ok: false; message: string };

export class SlackSignatureVerifier {
  private readonly key: Buffer;
  /** Accepted signatures, with when they may be forgotten (their timestamp's window has passed). */
  private readonly seen = new LRUCache<string, number>({ max: MAX_REMEMBERED });

  constructor(
    secret: string,
    private readonly clock: Clock,
  ) {
    this.key = Buffer.from(secret, 'utf8');
  }

  verify(
    timestamp: string | undefined,
    signature: string | undefined,
    rawBody: Buffer,
  ): SlackVerdict {
    if (timestamp === undefined || signature === undefined)
      return { ok: false, message: 'missing X-Slack-Request-Timestamp or X-Slack-Signature' };
    if (!/^\d{1,12}$/.test(timestamp))
      return { ok: false, message: 'X-Slack-Request-Timestamp is not a Unix time in seconds' };
    const now = this.clock.now().getTime();
    const at = Number(timestamp) * 1000;
    if (Math.abs(now - at) > SLACK_WINDOW_MS)
      return { ok: false, message: 'X-Slack-Request-Timestamp is more than 5 minutes off' };
    const given = SIGNATURE.exec(signature)?.[1];
    if (given === undefined)
      return { ok: false, message: 'X-Slack-Signature is not v0= and 64 hex digits' };
    const expected = createHmac('sha256', this.key)
      .update(`v0:${timestamp}:`, 'utf8')
      .update(rawBody)
      .digest();
    if (!timingSafeEqual(expected, Buffer.from(given, 'hex')))
      return { ok: false, message: 'X-Slack-Signature does not match the signing secret' };
    // Checked only once the signature is genuine, so that forged requests cannot fill the cache.
    const forgetAt = this.seen.get(given);
    if (forgetAt !== undefined && forgetAt >= now)
      return { ok: false, message: 'this signature was already used (a replayed request)' };
    this.seen.set(given, at + SLACK_WINDOW_MS);
    return { ok: true };
  }
}

/** The signature Slack would send for `body` at `timestamp`: for tests and the demo. */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}
