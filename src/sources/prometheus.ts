/**
 * Prometheus' HTTP API (`/api/v1/query`, `/api/v1/query_range`, `/api/v1/parse_query`), as its
 * documentation and its answers define it: `{ status: "success", data: { resultType, result } }`
 * or `{ status: "error", errorType, error }`. Every call has a deadline (http.ts); an answer that
 * is not that shape is an error, never a guess.
 */
import { parseJson, publicUrl, request, SourceError, type SourceConnection } from './http';

export { SourceError, type SourceConnection } from './http';

/** One series of an instant or range query: its labels and its samples (epoch ms, value). */
export interface Series {
  readonly metric: Readonly<Record<string, string>>;
  readonly samples: readonly (readonly [timeMs: number, value: number])[];
}

/** `GET /api/v1/query`: an instant vector (or scalar) at `timeMs`, as series of one sample. */
export async function instantQuery(
  connection: SourceConnection,
  query: string,
  timeMs: number,
  signal?: AbortSignal,
): Promise<Series[]> {
  const data = await call(
    connection,
    '/api/v1/query',
    { query, time: (timeMs / 1000).toFixed(3) },
    signal,
  );
  return seriesOf(data);
}

/**
 * `GET /api/v1/query_range` from `startMs` to `endMs`, one sample every `stepMs` at most.
 * Prometheus refuses more than 11,000 points per series: the caller picks a step that fits.
 */
export async function rangeQuery(
  connection: SourceConnection,
  query: string,
  range: { readonly startMs: number; readonly endMs: number; readonly stepMs: number },
  signal?: AbortSignal,
): Promise<Series[]> {
  const data = await call(
    connection,
    '/api/v1/query_range',
    {
      query,
      start: (range.startMs / 1000).toFixed(3),
      end: (range.endMs / 1000).toFixed(3),
      step: `${Math.max(1, Math.round(range.stepMs / 1000))}s`,
    },
    signal,
  );
  return seriesOf(data);
}

/** The step for a range so that no series exceeds Prometheus' 11,000 points, at least `minStepMs`. */
export function stepFor(startMs: number, endMs: number, minStepMs: number): number {
  return Math.max(minStepMs, Math.ceil((endMs - startMs) / 10_000 / 1000) * 1000);
}

/** A query Prometheus refused as malformed (`bad_data`): its own words. */
class QueryRefused extends SourceError {
  constructor(
    source: string,
    message: string,
    readonly badData: string,
  ) {
    super(source, message, false);
  }
}

/**
 * `GET /api/v1/parse_query` (Prometheus 2.45 and later): undefined when Prometheus parses the
 * query, else its error (`1:5: parse error: unexpected …`). A Prometheus without the endpoint
 * answers 404: a SourceError that is not retryable.
 */
export async function parseQuery(
  connection: SourceConnection,
  query: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  try {
    await call(connection, '/api/v1/parse_query', { query }, signal);
    return undefined;
  } catch (err) {
    if (err instanceof QueryRefused) return err.badData;
    throw err;
  }
}

async function call(
  connection: SourceConnection,
  path: string,
  params: Readonly<Record<string, string>>,
  signal?: AbortSignal,
): Promise<unknown> {
  const source = `Prometheus at ${publicUrl(connection)}`;
  const answer = await request(connection, 'Prometheus', { method: 'GET', path, params, signal });
  const body = parseJson(answer, source) as {
    status?: unknown;
    data?: unknown;
    error?: unknown;
    errorType?: unknown;
  };
  if (body.status === 'success' && answer.status < 300) return body.data;
  const error = typeof body.error === 'string' ? body.error.slice(0, 500) : undefined;
  const reason =
    error === undefined
      ? `status ${answer.status}`
      : `${typeof body.errorType === 'string' ? `${body.errorType}: ` : ''}${error}`;
  if (body.errorType === 'bad_data' && error !== undefined)
    throw new QueryRefused(source, reason, error);
  throw new SourceError(source, reason, answer.status >= 500);
}

function seriesOf(data: unknown): Series[] {
  const { resultType, result } = (data ?? {}) as { resultType?: unknown; result?: unknown };
  const sample = (pair: unknown): [number, number] => {
    if (!Array.isArray(pair) || pair.length !== 2) throw malformed();
    const [t, v] = pair as [unknown, unknown];
    if (typeof t !== 'number' || typeof v !== 'string') throw malformed();
    return [Math.round(t * 1000), Number(v)];
  };
  if (resultType === 'scalar') return [{ metric: {}, samples: [sample(result)] }];
  if (!Array.isArray(result)) throw malformed();
  return result.map((item: unknown) => {
    const { metric, value, values } = (item ?? {}) as {
      metric?: unknown;
      value?: unknown;
      values?: unknown;
    };
    if (typeof metric !== 'object' || metric === null) throw malformed();
    const samples =
      resultType === 'vector'
        ? [sample(value)]
        : resultType === 'matrix' && Array.isArray(values)
          ? values.map(sample)
          : undefined;
    if (samples === undefined) throw malformed();
    return { metric: metric as Record<string, string>, samples };
  });
}

function malformed(): SourceError {
  return new SourceError('Prometheus', 'answered with a result of an unexpected shape', false);
}
