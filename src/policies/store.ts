import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  defaultPolicySet,
  loadPolicyFiles,
  PolicyError,
  type LoadResult,
  type PolicyProblem,
  type PolicyText,
  type CompileOptions,
  type ServerSources,
} from './loader';
import type { ActionSpec } from './action-spec';
import type { PolicySet } from './policy';
import { readTextFile } from './yaml-document';

export type ReloadResult =
  | { outcome: 'unchanged' }
  | { outcome: 'loaded'; policySet: PolicySet }
  | { outcome: 'rejected'; problems: readonly PolicyProblem[] };

export interface WatchOptions {
  /** Called after every reload that found a different file. */
  onReload: (result: Exclude<ReloadResult, { outcome: 'unchanged' }>, trigger: string) => void;
  /** A safety net for file systems whose change events get lost; default 10 s. */
  pollMs?: number;
  /** Events come in bursts while a file is written or a ConfigMap is swapped; default 200 ms. */
  debounceMs?: number;
}

/**
 * The policies in force. Reloading reads the file again: a valid new file replaces the policies
 * at once (requests in flight keep the set they started with); an invalid one is rejected and the
 * last good policies stay in force.
 */
export class PolicyStore {
  private current: PolicySet;
  private lastProblems: readonly PolicyProblem[] = [];

  private constructor(
    readonly file: string | undefined,
    private readonly actions: readonly ActionSpec[],
    private readonly sources: ServerSources | undefined,
    initial: PolicySet,
  ) {
    this.current = initial;
  }

  /**
   * Loads the file (or the runbook defaults without one); throws PolicyError listing every problem.
   * With `sources`, a policy that needs a source the server has not got is a problem too.
   */
  static open(
    file: string | undefined,
    actions: readonly ActionSpec[],
    sources?: ServerSources,
  ): PolicyStore {
    if (file === undefined)
      return new PolicyStore(undefined, actions, sources, defaultPolicySet(actions));
    const result = readPolicyFile(file, actions, { sources });
    if (!result.ok) throw new PolicyError(result.problems);
    return new PolicyStore(file, actions, sources, result.policySet);
  }

  get policies(): PolicySet {
    return this.current;
  }

  /** Problems of the file on disk when it was rejected; empty when the file in force is on disk. */
  get rejectedProblems(): readonly PolicyProblem[] {
    return this.lastProblems;
  }

  reload(): ReloadResult {
    if (this.file === undefined) return { outcome: 'unchanged' };
    const result = this.refuseSilentEmptying(
      readPolicyFile(this.file, this.actions, { sources: this.sources }),
      this.file,
    );
    if (!result.ok) {
      const sameProblems = JSON.stringify(result.problems) === JSON.stringify(this.lastProblems);
      this.lastProblems = result.problems;
      return sameProblems
        ? { outcome: 'unchanged' }
        : { outcome: 'rejected', problems: result.problems };
    }
    this.lastProblems = [];
    if (result.policySet.digest === this.current.digest) return { outcome: 'unchanged' };
    this.current = result.policySet;
    return { outcome: 'loaded', policySet: result.policySet };
  }

  /**
   * A file that loads with no policies while some are in force is refused unless it says
   * `policies: []`: an empty or comment-only file is what a half-written ConfigMap or a bad
   * template looks like, and taking it would silently stop every remediation and every sink.
   */
  private refuseSilentEmptying(result: LoadResult, file: string): LoadResult {
    if (!result.ok || result.policySet.policies.length > 0 || this.current.policies.length === 0)
      return result;
    if (result.policySet.declaresPolicies) return result;
    return {
      ok: false,
      problems: [
        {
          file,
          line: 1,
          column: 1,
          path: 'policies',
          message: `the file has no policies section, which would remove all ${this.current.policies.length} policies in force; write "policies: []" to mean it`,
        },
      ],
    };
  }

  /**
   * Reloads when the file (or a file of the directory) changes. Watches the directory, not the
   * file: Kubernetes updates a mounted ConfigMap by swapping the `..data` symlink next to it,
   * which a watch on the file (the old inode) would never see. Returns a function that stops
   * watching.
   */
  watch(options: WatchOptions): () => void {
    const file = this.file;
    if (file === undefined) return () => undefined;
    const directory = isDirectory(file);
    let timer: NodeJS.Timeout | undefined;
    const run = (trigger: string): void => {
      const result = this.reload();
      if (result.outcome !== 'unchanged') options.onReload(result, trigger);
    };
    const schedule = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => run('file change'), options.debounceMs ?? 200);
    };
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(directory ? file : dirname(file), (_event, name) => {
        if (directory || name === null || name === basename(file) || name.startsWith('..'))
          schedule();
      });
      watcher.on('error', () => undefined);
    } catch {
      // No watch support here: the poll below still notices changes.
    }
    const poll = setInterval(() => run('poll'), options.pollMs ?? 10_000);
    poll.unref();
    return () => {
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    };
  }
}

/**
 * Reads and loads a policies file, or a directory of them: every `*.yaml` and `*.yml` file in it
 * (not `*.test.yaml`, the policy tests beside them, nor hidden names such as the `..data` of a
 * mounted ConfigMap), in name order, loaded as one set (see `loadPolicyFiles`). An unreadable
 * file is a problem like any other.
 */
export function readPolicyFile(
  path: string,
  actions: readonly ActionSpec[],
  options?: CompileOptions,
): LoadResult {
  const files = isDirectory(path) ? policyFilesIn(path) : [path];
  if (files.length === 0) {
    return {
      ok: false,
      problems: [
        {
          file: path,
          line: 1,
          column: 1,
          path: '',
          message: 'no policies files in this directory (*.yaml or *.yml, other than *.test.yaml)',
        },
      ],
    };
  }
  const texts: PolicyText[] = [];
  const problems: PolicyProblem[] = [];
  for (const file of files) {
    const read = readTextFile(file);
    if (read.ok) texts.push({ file, text: read.text });
    else problems.push(...read.problems);
  }
  if (problems.length > 0) return { ok: false, problems };
  return loadPolicyFiles(texts, path, actions, options);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    // Missing or unreadable: reading it as a file says why.
    return false;
  }
}

/** The policies files of a directory, in name order. */
export function policyFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter(
      (name) => /\.ya?ml$/.test(name) && !/\.test\.ya?ml$/.test(name) && !name.startsWith('.'),
    )
    .sort()
    .map((name) => join(dir, name));
}
