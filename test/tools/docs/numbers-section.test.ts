import { renderNumbers } from '../../../src/tools/docs/numbers-section';
import { POLICY_FILE_HINTS, POLICY_FILE_SCHEMA } from '../../../src/tools/docs/policy-schema';
import { schemaFields } from '../../../src/tools/docs/schema-walker';
import { section } from './sections';

const text = renderNumbers(schemaFields(POLICY_FILE_SCHEMA, POLICY_FILE_HINTS)).join('\n');

describe('renderNumbers', () => {
  it.each([
    ['1m30s', '90'],
    ['1900ms', '1.9'],
    ['95%', '0.95'],
    ['512Mi', '536870912'],
    ['1.5m', '90'],
  ])('shows %s read as %s by the numeric parser', (written, read) => {
    expect(text).toContain(`| \`${written}\` | \`${read}\` |`);
  });

  it('shows a reason for each text that is not a number', () => {
    const refused = text.slice(text.indexOf('| Written | Reason |'));
    expect(refused).toMatch(/\| `NaN` \| \S.* \|/);
    expect(refused).toMatch(/\| \(empty\) \| \S.* \|/);
  });

  it('evaluates sample conditions against an alert, with their reasons', () => {
    expect(text).toMatch(/\| `\{ annotation: p99_seconds, above: 1 \}` \| yes \| \S.* \|/);
    expect(text).toMatch(/\| `\{ label: quantile, atLeast: 0\.99 \}` \| no \| \S.* \|/);
  });

  it("lists the file's duration fields and the actions' duration params", () => {
    const durations = section(text, 'Durations in the policies file');
    expect(durations).toContain('[`policies[].cooldown`](#policiescooldown)');
    expect(durations).toContain("[`rollback`](#rollback)'s `onlyIfChangedWithin`");
    expect(durations).not.toContain('`policies[].name`');
  });
});
