import { ACTION_NAMES, ACTION_SPECS } from '../../src/remediations/index';
import { ACTIONS, ACTIONS_BY_NAME } from '../../src/remediations/registry';

describe('the action registry', () => {
  it('lists every spec as a runnable action, in the same order', () => {
    expect(ACTIONS.map((a) => a.name)).toEqual(ACTION_NAMES);
  });

  it.each(ACTION_SPECS.map((spec) => [spec.name, spec] as const))(
    'keeps the spec of %s unchanged on the action',
    (name, spec) => {
      const action = ACTIONS_BY_NAME.get(name);
      expect(action).toMatchObject({
        name: spec.name,
        description: spec.description,
        targetKinds: spec.targetKinds,
        params: spec.params,
        rbac: spec.rbac,
        example: spec.example,
      });
      expect(typeof action?.plan).toBe('function');
      expect(typeof action?.apply).toBe('function');
      expect(typeof action?.reconcile).toBe('function');
    },
  );

  it('gives only run-job an outcome to wait for', () => {
    expect(ACTIONS.filter((a) => a.awaitOutcome !== undefined).map((a) => a.name)).toEqual([
      'run-job',
    ]);
  });
});
