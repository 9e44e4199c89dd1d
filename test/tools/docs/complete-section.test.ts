import { formatProblem, loadPolicies } from '../../../src/policies/loader';
import { ACTIONS } from '../../../src/remediations/actions/index';
import { COMPLETE_EXAMPLE, renderComplete } from '../../../src/tools/docs/complete-section';

describe('renderComplete', () => {
  it('shows the complete policy, which loads without problems', () => {
    expect(renderComplete().join('\n')).toContain(`\`\`\`yaml\n${COMPLETE_EXAMPLE}\`\`\``);
    const result = loadPolicies(COMPLETE_EXAMPLE, 'example.yaml', ACTIONS);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });
});
