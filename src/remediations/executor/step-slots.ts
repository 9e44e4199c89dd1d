/**
 * The executor's work runs here, at most `--parallel-steps` tasks at once across plans: steps,
 * reconciles, verdicts, resolution notices. A task's failure is logged, never thrown at whoever
 * started it; `idle()` waits for every task started so far, running or waiting for a slot. Once
 * closed (shutdown), tasks that have not started never will: their plans stay journaled where
 * they stopped, for the next start to resume.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { describeError } from '../../errors';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';

export interface StepSlotsDeps {
  /** Tasks run at once (`--parallel-steps`). */
  parallelSteps: number;
  /** Tasks that may wait for a slot before the sources that can wait do; MAX_WAITING by default. */
  maxWaiting?: number;
  metrics: Metrics;
  logger: Logger;
}

/**
 * How many tasks may wait for a slot before the sources that can wait do (new plans stay
 * journaled, restart recovery reads its next page later): enough to keep every slot busy, few
 * enough that what waits takes little memory however many plans the journal holds.
 */
export const MAX_WAITING = 1_000;

export class StepSlots {
  private readonly limit: LimitFunction;
  /** Every task started and not yet finished, running or waiting for a slot. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Called when a task ends: those waiting for room to queue more. */
  private roomWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly deps: StepSlotsDeps) {
    this.limit = pLimit(deps.parallelSteps);
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.limit.pendingCount;
  }

  /** Whether fewer than `maxWaiting` tasks wait: a source that can wait may add more. */
  get hasRoom(): boolean {
    return !this.closed && this.waiting < (this.deps.maxWaiting ?? MAX_WAITING);
  }

  /** Runs `task` once a slot is free, unless the slots are closed by then. */
  spawn(task: () => Promise<void>): void {
    if (this.closed) return;
    const promise = this.limit(() => (this.closed ? Promise.resolve() : task())).catch(
      (err: unknown) => {
        this.deps.logger.error('remediation task failed', { error: describeError(err) });
      },
    );
    this.inFlight.add(promise);
    this.deps.metrics.stepsInFlight.set(this.inFlight.size);
    void promise.finally(() => {
      this.inFlight.delete(promise);
      this.deps.metrics.stepsInFlight.set(this.inFlight.size);
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const wake of waiters) wake();
    });
  }

  /** Resolves once `hasRoom` (or the slots are closed: there is nothing to wait for then). */
  async room(): Promise<void> {
    while (!this.hasRoom && !this.closed) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  /** Starts no task from now on; the tasks running go on to their end. */
  close(): void {
    this.closed = true;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once every task started so far, and every task they started, has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
