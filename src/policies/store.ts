import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { defaultPolicySet, loadPolicies, PolicyError, type PolicyProblem } from './loader';
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
    initial: PolicySet,
  ) {
    this.current = initial;
  }

  /** Loads the file (or the runbook defaults without one); throws PolicyError listing every problem. */
  static open(file: string | undefined): PolicyStore {
    if (file === undefined) return new PolicyStore(undefined, defaultPolicySet());
    const result = readPolicyFile(file);
    if (!result.ok) throw new PolicyError(result.problems);
    return new PolicyStore(file, result.policySet);
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
    const result = readPolicyFile(this.file);
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
   * Reloads when the file changes. Watches the directory, not the file: Kubernetes updates a
   * mounted ConfigMap by swapping the `..data` symlink next to it, which a watch on the file
   * (the old inode) would never see. Returns a function that stops watching.
   */
  watch(options: WatchOptions): () => void {
    const file = this.file;
    if (file === undefined) return () => undefined;
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
      watcher = watch(dirname(file), (_event, name) => {
        if (name === null || name === basename(file) || name.startsWith('..')) schedule();
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

/** Reads and loads one policies file; an unreadable file is a problem like any other. */
export function readPolicyFile(
  file: string,
): { ok: true; policySet: PolicySet } | { ok: false; problems: PolicyProblem[] } {
  const read = readTextFile(file);
  return read.ok ? loadPolicies(read.text, file) : read;
}
