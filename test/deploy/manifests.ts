import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Helpers shared by the deploy tests: rendering deploy/k8s, finding objects, reading PromQL. */

export const ROOT = resolve(__dirname, '..', '..');
export const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

const KUBECTL_MISSING =
  'kubectl is not installed: apt-get install kubernetes-client (.ci/run installs kubernetes-client when kubectl is missing)';
const KUBECTL_TIMEOUT_MS = 60_000;

/** A Kubernetes object as kustomize renders it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
}

/** `kubectl kustomize deploy/k8s`, parsed. Throws (never skips) when kubectl is missing. */
export function renderKustomization(dir = 'deploy/k8s'): KubeObject[] {
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', join(ROOT, dir)], {
      encoding: 'utf8',
      timeout: KUBECTL_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(KUBECTL_MISSING);
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0)
        throw new Error(`kubectl kustomize output: ${doc.errors[0]?.message}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

/** The one object of a kind (and name); fails naming what there is when there is not exactly one. */
export function one(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${found.length} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  }
  return found[0]!;
}

export const all = (objects: readonly KubeObject[], kind: string): KubeObject[] =>
  objects.filter((o) => o.kind === kind);

// ---------------------------------------------------------------------------------------------
// PromQL, read just far enough to list the metric names and labels an expression uses.

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);
const GROUPING = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
const STRING = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
/** Grafana's variables: `$namespace`, `${datasource}`, `$__rate_interval`, `${var:regex}`. */
const GRAFANA_VARIABLE = /\$\{[^}]*\}|\$\w+/g;

function withoutNoise(expr: string): string {
  return expr.replace(/#.*$/gm, ' ').replace(STRING, '""').replace(GRAFANA_VARIABLE, ' ');
}

/**
 * The metric names an expression selects, in order of first use: function and aggregation names,
 * keywords, label names and values, numbers, durations and Grafana variables are left out.
 */
export function metricNames(expr: string): string[] {
  const text = withoutNoise(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(GROUPING, ' ');
  const names: string[] = [];
  const token =
    /(\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])*)|([A-Za-z_:][\w:]*)(\s*\()?|0x[0-9a-f]+/gi;
  for (const m of text.matchAll(token)) {
    const name = m[2];
    if (name === undefined || m[3] !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export interface Selector {
  readonly metric: string;
  readonly matchers: readonly { label: string; op: string; value: string }[];
}

/** Every `metric{...}` selector with its label matchers (selectors without braces are left out). */
export function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  for (const m of expr.matchAll(/([A-Za-z_:][\w:]*)\s*\{([^}]*)\}/g)) {
    const matchers = [...(m[2] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map(
      (x) => ({ label: x[1]!, op: x[2]!, value: x[3]! }),
    );
    out.push({ metric: m[1]!, matchers });
  }
  return out;
}

/** The label names an expression uses: in matchers and in by/without/on/ignoring/group_x clauses. */
export function labelNames(expr: string): string[] {
  const labels = new Set<string>();
  for (const s of selectors(expr)) for (const m of s.matchers) labels.add(m.label);
  for (const m of withoutNoise(expr).matchAll(GROUPING)) {
    for (const label of (m[2] ?? '').split(',')) if (label.trim() !== '') labels.add(label.trim());
  }
  return [...labels];
}

/** `# TYPE name type` lines of a Prometheus text exposition. */
export function metricTypes(exposition: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1]!, m[2]!);
  return types;
}

/**
 * The exported metric a name in a query refers to: itself, or for `_bucket`/`_sum`/`_count` the
 * histogram (or `_sum`/`_count` of a summary) it belongs to; undefined when nothing is exported.
 */
export function exportedFamily(
  name: string,
  types: ReadonlyMap<string, string>,
): string | undefined {
  if (types.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m === null) return undefined;
  const [, base = '', suffix] = m;
  const type = types.get(base);
  if (type === 'histogram' || (type === 'summary' && suffix !== 'bucket')) return base;
  return undefined;
}

/** The value following `--flag` in a container's args. */
export function containerArg(container: any, flag: string): string {
  const args: string[] = container.args;
  const at = args.indexOf(`--${flag}`);
  if (at === -1 || args[at + 1] === undefined) throw new Error(`args have no --${flag} VALUE`);
  return args[at + 1]!;
}

/** The container's volume mount whose directory holds `path`, with its volume in the pod. */
export function volumeHolding(
  podSpec: any,
  container: any,
  path: string,
): { mount: any; volume: any } {
  const mount = (container.volumeMounts as any[]).find(
    (m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`),
  );
  if (mount === undefined) throw new Error(`no volume mount holds ${path}`);
  const volume = (podSpec.volumes as any[]).find((v) => v.name === mount.name);
  return { mount, volume };
}
