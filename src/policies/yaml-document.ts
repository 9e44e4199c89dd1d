import type { ErrorObject, ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
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

/** A parsed, schema-valid YAML file, and a way to report further problems at a path in it. */
export interface YamlDocument {
  readonly value: unknown;
  /**
   * Adds a problem located at `path` (or at its nearest parent that exists in the file);
   * `offsetInValue` points inside a string value, e.g. at the bad part of a matcher.
   */
  readonly report: (path: readonly PathSegment[], message: string, offsetInValue?: number) => void;
  /** Every problem reported so far, in file order. */
  readonly problems: readonly PolicyProblem[];
}

/** Messages for schema patterns that mean something (`durationSchema`'s, say). */
export type PatternMessages = ReadonlyMap<string, string>;

/**
 * Parses a YAML file and validates it with an ajv schema (unknown keys rejected), the way the
 * policies loader does: never throws for any input text; every problem comes back with file,
 * line, column and path.
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

  if (!validate(value)) {
    for (const error of validate.errors ?? []) {
      const problem = describeSchemaError(error, patternMessages);
      if (problem === undefined) continue;
      const path = problem.key === undefined ? problem.path : [...problem.path, problem.key];
      at(offsetOf(doc, problem.path, problem.key), path, problem.message);
    }
    return { ok: false, problems: sorted(dedupe(problems)) };
  }

  const document: YamlDocument = {
    value,
    get problems() {
      return sorted([...problems]);
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

function pointerToPath(pointer: string): PathSegment[] {
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** One ajv error as a path, an optional key under it and a message for an SRE; or nothing. */
function describeSchemaError(
  error: ErrorObject,
  patternMessages: PatternMessages,
): { path: PathSegment[]; key?: string; message: string } | undefined {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  // A bad map key is reported twice (its own error, then `propertyNames`): keep the first.
  if (error.keyword === 'propertyNames' || error.keyword === 'if') return undefined;
  let message: string;
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
      message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'type':
      message = `must be ${String(params.type).replace(',', ' or ')}`;
      break;
    case 'minLength':
      message = params.limit === 1 ? 'must not be empty' : (error.message ?? 'is too short');
      break;
    case 'pattern':
      message = patternMessages.get(String(params.pattern)) ?? error.message ?? 'is invalid';
      break;
    default:
      message = error.message ?? 'is invalid';
  }
  if (error.propertyName !== undefined) {
    return { path, key: error.propertyName, message: `"${error.propertyName}" ${message}` };
  }
  return { path, message };
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
