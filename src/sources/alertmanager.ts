/**
 * Alertmanager's API v2 (api/v2/openapi.yaml), the parts remediator uses: the alerts it holds
 * (`GET /api/v2/alerts`) and silences (`GET /api/v2/silences`, `POST /api/v2/silences`,
 * `DELETE /api/v2/silence/{id}`). Answers are checked for the fields used and nothing more
 * (newer versions add fields); anything else is a SourceError. Label values reach Alertmanager
 * only inside JSON or as escaped matcher text, never spliced into a URL path.
 */
import { parseJson, publicUrl, request, SourceError, type SourceConnection } from './http';

/** An alert Alertmanager holds: firing (possibly silenced or inhibited), not yet resolved. */
export interface HeldAlert {
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly startsAt: string;
  /** `active`, `suppressed` (silenced or inhibited) or `unprocessed`: all still firing. */
  readonly state: string;
}

/** One equality matcher of a silence. */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
}

export interface NewSilence {
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly createdBy: string;
  readonly comment: string;
}

export interface Silence {
  readonly id: string;
  /** `active`, `pending` or `expired`. */
  readonly state: string;
  readonly createdBy: string;
  readonly comment: string;
  readonly endsAt: string;
}

const NAME = 'Alertmanager';

/**
 * `GET /api/v2/alerts` with `filter` matchers (Alertmanager's matcher syntax, e.g.
 * `alertname="HighLatency"`): every alert it holds that they select, silenced, inhibited and
 * unprocessed ones included. A resolved alert is not held, so it is not listed.
 */
export async function heldAlerts(
  connection: SourceConnection,
  filters: readonly string[],
  signal?: AbortSignal,
): Promise<HeldAlert[]> {
  const body = await call(connection, {
    method: 'GET',
    path: '/api/v2/alerts',
    params: {
      active: 'true',
      silenced: 'true',
      inhibited: 'true',
      unprocessed: 'true',
      filter: filters,
    },
    signal,
  });
  if (!Array.isArray(body)) throw malformed(connection, 'alerts');
  return body.map((item: unknown) => {
    const alert = (item ?? {}) as Record<string, unknown>;
    const status = (alert.status ?? {}) as Record<string, unknown>;
    if (
      typeof alert.fingerprint !== 'string' ||
      typeof alert.startsAt !== 'string' ||
      !isStringMap(alert.labels) ||
      typeof status.state !== 'string'
    )
      throw malformed(connection, 'alerts');
    return {
      fingerprint: alert.fingerprint,
      labels: alert.labels,
      startsAt: alert.startsAt,
      state: status.state,
    };
  });
}

/** `POST /api/v2/silences`: creates a silence of equality matchers; resolves with its id. */
export async function createSilence(
  connection: SourceConnection,
  silence: NewSilence,
  signal?: AbortSignal,
): Promise<string> {
  const body = await call(connection, {
    method: 'POST',
    path: '/api/v2/silences',
    body: {
      matchers: silence.matchers.map((m) => ({
        name: m.name,
        value: m.value,
        isRegex: false,
        isEqual: true,
      })),
      startsAt: silence.startsAt.toISOString(),
      endsAt: silence.endsAt.toISOString(),
      createdBy: silence.createdBy,
      comment: silence.comment,
    },
    signal,
  });
  const id = (body as { silenceID?: unknown } | null)?.silenceID;
  if (typeof id !== 'string' || !SILENCE_ID.test(id)) throw malformed(connection, 'silence');
  return id;
}

/** `GET /api/v2/silences`: every silence, expired ones included until Alertmanager drops them. */
export async function listSilences(
  connection: SourceConnection,
  signal?: AbortSignal,
): Promise<Silence[]> {
  const body = await call(connection, { method: 'GET', path: '/api/v2/silences', signal });
  if (!Array.isArray(body)) throw malformed(connection, 'silences');
  return body.map((item: unknown) => {
    const s = (item ?? {}) as Record<string, unknown>;
    const state = ((s.status ?? {}) as Record<string, unknown>).state;
    if (
      typeof s.id !== 'string' ||
      typeof state !== 'string' ||
      typeof s.createdBy !== 'string' ||
      typeof s.comment !== 'string' ||
      typeof s.endsAt !== 'string'
    )
      throw malformed(connection, 'silences');
    return { id: s.id, state, createdBy: s.createdBy, comment: s.comment, endsAt: s.endsAt };
  });
}

/**
 * `DELETE /api/v2/silence/{id}`: expires a silence. One already expired, or unknown (it was
 * dropped after its retention), is no error: either way it silences nothing.
 */
export async function expireSilence(
  connection: SourceConnection,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  if (!SILENCE_ID.test(id)) throw new SourceError(NAME, 'not a silence id', false);
  const answer = await request(connection, NAME, {
    method: 'DELETE',
    path: `/api/v2/silence/${id}`,
    signal,
  });
  if (answer.status < 300 || answer.status === 404) return;
  // Alertmanager answers 500 "silence … already expired" for one that is.
  if (answer.text.includes('already expired')) return;
  throw refused(connection, answer.status, answer.text);
}

/** Alertmanager's silence ids are UUIDs; nothing else goes into a path. */
const SILENCE_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

async function call(
  connection: SourceConnection,
  req: Parameters<typeof request>[2],
): Promise<unknown> {
  const answer = await request(connection, NAME, req);
  if (answer.status >= 300) throw refused(connection, answer.status, answer.text);
  return parseJson(answer, `${NAME} at ${publicUrl(connection)}`);
}

function refused(connection: SourceConnection, status: number, text: string): SourceError {
  // Alertmanager's error bodies are a JSON string or plain text: its own words, cut.
  let reason = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string') reason = parsed;
  } catch {
    // plain text
  }
  return new SourceError(
    `${NAME} at ${publicUrl(connection)}`,
    `answered ${status}${reason.trim() === '' ? '' : `: ${reason.trim().slice(0, 300)}`}`,
    status >= 500 || status === 429,
  );
}

function malformed(connection: SourceConnection, what: string): SourceError {
  return new SourceError(
    `${NAME} at ${publicUrl(connection)}`,
    `answered with ${what} of an unexpected shape`,
    false,
  );
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
