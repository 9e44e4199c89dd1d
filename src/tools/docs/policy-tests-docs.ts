/**
 * `docs/policy-tests.md`: the reference of the file `remediator test` runs, generated from the
 * JSON Schema that validates it (src/cli/test-file.ts), so that the page lists every key the
 * command accepts and nothing else. Its example is checked against that schema while the page is
 * rendered: an example the command would refuse fails `npm run generate`.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { testFileSchema } from '../../cli/test-file';
import { generatedNotice } from '../generated-files';
import { code, table } from './markdown';
import { defaultText, typeWithConstraints } from './schema-text';
import { NO_HINTS, schemaFields } from './schema-walker';

/** The page, relative to the repository root. */
export const POLICY_TESTS_DOCS_FILE = 'docs/policy-tests.md';

const GENERATOR = 'src/tools/docs/policy-tests-docs.ts';
const SOURCES = ['src/cli/test-file.ts', GENERATOR];

/** A whole test file, as an SRE would start one. */
export const EXAMPLE = `policies: policies.yaml # relative to this file; a file or a directory
groupBy: [alertname, namespace, deployment] # as in Alertmanager's route

tests:
  - name: a crash loop after a rollout is rolled back on the Deployment that owns the pod
    notifications:
      - at: 0s
        alerts:
          - labels:
              alertname: KubePodCrashLooping
              namespace: prod
              pod: web-7d9f8b6c5-abcde
              container: web
              reason: CrashLoopBackOff
              job: kube-state-metrics
              severity: warning
      - at: 20m
        alerts:
          - labels: { alertname: KubePodCrashLooping, namespace: prod, pod: web-7d9f8b6c5-abcde, container: web, reason: CrashLoopBackOff, job: kube-state-metrics, severity: warning }
            status: resolved
    expect:
      - after: 0
        severity: Sev3
        status: identified
        plan:
          - policy: crash-loop
            target: Deployment that owns pod prod/web-7d9f8b6c5-abcde
            steps: [rollback, run-job, notify]
            params: { rollback: { onlyIfChangedWithin: 30m } }
        skips: []
      - status: resolved
        plan: []
`;

/** The example, parsed and checked against the schema; throws when the command would refuse it. */
function checkedExample(): unknown {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv, ['date-time']);
  const value: unknown = parse(EXAMPLE);
  if (!ajv.validate(testFileSchema, value)) {
    throw new Error(`the example test file is invalid: ${ajv.errorsText(ajv.errors)}`);
  }
  return value;
}

/** docs/policy-tests.md, as Markdown. */
export function renderPolicyTestDocs(): string {
  checkedExample();
  const fields = schemaFields(testFileSchema, NO_HINTS);
  const lines = [
    `<!-- ${generatedNotice(GENERATOR, SOURCES)} -->`,
    '',
    '# Policy test file reference',
    '',
    '`remediator test FILE...` runs policy unit tests, like `promtool test rules`: each test feeds',
    'notifications (alerts in shorthand, built into the payloads Alertmanager would send, or',
    'captured payload files) through the same decisions the server makes, and checks the',
    "incident's severity and status and the plan after each notification. Nothing is contacted:",
    'no cluster, no sink. It exits 0 when every test passes, 1 when one fails or a file cannot be',
    'loaded, 2 on a usage error. The shipped policies are tested this way in',
    '[`deploy/k8s/policies/`](../deploy/k8s/policies/); the policies file itself is described in',
    '[policies.md](policies.md).',
    '',
    '## Example',
    '',
    '```yaml',
    ...EXAMPLE.trimEnd().split('\n'),
    '```',
    '',
    '## How expectations are checked',
    '',
    '- An expectation is checked after the notification `after` (by default the last one), and only',
    '  the keys it gives are checked.',
    '- `plan` and `skips` are exact lists, in any order: every entry must match one planned (or',
    '  skipped) policy and none may be left over, so `[]` asserts that nothing was planned (or',
    '  skipped). Within an entry, only the keys given are compared; `params` is a subset of the',
    '  rendered params of the first step with that action.',
    '- `timeline` and `severityReasons` entries are substrings of one of the messages.',
    '- Planning reads no cluster: a target the policy finds through a pod or an HPA (`fromPod`,',
    '  `fromHpa`) is shown as `Deployment that owns pod prod/web-…`, and the executor checks at run',
    '  time what the test cannot (the owner, cooldowns, budgets, the blast radius).',
    '- A file that does not load (YAML, schema, a policies file with problems, a policy name that',
    '  does not exist) is reported as `FILE:LINE:COL: path: message` lines, every problem at once.',
    '',
    '## Fields',
    '',
    `Paths name nested keys with dots and the items of a list with ${code('[]')}.`,
    '',
    ...table(
      ['Field', 'Type', 'Required', 'Default', 'Meaning'],
      fields.map((f) => [
        code(f.path),
        typeWithConstraints(f.node),
        f.required ? 'yes' : 'no',
        defaultText(f.path, f.node, NO_HINTS),
        (f.node.description ?? '').replaceAll('|', '\\|').replaceAll('\n', ' '),
      ]),
    ),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
