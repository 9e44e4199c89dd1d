import { formatProblem } from '../policies/loader';
import { EXIT, parseCommandLine, usageError, type CommandIo } from './command';
import { formatResults, runPolicyTests, untestedNotes } from './run-policy-tests';
import { loadTestFile, type TestFile } from './test-file';

export const TEST_USAGE = `Usage: remediator test FILE...

Runs policy unit tests, like 'promtool test rules': each test feeds notifications (alerts in
shorthand, built into the payloads Alertmanager would send, or captured payload files) through
the same pure decisions the server makes, and checks the incident's severity and status and the
plan made after each notification. Nothing is contacted.

For each file it prints 'Unit testing FILE', then '  PASS  NAME' or '  FAIL  NAME' with, for each
expectation that failed, the notification it was checked after and expected versus got; then a
note for each policy no expectation names (over every file of the run that tests the same policies
file or directory, so that a test file per pack covers a directory), and 'N tests, M failed'. A file that cannot be loaded is reported (to stderr) as
'FILE:LINE:COL: path: message' lines.

The file format (every key, how expectations are matched, an example) is documented in
docs/policy-tests.md, generated from the schema that validates it.

Exit status: 0 when every test passes, 1 when any fails or a file cannot be loaded, 2 on a
usage error.`;

/** `remediator test FILE...`: runs policy unit tests. Returns the exit code. */
export function testCommand(argv: readonly string[], io: CommandIo): number {
  const args = parseCommandLine('test', argv, {}, io);
  if (args === undefined) return EXIT.usage;
  if (args.values.help === true) {
    io.out(`${TEST_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length === 0) return usageError('test', 'no test file given', io);

  let total = 0;
  let failed = 0;
  let unloadable = 0;
  const loadedFiles: TestFile[] = [];
  for (const file of args.positionals) {
    const loaded = loadTestFile(file);
    if (!loaded.ok) {
      unloadable++;
      io.err(
        `Unit testing ${file}\n  FAILED to load:\n${loaded.problems.map((p) => `${formatProblem(p)}\n`).join('')}\n`,
      );
      continue;
    }
    loadedFiles.push(loaded.testFile);
    const results = runPolicyTests(loaded.testFile);
    total += results.length;
    failed += results.filter((r) => r.failures.length > 0).length;
    io.out(`${formatResults(loaded.testFile, results)}\n`);
  }
  const notes = untestedNotes(loadedFiles);
  if (notes.length > 0) io.out(`${notes.join('\n')}\n\n`);
  const files =
    unloadable === 0 ? '' : `, ${unloadable} file${unloadable === 1 ? '' : 's'} not loaded`;
  io.out(`${total} test${total === 1 ? '' : 's'}, ${failed} failed${files}\n`);
  return failed > 0 || unloadable > 0 ? EXIT.failed : EXIT.ok;
}
