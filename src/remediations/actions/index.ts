import type { Action } from '../action';
import { isolate } from './isolate';
import { notify } from './notify';
import { restart } from './restart';
import { restoreModel } from './restore-model';
import { rollback } from './rollback';
import { runJob } from './run-job';
import { scale } from './scale';

/**
 * The action catalogue: every action, in the order the docs list them. Listed by hand, nothing
 * registers itself on import. The policy language is handed this list (it knows actions only by
 * the `ActionSpec` each implements); the executor runs them.
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
