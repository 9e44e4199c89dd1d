import Ajv from 'ajv';
import { createHash } from 'node:crypto';
import { RemediatorError } from '../errors';
import { durationSchema } from '../remediations/action';
import { compilePolicyFile, formatPath } from './compile';
import type { PolicySet } from './policy';
import { NAME_PATTERN, policyFileSchema, type PolicyFileSpec } from './schema';
import { formatProblem, parseYamlFile, type PolicyProblem } from './yaml-document';

export { formatProblem, type PolicyProblem } from './yaml-document';

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

/** Patterns an SRE should not have to read as regexes. */
export const PATTERN_MESSAGES: ReadonlyMap<string, string> = new Map([
  [durationSchema.pattern, 'must be a duration such as 30s, 5m or 1h30m (units largest first)'],
  [
    NAME_PATTERN,
    'must be lower-case letters, digits and dashes, starting and ending with a letter or digit',
  ],
]);

/**
 * Parses, validates and compiles a policies file. Never throws for any input text: everything
 * wrong with it comes back as problems with file, line, column and path.
 */
export function loadPolicies(text: string, file: string): LoadResult {
  const parsed = parseYamlFile(text, file, validateFile, PATTERN_MESSAGES);
  if (!parsed.ok) return parsed;
  const compiled = compilePolicyFile(
    parsed.document.value as PolicyFileSpec,
    parsed.document.report,
  );
  const problems = parsed.document.problems;
  if (problems.length > 0) return { ok: false, problems: [...problems] };
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
