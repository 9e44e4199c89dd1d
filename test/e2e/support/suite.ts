import { phase, phaseTimings, step } from './log';
import { exists } from './processes';
import { startStack, type Stack, type StackOptions } from './stack';

/**
 * One stack for the test file: started before its tests (then `prepare`, e.g. seeding), stopped
 * after them, failing the file if any process it started, or its process group, outlives it; the
 * phase timings close the file's log. Returns the running stack, for the tests to take.
 *
 * Jest's hooks are used here, not in ./index, because scripts/demo.ts loads the harness too.
 */
export function stackForFile(options: StackOptions, prepare?: (s: Stack) => void): () => Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await phase('starting the stack', () => startStack(options));
    prepare?.(stack);
  }, 60_000);
  afterAll(async () => {
    const s = stack;
    stack = undefined;
    if (s !== undefined) {
      await phase('stopping the stack', () => s.stop());
      expect(s.pids().filter((pid) => exists(pid) || exists(-pid))).toEqual([]);
    }
    step(
      `phases: ${phaseTimings()
        .map((p) => `${p.name} ${(p.ms / 1000).toFixed(1)} s`)
        .join('; ')}`,
    );
  }, 60_000);
  return () => {
    if (stack === undefined) throw new Error('the stack did not start (see beforeAll)');
    return stack;
  };
}
