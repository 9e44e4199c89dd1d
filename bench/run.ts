/**
 * `npm run bench`: builds remediator, then measures it on 127.0.0.1 against a bare node:http
 * baseline (and Debian's `webhook`, when installed) and prints a JSON line per case and a
 * Markdown table. See docs/benchmarks.md.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kubeLatency } from './case-kube';
import { memory, soak } from './case-memory';
import { planning } from './case-planning';
import { replay } from './case-replay';
import { fixedRate1000, throughputCase } from './cases-http';
import { postgresCase } from './cases-postgres';
import type { CaseRow, CaseSpec, Context, Options } from './context';
import { chooseTool, type ToolName } from './load';
import { describeMachine, finishMachine, markdown, writeDocsSection } from './report';
import { CLI, findAdnanhWebhook, killAll, ROOT } from './processes';

export const CASES: readonly CaseSpec[] = [
  throughputCase(1, true),
  throughputCase(10, true),
  throughputCase(100, true),
  throughputCase(1000, true),
  throughputCase(1, false),
  throughputCase(10, false),
  throughputCase(100, false),
  throughputCase(1000, false),
  fixedRate1000,
  postgresCase(1, 'leader'),
  postgresCase(10, 'leader'),
  postgresCase(10, 'follower'),
  kubeLatency,
  planning,
  replay,
  memory,
];

/** Rows that come from another case's run. */
const ALIASES: Readonly<Record<string, string>> = { 'vs-adnanh-webhook': 'distinct-10' };

const USAGE = `Usage: npm run bench -- [options]

  --quick               every case briefly (2 rounds of 2 s): checks the harness
  --case NAME           run only this case (repeat, or separate with commas):
                        ${CASES.map((c) => c.name).join(', ')}, vs-adnanh-webhook
  --rounds N            rounds per case, alternating the servers (default 5; --quick 2)
  --duration SECONDS    length of one round (default 10; --quick 2)
  --warmup SECONDS      warm-up per server before the rounds (default 2; --quick 0.5)
  --connections N       closed-loop connections (default 10)
  --tool NAME           wrk, autocannon or node (default: the first available)
  --profile             run remediator with --cpu-prof in the webhook cases; print the top functions
  --policies FILE       policies for the webhook and memory cases (default: none)
  --serve-arg ARG       pass ARG to remediator serve (repeat), e.g. --retention=1h
  --memory-alerts N     alert instances the memory case ingests (default 1000000; --quick 50000)
  --soak DURATION       only the soak, e.g. 10m or 90s: RSS, event-loop delay, journal over time
  --soak-rate N         requests/s during the soak (default 50)
  --write-docs          write the table (or the soak) into docs/benchmarks.md
  --keep                keep the scratch directory (journals, logs)`;

function seconds(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match?.[1] === undefined)
    throw new Error(`${flag}: ${JSON.stringify(text)} is not a duration (90s, 10m, 1h)`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] ?? 's'] ?? 1;
  return Number(match[1]) * unit;
}

function positive(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`${flag}: ${JSON.stringify(text)} is not a positive number`);
  return n;
}

export function parseOptions(
  argv: readonly string[],
): Options & { help: boolean; tool?: ToolName } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      case: { type: 'string', multiple: true, default: [] },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      tool: { type: 'string' },
      profile: { type: 'boolean', default: false },
      policies: { type: 'string' },
      'serve-arg': { type: 'string', multiple: true, default: [] },
      'memory-alerts': { type: 'string' },
      soak: { type: 'string' },
      'soak-rate': { type: 'string' },
      'write-docs': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick;
  const cases = values.case.flatMap((c) => c.split(',')).map((c) => ALIASES[c] ?? c);
  const known = new Set(CASES.map((c) => c.name));
  const unknown = cases.filter((c) => !known.has(c));
  if (unknown.length > 0) throw new Error(`--case: unknown ${unknown.join(', ')}\n\n${USAGE}`);
  const tool = values.tool;
  if (tool !== undefined && !['wrk', 'autocannon', 'node'].includes(tool)) {
    throw new Error(`--tool: ${JSON.stringify(tool)} is not wrk, autocannon or node`);
  }
  return {
    help: values.help,
    quick,
    cases,
    rounds: Math.round(positive(values.rounds, quick ? 2 : 5, '--rounds')),
    durationS: positive(values.duration, quick ? 2 : 10, '--duration'),
    warmupS: positive(values.warmup, quick ? 0.5 : 2, '--warmup'),
    connections: Math.round(positive(values.connections, 10, '--connections')),
    writeDocs: values['write-docs'],
    ...(values.soak === undefined ? {} : { soakS: seconds(values.soak, '--soak') }),
    soakRate: positive(values['soak-rate'], 50, '--soak-rate'),
    profile: values.profile,
    serveArgs: values['serve-arg'],
    ...(values.policies === undefined ? {} : { policies: values.policies }),
    memoryAlerts: Math.round(
      positive(values['memory-alerts'], quick ? 50_000 : 1_000_000, '--memory-alerts'),
    ),
    keep: values.keep,
    ...(tool === undefined ? {} : { tool: tool as ToolName }),
  };
}

function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: npm run bench builds it (npm run build)`);
  const machine = describeMachine();
  const { tool, notes } = chooseTool(options.tool);
  const adnanh = findAdnanhWebhook();
  const references = [
    ...notes.map((n) => `${n}.`),
    adnanh === undefined
      ? 'webhook (adnanh): not installed, so not measured.'
      : `Second reference: webhook ${adnanh.version} (adnanh), running /bin/true in its default asynchronous mode (answers at once, runs the command in the background).`,
  ];
  progress(`load generator: ${tool.description}; ${references.join(' ')}`);
  const outDir = join(ROOT, '.bench');
  mkdirSync(outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'remediator-bench-'));
  cleanup = () => {
    killAll();
    if (!options.keep) rmSync(workDir, { recursive: true, force: true });
  };
  let prefix = 0;
  const ctx: Context = {
    options,
    tool,
    ...(adnanh === undefined ? {} : { adnanh }),
    workDir,
    outDir,
    nextPrefix: () => ++prefix,
    progress,
  };
  const stamp = machine.date.replace(/[:]/g, '-');
  try {
    if (options.soakS !== undefined) {
      progress(`soak: ${options.soakS} s at ${options.soakRate} requests/s`);
      const result = await soak(ctx);
      finishMachine(machine);
      const text = `Run ${machine.date} on commit ${machine.commit}. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}; load average ${machine.loadAverageAtStart} → ${machine.loadAverageAtEnd ?? '?'}.\n\n${result.markdown}`;
      process.stdout.write(`${JSON.stringify({ soak: result.summary })}\n\n${text}\n`);
      writeFileSync(
        join(outDir, `soak-${stamp}.json`),
        JSON.stringify({ machine, summary: result.summary, samples: result.samples }, null, 2),
      );
      if (options.writeDocs) progress(`wrote ${await writeDocsSection('soak', text)}`);
      return 0;
    }

    const selected = CASES.filter(
      (c) => options.cases.length === 0 || options.cases.includes(c.name),
    );
    const rows: CaseRow[] = [];
    let failed = 0;
    for (const spec of selected) {
      progress(`case ${spec.name}: ${spec.title}`);
      try {
        for (const row of await spec.run(ctx)) {
          rows.push(row);
          process.stdout.write(
            `${JSON.stringify({ case: row.case, title: row.title, tool: tool.description, load: row.load, targets: row.targets, figures: row.figures })}\n`,
          );
        }
      } catch (err) {
        failed++;
        const message = err instanceof Error ? err.message : String(err);
        progress(`case ${spec.name} failed: ${message}`);
        rows.push({
          case: spec.name,
          title: spec.title,
          load: '—',
          remediator: `**the case failed**: ${message.split('\n')[0] ?? ''}`,
          vsBaseline: '—',
          targets: [],
          figures: { error: message },
          notes: [],
        });
      }
    }
    finishMachine(machine);
    const table = markdown(rows, machine, options, tool.description, references);
    process.stdout.write(`\n${table}\n`);
    writeFileSync(
      join(outDir, `results-${stamp}.json`),
      JSON.stringify({ machine, options, tool: tool.description, references, rows }, null, 2),
    );
    writeFileSync(join(outDir, 'latest.md'), `${table}\n`);
    if (options.writeDocs) progress(`wrote ${await writeDocsSection('results', table)}`);
    return failed > 0 ? 1 : 0;
  } finally {
    cleanup();
    if (options.keep) progress(`scratch directory kept: ${workDir}`);
  }
}

/** Stops every server started and removes the scratch directory (unless --keep). */
let cleanup: () => void = killAll;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    killAll();
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
