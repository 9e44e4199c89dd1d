import Ajv from 'ajv';
import {
  FALLBACK_EXAMPLES,
  POLICY_FILE_HINTS,
  POLICY_FILE_SCHEMA,
} from '../../../src/tools/docs/policy-schema';
import { fallbackExample, schemaFields } from '../../../src/tools/docs/schema-walker';

describe("the policies file's examples", () => {
  const fields = schemaFields(POLICY_FILE_SCHEMA, POLICY_FILE_HINTS);

  it.each(fields.map((f) => [f.path, f] as const))(
    'the example of %s is accepted by its own schema',
    (_path, field) => {
      expect(field.example).toBeDefined();
      const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(field.node);
      validate(field.example);
      expect(validate.errors ?? []).toEqual([]);
    },
  );

  it.each([...FALLBACK_EXAMPLES.keys()])(
    'the fallback example for %s is still needed: its fields have no examples of their own',
    (key) => {
      const covered = fields.filter(
        (f) => fallbackExample(f.path, POLICY_FILE_HINTS) !== undefined,
      );
      const matching = covered.filter((f) => f.path === key || f.path.endsWith(`.${key}`));
      expect(matching.length).toBeGreaterThan(0);
      for (const f of matching) expect(f.node.examples).toBeUndefined();
    },
  );

  it('shows the runbook default of each severity key the file may leave out', () => {
    const multipleAlerts = fields.find((f) => f.path === 'severity.multipleAlerts');
    expect(POLICY_FILE_HINTS.externalDefaults.get('severity.multipleAlerts')).toBeDefined();
    expect(multipleAlerts?.example).toEqual(
      POLICY_FILE_HINTS.externalDefaults.get('severity.multipleAlerts'),
    );
  });
});
