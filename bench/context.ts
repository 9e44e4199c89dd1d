/** What every case gets, and what it gives back. */
import type { Tool } from './load';

export interface Options {
  quick: boolean;
  /** Case names to run; empty = every case. */
  cases: string[];
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  writeDocs: boolean;
  /** `--soak 10m`: the soak alone, for this many seconds. */
  soakS?: number;
  soakRate: number;
  /** `--profile`: remediator runs with --cpu-prof in the closed-loop webhook cases. */
  profile: boolean;
  /** More `remediator serve` flags, e.g. `--retention=1h`. */
  serveArgs: string[];
  /** A policies file for the HTTP cases (default: none, the runbook defaults). */
  policies?: string;
  /** Alert instances the memory case ingests. */
  memoryAlerts: number;
  keep: boolean;
}

export interface Context {
  readonly options: Options;
  readonly tool: Tool;
  /** adnanh's webhook, when installed. */
  readonly adnanh?: { path: string; version: string };
  /** Scratch directory of this run (removed at the end unless --keep). */
  readonly workDir: string;
  /** Where results and profiles are kept (`.bench/`, git-ignored). */
  readonly outDir: string;
  /** A fresh prefix for the ids of one load run (ids never repeat within a run). */
  nextPrefix(): number;
  progress(message: string): void;
}

export interface Target {
  /** As the issue states it. */
  readonly text: string;
  /** undefined: could not be judged (not measured, or no reference). */
  readonly met: boolean | undefined;
  /** The figures it was judged on. */
  readonly detail: string;
}

/** One row of the report (a case may give more than one, e.g. against two references). */
export interface CaseRow {
  readonly case: string;
  readonly title: string;
  /** The load and how it was produced. */
  readonly load: string;
  readonly remediator: string;
  /** Against the node:http baseline measured in the same run. */
  readonly vsBaseline: string;
  readonly targets: readonly Target[];
  /** Every figure, for the JSON line. */
  readonly figures: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
}

export interface CaseSpec {
  readonly name: string;
  readonly title: string;
  run(ctx: Context): Promise<CaseRow[]>;
}
