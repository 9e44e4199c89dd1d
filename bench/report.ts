/** The report: a JSON line per case, a Markdown table, and the results section of the docs. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import * as prettier from 'prettier';
import type { CaseRow, Options } from './context';
import type { HotFunction } from './profile';
import { ROOT } from './processes';
import { formatBytes } from './stats';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly kernel: string;
  readonly node: string;
  readonly loadAverageAtStart: string;
  loadAverageAtEnd?: string;
  readonly commit: string;
  readonly date: string;
}

function git(args: string[]): string {
  const result = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 5000 });
  return result.status === 0 ? result.stdout.trim() : '';
}

function load(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');
}

export function describeMachine(): Machine {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memory: formatBytes(totalmem()),
    kernel: `Linux ${release()}`,
    node: process.version,
    loadAverageAtStart: load(),
    commit: commit === '' ? 'unknown' : `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

export function finishMachine(machine: Machine): void {
  machine.loadAverageAtEnd = load();
}

function verdict(met: boolean | undefined): string {
  if (met === undefined) return 'not judged';
  return met ? '**met**' : '**not met**';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The Markdown table of every row, then the notes (over-time tables, profiles). */
export function markdown(
  rows: readonly CaseRow[],
  machine: Machine,
  options: Options,
  tool: string,
  references: readonly string[],
): string {
  const mode = options.quick
    ? `--quick (${options.rounds} rounds of ${options.durationS} s: a harness check, not a measurement)`
    : `${options.rounds} rounds of ${options.durationS} s, ${options.warmupS} s warm-up`;
  const lines = [
    `Run ${machine.date} on commit ${machine.commit}; ${mode}; ${options.connections} connections.`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, ${machine.kernel}, Node ${machine.node}; load average ${machine.loadAverageAtStart} at the start, ${machine.loadAverageAtEnd ?? '?'} at the end (the load generator and the servers share these cores).`,
    '',
    `Closed-loop load: ${tool}. Fixed-rate load: the node:http open loop in bench/load.ts. ${references.join(' ')}`,
    '',
    '| case | load | remediator | against the baseline | target | result |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const targets = row.targets.length === 0 ? '—' : row.targets.map((t) => t.text).join('; ');
    const result =
      row.targets.length === 0
        ? 'informative'
        : row.targets.map((t) => `${verdict(t.met)} (${t.detail})`).join('; ');
    lines.push(
      `| ${cell(row.title)} | ${cell(row.load)} | ${cell(row.remediator)} | ${cell(row.vsBaseline)} | ${cell(targets)} | ${cell(result)} |`,
    );
  }
  for (const row of rows) {
    for (const note of row.notes) lines.push('', `**${row.title}**: ${note}`);
  }
  for (const row of rows) {
    const profile = row.figures.profile as readonly HotFunction[] | undefined;
    if (profile === undefined) continue;
    lines.push(
      '',
      `**Where the time goes: ${row.title}** (remediator under \`node --cpu-prof\`, self time of the busy time, top ${profile.length}; ${String(row.figures.profileFile)}):`,
      '',
      '| self time | share | function | where |',
      '| --- | --- | --- | --- |',
      ...profile.map(
        (f) =>
          `| ${f.selfMs.toFixed(0)} ms | ${f.percent.toFixed(1)}% | ${cell(f.name)} | ${cell(f.where)} |`,
      ),
    );
  }
  return lines.join('\n');
}

const DOCS = join(ROOT, 'docs', 'benchmarks.md');

/** Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in the docs. */
export async function writeDocsSection(name: string, text: string): Promise<string> {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const doc = readFileSync(DOCS, 'utf8');
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${DOCS} has no ${start} ... ${end} section`);
  const updated = `${doc.slice(0, from + start.length)}\n\n${text}\n\n${doc.slice(to)}`;
  // Formatted as `npm run lint` (prettier --check) expects.
  const config = (await prettier.resolveConfig(DOCS)) ?? {};
  writeFileSync(DOCS, await prettier.format(updated, { ...config, filepath: DOCS }));
  return DOCS;
}
