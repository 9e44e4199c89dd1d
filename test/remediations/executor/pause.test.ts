import { join } from 'node:path';
import { Registry } from 'prom-client';

import { Journal } from '../../../src/journal/journal';
import { RemediationRecords } from '../../../src/journal/remediation-records';
import { createMemoryLogger } from '../../../src/logger';
import { createMetrics } from '../../../src/metrics';
import { PauseSwitch } from '../../../src/remediations/executor/pause';
import { tempDir } from '../../support/server';

describe('PauseSwitch', () => {
  let dir: ReturnType<typeof tempDir>;
  let journal: Journal;
  let registry: Registry;
  let lines: Record<string, unknown>[];

  /** A switch over the journal as it is now: what a restart would build. */
  const open = (): PauseSwitch => {
    registry = new Registry();
    const memory = createMemoryLogger();
    lines = memory.lines;
    return new PauseSwitch({
      journal,
      remediations: new RemediationRecords(journal.db),
      metrics: createMetrics(registry, { processMetrics: false }),
      logger: memory.logger,
    });
  };
  const pausedGauge = async () =>
    (await registry.getSingleMetric('remediator_paused')?.get())?.values[0]?.value;

  beforeEach(() => {
    dir = tempDir();
    journal = Journal.open({ dataDir: join(dir.path, 'data'), sync: 'normal' });
  });

  afterEach(() => {
    journal.close();
    dir.remove();
  });

  it('starts unpaused on a new journal', async () => {
    expect(open().isPaused).toBe(false);
    expect(await pausedGauge()).toBe(0);
  });

  it('stays paused across a restart, and resumed once resumed', async () => {
    await open().set(true, '10.0.0.7', Date.parse('2024-05-01T10:00:00Z'));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'remediation paused', by: '10.0.0.7' }),
    );
    const restarted = open();
    expect(restarted.isPaused).toBe(true);
    expect(await pausedGauge()).toBe(1);

    await restarted.set(false, '10.0.0.8', Date.parse('2024-05-01T10:05:00Z'));
    expect(restarted.isPaused).toBe(false);
    expect(await pausedGauge()).toBe(0);
    expect(open().isPaused).toBe(false);
  });
});
