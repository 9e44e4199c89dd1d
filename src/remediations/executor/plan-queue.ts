/**
 * When new plans start. A plan journaled as `planned` starts at once while the step slots have
 * room (fewer than MAX_WAITING tasks waiting); past that it stays journaled, and the plans left
 * there are read back, oldest first and a page at a time, as tasks end. After a restart every
 * `planned` plan in the journal is read back the same way. Thousands of plans (a storm of
 * notifications, each bounded by `safety.maxPlansPerNotification`, or a journal a crash left
 * full) then hold a bounded number of tasks in memory, and none is lost or started twice.
 */
import type { PlanRecords } from '../../journal/plan-records';
import type { StepSlots } from './step-slots';

/** Plans read from the journal at a time. */
const PAGE = 200;

export interface PlanQueueDeps {
  plans: PlanRecords;
  slots: StepSlots;
  /** Runs a plan's first step. */
  run: (planId: number) => Promise<void>;
  /** True while the plan waits, outside the slots, for a target lock (it is not to start again). */
  waitingForLock: (planId: number) => boolean;
}

export class PlanQueue {
  /** Some `planned` plan may be in the journal only: it must be read back. */
  private backlog = false;
  /** The last plan read back in this pass over the journal. */
  private cursor = 0;
  private reading = false;
  /** Plans whose first step this queue started and that has not ended. */
  private readonly started = new Set<number>();

  constructor(private readonly deps: PlanQueueDeps) {}

  /** A plan just journaled: it starts now if there is room, else it is read back later. */
  offer(planId: number): void {
    if (!this.backlog && this.deps.slots.hasRoom) this.start(planId);
    else this.readBack();
  }

  /** After a restart: every plan journaled as `planned` is read back, as room allows. */
  resume(): void {
    this.readBack();
  }

  private start(planId: number): void {
    this.started.add(planId);
    this.deps.slots.spawn(async () => {
      try {
        await this.deps.run(planId);
      } finally {
        this.started.delete(planId);
        if (this.backlog) this.readBack();
      }
    });
  }

  /** A method, not a getter: it changes as tasks start, and must be asked each time. */
  private hasRoom(): boolean {
    return this.deps.slots.hasRoom;
  }

  /** Starts plans from the journal while there is room; notes the backlog when there is not. */
  private readBack(): void {
    this.backlog = true;
    if (this.reading) return;
    this.reading = true;
    try {
      while (this.hasRoom()) {
        const page = this.deps.plans.withStatus('planned', this.cursor, PAGE);
        for (const plan of page) {
          if (!this.hasRoom()) return;
          this.cursor = plan.id;
          if (!this.started.has(plan.id) && !this.deps.waitingForLock(plan.id)) this.start(plan.id);
        }
        if (page.length < PAGE) {
          // Caught up: every plan journaled so far has started. The next pass starts over.
          this.backlog = false;
          this.cursor = 0;
          return;
        }
      }
    } finally {
      this.reading = false;
    }
  }
}
