import { Registry } from 'prom-client';

import { IncidentRecords } from '../../../src/journal/incident-records';
import { Journal } from '../../../src/journal/journal';
import { PlanRecords } from '../../../src/journal/plan-records';
import { createMemoryLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import type { PlanEntry } from '../../../src/policies/planner';
import { PlanQueue } from '../../../src/remediations/executor/plan-queue';
import { StepSlots } from '../../../src/remediations/executor/step-slots';
import { tempDir } from '../../support/server';
import { incident } from '../support';

/** Lets every promise callback and timer of this turn run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PlanQueue', () => {
  let dir: ReturnType<typeof tempDir>;
  let journal: Journal;
  let plans: PlanRecords;

  beforeEach(() => {
    dir = tempDir();
    journal = Journal.open({ dataDir: dir.path });
    plans = new PlanRecords(journal.db);
    new IncidentRecords(journal.db).saveIncident(incident());
  });
  afterEach(() => {
    journal.close();
    dir.remove();
  });

  /** Journals `n` plans as `planned`; resolves with their ids. */
  const journalPlans = (n: number): number[] => {
    const entry = (i: number): PlanEntry => ({
      policy: 'restart',
      trigger: 'firing',
      incidentId: 42,
      alerts: [{ fingerprint: i.toString(16).padStart(16, '0'), startsAt: '2024-05-01T09:55:00Z' }],
      alertnames: ['HighErrorRate'],
      target: { kind: 'Deployment', namespace: 'ns', name: `web-${i}` },
      steps: [{ action: 'restart', params: {}, verifyMs: 0 }],
      dryRun: false,
      autoResolve: true,
      cooldownMs: 0,
      budget: { max: 1, perMs: 0 },
      reason: 'test',
    });
    return journal.db.transaction(() =>
      plans.save(42, { entries: Array.from({ length: n }, (_, i) => entry(i)), skips: [] }, 0),
    )();
  };

  /**
   * A queue over slots of `parallel` and `maxWaiting`, whose plans each run for a tick and then
   * leave `planned`, as a first step does; `ran` lists them in the order they ran.
   */
  const setup = (parallel: number, maxWaiting: number, waitingForLock = (_id: number) => false) => {
    const slots = new StepSlots({
      parallelSteps: parallel,
      maxWaiting,
      metrics: createMetrics(new Registry(), { processMetrics: false }),
      logger: createMemoryLogger().logger,
    });
    const ran: number[] = [];
    let mostWaiting = 0;
    const queue = new PlanQueue({
      plans,
      slots,
      run: async (planId) => {
        ran.push(planId);
        mostWaiting = Math.max(mostWaiting, slots.waiting);
        await settle();
        plans.setStatus(planId, 'done', 0, 1);
      },
      waitingForLock,
    });
    return { queue, slots, ran, mostWaiting: () => mostWaiting };
  };

  it('starts plans while there is room and reads the others back from the journal, each once and in order', async () => {
    const ids = journalPlans(30);
    const { queue, slots, ran, mostWaiting } = setup(2, 3);
    for (const id of ids) {
      queue.offer(id);
      expect(slots.waiting).toBeLessThanOrEqual(3);
    }
    await slots.idle();
    expect(ran).toEqual(ids);
    expect(mostWaiting()).toBeLessThanOrEqual(3);
  });

  it('after a restart, runs every plan journaled as planned, reading them a page at a time', async () => {
    const ids = journalPlans(450);
    const reads = jest.spyOn(plans, 'withStatus');
    const { queue, slots, ran } = setup(4, 50);
    queue.resume();
    await slots.idle();
    expect(ran).toEqual(ids);
    expect(
      reads.mock.calls.every(([status, , limit]) => status === 'planned' && limit <= 200),
    ).toBe(true);
  });

  it('does not start a plan again that waits for a target lock', async () => {
    const ids = journalPlans(3);
    const { queue, slots, ran } = setup(1, 10, (id) => id === ids[1]);
    queue.resume();
    await slots.idle();
    expect(ran).toEqual([ids[0], ids[2]]);
  });

  it('starts nothing once the slots are closed, and leaves every plan journaled', async () => {
    const ids = journalPlans(5);
    const { queue, slots, ran } = setup(1, 10);
    slots.close();
    for (const id of ids) queue.offer(id);
    queue.resume();
    await slots.idle();
    expect(ran).toEqual([]);
    expect(plans.withStatus('planned', 0, 10).map((p) => p.id)).toEqual(ids);
  });
});
