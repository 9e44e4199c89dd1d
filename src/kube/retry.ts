import { KubeError } from './errors';

export interface RetryPolicy {
  /** First backoff; doubles each attempt. */
  readonly baseMs: number;
  /** No single wait is longer than this. */
  readonly capMs: number;
  /** No retry starts after this much time since the first attempt. */
  readonly deadlineMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 200, capMs: 5_000, deadlineMs: 30_000 };

export interface RetryDeps {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** [0, 1); injected so tests are deterministic. */
  random: () => number;
}

export const realRetryDeps: RetryDeps = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Runs `attempt` until it succeeds, fails for good, or the deadline would pass. Only retryable
 * KubeErrors (rate limited, unavailable, timeout) are retried, with capped exponential backoff and
 * full jitter; a server's Retry-After is honoured as the minimum wait. `onRetry` sees every
 * failure that will be retried, so it can be recorded. Once `stop` is aborted (shutdown), no
 * retry starts: the last failure is thrown.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps,
  onRetry?: (err: KubeError, waitMs: number, attemptNumber: number) => void,
  stop?: AbortSignal,
): Promise<T> {
  const started = deps.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof KubeError) || !err.retryable || stopped(stop)) throw err;
      const backoff = deps.random() * Math.min(policy.capMs, policy.baseMs * 2 ** (n - 1));
      const wait = Math.max(backoff, err.details.retryAfterMs ?? 0);
      if (deps.now() - started + wait > policy.deadlineMs) throw err;
      onRetry?.(err, wait, n);
      await sleepUnlessStopped(deps, wait, stop);
      if (stopped(stop)) throw err;
    }
  }
}

/** A function, so that the compiler does not take a value read before an await for the one after. */
function stopped(stop: AbortSignal | undefined): boolean {
  return stop?.aborted === true;
}

function sleepUnlessStopped(deps: RetryDeps, ms: number, stop?: AbortSignal): Promise<void> {
  if (stop === undefined) return deps.sleep(ms);
  return new Promise((resolve) => {
    const done = (): void => {
      stop.removeEventListener('abort', done);
      resolve();
    };
    stop.addEventListener('abort', done);
    void deps.sleep(ms).then(done);
  });
}
