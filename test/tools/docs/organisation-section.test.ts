import { formatProblem, loadPolicies } from '../../../src/policies/loader';
import { ACTIONS } from '../../../src/remediations/actions/index';
import { renderOrganisation, SMALLEST_EXAMPLE } from '../../../src/tools/docs/organisation-section';
import { POLICY_FILE_HINTS, POLICY_FILE_SCHEMA } from '../../../src/tools/docs/policy-schema';
import { schemaFields } from '../../../src/tools/docs/schema-walker';
import { section } from './sections';

const fields = schemaFields(POLICY_FILE_SCHEMA, POLICY_FILE_HINTS);
const text = renderOrganisation(fields, POLICY_FILE_HINTS).join('\n');

describe('renderOrganisation', () => {
  it('lists every top-level key of the schema, linked to its section', () => {
    const top = Object.keys(POLICY_FILE_SCHEMA.properties ?? {});
    expect(text).toContain(`up to ${top.length} top-level keys`);
    for (const key of top) expect(text).toContain(`| [\`${key}\`](#${key}) |`);
  });

  it('shows the smallest file, which loads without problems', () => {
    expect(text).toContain(`\`\`\`yaml\n${SMALLEST_EXAMPLE}\`\`\``);
    const result = loadPolicies(SMALLEST_EXAMPLE, 'example.yaml', ACTIONS);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });

  it("shows the loader's own problems, schema and semantic, for one file in one run", () => {
    const loading = section(text, 'Loading, reloading and editor support');
    expect(loading).toMatch(/```text\n(policies\.yaml:\d+:\d+: .*\n){3}```/);
    expect(loading).toMatch(
      /policies\.yaml:\d+:\d+: policies\[0\]\.minSeverity: must be a severity level/,
    );
    expect(loading).toContain('policies[0].cooldwn: unknown key "cooldwn"');
    expect(loading).toContain('policies[0].steps[0].params.sink: no sink named "oncall"');
  });
});
