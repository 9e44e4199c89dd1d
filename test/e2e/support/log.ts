/**
 * What the end-to-end tests say as they go: each hop of a scenario (`step('Prometheus fires
 * HighLatency')`) is written at once to stderr with the time since the suite started, so that a
 * failing run reads as a story, and kept for the failure messages.
 */

const started = Date.now();
const lines: string[] = [];

/** Seconds since the test file was loaded, as `+12.3s`. */
export function elapsed(since = started): string {
  return `+${((Date.now() - since) / 1000).toFixed(1)}s`;
}

/** Logs one step of a scenario, with a timestamp; returns the line. */
export function step(message: string): string {
  const line = `[e2e ${new Date().toISOString().slice(11, 23)} ${elapsed()}] ${message}`;
  lines.push(line);
  if (process.env.E2E_QUIET !== '1') process.stderr.write(`${line}\n`);
  return line;
}

/** The last `count` step lines, oldest first. */
export function recentSteps(count = 30): string[] {
  return lines.slice(-count);
}

/**
 * Times a phase: logs its start, and its end with how long it took; returns what `run` returned.
 * The durations are collected in {@link phaseTimings} for the suite's summary.
 */
export async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  step(`${name}...`);
  try {
    const result = await run();
    const ms = Date.now() - t0;
    timings.push({ name, ms });
    step(`${name}: done in ${(ms / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    step(`${name}: FAILED after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    throw error;
  }
}

const timings: { name: string; ms: number }[] = [];

/** Every phase timed so far, in order. */
export function phaseTimings(): readonly { name: string; ms: number }[] {
  return timings;
}
