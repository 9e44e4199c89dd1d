/**
 * sources/: the systems remediator asks for the truth about alerts, rather than trusting its own
 * inbox: Prometheus (prometheus.ts) and Alertmanager (alertmanager.ts). Shared like kube/: they
 * import nothing of remediator's but errors, and every stage after them may use them.
 *
 * This file is how both talk HTTP: one request with a deadline, a bounded answer, and
 * credentials in a header and nowhere else (no error message quotes them, nor the URL's user
 * part). What an answer means is each API's own file.
 */
import { RemediatorError } from '../errors';

export interface SourceConnection {
  /** The base URL, e.g. `http://prometheus.monitoring.svc:9090` (a path prefix is kept). */
  readonly url: string;
  /** An `Authorization` header value (`Bearer …` or `Basic …`), read from a file by the caller. */
  readonly authorization?: string;
  /** Deadline for each request; default 10 s. */
  readonly timeoutMs?: number;
}

/** A query that could not be answered: unreachable, refused, or not understood. */
export class SourceError extends RemediatorError {
  constructor(
    readonly source: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super('source_unavailable', `${source}: ${message}`);
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The largest answer read: a filtered alert list or one query's result is far smaller, and an
 * answer without bound would be memory anyone between here and the source could take.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export interface SourceRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Appended to the base URL's path: `/api/v2/alerts`. */
  readonly path: string;
  /** Query parameters; a list repeats the parameter (`filter=a&filter=b`). */
  readonly params?: Readonly<Record<string, string | readonly string[]>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
}

/** An answer, whatever its status: what it means is the caller's. */
export interface SourceAnswer {
  readonly status: number;
  readonly text: string;
}

/** A source's secrets, each read by the caller from its `_FILE` variable. */
export interface SourceSecrets {
  readonly token?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/**
 * The one way a source's URL and secrets become a connection, for `serve` and the offline
 * commands alike: credentials come from files (a bearer token, or a user name and password for
 * basic auth), never from the URL, since a command line is visible to every user of the host.
 * `env` is the variables' prefix (`REMEDIATOR_PROMETHEUS`) and `what` the source's name, both for
 * the problems; no problem quotes the URL, which may hold a password.
 */
export function sourceConnection(
  url: string,
  secrets: SourceSecrets,
  names: { readonly what: string; readonly env: string; readonly from: string },
): { connection: SourceConnection; problems?: undefined } | { problems: string[] } {
  const { token, username, password } = secrets;
  const { what, env, from } = names;
  const problems: string[] = [];
  if (token !== undefined && (username !== undefined || password !== undefined))
    problems.push(`${what}: give a token file or basic-auth files (${env}_*_FILE), not both`);
  if ((username === undefined) !== (password === undefined))
    problems.push(`${what}: basic auth needs both ${env}_USERNAME_FILE and ${env}_PASSWORD_FILE`);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined && (parsed.username !== '' || parsed.password !== '')) {
    problems.push(
      `${from}: credentials do not go in the URL (a command line is visible to every user of the host): use ${env}_TOKEN_FILE or the basic-auth files`,
    );
  } else if (parsed === undefined || !/^https?:$/.test(parsed.protocol)) {
    // Not quoted: a value that is not a URL may still hold a password.
    problems.push(`${from}: not an http(s) URL such as http://host:port`);
  }
  if (problems.length > 0 || parsed === undefined) return { problems };
  const authorization =
    token !== undefined
      ? `Bearer ${token}`
      : username !== undefined && password !== undefined
        ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
        : undefined;
  return {
    connection: {
      url: parsed.toString(),
      ...(authorization === undefined ? {} : { authorization }),
    },
  };
}

/** The base URL without its user part, as errors may show it. */
export function publicUrl(connection: SourceConnection): string {
  const base = new URL(connection.url);
  return `${base.protocol}//${base.host}${base.pathname.replace(/\/$/, '')}`;
}

/**
 * One request to `name` (`Prometheus`, `Alertmanager`), with the deadline and the credentials.
 * Throws SourceError (retryable) when no answer came, or one larger than MAX_ANSWER_BYTES.
 */
export async function request(
  connection: SourceConnection,
  name: string,
  req: SourceRequest,
): Promise<SourceAnswer> {
  const where = publicUrl(connection);
  const source = `${name} at ${where}`;
  const url = new URL(`${where}${req.path}`);
  for (const [key, value] of Object.entries(req.params ?? {})) {
    for (const one of typeof value === 'string' ? [value] : value)
      url.searchParams.append(key, one);
  }
  const timeoutMs = connection.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const authorization = connection.authorization;
  try {
    const response = await fetch(url, {
      method: req.method,
      headers: {
        Accept: 'application/json',
        ...(req.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(authorization === undefined ? {} : { Authorization: authorization }),
      },
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      signal: req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout]),
    });
    return { status: response.status, text: await boundedText(response, source) };
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError(
      source,
      timeout.aborted
        ? `no answer within ${timeoutMs} ms`
        : `unreachable (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`,
      true,
    );
  }
}

async function boundedText(response: Response, source: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_ANSWER_BYTES || response.body === null) {
    await response.body?.cancel();
    if (response.body === null) return '';
    throw tooLarge(source);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) throw tooLarge(source);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(source: string): SourceError {
  return new SourceError(source, `answered with more than ${MAX_ANSWER_BYTES} bytes`, true);
}

/** An answer's JSON; a SourceError (retryable for a 5xx) when it is not JSON. */
export function parseJson(answer: SourceAnswer, source: string): unknown {
  try {
    return JSON.parse(answer.text) as unknown;
  } catch {
    throw new SourceError(
      source,
      `answered ${answer.status} with a body that is not JSON`,
      answer.status >= 500,
    );
  }
}
