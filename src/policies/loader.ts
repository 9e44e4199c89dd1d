import Ajv, { type ErrorObject } from 'ajv';
import {
  isAlias,
  isMap,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { RemediatorError } from '../errors';
import type { Severity, SeverityConfig, SeverityRule } from '../incidents/severity';
import { DEFAULT_SEVERITY_SPEC } from './defaults';
import { MatcherSyntaxError, parseMatcher, type Matcher } from './matchers';
import { validateNumericCondition, type NumericCondition } from './numeric';
import { policyFileSchema } from './schema';

/** One problem in a policies file, located as precisely as the YAML allows. */
export interface PolicyProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Where in the document, e.g. `severity.rules[2].when[0]`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** `policies.yaml:12:9: severity.rules[2].level: must be <= 4` */
export function formatProblem(p: PolicyProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

/** A policies file that cannot be used; lists every problem, not only the first. */
export class PolicyError extends RemediatorError {
  constructor(readonly problems: readonly PolicyProblem[]) {
    super(
      'invalid_policies',
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${problems[0]?.file ?? 'policies'}:\n${problems.map(formatProblem).join('\n')}`,
    );
  }
}

/** Validated, compiled policies: what the running server decides with. */
export interface PolicySet {
  /** The file it came from, or `(defaults)`. */
  readonly source: string;
  readonly severity: SeverityConfig;
}

export type LoadResult =
  { ok: true; policySet: PolicySet } | { ok: false; problems: PolicyProblem[] };

/** Compiled once; `allErrors` because an SRE wants every problem of a file at once. */
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
const validateFile = ajv.compile(policyFileSchema);

type PathSegment = string | number;

/**
 * Parses, validates and compiles a policies file. Never throws for any input text: everything
 * wrong with it comes back as problems with file, line, column and path.
 */
export function loadPolicies(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const problems: PolicyProblem[] = [];
  const at = (offset: number | undefined, path: readonly PathSegment[], message: string): void => {
    const pos = offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
    problems.push({ file, line: pos.line, column: pos.col, path: formatPath(path), message });
  };

  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  for (const error of doc.errors) {
    at(
      error.pos[0],
      [],
      error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message,
    );
  }
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc) === undefined) {
        at(alias.range?.[0], [], `alias *${alias.source} refers to no anchor defined before it`);
      }
    },
  });
  if (problems.length > 0) return { ok: false, problems: sorted(problems) };

  let value: unknown;
  try {
    // A cap on alias expansion keeps a "billion laughs" file from exhausting memory.
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    at(undefined, [], (err as Error).message);
    return { ok: false, problems };
  }

  const locate = (path: readonly PathSegment[], key?: string): number | undefined =>
    offsetOf(doc, path, key);
  if (!validateFile(value)) {
    for (const error of validateFile.errors ?? []) {
      const problem = describeSchemaError(error);
      at(
        locate(problem.path, problem.key),
        problem.key === undefined ? problem.path : [...problem.path, problem.key],
        problem.message,
      );
    }
    return { ok: false, problems: sorted(problems) };
  }

  const spec = value as PolicyFileSpec;
  const severity = compileSeverity(spec.severity ?? {}, (path, message, offsetInValue = 0) => {
    const offset = locate(path);
    at(
      offset === undefined ? undefined : offset + offsetInValue + quoteWidth(doc, path),
      path,
      message,
    );
  });
  if (problems.length > 0) return { ok: false, problems: sorted(problems) };
  return { ok: true, policySet: { source: file, severity } };
}

/** The runbook defaults, for a server started without a policies file. */
export function defaultPolicySet(): PolicySet {
  const severity = compileSeverity({}, (path, message) => {
    throw new Error(`built-in severity defaults are invalid at ${formatPath(path)}: ${message}`);
  });
  return { source: '(defaults)', severity };
}

interface SeveritySpec {
  rules?: {
    level: number;
    when?: string[];
    value?: NumericCondition & { label?: string; annotation?: string };
  }[];
  multipleAlerts?: { atLeast: number; level: number };
  default?: number;
}

interface PolicyFileSpec {
  severity?: SeveritySpec;
}

type Report = (path: readonly PathSegment[], message: string, offsetInValue?: number) => void;

/** Each key given replaces the runbook default for that key. */
function compileSeverity(given: SeveritySpec, report: Report): SeverityConfig {
  const fromDefaults = given.rules === undefined;
  const rulesSpec = (given.rules ?? DEFAULT_SEVERITY_SPEC.rules) as SeveritySpec['rules'] & object;
  const rules: SeverityRule[] = [];
  rulesSpec.forEach((rule, i) => {
    const path = ['severity', 'rules', i];
    if (rule.when === undefined && rule.value === undefined) {
      report(path, 'a rule needs `when` matchers, a `value` condition, or both');
    }
    const when = compileMatchers(
      rule.when ?? [],
      [...path, 'when'],
      fromDefaults ? throwing : report,
    );
    const value =
      rule.value === undefined
        ? undefined
        : compileCondition(rule.value, [...path, 'value'], report);
    rules.push({ level: rule.level as Severity, when, ...(value === undefined ? {} : { value }) });
  });
  const multiple = given.multipleAlerts ?? DEFAULT_SEVERITY_SPEC.multipleAlerts;
  return {
    rules,
    multipleAlerts: { atLeast: multiple.atLeast, level: multiple.level as Severity },
    default: (given.default ?? DEFAULT_SEVERITY_SPEC.default) as Severity,
  };
}

const throwing: Report = (path, message) => {
  throw new Error(`built-in default at ${formatPath(path)}: ${message}`);
};

export function compileMatchers(
  texts: readonly string[],
  path: readonly PathSegment[],
  report: Report,
): Matcher[] {
  const matchers: Matcher[] = [];
  texts.forEach((text, j) => {
    try {
      matchers.push(parseMatcher(text));
    } catch (err) {
      if (!(err instanceof MatcherSyntaxError)) throw err;
      report([...path, j], err.message, err.column);
    }
  });
  return matchers;
}

function compileCondition(
  spec: { label?: string; annotation?: string } & Partial<NumericCondition>,
  path: readonly PathSegment[],
  report: Report,
): NumericCondition | undefined {
  if ((spec.label === undefined) === (spec.annotation === undefined)) {
    report(path, 'a value condition reads exactly one of `label` or `annotation`');
    return undefined;
  }
  const condition: NumericCondition = {
    source: spec.label === undefined ? 'annotation' : 'label',
    key: spec.label ?? spec.annotation ?? '',
    ...(spec.above === undefined ? {} : { above: spec.above }),
    ...(spec.atLeast === undefined ? {} : { atLeast: spec.atLeast }),
    ...(spec.below === undefined ? {} : { below: spec.below }),
    ...(spec.atMost === undefined ? {} : { atMost: spec.atMost }),
    ...(spec.equals === undefined ? {} : { equals: spec.equals }),
  };
  const problems = validateNumericCondition(condition);
  for (const message of problems) report(path, message);
  return problems.length === 0 ? condition : undefined;
}

/** `['severity', 'rules', 2, 'when', 0]` → `severity.rules[2].when[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function pointerToPath(pointer: string): PathSegment[] {
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Turns one ajv error into a path, an optional key under it and a message for an SRE. */
function describeSchemaError(error: ErrorObject): {
  path: PathSegment[];
  key?: string;
  message: string;
} {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        path,
        key: String(params.additionalProperty),
        message: `unknown key "${String(params.additionalProperty)}"`,
      };
    case 'required':
      return { path, message: `missing required key "${String(params.missingProperty)}"` };
    case 'enum':
      return {
        path,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'type':
      return { path, message: `must be ${String(params.type)}` };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

/** Source offset of the node at `path` (or of `key` in the map there), or of its nearest parent. */
function offsetOf(doc: Document, path: readonly PathSegment[], key?: string): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as Node | undefined;
    if (node === undefined) continue;
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) return keyNode.range[0];
    }
    if (isAlias(node)) return node.range?.[0];
    if (node.range) return node.range[0];
  }
  return doc.contents?.range?.[0];
}

/** A quoted scalar's value starts one character after its node. */
function quoteWidth(doc: Document, path: readonly PathSegment[]): number {
  const node = doc.getIn(path, true);
  return isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') ? 1 : 0;
}

function sorted(problems: PolicyProblem[]): PolicyProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}
