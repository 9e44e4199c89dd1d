import {
  formatRequirements,
  matchesLabels,
  parseLabelSelector,
  requirementsFromLabelSelector,
  SelectorParseError,
} from '../support/fake-kube/label-selector';

describe('label selectors', () => {
  it.each([
    ['app=web', { app: 'web' }, true],
    ['app=web', { app: 'api' }, false],
    ['app==web', { app: 'web' }, true],
    ['app!=web', { app: 'api' }, true],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['tier in (a,b)', { tier: 'b' }, true],
    ['tier in (a, b)', { tier: 'c' }, false],
    ['tier notin (a)', { tier: 'b' }, true],
    ['tier notin (a)', {}, true],
    ['tier notin (a)', { tier: 'a' }, false],
    ['canary', { canary: '' }, true],
    ['canary', {}, false],
    ['!canary', {}, true],
    ['!canary', { canary: 'x' }, false],
    ['app=web,tier in (a,b),!canary', { app: 'web', tier: 'a' }, true],
    ['app=web,tier in (a,b),!canary', { app: 'web', tier: 'a', canary: '1' }, false],
    ['rev>3', { rev: '4' }, true],
    ['rev<3', { rev: '4' }, false],
    ['', { anything: 'x' }, true],
    ['app=', { app: '' }, true],
  ])('%s matching %j is %s', (selector, labels, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it.each([
    'app in a',
    'app in (a',
    '=web',
    'app=web,,x',
    'a b=c',
    'Bad Key=x',
    'app=x y',
    'rev>x',
  ])('refuses %j', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorParseError);
  });

  it('builds the kubectl string from matchLabels and matchExpressions, sorted by key', () => {
    const requirements = requirementsFromLabelSelector({
      matchLabels: { tier: 'a', app: 'web' },
      matchExpressions: [
        { key: 'zone', operator: 'In', values: ['b', 'a'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'owner', operator: 'Exists' },
      ],
    });
    expect(formatRequirements(requirements ?? [])).toBe(
      'app=web,!canary,env notin (dev),owner,tier=a,zone in (a,b)',
    );
  });

  it('parses the string it formats back to the same requirements', () => {
    const text = 'app=web,!canary,env notin (dev),owner,zone in (a,b)';
    expect(formatRequirements(parseLabelSelector(text))).toBe(text);
  });

  it('treats an absent LabelSelector as no selector at all', () => {
    expect(requirementsFromLabelSelector(undefined)).toBeUndefined();
  });
});
