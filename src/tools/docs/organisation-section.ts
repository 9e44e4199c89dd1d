/**
 * The sections "How the file is organised" and "Loading, reloading and editor support": the
 * top-level keys, what happens to an alert, the smallest useful file, and the problems remediator
 * reports for a file with mistakes, produced by the real loader.
 */
import { formatProblem, loadPolicies } from '../../policies/loader';
import { ACTIONS } from '../../remediations/actions/index';
import { actionLink, fieldLink, H } from './headings';
import { code, link, plural, table } from './markdown';
import { SCHEMA_FILE } from './policy-schema';
import { loadOrThrow } from './samples';
import { defaultText, typeText } from './schema-text';
import type { ExampleHints, SchemaField } from './schema-walker';

/** The smallest useful policies file; rendering fails if it does not load cleanly. */
export const SMALLEST_EXAMPLE = `# yaml-language-server: $schema=./policy.schema.json
policies:
  - name: restart-on-errors
    match: ['alertname="HighErrorRate"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: restart
`;

/** "How the file is organised", with "Loading, reloading and editor support" inside it. */
export function renderOrganisation(fields: readonly SchemaField[], hints: ExampleHints): string[] {
  loadOrThrow(SMALLEST_EXAMPLE, 'smallest-example.yaml');
  const top = fields.filter((f) => !f.path.includes('.') && !f.path.includes('['));
  return [
    `## ${H.organisation}`,
    '',
    `The file is YAML with up to ${plural(top.length, 'top-level key')}, all optional:`,
    '',
    ...table(
      ['Key', 'Type', 'Default', 'What it holds'],
      top.map((f) => [
        fieldLink(f.path),
        typeText(f.node),
        defaultText(f.path, f.node, hints),
        f.node.description ?? '',
      ]),
    ),
    '',
    'What happens to an alert, in order:',
    '',
    '1. Alertmanager posts an alert group; remediator keeps one incident per group.',
    `2. ${fieldLink('severity')} gives each firing alert a level, Sev1 (most severe) to Sev4, and`,
    '   the incident the most severe level among its alerts (see',
    `   ${link(H.severity, H.severity)} for what applies when the file says nothing).`,
    `3. The policies under ${fieldLink('policies')} are evaluated in file order for each alert, like`,
    `   Alertmanager's routes: every policy whose ${code('match')} matchers (and ${code('value')} condition)`,
    `   hold for the alert's own labels, and whose ${code('on')} includes what the alert did (started`,
    `   firing, or resolved), acts for it, provided the incident is at least as severe as its`,
    `   ${code('minSeverity')}; a matching policy with ${fieldLink('policies[].continue')} ${code('false')} ends the`,
    '   evaluation for that alert. Every policy that matches and does not act says why in the',
    '   timeline and in `remediator plan` and `test`, with a skip code.',
    `4. The policy's ${code('target')} is rendered from the alert (${link('templates', H.templates)}),`,
    `   and its ${code('steps')} form an escalation ladder: a step acts, remediator waits its`,
    `   ${code('verify')} time, and the next step runs only if the alert is still firing.`,
    `   ${code('cooldown')} and ${code('budget')} bound how often a policy acts on one target;`,
    `   ${code('dryRun')} plans and records without changing anything.`,
    `5. ${actionLink('notify')} steps post to the ${fieldLink('sinks')} named in the file.`,
    '',
    'The smallest useful file is one policy:',
    '',
    '```yaml',
    SMALLEST_EXAMPLE.trimEnd(),
    '```',
    '',
    ...renderLoading(),
  ];
}

function renderLoading(): string[] {
  const typo = loadPolicies(
    [
      'policies:',
      '  - name: restart-on-errors',
      `    match: ['alertname="HighErrorRate"']`,
      '    steps:',
      '      - action: notify',
      '        params: { sink: oncall }',
      '    minSeverity: 5',
      '    cooldwn: 30m',
    ].join('\n'),
    'policies.yaml',
    ACTIONS,
  );
  const problems = typo.ok ? [] : typo.problems.map(formatProblem);
  if (problems.length === 0) throw new Error('docs example with a typo loads');
  return [
    `### ${H.loading}`,
    '',
    'remediator reads the file given to `remediator serve --policies FILE` (without one, it runs',
    'with the runbook severity defaults and no policies), and reads it again when it changes or on',
    'SIGHUP. The whole file is checked before any of it is used: unknown keys are errors',
    'everywhere (a misspelt key is never silently ignored), and every problem is reported at once',
    'with file, line, column and path. A file with problems stops remediator from starting; on a',
    'reload it is rejected and the last good policies stay in force. For example, a policy with',
    '`minSeverity: 5`, a misspelt `cooldown` and a `notify` step to a sink the file does not define',
    'gives (the schema problems and the semantic one in the same run):',
    '',
    '```text',
    ...problems,
    '```',
    '',
    `Editors check the file as you type against [\`policy.schema.json\`](../${SCHEMA_FILE}), the`,
    'JSON Schema generated from the same source as this page, when its first line is',
    '',
    '```yaml',
    '# yaml-language-server: $schema=./policy.schema.json',
    '```',
    '',
    "(VS Code's YAML extension, or any editor using yaml-language-server; the path is relative to",
    'the policies file). The schema covers types, allowed values, required and unknown keys. Rules',
    'that span several keys, and the languages inside values (matcher and template syntax, sink',
    'names, an action fitting the target kind), are checked when remediator loads the file; the',
    'descriptions below say which.',
  ];
}
