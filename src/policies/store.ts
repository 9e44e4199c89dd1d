import { readFileSync } from 'node:fs';
import { defaultPolicySet, loadPolicies, PolicyError, type PolicySet } from './loader';

/** The policies in force, and where they came from. */
export class PolicyStore {
  private current: PolicySet;

  private constructor(
    readonly file: string | undefined,
    initial: PolicySet,
  ) {
    this.current = initial;
  }

  /** Loads the file (or the runbook defaults without one); throws PolicyError listing every problem. */
  static open(file: string | undefined): PolicyStore {
    if (file === undefined) return new PolicyStore(undefined, defaultPolicySet());
    return new PolicyStore(file, readPolicyFile(file));
  }

  get policies(): PolicySet {
    return this.current;
  }
}

/** Reads and loads one policies file; throws PolicyError (unreadable files included). */
export function readPolicyFile(file: string): PolicySet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError([
      {
        file,
        line: 1,
        column: 1,
        path: '',
        message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      },
    ]);
  }
  const result = loadPolicies(text, file);
  if (!result.ok) throw new PolicyError(result.problems);
  return result.policySet;
}
