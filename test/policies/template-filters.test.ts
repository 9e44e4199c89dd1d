import { TEMPLATE_ROOTS } from '../../src/policies/policy';
import { compileTemplate } from '../../src/policies/template';
import { filterArgProblem, TEMPLATE_FILTERS } from '../../src/policies/template-filters';

describe('TEMPLATE_FILTERS', () => {
  it('has one entry per name', () => {
    const names = TEMPLATE_FILTERS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(TEMPLATE_FILTERS.map((f) => [f.name, f] as const))(
    '%s is documented: its usage shows its name and arguments, a one-line doc, a compiling example that uses it',
    (name, filter) => {
      const [written, ...args] = filter.usage.split(' ');
      expect(written).toBe(name);
      expect(args).toHaveLength(filter.params.length);
      expect(filter.doc).toMatch(/^[A-Z].*\.$/);
      expect(filter.doc).not.toContain('\n');
      expect(filter.example).toMatch(new RegExp(`\\| ${name}\\b`));
      expect(() => compileTemplate(filter.example, { allowedRoots: TEMPLATE_ROOTS })).not.toThrow();
    },
  );
});

describe('filterArgProblem', () => {
  it.each<[Parameters<typeof filterArgProblem>[0], string | number, string | undefined]>([
    ['string', 'a', undefined],
    ['string', 1, 'expects a "string", got 1'],
    ['text', 1, undefined],
    ['text', 'a', undefined],
    ['count', 0, undefined],
    ['count', 1.5, 'expects a whole number of characters, got 1.5'],
    ['count', -1, 'expects a whole number of characters, got -1'],
    ['count', '3', 'expects a whole number of characters, got "3"'],
  ])('a %s argument given %j: %j', (kind, arg, problem) => {
    expect(filterArgProblem(kind, arg)).toBe(problem);
  });
});
