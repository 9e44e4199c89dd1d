import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { formatPath, type PathSegment } from './compile';

/** One problem in a YAML file, located as precisely as the YAML allows. */
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

/** A file's text, or the problem of not being able to read it. */
export function readTextFile(
  file: string,
): { ok: true; text: string } | { ok: false; problems: PolicyProblem[] } {
  try {
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      ok: false,
      problems: [{ file, line: 1, column: 1, path: '', message: `cannot read: ${code}` }],
    };
  }
}

/**
 * A parsed YAML file, the problems its schema found in it, and a way to report further problems
 * at a path in it.
 */
export interface YamlDocument {
  readonly value: unknown;
  /**
   * Adds a problem located at `path` (or at its nearest parent that exists in the file);
   * `offsetInValue` points inside a string value, e.g. at the bad part of a matcher.
   */
  readonly report: (path: readonly PathSegment[], message: string, offsetInValue?: number) => void;
  /** Every problem reported so far (the schema's first), in file order. */
  readonly problems: readonly PolicyProblem[];
  /** Whether the file itself gives `path` (a default filled in by the schema does not count). */
  readonly has: (path: readonly PathSegment[]) => boolean;
  /**
   * Whether the schema found nothing wrong at `path`, above it or inside it: where later checks
   * may read the value as the schema describes it, even when other parts of the file are wrong.
   */
  readonly valid: (path: readonly PathSegment[]) => boolean;
}

/**
 * The validator for files people write (policies, policy tests): `allErrors` because an SRE wants
 * every problem of a file at once; `useDefaults` so that the file's value comes out complete;
 * `verbose` so that an error carries its schema (the keys allowed beside an unknown one); union
 * types for severity levels (`2` or `Sev2`).
 */
export function yamlFileValidator(): Ajv {
  return new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: true,
    verbose: true,
    allowUnionTypes: true,
  });
}

/** Messages for schema patterns that mean something (`durationSchema`'s, say). */
export type PatternMessages = ReadonlyMap<string, string>;

/**
 * Parses a YAML file and validates it with an ajv schema (unknown keys rejected, `verbose` errors
 * for the messages), the way the policies loader does: never throws for any input text; every
 * problem comes back with file, line, column and path. YAML syntax problems end it there; schema
 * problems are in the document's `problems`, and `valid` tells the parts they leave well-formed.
 */
export function parseYamlFile(
  text: string,
  file: string,
  validate: ValidateFunction,
  patternMessages: PatternMessages = new Map(),
  options: { mergeKeys?: boolean } = {},
): { ok: true; document: YamlDocument } | { ok: false; problems: PolicyProblem[] } {
  const lineCounter = new LineCounter();
  const problems: PolicyProblem[] = [];
  const at = (offset: number | undefined, path: readonly PathSegment[], message: string): void => {
    const pos = offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
    problems.push({ file, line: pos.line, column: pos.col, path: formatPath(path), message });
  };

  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    merge: options.mergeKeys ?? false,
    // The library's warnings (stringified map keys...) would go to stderr, unlocated: the
    // problems below say the same where it is and how to fix it.
    logLevel: 'error',
  });
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

  // Paths where the schema (or an unquoted template) found a problem.
  const broken: PathSegment[][] = [];
  const templates = unquotedTemplates(doc.contents, [], text);
  for (const template of templates) {
    broken.push(template.path);
    at(
      template.offset,
      template.path,
      `{{ … }} must be quoted in YAML, which otherwise reads it as a map: write ${quoteForYaml(template.source)}`,
    );
  }
  if (!validate(value)) {
    for (const error of validate.errors ?? []) {
      const problem = describeSchemaError(error, patternMessages);
      if (problem === undefined) continue;
      const path = problem.key === undefined ? problem.path : [...problem.path, problem.key];
      // An unquoted template, said above.
      if (templates.some((t) => startsWith(problem.broken, t.path))) continue;
      broken.push(problem.broken);
      at(offsetOf(doc, problem.path, problem.key), path, problem.message);
    }
  }

  const document: YamlDocument = {
    value,
    has: (path) => doc.hasIn(path),
    valid: (path) => !broken.some((b) => startsWith(path, b) || startsWith(b, path)),
    get problems() {
      return sorted(dedupe(problems));
    },
    report: (path, message, offsetInValue = 0) => {
      const offset = offsetOf(doc, path);
      at(
        offset === undefined ? undefined : offset + offsetInValue + quoteWidth(doc, path),
        path,
        message,
      );
    },
  };
  return { ok: true, document };
}

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

/**
 * `namespace: {{ labels.namespace }}` unquoted is a flow map holding a flow map, to YAML: finds
 * every such value, with its path and source text.
 */
function unquotedTemplates(
  node: unknown,
  path: PathSegment[],
  text: string,
): { path: PathSegment[]; offset: number; source: string }[] {
  if (isMap(node)) {
    const range = node.range;
    if (node.flow === true && range && text.startsWith('{{', range[0])) {
      return [{ path, offset: range[0], source: text.slice(range[0], range[1]).trimEnd() }];
    }
    return node.items.flatMap((pair) =>
      isScalar(pair.key)
        ? unquotedTemplates(pair.value, [...path, String(pair.key.value)], text)
        : [],
    );
  }
  if (isSeq(node)) {
    return node.items.flatMap((item, i) => unquotedTemplates(item, [...path, i], text));
  }
  return [];
}

/** `{{ x }}` → `'{{ x }}'`, in YAML's single quotes (where a quote is written twice). */
function quoteForYaml(source: string): string {
  return `'${source.replace(/'/g, "''")}'`;
}

function pointerToPath(pointer: string): PathSegment[] {
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * One ajv error as a path, an optional key under it and a message for an SRE, and the part of
 * the document it makes unusable (`broken`); or nothing.
 */
function describeSchemaError(
  error: ErrorObject,
  patternMessages: PatternMessages,
): { path: PathSegment[]; key?: string; message: string; broken: PathSegment[] } | undefined {
  const path = pointerToPath(error.instancePath);
  // A bad map key is reported twice (its own error, then `propertyNames`): keep the first. An
  // `if` error only says that the `then` part failed, whose own errors say how.
  if (error.keyword === 'propertyNames' || error.keyword === 'if') return undefined;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    const key = String(params.additionalProperty);
    return {
      path,
      key,
      message: unknownKeyMessage(key, error.parentSchema),
      broken: [...path, key],
    };
  }
  if (error.keyword === 'required') {
    const key = String(params.missingProperty);
    return { path, message: `missing required key "${key}"`, broken: [...path, key] };
  }
  // A schema whose pattern means something (a duration, a level) says it for the ways a value
  // can miss its form: `verify: 5` is not "must be a string" but "must be a duration such as
  // 30s"; `minSeverity: 5`, "must be a severity level from 1 (Sev1) to 4 (Sev4)". (A length says
  // its own limit.)
  const pattern = (error.parentSchema as { pattern?: unknown } | undefined)?.pattern;
  const meaning =
    typeof pattern === 'string' && FORM_KEYWORDS.has(error.keyword)
      ? patternMessages.get(pattern)
      : undefined;
  const message = meaning ?? keywordMessage(error);
  if (error.propertyName !== undefined) {
    const key = error.propertyName;
    return { path, key, message: `"${key}" ${message}`, broken: [...path, key] };
  }
  return { path, message, broken: path };
}

const FORM_KEYWORDS: ReadonlySet<string> = new Set(['pattern', 'type', 'minimum', 'maximum']);

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'text (a string)',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of keys to values',
  null: 'null',
};

/** An ajv keyword's complaint in plain English, never ajv's own wording. */
function keywordMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const limit = Number(params.limit);
  const items = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;
  switch (error.keyword) {
    case 'type':
      return `must be ${String(params.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ')}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'minimum':
      return `must be at least ${limit}`;
    case 'maximum':
      return `must be at most ${limit}`;
    case 'exclusiveMinimum':
      return `must be greater than ${limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${limit}`;
    case 'multipleOf':
      return `must be a multiple of ${String(params.multipleOf)}`;
    case 'minLength':
      return limit === 1
        ? 'must not be empty'
        : `must be at least ${items(limit, 'character')} long`;
    case 'maxLength':
      return `must be at most ${items(limit, 'character')} long`;
    case 'minItems':
      return limit === 1
        ? 'must not be empty: give at least one item'
        : `must have at least ${items(limit, 'item')}`;
    case 'maxItems':
      return `must have at most ${items(limit, 'item')}`;
    case 'uniqueItems':
      return `must not repeat an item (items ${String(params.j)} and ${String(params.i)} are the same)`;
    case 'minProperties':
      return limit === 1 ? 'must not be empty' : `must have at least ${items(limit, 'key')}`;
    case 'maxProperties':
      return `must have at most ${items(limit, 'key')}`;
    case 'pattern':
      return `must match the regular expression ${String(params.pattern)}`;
    case 'format':
      return params.format === 'date-time'
        ? 'must be a date and time such as 2026-01-01T00:00:00Z (RFC 3339)'
        : `must be a ${String(params.format)}`;
    default:
      return 'is not allowed here';
  }
}

/**
 * `unknown key "colldown": did you mean "cooldown"?` when one allowed key is a typo away (case,
 * one or two letters), else the keys allowed there (ajv's `verbose` errors carry the map's schema).
 */
function unknownKeyMessage(key: string, parentSchema: unknown): string {
  const properties = (parentSchema as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  const allowed = properties === undefined ? [] : Object.keys(properties);
  if (allowed.length === 0) return `unknown key "${key}": no keys are allowed here`;
  const near = closest(key, allowed);
  if (near !== undefined) return `unknown key "${key}": did you mean "${near}"?`;
  return `unknown key "${key}": allowed keys are ${allowed.join(', ')}`;
}

/** The one candidate within a typo of `word` (at most 2 edits, fewer than half its letters). */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(2, Math.floor((word.length - 1) / 2));
  const near = candidates.filter(
    (c) => Math.abs(c.length - word.length) <= limit && typoDistance(word, c) <= limit,
  );
  return near.length === 1 ? near[0] : undefined;
}

/**
 * Edits (insert, delete, replace, swap two neighbours) from `a` to `b`, ignoring case: optimal
 * string alignment distance. Only called on keys of similar length, so the table stays small.
 */
function typoDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const width = y.length + 1;
  // d[i * width + j]: the distance between the first i letters of x and the first j of y.
  const d = new Array<number>((x.length + 1) * width).fill(0);
  const at = (i: number, j: number): number => d[i * width + j] ?? 0;
  for (let i = 0; i <= x.length; i++) d[i * width] = i;
  for (let j = 0; j <= y.length; j++) d[j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * width + j] = best;
    }
  }
  return at(x.length, y.length);
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

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sorted(problems: PolicyProblem[]): PolicyProblem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}
