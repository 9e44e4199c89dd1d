/**
 * The global pause (POST /api/v1/pause): plans are still made and journaled, no step runs. It is
 * a journaled setting, so a restart stays paused.
 */
import type { Journal } from '../../journal/journal';
import type { RemediationRecords } from '../../journal/remediation-records';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';

const PAUSED_SETTING = 'paused';

export interface PauseDeps {
  journal: Journal;
  remediations: RemediationRecords;
  metrics: Metrics;
  logger: Logger;
  /** Told after each journaled change of the pause (the console's live events). */
  onPauseChange?: (paused: boolean) => void;
}

export class PauseSwitch {
  private paused: boolean;

  constructor(private readonly deps: PauseDeps) {
    this.paused = deps.remediations.getSetting(PAUSED_SETTING) === 'true';
    deps.metrics.paused.set(this.paused ? 1 : 0);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Journals the pause, or its end, at `now`; `by` is who asked, for the log. */
  async set(paused: boolean, by: string, now: number): Promise<void> {
    await this.deps.journal.write(() => {
      this.deps.remediations.setSetting(PAUSED_SETTING, String(paused), now);
    });
    this.paused = paused;
    this.deps.metrics.paused.set(paused ? 1 : 0);
    this.deps.logger.warn(paused ? 'remediation paused' : 'remediation resumed', { by });
    this.deps.onPauseChange?.(paused);
  }
}
