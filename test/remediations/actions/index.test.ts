import { indexActions } from '../../../src/policies/action-spec';
import { ACTIONS } from '../../../src/remediations/actions/index';

describe('the action catalogue', () => {
  it('names every action once, in the order the docs list them', () => {
    expect(ACTIONS.map((a) => a.name)).toEqual([
      'rollback',
      'restart',
      'scale',
      'restore-model',
      'isolate',
      'run-job',
      'notify',
    ]);
    expect(indexActions(ACTIONS).size).toBe(ACTIONS.length);
  });

  it('refuses two actions with one name', () => {
    expect(() => indexActions([...ACTIONS, ACTIONS[0]!])).toThrow(
      'two actions are named "rollback"',
    );
  });

  it.each(ACTIONS.map((action) => [action.name, action] as const))(
    '%s declares its spec and can plan, apply and reconcile',
    (_name, action) => {
      expect(action.description.length).toBeGreaterThan(20);
      expect(action.params).toMatchObject({ type: 'object', additionalProperties: false });
      expect(action.example).toMatchObject({ action: action.name });
      expect(typeof action.plan).toBe('function');
      expect(typeof action.apply).toBe('function');
      expect(typeof action.reconcile).toBe('function');
    },
  );

  it('gives only run-job an outcome to wait for', () => {
    expect(ACTIONS.filter((a) => a.awaitOutcome !== undefined).map((a) => a.name)).toEqual([
      'run-job',
    ]);
  });
});
