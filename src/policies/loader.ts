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
import { createHash } from 'node:crypto';
import { RemediatorError } from '../errors';
import { compilePolicyFile, formatPath, type PathSegment } from './compile';
import type { PolicySet } from './policy';
import { durationSchema } from '../remediations/action';
import { NAME_PATTERN, policyFileSchema, type PolicyFileSpec } from './schema';

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

export type LoadResult =
  { ok: true; policySet: PolicySet } | { ok: false; problems: PolicyProblem[] };

/** Compiled once; `allErrors` because an SRE wants every problem of a file at once. */
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
const validateFile = ajv.compile(policyFileSchema);

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
    // An if/then mismatch is also reported by the `then` branch's own errors, more precisely.
    for (const error of (validateFile.errors ?? []).filter((e) => e.keyword !== 'if')) {
      const problem = describeSchemaError(error);
      at(
        locate(problem.path, problem.key),
        problem.key === undefined ? problem.path : [...problem.path, problem.key],
        problem.message,
      );
    }
    return { ok: false, problems: sorted(problems) };
  }

  const compiled = compilePolicyFile(
    value as PolicyFileSpec,
    (path, message, offsetInValue = 0) => {
      const offset = locate(path);
      at(
        offset === undefined ? undefined : offset + offsetInValue + quoteWidth(doc, path),
        path,
        message,
      );
    },
  );
  if (problems.length > 0) return { ok: false, problems: sorted(problems) };
  const digest = createHash('sha256').update(text).digest('hex');
  return { ok: true, policySet: { source: file, digest, ...compiled } };
}

/** The runbook defaults, for a server started without a policies file. */
export function defaultPolicySet(): PolicySet {
  // The schema fills in every default, exactly as it does for a file.
  const defaults: unknown = {};
  if (!validateFile(defaults)) throw new Error('the built-in defaults do not validate');
  const compiled = compilePolicyFile(defaults as PolicyFileSpec, (path, message) => {
    throw new Error(`built-in defaults are invalid at ${formatPath(path)}: ${message}`);
  });
  return { source: '(defaults)', digest: '', ...compiled };
}

/** Patterns an SRE should not have to read as regexes. */
const PATTERN_MESSAGES = new Map([
  [durationSchema.pattern, 'must be a duration such as 30s, 5m or 1h30m (units largest first)'],
  [
    NAME_PATTERN,
    'must be lower-case letters, digits and dashes, starting and ending with a letter or digit',
  ],
]);

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
    case 'pattern':
      return {
        path,
        message: PATTERN_MESSAGES.get(String(params.pattern)) ?? error.message ?? 'is invalid',
      };
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
