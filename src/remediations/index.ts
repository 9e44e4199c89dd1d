import type { ActionSpec } from './action';
import { isolateSpec } from './isolate';
import { notifySpec } from './notify';
import { restartSpec } from './restart';
import { restoreModelSpec } from './restore-model';
import { rollbackSpec } from './rollback';
import { runJobSpec } from './run-job';
import { scaleSpec } from './scale';

/** Every action, in the order the docs list them. Nothing registers itself on import. */
export const ACTION_SPECS = [
  rollbackSpec,
  restartSpec,
  scaleSpec,
  restoreModelSpec,
  isolateSpec,
  runJobSpec,
  notifySpec,
] as const satisfies readonly ActionSpec[];

export type ActionName = (typeof ACTION_SPECS)[number]['name'];
export const ACTION_NAMES = ACTION_SPECS.map((a) => a.name) as readonly ActionName[];

/** Fails at start-up, not at the first alert, if two actions claim one name. */
export function indexActions<T extends { name: string }>(
  actions: readonly T[],
): ReadonlyMap<string, T> {
  const byName = new Map<string, T>();
  for (const action of actions) {
    if (byName.has(action.name))
      throw new Error(`two actions are named ${JSON.stringify(action.name)}`);
    byName.set(action.name, action);
  }
  return byName;
}

export const ACTION_SPECS_BY_NAME: ReadonlyMap<string, ActionSpec> =
  indexActions<ActionSpec>(ACTION_SPECS);
