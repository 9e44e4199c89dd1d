import { describeError, RemediatorError } from '../errors';

/**
 * Why a Kubernetes call failed, mapped once from whatever the client threw. The reasons are a
 * closed set (a metric label); `retryable` says whether the same request may succeed later.
 */
export const KUBE_ERROR_REASONS = [
  'not_found',
  'conflict',
  'forbidden',
  'unauthorized',
  'invalid',
  'rate_limited',
  'unavailable',
  'timeout',
  'api_error',
] as const;
export type KubeErrorReason = (typeof KUBE_ERROR_REASONS)[number];

export class KubeError extends RemediatorError {
  constructor(
    readonly reason: KubeErrorReason,
    message: string,
    readonly details: {
      /** HTTP status, 0 when no answer came. */
      readonly status: number;
      /** The Status object's own reason (`AlreadyExists`, `Conflict`, `NotFound`, ...), if any. */
      readonly apiReason?: string;
      /** From `Retry-After` or `details.retryAfterSeconds`. */
      readonly retryAfterMs?: number;
    },
  ) {
    super(`kube_${reason}`, message);
  }

  get retryable(): boolean {
    return (
      this.reason === 'rate_limited' || this.reason === 'unavailable' || this.reason === 'timeout'
    );
  }

  get status(): number {
    return this.details.status;
  }

  /** A 409 on create: the object is already there (a Lease race, or our own retried POST). */
  get alreadyExists(): boolean {
    return this.details.apiReason === 'AlreadyExists';
  }
}

/** What the HTTP layer gave back for a failed call. */
export interface FailedResponse {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

/**
 * Maps an API server answer to a KubeError. Handles both shapes of 429 (the plain-text one from
 * priority and fairness, and a Status with `details.retryAfterSeconds`) and Status bodies in
 * general; never puts request headers (credentials) in the message.
 */
export function kubeErrorFromResponse(response: FailedResponse, what: string): KubeError {
  let status: { message?: string; reason?: string; details?: { retryAfterSeconds?: number } } = {};
  try {
    const parsed: unknown = JSON.parse(response.body ?? '');
    if (parsed !== null && typeof parsed === 'object') status = parsed;
  } catch {
    // Not JSON: the plain-text 429, a proxy's HTML page, or nothing at all.
  }
  const retryAfterHeader = Number(response.headers?.['retry-after']);
  const retryAfterSeconds =
    Number.isFinite(retryAfterHeader) && retryAfterHeader >= 0
      ? retryAfterHeader
      : status.details?.retryAfterSeconds;
  const message =
    typeof status.message === 'string' && status.message !== ''
      ? status.message
      : (response.body ?? '').trim().slice(0, 200) || `HTTP ${response.status}`;
  const details = {
    status: response.status,
    ...(typeof status.reason === 'string' ? { apiReason: status.reason } : {}),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterMs: retryAfterSeconds * 1000 }),
  };
  return new KubeError(reasonForStatus(response.status), `${what}: ${message}`, details);
}

export function reasonForStatus(status: number): KubeErrorReason {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 400:
    case 415:
    case 422:
      return 'invalid';
    case 429:
      return 'rate_limited';
    case 408:
    case 504:
      return 'timeout';
    case 500:
    case 502:
    case 503:
      return 'unavailable';
    default:
      return 'api_error';
  }
}

/** A request that got no answer: refused, reset, or timed out on our side. */
export function kubeErrorFromNetwork(err: unknown, what: string): KubeError {
  const code =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
      ? err.code
      : '';
  const name = typeof err === 'object' && err !== null && 'name' in err ? err.name : undefined;
  const message = describeError(err);
  // The adapter's own per-request AbortSignal is the only abort there is: node-fetch reports it
  // as an AbortError without a code.
  const timedOut =
    name === 'AbortError' ||
    code === 'ETIMEDOUT' ||
    code === 'ABORT_ERR' ||
    /timeout/i.test(message);
  return new KubeError(
    timedOut ? 'timeout' : 'unavailable',
    `${what}: ${code === '' ? message : code}`,
    { status: 0 },
  );
}
