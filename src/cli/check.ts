import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../labels/durations';
import { formatProblem } from '../policies/loader';
import { readPolicyFile } from '../policies/store';
import { ACTIONS } from '../remediations/actions/index';
import { parseQuery } from '../sources/prometheus';
import { describeError } from '../errors';
import { EXIT, parseCommandLine, usageError, type CommandIo } from './command';
import {
  alertDecays,
  DEFAULT_EVALUATION_INTERVAL_MS,
  readRules,
  shortWindows,
  type Decay,
} from './rule-decay';

export const CHECK_USAGE = `Usage: remediator check [--rules PATH]... [--prometheus-url URL] FILE...

Validates policy files, like 'promtool check rules': the schema, matchers, templates, action
parameters, PromQL queries and references, everything the server checks before it loads a file.
Without --prometheus-url nothing is contacted, and no sink URL file is read.

For each file it prints 'Checking FILE', then '  SUCCESS: N policies, M severity rules, K sinks',
or '  FAILED:' (to stderr) followed by every problem as 'FILE:LINE:COL: path: message': the
schema's and, in the same run, those of matchers, templates and references in every part the
schema found well-formed.

Options:
  --prometheus-url URL     also have Prometheus parse every verify query (/api/v1/parse_query,
                           Prometheus 2.45 or later); its errors are reported like the others
  --rules PATH             Prometheus rule files (or PrometheusRule manifests), or a directory
                           of them: warn about every step judged by its alerts whose verify
                           window is shorter than the alert's decay (how long its rule can go
                           on firing after a fix that works); repeatable
  --group-interval DUR     Alertmanager's group_interval, added to the decay (default 5m, its
                           default): the resolved notification waits for it. Give 0s when the
                           server asks Alertmanager (--alertmanager-url)
  --evaluation-interval DUR  Prometheus' global evaluation_interval, for rule groups without an
                           interval (default 1m)

Exit status: 0 when every file is valid (warnings included), 1 when any is not, 2 on a usage
error.`;

/** `remediator check FILE...`: validates policy files. Resolves with the exit code. */
export async function checkCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseCommandLine(
    'check',
    argv,
    {
      rules: { type: 'string', multiple: true },
      'prometheus-url': { type: 'string' },
      'group-interval': { type: 'string', default: '5m' },
      'evaluation-interval': { type: 'string', default: '1m' },
    },
    io,
  );
  if (args === undefined) return EXIT.usage;
  if (args.values.help === true) {
    io.out(`${CHECK_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length === 0) return usageError('check', 'no policy file given', io);
  const groupIntervalMs = parseDuration(args.values['group-interval']);
  const evaluationMs = parseDuration(args.values['evaluation-interval']);
  if (groupIntervalMs === undefined || evaluationMs === undefined || evaluationMs === 0)
    return usageError('check', 'an interval is not a duration such as 5m or 30s', io);

  let decays: Map<string, Decay> | undefined;
  if (args.values.rules !== undefined) {
    try {
      decays = alertDecays(
        readRules(
          args.values.rules.flatMap(ruleTexts),
          evaluationMs || DEFAULT_EVALUATION_INTERVAL_MS,
        ),
      );
    } catch (err) {
      return usageError('check', `cannot read the rules: ${describeError(err)}`, io);
    }
  }
  const prometheus = args.values['prometheus-url'];

  let failed = false;
  for (const file of args.positionals) {
    io.out(`Checking ${file}\n`);
    const judged = prometheus === undefined ? undefined : await askPrometheus(prometheus, file, io);
    const result = readPolicyFile(file, ACTIONS, {
      ...(judged === undefined ? {} : { queryProblem: (query: string) => judged.get(query) }),
    });
    if (result.ok) {
      const { policies, severity, sinks } = result.policySet;
      io.out(
        `  SUCCESS: ${count(policies.length, 'policy', 'policies')}, ${count(severity.rules.length, 'severity rule')}, ${count(Object.keys(sinks).length, 'sink')}\n`,
      );
      const remediating = new Set(ACTIONS.filter((a) => a.remediates).map((a) => a.name));
      const short =
        decays === undefined
          ? []
          : shortWindows(result.policySet, decays, groupIntervalMs, (a) => remediating.has(a));
      for (const warning of short) io.out(`  WARNING: ${warning.message}\n`);
      io.out('\n');
    } else {
      failed = true;
      io.err(`  FAILED:\n${result.problems.map((p) => `${formatProblem(p)}\n`).join('')}\n`);
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}

/**
 * Prometheus' verdict on each query of the file (with placeholders for its values): its error
 * for those it refuses. Undefined, and a note, when it cannot be asked.
 */
async function askPrometheus(
  url: string,
  file: string,
  io: CommandIo,
): Promise<Map<string, string> | undefined> {
  const queries = new Set<string>();
  readPolicyFile(file, ACTIONS, { onQuery: (query) => queries.add(query) });
  const refused = new Map<string, string>();
  try {
    for (const query of queries) {
      const problem = await parseQuery({ url }, query);
      if (problem !== undefined) refused.set(query, problem);
    }
  } catch (err) {
    io.out(
      `  NOTE: Prometheus could not parse the queries (${describeError(err)}); checked by the built-in parser only\n`,
    );
    return undefined;
  }
  return refused;
}

/** The texts of a rule file, or of the *.yml and *.yaml files of a directory. */
function ruleTexts(path: string): string[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
        .map((name) => join(path, name))
    : [path];
  return files.map((f) => readFileSync(f, 'utf8'));
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
