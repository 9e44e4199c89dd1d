/**
 * The console's sessions: the API's credentials (the webhook's bearer token or basic auth) are
 * entered once, checked, and exchanged for a session kept in server memory. The browser holds
 * only the session's random id, in an HttpOnly, SameSite=Strict cookie (never the token itself),
 * and sends the session's CSRF token in a header with every write. API clients keep sending the
 * credentials in `Authorization` instead.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { WebhookAuthenticator } from '../receivers/auth';
import { route } from './http';
import type { SessionView } from './wire';

export const SESSION_COOKIE = 'remediator_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface Session {
  readonly id: string;
  readonly csrfToken: string;
  /** Who signed in, as they called themselves (for the timeline); `console` when not given. */
  readonly name: string;
  readonly expiresAt: number;
}

export interface SessionsOptions {
  clock: Clock;
  /** How long a session lasts from sign-in; default 12 h (an on-call shift). */
  ttlMs?: number;
  /** Sessions kept at once; the oldest goes first. Default 1000. */
  max?: number;
}

/** Random ids and tokens: 256 bits, URL-safe. */
function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Server-side sessions, bounded in number and time. */
export class Sessions {
  private readonly sessions = new Map<string, Session>();
  readonly ttlMs: number;
  private readonly max: number;

  constructor(private readonly options: SessionsOptions) {
    this.ttlMs = options.ttlMs ?? 12 * 3600_000;
    this.max = options.max ?? 1000;
  }

  get size(): number {
    return this.sessions.size;
  }

  create(name: string): Session {
    const now = this.options.clock.now().getTime();
    for (const [id, session] of this.sessions)
      if (session.expiresAt <= now) this.sessions.delete(id);
    // Map order is insertion order: the first key is the oldest session.
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session: Session = {
      id: randomToken(),
      csrfToken: randomToken(),
      name,
      expiresAt: now + this.ttlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session a request's cookie names, if any. */
  fromRequest(req: Pick<Request, 'headers'>): Session | undefined {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.options.clock.now().getTime()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }
}

/** One cookie's value from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The `Set-Cookie` value for a session (or, without one, the one that removes it). `Secure` when
 * the request came over TLS, as a proxy that terminated it says in `X-Forwarded-Proto`: a forged
 * header can only make the cookie stricter.
 */
export function sessionCookie(
  session: Session | undefined,
  req: Pick<Request, 'headers' | 'secure'>,
  now: number,
): string {
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  const secure = req.secure || proto === 'https';
  const maxAge =
    session === undefined ? 0 : Math.max(0, Math.ceil((session.expiresAt - now) / 1000));
  return [
    `${SESSION_COOKIE}=${session?.id ?? ''}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAge}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** Constant-time equality of two tokens, whatever their lengths. */
export function sameToken(expected: string, given: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** Who made a write, for the timeline and the log: set by {@link writeGuard}. */
export function actorOfRequest(res: Response): string {
  return (res.locals as { actor?: string }).actor ?? 'an API client';
}

/** The 403 of every API write while no credentials are configured. */
export const WRITES_NEED_CREDENTIALS =
  'API writes are refused because no credentials are configured: set REMEDIATOR_WEBHOOK_TOKEN_FILE (or REMEDIATOR_WEBHOOK_TOKEN), or REMEDIATOR_WEBHOOK_USERNAME_FILE and REMEDIATOR_WEBHOOK_PASSWORD_FILE, and send them as Alertmanager does';

/**
 * Every API write goes through this: the webhook's credentials in `Authorization` (API clients),
 * or a console session's cookie together with its CSRF token in `X-CSRF-Token`. Without
 * configured credentials every write is refused.
 */
export function writeGuard(auth: WebhookAuthenticator, sessions: Sessions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Open for posting alerts is a warned-about choice; open for pausing remediation or
    // resolving incidents is not one anybody should make by leaving a variable unset.
    if (!auth.required) {
      res.status(403).json({ error: 'forbidden', message: WRITES_NEED_CREDENTIALS });
      return;
    }
    const locals = res.locals as { actor?: string };
    if (req.headers.authorization === undefined) {
      const session = sessions.fromRequest(req);
      if (session !== undefined) {
        const given = req.headers[CSRF_HEADER];
        if (typeof given !== 'string' || !sameToken(session.csrfToken, given)) {
          res.status(403).json({
            error: 'csrf',
            message: `a console write needs its session's CSRF token in the ${CSRF_HEADER} header`,
          });
          return;
        }
        locals.actor = `${session.name} (console)`;
        next();
        return;
      }
    }
    const result = auth.check(req.headers.authorization);
    if (result.ok) {
      locals.actor = `an API client at ${req.socket.remoteAddress ?? 'unknown'}`;
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', auth.challenge);
    const expired =
      req.headers.authorization === undefined &&
      (readCookie(req.headers.cookie, SESSION_COOKIE) ?? '') !== '';
    res.status(401).json({
      error: 'unauthorized',
      message: expired ? 'the console session has expired: sign in again' : result.message,
    });
  };
}

export interface SessionRouteDeps {
  auth: WebhookAuthenticator;
  sessions: Sessions;
  clock: Clock;
  logger: Logger;
}

const MAX_NAME = 64;

/**
 * `GET /api/v1/session` (the state a console starts from), `POST` (sign in with the API's
 * credentials: `{ token }` or `{ username, password }`, and an optional `name` for the timeline)
 * and `DELETE` (sign out, with the CSRF token like any write).
 */
export function sessionRoutes(app: express.Express, deps: SessionRouteDeps): void {
  const { auth, sessions, clock } = deps;
  const view = (session: Session | undefined): SessionView => ({
    writes: auth.required ? 'enabled' : 'disabled',
    signedIn: session !== undefined,
    name: session?.name ?? null,
    csrfToken: session?.csrfToken ?? null,
    expiresAt: session === undefined ? null : new Date(session.expiresAt).toISOString(),
    schemes: auth.schemes,
  });
  const guard = writeGuard(auth, sessions);
  route(app, '/api/v1/session', ['GET', 'HEAD', 'POST', 'DELETE'])
    .get((req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json(view(sessions.fromRequest(req)));
    })
    .post(express.json({ limit: '8kb' }), (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      if (!auth.required) {
        res.status(403).json({ error: 'forbidden', message: WRITES_NEED_CREDENTIALS });
        return;
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
      const token = text(body.token);
      const username = text(body.username);
      const password = text(body.password);
      const authorization =
        token !== undefined
          ? `Bearer ${token}`
          : username !== undefined && password !== undefined
            ? `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`
            : undefined;
      if (authorization === undefined) {
        res.status(400).json({
          error: 'invalid_body',
          message: 'give { "token": … } or { "username": …, "password": … }',
        });
        return;
      }
      const result = auth.check(authorization);
      if (!result.ok) {
        deps.logger.warn('console sign-in refused', {
          from: req.socket.remoteAddress,
          reason: result.message,
        });
        res.status(401).json({ error: 'unauthorized', message: result.message });
        return;
      }
      const name = cleanName(text(body.name));
      const session = sessions.create(name);
      deps.logger.info('console sign-in', { name, from: req.socket.remoteAddress });
      res.setHeader('Set-Cookie', sessionCookie(session, req, clock.now().getTime()));
      res.json(view(session));
    })
    .delete(guard, (req, res) => {
      const session = sessions.fromRequest(req);
      if (session !== undefined) sessions.delete(session.id);
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Set-Cookie', sessionCookie(undefined, req, clock.now().getTime()));
      res.json(view(undefined));
    });
}

/** A name for the timeline: one line, printable, at most 64 characters; `console` when blank. */
function cleanName(name: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  return clean === '' ? 'console' : clean.slice(0, MAX_NAME);
}
