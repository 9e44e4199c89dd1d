import { renderFields } from '../../../src/tools/docs/fields-section';
import { anchorOf } from '../../../src/tools/docs/markdown';
import { POLICY_FILE_HINTS, POLICY_FILE_SCHEMA } from '../../../src/tools/docs/policy-schema';
import { schemaFields } from '../../../src/tools/docs/schema-walker';
import { section } from './sections';

const fields = schemaFields(POLICY_FILE_SCHEMA, POLICY_FILE_HINTS);
const text = renderFields(fields, POLICY_FILE_HINTS).join('\n');

describe('renderFields', () => {
  it.each(fields.map((f) => [f.path, f] as const))(
    'documents the field %s with its type, required, default, description and an example',
    (path, field) => {
      const detail = section(text, `\`${path}\``);
      expect(detail).toContain('**Type:**');
      expect(detail).toContain(`**Required:** ${field.required ? 'yes' : 'no'}`);
      expect(detail).toContain('**Default:**');
      expect(detail).toContain('**Example:**\n\n```yaml\n');
      if (field.node.description !== undefined) {
        expect(detail).toContain(field.node.description.replace(/\.$/, ''));
      }
      expect(text).toContain(`| [\`${path}\`](#${anchorOf(path)}) |`);
    },
  );

  it("says which action's keys a step's params take, linking each action", () => {
    const params = section(text, '`policies[].steps[].params`');
    expect(params).toMatch(/\*\*Depends on `action`:\*\* the keys allowed are those of \[`/);
    expect(params).toContain('[`rollback`](#rollback)');
  });

  it('gives the runbook default for a severity key the file leaves out', () => {
    expect(section(text, '`severity.default`')).toContain('**Default:** `4` (runbook)');
  });
});
