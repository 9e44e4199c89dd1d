import type { ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { RemediatorError } from '../errors';
import { durationSchema } from '../labels/durations';
import {
  compilePolicyFile,
  formatPath,
  isMap,
  type PathSegment,
  type Report,
  type SchemaValid,
  type CompileOptions,
} from './compile';
import type { PolicySet } from './policy';
import { indexActions, type ActionSpec } from './action-spec';
import { buildPolicySchema, LEVEL_NAME_PATTERN, NAME_PATTERN, type PolicyFileSpec } from './schema';
import {
  formatProblem,
  parseYamlFile,
  yamlFileValidator,
  type PolicyProblem,
  type YamlDocument,
} from './yaml-document';

export { formatProblem, type PolicyProblem } from './yaml-document';
export type { CompileOptions, ServerSources } from './compile';

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

const ajv = yamlFileValidator();

/** The language for one action catalogue: its validator and its actions by name, built once. */
interface Language {
  readonly validate: ValidateFunction;
  readonly actions: ReadonlyMap<string, ActionSpec>;
}
const languages = new WeakMap<readonly ActionSpec[], Language>();

function languageFor(actions: readonly ActionSpec[]): Language {
  let language = languages.get(actions);
  if (language === undefined) {
    language = {
      actions: indexActions(actions),
      validate: ajv.compile(buildPolicySchema(actions)),
    };
    languages.set(actions, language);
  }
  return language;
}

/** Patterns an SRE should not have to read as regexes. */
export const PATTERN_MESSAGES: ReadonlyMap<string, string> = new Map([
  [durationSchema.pattern, 'must be a duration such as 30s, 5m or 1h30m (units largest first)'],
  [
    NAME_PATTERN,
    'must be lower-case letters, digits and dashes, starting and ending with a letter or digit',
  ],
  [LEVEL_NAME_PATTERN, 'must be a severity level from 1 (Sev1) to 4 (Sev4): 2, Sev2 or sev2'],
]);

/**
 * Parses, validates and compiles a policies file. Never throws for any input text: everything
 * wrong with it comes back as problems with file, line, column and path, all in one run: the
 * semantic checks (matchers, templates, references) run on every part the schema found
 * well-formed, even when it found problems elsewhere.
 */
export function loadPolicies(
  text: string,
  file: string,
  actions: readonly ActionSpec[],
  options?: CompileOptions,
): LoadResult {
  return loadPolicyFiles([{ file, text }], file, actions, options);
}

/** One file of a set of policies files. */
export interface PolicyText {
  readonly file: string;
  readonly text: string;
}

/** Sections that one file of a set may give: two would leave it unclear which applies. */
const ONCE_SECTIONS = ['severity', 'safety', 'escalation', 'status'] as const;

interface ParsedFile extends PolicyText {
  readonly document: YamlDocument;
  /** The file's value, when it is a map (anything else has no parts to check further). */
  readonly spec: Partial<PolicyFileSpec> | undefined;
}

/**
 * Loads a set of policies files as one, in order (a directory: a pack per file). Their policies
 * follow each other in that order (routing with `continue` reads them so), their sinks are shared
 * (a notify step of one file may name a sink of another; two files defining one sink name is a
 * problem), and `severity`, `safety`, `escalation` and `status` may each be given by one file only. Every
 * problem is reported in the file and at the line it is about. `source` names the set.
 */
export function loadPolicyFiles(
  texts: readonly PolicyText[],
  source: string,
  actions: readonly ActionSpec[],
  options?: CompileOptions,
): LoadResult {
  const language = languageFor(actions);
  const yamlProblems: PolicyProblem[] = [];
  const files: ParsedFile[] = [];
  for (const { file, text } of texts) {
    const parsed = parseYamlFile(text, file, language.validate, PATTERN_MESSAGES);
    if (!parsed.ok) yamlProblems.push(...parsed.problems);
    else {
      const { value } = parsed.document;
      files.push({ file, text, document: parsed.document, spec: isMap(value) ? value : undefined });
    }
  }
  const maps = files.filter((f) => f.spec !== undefined);
  const set = mergeFiles(maps, texts.length > 1);
  const compiled =
    set === undefined
      ? undefined
      : compilePolicyFile(set.spec, set.report, language.actions, set.valid, set.place, options);
  const problems = [...yamlProblems, ...files.flatMap((f) => f.document.problems)];
  if (problems.length > 0) return { ok: false, problems };
  if (compiled === undefined) throw new Error(`${source} has no problems but did not compile`);
  const digest = createHash('sha256');
  for (const { file, text } of texts) digest.update(`${texts.length > 1 ? file : ''}\0${text}`);
  return {
    ok: true,
    policySet: {
      source,
      digest: digest.digest('hex'),
      declaresPolicies: files.some((f) => f.document.has(['policies'])),
      ...compiled,
    },
  };
}

/**
 * The files as one spec, with `report`, `valid` and `place` that map a path in it back to the
 * file (and the index in that file) it came from. Undefined when no file is a map.
 */
function mergeFiles(
  files: readonly ParsedFile[],
  several: boolean,
):
  | {
      spec: PolicyFileSpec;
      report: Report;
      valid: SchemaValid;
      place: (path: readonly PathSegment[]) => string;
    }
  | undefined {
  const [first] = files;
  if (first === undefined) return undefined;
  const owners = new Map<string, ParsedFile>();
  for (const section of ONCE_SECTIONS) {
    const [owner, ...others] = files.filter((f) => f.document.has([section]));
    if (owner !== undefined) owners.set(section, owner);
    for (const other of others) {
      other.document.report(
        [section],
        `\`${section}\` is given by ${basename(owner?.file ?? '')} too: give it in one file of the set`,
      );
    }
  }
  const sinkOwners = new Map<string, ParsedFile>();
  for (const f of files) {
    for (const name of Object.keys(isMap(f.spec?.sinks) ? f.spec.sinks : {})) {
      const owner = sinkOwners.get(name);
      if (owner === undefined) sinkOwners.set(name, f);
      else {
        f.document.report(
          ['sinks', name],
          `sink "${name}" is defined in ${basename(owner.file)} too: define it in one file of the set`,
        );
      }
    }
  }
  const policyFiles = files.flatMap((f) =>
    (Array.isArray(f.spec?.policies) ? f.spec.policies : []).map((_, local) => ({ f, local })),
  );
  const ownerOf = (section: string): ParsedFile => owners.get(section) ?? first;
  const spec = {
    ...(ownerOf('severity').spec?.severity === undefined
      ? {}
      : { severity: ownerOf('severity').spec?.severity }),
    sinks: Object.fromEntries([...sinkOwners].map(([name, f]) => [name, f.spec?.sinks?.[name]])),
    safety: ownerOf('safety').spec?.safety,
    escalation: ownerOf('escalation').spec?.escalation,
    status: ownerOf('status').spec?.status,
    policies: policyFiles.map(({ f, local }) => f.spec?.policies?.[local]),
  } as PolicyFileSpec;

  const route = (path: readonly PathSegment[]): { file: ParsedFile; path: PathSegment[] } => {
    const [head, second, ...rest] = path;
    if (head === 'policies' && typeof second === 'number') {
      const at = policyFiles[second];
      if (at !== undefined) return { file: at.f, path: ['policies', at.local, ...rest] };
    }
    if (head === 'sinks' && typeof second === 'string') {
      return { file: sinkOwners.get(second) ?? first, path: [...path] };
    }
    if (typeof head === 'string' && owners.has(head))
      return { file: ownerOf(head), path: [...path] };
    return { file: first, path: [...path] };
  };
  return {
    spec,
    report: (path, message, offset) => {
      const at = route(path);
      at.file.document.report(at.path, message, offset);
    },
    valid: (path) => {
      if (path.length === 0) return files.every((f) => f.document.valid([]));
      const at = route(path);
      return at.file.document.valid(at.path);
    },
    place: (path) => {
      const at = route(path);
      return several ? `${basename(at.file.file)} ${formatPath(at.path)}` : formatPath(at.path);
    },
  };
}

/** The runbook defaults, for a server started without a policies file. */
export function defaultPolicySet(actions: readonly ActionSpec[]): PolicySet {
  const language = languageFor(actions);
  // The schema fills in every default, exactly as it does for a file.
  const defaults: unknown = {};
  if (!language.validate(defaults)) throw new Error('the built-in defaults do not validate');
  const compiled = compilePolicyFile(
    defaults as PolicyFileSpec,
    (path, message) => {
      throw new Error(`built-in defaults are invalid at ${formatPath(path)}: ${message}`);
    },
    language.actions,
  );
  if (compiled === undefined) throw new Error('the built-in defaults do not compile');
  return { source: '(defaults)', digest: '', declaresPolicies: false, ...compiled };
}
