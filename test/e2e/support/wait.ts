/** Thrown by a probe to stop waiting at once (a process died): rethrown as is. */
export class GiveUp extends Error {}

/**
 * Polls `probe` until it returns something other than `undefined`, `false` or `null`, and returns
 * that. Bounded: after `timeoutMs` it throws, naming `what`, with the last value seen, the last
 * error the probe threw, and `context()` (the harness passes a dump of the whole stack).
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs: number,
  options: { intervalMs?: number; context?: () => string | Promise<string> } = {},
): Promise<T> {
  const interval = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
  let context = '';
  if (options.context !== undefined) {
    try {
      context = `\n${await options.context()}`;
    } catch (error) {
      context = `\n(could not describe the stack: ${String(error)})`;
    }
  }
  const cause =
    lastError === undefined
      ? ''
      : `; the last probe threw: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${context}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
