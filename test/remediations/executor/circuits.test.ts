import { join } from 'node:path';
import { Registry } from 'prom-client';

import { ManualClock } from '../../../src/clock';
import { Journal } from '../../../src/journal/journal';
import { RemediationRecords } from '../../../src/journal/remediation-records';
import { createMemoryLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import { defaultPolicySet } from '../../../src/policies/loader';
import type { PolicySet } from '../../../src/policies/policy';
import { ACTIONS } from '../../../src/remediations/actions/index';
import { CircuitStore } from '../../../src/remediations/executor/circuits';
import { tempDir } from '../../support/server';

const OPEN_FOR = 60_000;

describe('CircuitStore', () => {
  let dir: ReturnType<typeof tempDir>;
  let journal: Journal;
  let clock: ManualClock;
  let registry: Registry;
  let lines: Record<string, unknown>[];
  const base = defaultPolicySet(ACTIONS);
  const policies: PolicySet = {
    ...base,
    safety: { ...base.safety, circuitBreaker: { failures: 2, openForMs: OPEN_FOR } },
  };

  /** A store over the journal as it is now: what a restart would build. */
  const open = (): CircuitStore => {
    registry = new Registry();
    const memory = createMemoryLogger();
    lines = memory.lines;
    return new CircuitStore({
      journal,
      remediations: new RemediationRecords(journal.db),
      policies: () => policies,
      metrics: createMetrics(registry, { processMetrics: false }),
      logger: memory.logger,
      clock,
    });
  };
  const openGauge = async (policy: string) =>
    (await registry.getSingleMetric('remediator_circuit_open')?.get())?.values.find(
      (v) => v.labels.policy === policy,
    )?.value;

  beforeEach(() => {
    dir = tempDir();
    journal = Journal.open({ dataDir: join(dir.path, 'data'), sync: 'normal' });
    clock = new ManualClock('2024-05-01T10:00:00.000Z');
  });

  afterEach(() => {
    journal.close();
    dir.remove();
  });

  it('opens after the configured failures in a row, says so, and stays open across a restart', async () => {
    const circuits = open();
    const now = clock.now().getTime();
    await circuits.recordRun('web-errors', 'failure');
    expect(await circuits.gate('web-errors', now, false)).toBeUndefined();
    await circuits.recordRun('web-errors', 'failure');
    expect(await circuits.gate('web-errors', now, false)).toEqual({
      code: 'circuit_open',
      reason: 'policy web-errors failed 2 times in a row; its circuit breaker is open',
    });
    expect(await openGauge('web-errors')).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'circuit breaker opened', policy: 'web-errors' }),
    );
    // Other policies are not affected.
    expect(await circuits.gate('other', now, false)).toBeUndefined();

    const restarted = open();
    expect(await openGauge('web-errors')).toBe(1);
    expect((await restarted.gate('web-errors', now, false))?.code).toBe('circuit_open');
  });

  it('lets one half-open trial through once open-for has passed, journaled when claimed', async () => {
    const circuits = open();
    await circuits.recordRun('web-errors', 'failure');
    await circuits.recordRun('web-errors', 'failure');
    const later = clock.now().getTime() + OPEN_FOR;
    // Asking does not take the trial; claiming does, and a restart still knows it was taken.
    expect(await circuits.gate('web-errors', later, false)).toBeUndefined();
    expect(await circuits.gate('web-errors', later, true)).toBeUndefined();
    expect((await circuits.gate('web-errors', later, true))?.code).toBe('circuit_open');
    expect((await open().gate('web-errors', later, false))?.code).toBe('circuit_open');
  });

  it('closes on a success, across a restart too', async () => {
    const circuits = open();
    await circuits.recordRun('web-errors', 'failure');
    await circuits.recordRun('web-errors', 'failure');
    await circuits.recordRun('web-errors', 'success');
    const now = clock.now().getTime();
    expect(await circuits.gate('web-errors', now, false)).toBeUndefined();
    expect(await openGauge('web-errors')).toBe(0);
    // One failure after the success does not open it again: the count restarted.
    const restarted = open();
    await restarted.recordRun('web-errors', 'failure');
    expect(await restarted.gate('web-errors', now, false)).toBeUndefined();
  });
});
