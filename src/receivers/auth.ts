import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Webhook credentials as Alertmanager's `http_config` sends them: a bearer token
 * (`authorization: { type: Bearer, credentials_file }`) and/or basic auth. Either configured
 * scheme is accepted. Comparison is constant-time over SHA-256 digests, so neither the content nor
 * the length of a secret leaks through timing.
 */
export interface WebhookCredentials {
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
}

export type AuthResult = { ok: true } | { ok: false; message: string };

export class WebhookAuthenticator {
  private readonly tokenDigest?: Buffer;
  private readonly basicDigest?: Buffer;

  constructor(credentials: WebhookCredentials) {
    if (credentials.bearerToken !== undefined) this.tokenDigest = digest(credentials.bearerToken);
    if (credentials.basicAuth !== undefined) {
      const { username, password } = credentials.basicAuth;
      this.basicDigest = digest(`${username}:${password}`);
    }
  }

  /** False when no credentials are configured: every request is then accepted (and start-up warns). */
  get required(): boolean {
    return this.tokenDigest !== undefined || this.basicDigest !== undefined;
  }

  /** The schemes accepted, for clients that ask which credentials to give. */
  get schemes(): ('bearer' | 'basic')[] {
    return [
      ...(this.tokenDigest ? (['bearer'] as const) : []),
      ...(this.basicDigest ? (['basic'] as const) : []),
    ];
  }

  /** The `WWW-Authenticate` challenge for a 401, naming the schemes that would be accepted. */
  get challenge(): string {
    const schemes: string[] = [];
    if (this.tokenDigest) schemes.push('Bearer realm="remediator"');
    if (this.basicDigest) schemes.push('Basic realm="remediator", charset="UTF-8"');
    return schemes.join(', ');
  }

  check(authorization: string | undefined): AuthResult {
    if (!this.required) return { ok: true };
    if (authorization === undefined || authorization === '') {
      return { ok: false, message: 'missing Authorization header' };
    }
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && this.tokenDigest) {
      return sameSecret(this.tokenDigest, value)
        ? { ok: true }
        : { ok: false, message: 'wrong bearer token' };
    }
    if (scheme === 'basic' && this.basicDigest) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      return sameSecret(this.basicDigest, decoded)
        ? { ok: true }
        : { ok: false, message: 'wrong basic-auth credentials' };
    }
    // What was sent is not quoted: a client that sends its token without a scheme would find it
    // in the answer, and the log would keep it.
    const accepted = [this.tokenDigest ? 'Bearer' : '', this.basicDigest ? 'Basic' : ''];
    return {
      ok: false,
      message: `unsupported authorization scheme (use ${accepted.filter((a) => a !== '').join(' or ')})`,
    };
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function sameSecret(expected: Buffer, given: string): boolean {
  return timingSafeEqual(expected, digest(given));
}
