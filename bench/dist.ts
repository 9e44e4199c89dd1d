/**
 * The built modules under dist/, loaded at run time and typed by their sources: the benchmark
 * measures what `npm run build` produced, the same code `remediator serve` runs.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Incident from '../src/incidents/incident';
import type * as JournalModule from '../src/journal/journal';
import type * as Loader from '../src/policies/loader';
import type * as Planner from '../src/policies/planner';
import type * as Actions from '../src/remediations/actions/index';
import type * as NotificationLogModule from '../src/journal/notification-log';
import type * as Replay from '../src/cli/replay';
import { ROOT } from './processes';

const load = createRequire(__filename);

function fromDist(path: string): unknown {
  return load(join(ROOT, 'dist', path));
}

export const dist = {
  loader: () => fromDist('policies/loader.js') as typeof Loader,
  planner: () => fromDist('policies/planner.js') as typeof Planner,
  incident: () => fromDist('incidents/incident.js') as typeof Incident,
  journal: () => fromDist('journal/journal.js') as typeof JournalModule,
  actions: () => fromDist('remediations/actions/index.js') as typeof Actions,
  notificationLog: () => fromDist('journal/notification-log.js') as typeof NotificationLogModule,
  replay: () => fromDist('cli/replay.js') as typeof Replay,
};
