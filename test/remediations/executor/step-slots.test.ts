import { Registry } from 'prom-client';

import { createMemoryLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import { StepSlots } from '../../../src/remediations/executor/step-slots';

/** A task that runs until the test lets it finish, recording when it started. */
function gatedTask(name: string, started: string[]): { task: () => Promise<void>; finish(): void } {
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    task: async () => {
      started.push(name);
      await done;
    },
    finish: () => finish(),
  };
}

/** Lets every promise callback and timer of this turn run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('StepSlots', () => {
  const setup = (parallelSteps: number) => {
    const metrics = createMetrics(new Registry(), { processMetrics: false });
    const { logger, lines } = createMemoryLogger();
    const slots = new StepSlots({ parallelSteps, metrics, logger });
    const inFlight = async () => (await metrics.stepsInFlight.get()).values[0]?.value;
    return { slots, lines, inFlight };
  };

  it('runs at most --parallel-steps tasks at once, the others in the order they came', async () => {
    const { slots } = setup(2);
    const started: string[] = [];
    const tasks = ['a', 'b', 'c', 'd', 'e'].map((name) => gatedTask(name, started));
    for (const { task } of tasks) slots.spawn(task);
    await settle();
    expect(started).toEqual(['a', 'b']);
    tasks[1]?.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    tasks[0]?.finish();
    tasks[2]?.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const { finish } of tasks) finish();
    await slots.idle();
  });

  it('never runs more than --parallel-steps at once, even with tasks coming in as others end', async () => {
    const { slots } = setup(2);
    let running = 0;
    let most = 0;
    const task = (ticks: number) => async () => {
      running++;
      most = Math.max(most, running);
      for (let t = 0; t < ticks; t++) await Promise.resolve();
      running--;
    };
    for (let i = 0; i < 50; i++) {
      slots.spawn(task(i % 5));
      // Other parts of the executor start tasks from their own continuations (a verdict, a lock
      // retry, a resolution notice), some as a slot frees.
      void (async () => {
        for (let t = 0; t < i % 4; t++) await Promise.resolve();
        slots.spawn(task((i * 7) % 5));
      })();
    }
    await settle();
    await slots.idle();
    expect(most).toBe(2);
  });

  it('counts running and waiting tasks as steps in flight, down to none', async () => {
    const { slots, inFlight } = setup(1);
    const started: string[] = [];
    const tasks = ['a', 'b', 'c'].map((name) => gatedTask(name, started));
    for (const { task } of tasks) slots.spawn(task);
    expect(await inFlight()).toBe(3);
    tasks[0]?.finish();
    await settle();
    expect(await inFlight()).toBe(2);
    for (const { finish } of tasks) finish();
    await slots.idle();
    expect(await inFlight()).toBe(0);
  });

  it('logs a failed task, throws nothing at its caller, and frees its slot', async () => {
    const { slots, lines } = setup(1);
    const ran: string[] = [];
    expect(() => {
      slots.spawn(() => Promise.reject(new Error('the API server is down')));
      slots.spawn(() => {
        throw new Error('thrown before any await');
      });
      slots.spawn(async () => {
        ran.push('after');
        await Promise.resolve();
      });
    }).not.toThrow();
    await slots.idle();
    expect(ran).toEqual(['after']);
    expect(
      lines.filter((l) => l.message === 'remediation task failed').map((l) => l.error),
    ).toEqual([
      expect.stringContaining('the API server is down'),
      expect.stringContaining('thrown before any await'),
    ]);
  });

  it('is idle only once the tasks that tasks started have finished too', async () => {
    const { slots } = setup(1);
    const ran: string[] = [];
    slots.spawn(async () => {
      await settle();
      ran.push('first');
      // A step that moves its plan on starts the next step this way, and waits for no slot.
      slots.spawn(async () => {
        await settle();
        ran.push('second');
      });
    });
    await slots.idle();
    expect(ran).toEqual(['first', 'second']);
  });
});

describe('StepSlots room and shutdown', () => {
  const setup = (parallelSteps: number, maxWaiting: number) => {
    const metrics = createMetrics(new Registry(), { processMetrics: false });
    const { logger } = createMemoryLogger();
    return new StepSlots({ parallelSteps, maxWaiting, metrics, logger });
  };

  it('has room while fewer than maxWaiting tasks wait, and says so again as tasks end', async () => {
    const slots = setup(1, 2);
    const started: string[] = [];
    const tasks = ['a', 'b', 'c'].map((name) => gatedTask(name, started));
    for (const { task } of tasks) slots.spawn(task);
    await settle();
    expect([slots.waiting, slots.hasRoom]).toEqual([2, false]);
    let roomy = false;
    const room = slots.room().then(() => (roomy = true));
    await settle();
    expect(roomy).toBe(false);
    tasks[0]?.finish();
    await room;
    expect([slots.waiting, slots.hasRoom]).toEqual([1, true]);
    for (const { finish } of tasks) finish();
    await slots.idle();
  });

  it('once closed, starts no task that was waiting or comes later, and lets running ones end', async () => {
    const slots = setup(1, 10);
    const started: string[] = [];
    const tasks = ['a', 'b', 'c'].map((name) => gatedTask(name, started));
    for (const { task } of tasks) slots.spawn(task);
    await settle();
    const room = slots.room();
    slots.close();
    await room;
    slots.spawn(gatedTask('late', started).task);
    expect(slots.hasRoom).toBe(false);
    tasks[0]?.finish();
    await slots.idle();
    expect(started).toEqual(['a']);
  });
});
