import { formatProblem } from '../policies/loader';
import { readPolicyFile } from '../policies/store';
import { EXIT, parseCommandLine, usageError, type CommandIo } from './command';

export const CHECK_USAGE = `Usage: remediator check FILE...

Validates policy files, like 'promtool check rules': the schema, matchers, templates, action
parameters and references, everything the server checks before it loads a file. Nothing is
contacted and no sink URL file is read.

For each file it prints 'Checking FILE', then '  SUCCESS: N policies, M severity rules, K sinks',
or '  FAILED:' (to stderr) followed by every problem as 'FILE:LINE:COL: path: message'.

Exit status: 0 when every file is valid, 1 when any is not, 2 on a usage error.`;

/** `remediator check FILE...`: validates policy files. Returns the exit code. */
export function checkCommand(argv: readonly string[], io: CommandIo): number {
  const args = parseCommandLine('check', argv, {}, io);
  if (args === undefined) return EXIT.usage;
  if (args.values.help === true) {
    io.out(`${CHECK_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length === 0) return usageError('check', 'no policy file given', io);

  let failed = false;
  for (const file of args.positionals) {
    io.out(`Checking ${file}\n`);
    const result = readPolicyFile(file);
    if (result.ok) {
      const { policies, severity, sinks } = result.policySet;
      io.out(
        `  SUCCESS: ${count(policies.length, 'policy', 'policies')}, ${count(severity.rules.length, 'severity rule')}, ${count(Object.keys(sinks).length, 'sink')}\n\n`,
      );
    } else {
      failed = true;
      io.err(`  FAILED:\n${result.problems.map((p) => `${formatProblem(p)}\n`).join('')}\n`);
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
