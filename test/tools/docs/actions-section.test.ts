import { stringify } from 'yaml';
import { formatProblem, loadPolicies } from '../../../src/policies/loader';
import { ACTIONS } from '../../../src/remediations/actions/index';
import { renderActions } from '../../../src/tools/docs/actions-section';
import { section } from './sections';

const text = renderActions().join('\n');

describe('renderActions', () => {
  it.each(ACTIONS.map((a) => [a.name, a] as const))(
    'documents the action %s: description, target kinds, every param, RBAC and example',
    (name, action) => {
      const detail = section(text, `\`${name}\``);
      expect(detail).toContain(action.description);
      expect(detail).toContain('**Target kinds:**');
      for (const kind of action.targetKinds) expect(detail).toContain(`\`${kind}\``);
      for (const param of Object.keys(action.params.properties)) {
        expect(detail).toContain(`| \`${param}\` |`);
      }
      for (const rule of action.rbac) {
        for (const resource of rule.resources) expect(detail).toContain(`\`${resource}\``);
        for (const verb of rule.verbs) expect(detail).toContain(`\`${verb}\``);
      }
      expect(detail).toContain(
        `\`\`\`yaml\n${stringify([action.example], { lineWidth: 0 })}\`\`\``,
      );
    },
  );

  it('lists every action, in catalogue order, linked to its section', () => {
    const list = ACTIONS.map((a) => `[\`${a.name}\`](#${a.name})`).join(', ');
    expect(text).toContain(`is one of ${list}.`);
  });

  it.each(ACTIONS.map((a) => [a.name, a] as const))(
    "%s's example step loads in a policy whose target it acts on",
    (name, action) => {
      const [kind] = action.targetKinds;
      const file = {
        sinks: { oncall: { type: 'slack', urlFile: '/etc/remediator/sinks/oncall-url' } },
        policies: [
          {
            name: `${name}-example`,
            match: ['alertname="Example"'],
            ...(kind === undefined
              ? {}
              : {
                  target: { kind, namespace: '{{ labels.namespace }}', name: '{{ labels.name }}' },
                }),
            steps: [action.example],
          },
        ],
      };
      const result = loadPolicies(stringify(file), `${name}-example.yaml`, ACTIONS);
      expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
    },
  );
});
