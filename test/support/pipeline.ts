import type { Clock } from '../../src/clock';
import type { IncidentRecords } from '../../src/journal/incident-records';
import { IncidentStore } from '../../src/journal/incident-store';
import type { Journal } from '../../src/journal/journal';
import type { PlanRecords } from '../../src/journal/plan-records';
import type { Logger } from '../../src/logger';
import type { Metrics } from '../../src/metrics';
import { Ingest } from '../../src/pipeline/ingest';
import type { PolicySet } from '../../src/policies/policy';

/** The incident store and the ingest pipeline over a journal, wired as `remediator serve` wires them. */
export function incidentPipeline(deps: {
  journal: Journal;
  records: IncidentRecords;
  plans: PlanRecords;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  policies: () => PolicySet;
  cacheSize?: number;
  cacheBytes?: number;
}): { store: IncidentStore; ingest: Ingest } {
  const { journal, records, logger, metrics, cacheSize, cacheBytes } = deps;
  const store = new IncidentStore({
    journal,
    records,
    logger,
    metrics,
    ...(cacheSize === undefined ? {} : { cacheSize }),
    ...(cacheBytes === undefined ? {} : { cacheBytes }),
  });
  const ingest = new Ingest({ store, ...deps });
  return { store, ingest };
}
