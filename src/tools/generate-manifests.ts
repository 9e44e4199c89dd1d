/**
 * `npm run generate` (after generate-docs): writes the Kubernetes manifests in `deploy/k8s` that
 * follow from code or from other files, so that they cannot drift from what they describe:
 *
 * - `deploy/k8s/rbac.yaml`: the ClusterRole granted in every target namespace, whose rules are
 *   exactly {@link targetNamespaceRules} (what the registered actions and the executor declare),
 *   and the Role in remediator's own namespace, exactly {@link OWN_NAMESPACE_RULES};
 * - `deploy/k8s/prometheus-rule.yaml`: one PrometheusRule per `alert-rules/*.rules.yml`, the file
 *   itself (comments included) under `spec`;
 * - `deploy/k8s/grafana-dashboard.yaml`: `deploy/grafana/remediator.json` in a ConfigMap that the
 *   Grafana sidecar picks up (`grafana_dashboard: "1"`);
 * - the RBAC section of `docs/kubernetes-api.md`, between its generated-section markers: the
 *   same rules as `rbac.yaml`, each verb with the actions that need it.
 *
 * `--check` writes nothing and exits 1 naming each stale file, for CI. The render functions are
 * pure (their inputs are passed in); only {@link readManifestInputs} and `runGenerator` touch files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Document, isScalar, parse, visit } from 'yaml';
import {
  generatedNotice,
  runGenerator,
  type GeneratedFile,
  type Generator,
} from './generated-files';
import type { RbacRule } from '../policies/action-spec';
import {
  GITOPS_CLUSTER_RULES,
  OWN_NAMESPACE_RULES,
  targetNamespaceGrants,
  targetNamespaceRules,
} from '../remediations/rbac';

/** The generated files, relative to the repository root. */
export const RBAC_FILE = 'deploy/k8s/rbac.yaml';
export const PROMETHEUS_RULE_FILE = 'deploy/k8s/prometheus-rule.yaml';
export const DASHBOARD_CONFIG_MAP_FILE = 'deploy/k8s/grafana-dashboard.yaml';
export const KUBERNETES_API_DOC = 'docs/kubernetes-api.md';
/** The generated part of {@link KUBERNETES_API_DOC} sits between these two lines. */
export const RBAC_SECTION_BEGIN =
  '<!-- BEGIN generated RBAC (npm run generate, from src/remediations/rbac.ts) -->';
export const RBAC_SECTION_END = '<!-- END generated RBAC -->';

/** The inputs, relative to the repository root. */
export const RULES_DIR = 'alert-rules';
export const RULES_SUFFIX = '.rules.yml';
export const DASHBOARD_FILE = 'deploy/grafana/remediator.json';

/** Names shared by the generated and the hand-written manifests (test/deploy checks they agree). */
export const NAMESPACE = 'remediator';
export const SERVICE_ACCOUNT = 'remediator';
export const TARGET_CLUSTER_ROLE = 'remediator-target';
export const OWN_ROLE = 'remediator';
export const GITOPS_CLUSTER_ROLE = 'remediator-gitops';

export const DASHBOARD_CONFIG_MAP = 'remediator-dashboard';
export const DASHBOARD_KEY = 'remediator.json';
export const LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'remediator',
  'app.kubernetes.io/part-of': 'remediator',
};

export interface RulesFile {
  /** The file name inside {@link RULES_DIR}, e.g. `remediator.rules.yml`. */
  readonly name: string;
  readonly text: string;
}

export interface ManifestInputs {
  /** Every `*.rules.yml` of {@link RULES_DIR}, sorted by name. */
  readonly rulesFiles: readonly RulesFile[];
  /** The text of {@link DASHBOARD_FILE}. */
  readonly dashboard: string;
  /** The text of {@link KUBERNETES_API_DOC}. */
  readonly kubernetesApiDoc: string;
}

const header = (...sources: string[]): string =>
  `# ${generatedNotice('src/tools/generate-manifests.ts', sources)}\n`;

/** A YAML document with every list of scalars written in flow style (`verbs: [get, patch]`). */
function yamlDocument(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_key, node) {
      if (node.items.length > 0 && node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ singleQuote: true, lineWidth: 0, flowCollectionPadding: false });
}

const ruleObjects = (rules: readonly RbacRule[]): object[] =>
  rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
  }));

/** `deploy/k8s/rbac.yaml`: the target ClusterRole and the own-namespace Role and RoleBinding. */
export function renderRbac(): string {
  const subject = { kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE };
  const clusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: TARGET_CLUSTER_ROLE, labels: { ...LABELS } },
    rules: ruleObjects(targetNamespaceRules()),
  };
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: OWN_ROLE, namespace: NAMESPACE, labels: { ...LABELS } },
    rules: ruleObjects(OWN_NAMESPACE_RULES),
  };
  const roleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: OWN_ROLE, namespace: NAMESPACE, labels: { ...LABELS } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OWN_ROLE },
    subjects: [subject],
  };
  const gitopsRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: GITOPS_CLUSTER_ROLE, labels: { ...LABELS } },
    rules: ruleObjects(GITOPS_CLUSTER_RULES),
  };
  return [
    header('the RBAC rules the actions and the executor declare (src/remediations/rbac.ts)') +
      '#\n' +
      `# ${TARGET_CLUSTER_ROLE}: what remediator needs in each namespace it acts in. It grants nothing\n` +
      '# by itself: target-namespaces.yaml binds it in each target namespace with a RoleBinding.\n' +
      `# ${OWN_ROLE}: the Leases (locks, cooldowns, budgets) in remediator's own namespace.\n` +
      `# ${GITOPS_CLUSTER_ROLE}: Argo CD Applications, Flux Kustomizations and HelmReleases, for\n` +
      '# policies with `gitops:` (read to confirm an owner, patched to suspend it and to resume it),\n' +
      '# and Events on them. It grants nothing by itself: gitops-namespaces.yaml binds it in the\n' +
      '# namespaces those objects live in.\n' +
      yamlDocument(clusterRole),
    yamlDocument(role),
    yamlDocument(roleBinding),
    yamlDocument(gitopsRole),
  ].join('---\n');
}

/** Every line indented by `by` spaces, empty lines left empty (block scalars stay intact). */
function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `${pad}${line}`))
    .join('\n');
}

/** The PrometheusRule name for a rules file: `service.rules.yml` → `service-rules`. */
export function prometheusRuleName(file: string): string {
  return `${file.slice(0, -RULES_SUFFIX.length)}-rules`;
}

/**
 * `deploy/k8s/prometheus-rule.yaml`: each rules file becomes the `spec` of a PrometheusRule as it
 * is, comments and all, so the rules keep their explanations in the cluster too.
 */
export function renderPrometheusRules(rulesFiles: readonly RulesFile[]): string {
  if (rulesFiles.length === 0) throw new Error(`no ${RULES_DIR}/*${RULES_SUFFIX} files`);
  const docs = rulesFiles.map(({ name, text }) => {
    const parsed: unknown = parse(text);
    const keys = typeof parsed === 'object' && parsed !== null ? Object.keys(parsed) : [];
    if (keys.length !== 1 || keys[0] !== 'groups') {
      throw new Error(
        `${RULES_DIR}/${name}: a rules file must have exactly one top-level key, groups (found ${JSON.stringify(keys)})`,
      );
    }
    const meta = yamlDocument({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: prometheusRuleName(name), namespace: NAMESPACE, labels: { ...LABELS } },
    });
    return `${meta}spec:\n${indent(text.trimEnd(), 2)}\n`;
  });
  return header(...rulesFiles.map((f) => `${RULES_DIR}/${f.name}`)) + docs.join('---\n');
}

/** `deploy/k8s/grafana-dashboard.yaml`: the dashboard JSON, byte for byte, in a ConfigMap. */
export function renderDashboardConfigMap(dashboard: string): string {
  try {
    JSON.parse(dashboard);
  } catch (err) {
    throw new Error(`${DASHBOARD_FILE} is not JSON: ${(err as Error).message}`);
  }
  if (dashboard.trim() === '' || /[ \t]$/m.test(dashboard) || dashboard.includes('\t')) {
    // A block scalar cannot keep trailing blanks or tabs exactly; Prettier removes them anyway.
    throw new Error(`${DASHBOARD_FILE} has tabs or trailing blanks: run prettier on it`);
  }
  const meta = yamlDocument({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: DASHBOARD_CONFIG_MAP,
      namespace: NAMESPACE,
      // The label the Grafana sidecar (kube-prometheus-stack's default) looks for.
      labels: { grafana_dashboard: '1', ...LABELS },
    },
  });
  const chomp = dashboard.endsWith('\n') ? '|' : '|-';
  const body = dashboard.endsWith('\n') ? dashboard.slice(0, -1) : dashboard;
  return (
    header(DASHBOARD_FILE) + `${meta}data:\n  ${DASHBOARD_KEY}: ${chomp}\n${indent(body, 4)}\n`
  );
}

/**
 * `docs/kubernetes-api.md` with its RBAC section rendered from the same rules as `rbac.yaml`: the
 * hand-written page around it stays as it is.
 */
export function renderKubernetesApiDoc(doc: string): string {
  const begin = doc.indexOf(RBAC_SECTION_BEGIN);
  const end = doc.indexOf(RBAC_SECTION_END);
  if (begin < 0 || end < begin) {
    throw new Error(
      `${KUBERNETES_API_DOC} lacks the generated-section markers ${RBAC_SECTION_BEGIN} … ${RBAC_SECTION_END}`,
    );
  }
  const cell = (values: readonly string[]): string => values.map((v) => `\`${v}\``).join(', ');
  const rows = targetNamespaceGrants().flatMap((grant) =>
    grant.verbs.map(
      ({ verb, neededBy }) =>
        `| \`${grant.apiGroup === '' ? '""' : grant.apiGroup}\` | \`${grant.resource}\` | \`${verb}\` | ${cell(neededBy)} |`,
    ),
  );
  const own = OWN_NAMESPACE_RULES.flatMap((rule) =>
    rule.resources.map(
      (resource) => `| \`${rule.apiGroups.join(', ')}\` | \`${resource}\` | ${cell(rule.verbs)} |`,
    ),
  );
  const section = [
    RBAC_SECTION_BEGIN,
    "<!-- Do not edit this section: edit the actions' and the executor's rules and run `npm run generate`. -->",
    '',
    `The ClusterRole \`${TARGET_CLUSTER_ROLE}\` in \`${RBAC_FILE}\`, bound in each target namespace: exactly what the actions and the executor declare, each verb with who needs it.`,
    '',
    '| API group | resource | verb | needed by |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `The Role \`${OWN_ROLE}\` in remediator's own namespace (Leases: locks, attempt records, claims):`,
    '',
    '| API group | resource | verbs |',
    '| --- | --- | --- |',
    ...own,
    '',
    'Nothing else: no cluster-scoped resources (nodes, namespaces), no Secrets, no `list` of pods.',
    RBAC_SECTION_END,
  ].join('\n');
  return doc.slice(0, begin) + section + doc.slice(end + RBAC_SECTION_END.length);
}

/** Each generated file, relative to the repository root, with what it should contain. */
export function renderGeneratedManifests(inputs: ManifestInputs): readonly GeneratedFile[] {
  return [
    { file: RBAC_FILE, content: renderRbac() },
    { file: PROMETHEUS_RULE_FILE, content: renderPrometheusRules(inputs.rulesFiles) },
    { file: DASHBOARD_CONFIG_MAP_FILE, content: renderDashboardConfigMap(inputs.dashboard) },
    { file: KUBERNETES_API_DOC, content: renderKubernetesApiDoc(inputs.kubernetesApiDoc) },
  ];
}

/** Reads the generator's inputs from the repository at `root`. */
export function readManifestInputs(root: string): ManifestInputs {
  const rulesDir = join(root, RULES_DIR);
  const rulesFiles = readdirSync(rulesDir)
    .filter((f) => f.endsWith(RULES_SUFFIX))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(rulesDir, name), 'utf8') }));
  return {
    rulesFiles,
    dashboard: readFileSync(join(root, DASHBOARD_FILE), 'utf8'),
    kubernetesApiDoc: readFileSync(join(root, KUBERNETES_API_DOC), 'utf8'),
  };
}

/** The manifests generator's command line (see `runGenerator`). */
export const manifestsGenerator: Generator = {
  name: 'generate-manifests',
  what: 'generated manifests',
  source: 'what its sources generate',
  render: (root) => renderGeneratedManifests(readManifestInputs(root)),
};

if (require.main === module) {
  // dist/tools/generate-manifests.js (or src/tools/) sits two levels below the repository root.
  process.exitCode = runGenerator(
    manifestsGenerator,
    process.argv.slice(2),
    resolve(__dirname, '..', '..'),
  );
}
