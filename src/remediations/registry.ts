import type { Action } from './action';
import { indexActions } from './index';
import { isolate } from './isolate';
import { notify } from './notify';
import { restart } from './restart';
import { restoreModel } from './restore-model';
import { rollback } from './rollback';
import { runJob } from './run-job';
import { scale } from './scale';

/**
 * Every runnable action, in the order of `ACTION_SPECS` (a test compares the names). Listed by
 * hand: nothing registers itself on import.
 */
export const ACTIONS: readonly Action[] = [
  rollback,
  restart,
  scale,
  restoreModel,
  isolate,
  runJob,
  notify,
];

/** By name; building it fails at start-up if two actions share a name. */
export const ACTIONS_BY_NAME: ReadonlyMap<string, Action> = indexActions(ACTIONS);
