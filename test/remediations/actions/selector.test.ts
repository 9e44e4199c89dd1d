import { selectorString } from '../../../src/remediations/actions/selector';

describe('selectorString', () => {
  it.each([
    [{ matchLabels: { app: 'web' } }, 'app=web'],
    [{ matchLabels: { tier: 'api', app: 'web' } }, 'app=web,tier=api'],
    [
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'canary'] }] },
      'env in (canary,prod)',
    ],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, 'env notin (dev)'],
    [{ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, 'gpu'],
    [{ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, '!canary'],
    [
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'zone', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      'app=web,!canary,zone',
    ],
    [{}, ''],
    [undefined, ''],
  ])('builds %j as kubectl does: %j', (selector, expected) => {
    expect(selectorString(selector)).toBe(expected);
  });

  it('refuses an operator Kubernetes does not define, naming it', () => {
    expect(() =>
      selectorString({ matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] }),
    ).toThrow(
      'label selector operator "Equals" on key "app" is not one of In, NotIn, Exists, DoesNotExist',
    );
  });
});
