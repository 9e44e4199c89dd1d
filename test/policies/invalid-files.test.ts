import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, loadPolicies } from '../../src/policies/loader';
import { ACTIONS } from '../../src/remediations/actions/index';

const DIR = join(__dirname, 'invalid');
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

describe('invalid policy files', () => {
  it.each(cases)('%s.yaml reports exactly the expected problems, in file order', (name) => {
    const result = loadPolicies(
      readFileSync(join(DIR, `${name}.yaml`), 'utf8'),
      `${name}.yaml`,
      ACTIONS,
    );
    const expected = readFileSync(join(DIR, `${name}.expected`), 'utf8')
      .trimEnd()
      .split('\n');
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual(expected);
  });
});
