import { TEMPLATE_ROOTS } from '../../../src/policies/policy';
import { compileTemplate } from '../../../src/policies/template';
import { TEMPLATE_FILTERS } from '../../../src/policies/template-filters';
import { code } from '../../../src/tools/docs/markdown';
import { sampleContext } from '../../../src/tools/docs/samples';
import { renderTemplates } from '../../../src/tools/docs/templates-section';
import { section } from './sections';

const text = renderTemplates().join('\n');
const escapePipes = (cell: string): string => cell.replace(/\|/g, '\\|');

describe('renderTemplates', () => {
  it.each(TEMPLATE_FILTERS.map((f) => [f.name, f] as const))(
    'documents the filter %s: usage, what it gives, its example and what the example renders to',
    (_name, filter) => {
      const result = compileTemplate(filter.example).render(sampleContext());
      if (!result.ok) throw new Error(result.reason);
      const row = [code(filter.usage), filter.doc, code(filter.example), code(result.value)];
      expect(section(text, 'Filters')).toContain(`| ${row.map(escapePipes).join(' | ')} |`);
    },
  );

  it('lists the filters in the order they are declared, and nothing else', () => {
    const rows = section(text, 'Filters')
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    expect(rows.map((r) => /^\| `([^`]+)`/.exec(r)?.[1])).toEqual(
      TEMPLATE_FILTERS.map((f) => f.usage),
    );
  });

  it.each(TEMPLATE_ROOTS.map((r) => [r]))('documents the root %s with a rendered path', (root) => {
    expect(section(text, 'What a template reads')).toMatch(
      new RegExp(`\\| \`${root}\` \\| .* \\| .*\`${root}[.\\[]?.*\` → `),
    );
  });

  it('reads a label that is not an identifier with brackets', () => {
    expect(text).toContain('`labels["app.kubernetes.io/name"]` → `checkout`');
  });

  it("shows the planner's own skip reason for a target whose label is missing", () => {
    const missing = section(text, 'A missing value skips the plan');
    expect(missing).toContain('`template_missing_value`');
    expect(missing).toContain(
      'Policy restart-on-errors skipped: cannot render target.name: label "deployment" is missing',
    );
  });
});
