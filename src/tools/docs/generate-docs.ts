/**
 * `npm run generate`: writes the files that follow from the policies file's JSON Schema and the
 * action registry, so that they cannot drift from the code (STYLE.md §4):
 *
 * - `deploy/k8s/policy.schema.json`, the schema editors check policies files against
 *   (`# yaml-language-server: $schema=./policy.schema.json`);
 * - `docs/policies.md`, the reference an SRE writes policies from, assembled here from one file
 *   per section (`*-section.ts`);
 * - `docs/policy-tests.md`, the reference of `remediator test`'s file (`policy-tests-docs.ts`).
 *
 * `--check` writes nothing and exits 1 naming each stale file, for CI. The render functions are
 * pure and deterministic (no clock, no environment, no disk); only `runGenerator` touches files.
 * Every example the docs show that the code can evaluate (matchers, numbers, templates, skip
 * reasons, the complete policy) is evaluated by the code itself while rendering, so that the docs
 * say what remediator does, not what someone remembered it doing.
 */
import { resolve } from 'node:path';
import {
  generatedNotice,
  runGenerator,
  type GeneratedFile,
  type Generator,
} from '../generated-files';
import { renderActions } from './actions-section';
import { renderComplete } from './complete-section';
import { renderFields } from './fields-section';
import { H } from './headings';
import { link } from './markdown';
import { renderMatchers } from './matchers-section';
import { renderNumbers } from './numbers-section';
import { renderOrganisation } from './organisation-section';
import { POLICY_TESTS_DOCS_FILE, renderPolicyTestDocs } from './policy-tests-docs';
import { POLICY_FILE_HINTS, POLICY_FILE_SCHEMA, SCHEMA_FILE } from './policy-schema';
import { schemaFields } from './schema-walker';
import { renderSeverityDefaults } from './severity-section';
import { renderTemplates } from './templates-section';

/** The reference page, relative to the repository root. */
export const DOCS_FILE = 'docs/policies.md';

const GENERATOR = 'src/tools/docs/generate-docs.ts';

/** What the editor schema is composed from. */
const SCHEMA_SOURCES = [
  'src/policies/schema.ts',
  'src/policies/action-spec.ts',
  'src/remediations/actions/*.ts',
];

/** What the reference page is made from: its prose, the schema, and the code it quotes. */
const DOCS_SOURCES = [
  'src/tools/docs/*.ts',
  ...SCHEMA_SOURCES,
  'src/policies/defaults.ts',
  'src/policies/template-filters.ts',
  'the code in src/policies/ and src/labels/ that evaluates its examples',
];

/**
 * The policies file's JSON Schema as editors read it: the one `buildPolicySchema` composes,
 * unchanged and pretty-printed, after a `$comment` saying where it comes from (JSON has no
 * comments; draft-07 has `$comment`).
 */
export function renderPolicySchemaJson(): string {
  const $comment = generatedNotice(GENERATOR, SCHEMA_SOURCES);
  return `${JSON.stringify({ $comment, ...POLICY_FILE_SCHEMA }, null, 2)}\n`;
}

/** The do-not-edit notice, the title, what the page is, and its table of contents. */
function renderIntro(): string[] {
  const sections: string[] = [
    H.organisation,
    H.fields,
    H.matchers,
    H.numbers,
    H.templates,
    H.severity,
    H.actions,
    H.complete,
  ];
  return [
    `<!-- ${generatedNotice(GENERATOR, DOCS_SOURCES)} -->`,
    '',
    '# Policies file reference',
    '',
    'The policies file tells remediator how alerts become Sev1–Sev4 incidents and what to do about',
    'them. This page describes every key it can hold, the languages used inside its values',
    '(matchers, numbers, templates) and every action a step can take. It is generated from the',
    'code that reads the file: its tables come from the schema remediator validates with, and its',
    'examples are evaluated by remediator itself while the page is generated. The shipped',
    'policies are [`deploy/k8s/policies/`](../deploy/k8s/policies/): the runbook, and a pack for',
    "kube-prometheus-stack's alerts; their tests are described in",
    '[policy-tests.md](policy-tests.md).',
    '',
    ...sections.map((s) => `- ${link(s, s)}`),
  ];
}

/** The reference docs of the policies file (docs/policies.md), as Markdown. */
export function renderPolicyDocs(): string {
  const hints = POLICY_FILE_HINTS;
  const fields = schemaFields(POLICY_FILE_SCHEMA, hints);
  const sections = [
    renderIntro(),
    renderOrganisation(fields, hints),
    renderFields(fields, hints),
    renderMatchers(),
    renderNumbers(fields),
    renderTemplates(),
    renderSeverityDefaults(),
    renderActions(),
    renderComplete(),
  ];
  const text = sections.map((lines) => lines.join('\n').trimEnd()).join('\n\n');
  return `${text}\n`;
}

/** Each generated file, relative to the repository root, with its current content. */
export function renderGeneratedFiles(): readonly GeneratedFile[] {
  return [
    { file: SCHEMA_FILE, content: renderPolicySchemaJson() },
    { file: DOCS_FILE, content: renderPolicyDocs() },
    { file: POLICY_TESTS_DOCS_FILE, content: renderPolicyTestDocs() },
  ];
}

/** The docs generator's command line (see `runGenerator`). */
export const docsGenerator: Generator = {
  name: 'generate-docs',
  what: 'generated files',
  source: 'what src/ generates',
  render: renderGeneratedFiles,
};

if (require.main === module) {
  // dist/tools/docs/generate-docs.js (or src/tools/docs/) sits three levels below the repository root.
  process.exitCode = runGenerator(
    docsGenerator,
    process.argv.slice(2),
    resolve(__dirname, '..', '..', '..'),
  );
}
