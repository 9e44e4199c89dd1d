import { testFileSchema } from '../../../src/cli/test-file';
import { EXAMPLE, renderPolicyTestDocs } from '../../../src/tools/docs/policy-tests-docs';
import { schemaFields } from '../../../src/tools/docs/schema-walker';

const docs = renderPolicyTestDocs();

describe('docs/policy-tests.md', () => {
  it('has a row for every key the test file schema accepts, with its meaning', () => {
    const fields = schemaFields(testFileSchema);
    expect(fields.length).toBeGreaterThan(30);
    for (const field of fields) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${field.path}\` |`));
      expect(row).toBeDefined();
      // Every key says what it is for: a schema key without a description fails here.
      expect(field.node.description).toEqual(expect.any(String));
    }
  });

  it('shows an example that the schema accepts (rendering throws otherwise)', () => {
    expect(docs).toContain(EXAMPLE.split('\n')[0]);
    expect(() => renderPolicyTestDocs()).not.toThrow();
  });
});
