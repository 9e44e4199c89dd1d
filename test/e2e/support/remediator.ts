import { join } from 'node:path';
import { CLI, cleanEnv } from '../../support/cli';
import { step } from './log';
import { spawnManaged, type Exit, type ManagedProcess } from './processes';
import { GiveUp, waitFor } from './wait';

export type {
  IncidentSummaryView,
  IncidentView,
  PlanView,
  RemediationView,
  TimelineEntryView as TimelineEntry,
} from '../../../src/api/views';
import type { IncidentSummaryView, IncidentView } from '../../../src/api/views';

export interface RemediatorOptions {
  /** The instance name (`--instance`), also the log file's name. */
  name: string;
  port: number;
  dataDir: string;
  policiesFile: string;
  kubeconfig: string;
  tokenFile: string;
  logDir: string;
  /** remediator's own namespace, for its Leases. */
  namespace: string;
  extraArgs?: readonly string[];
  extraEnv?: Record<string, string>;
  /** Called with every parsed log line. */
  onLog?: (line: Record<string, unknown>) => void;
}

/**
 * `remediator serve` from the built package (`dist/main.js`), as a child process in its own process
 * group, on a fixed port (Alertmanager's webhook URL names it, so a restart must reuse it) with a
 * fixed data directory. Log lines of every run are kept, parsed, in {@link logs}.
 */
export class Remediator {
  readonly url: string;
  /** Parsed JSON log lines of every run, each with `run` (1 for the first start). */
  readonly logs: Record<string, unknown>[] = [];
  /** The pid of every run so far. */
  readonly pids: number[] = [];
  private current: ManagedProcess | undefined;
  private runs = 0;

  constructor(readonly options: RemediatorOptions) {
    this.url = `http://127.0.0.1:${options.port}`;
  }

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    return this.options.port;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  /** The running process, if one is running. */
  get process(): ManagedProcess | undefined {
    return this.current?.exit === undefined ? this.current : undefined;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** Starts a run and waits for its "remediator listening" line and `/readyz` 200. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const run = ++this.runs;
    const o = this.options;
    const args = [
      CLI,
      'serve',
      '--listen',
      '127.0.0.1',
      '--port',
      String(o.port),
      '--namespace',
      o.namespace,
      '--instance',
      o.name,
      '--policies',
      o.policiesFile,
      '--data-dir',
      o.dataDir,
      '--log-level',
      'debug',
      ...(o.extraArgs ?? []),
    ];
    const env = cleanEnv({
      KUBECONFIG: o.kubeconfig,
      REMEDIATOR_WEBHOOK_TOKEN_FILE: o.tokenFile,
      ...o.extraEnv,
    });
    const child = spawnManaged(o.name, process.execPath, args, {
      env,
      logFile: join(o.logDir, `${o.name}.log`),
      onLine: (line) => {
        if (!line.startsWith('{')) return;
        let parsed: Record<string, unknown>;
        try {
          parsed = { ...(JSON.parse(line) as Record<string, unknown>), run };
        } catch {
          return; // not a log line
        }
        this.logs.push(parsed);
        o.onLog?.(parsed);
      },
    });
    this.current = child;
    this.pids.push(child.pid);
    await waitFor(
      async () => {
        if (child.exit !== undefined) {
          throw new GiveUp(
            `${o.name} exited (${JSON.stringify(child.exit)}) before it was ready:\n${child.tail(30)}`,
          );
        }
        if (!this.logs.some((l) => l.run === run && l.message === 'remediator listening'))
          return false;
        const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
        return res.status === 200;
      },
      `${o.name} (pid ${child.pid}) to listen on ${this.url} and be ready`,
      timeoutMs,
      { intervalMs: 100, context: () => child.tail(30) },
    );
  }

  /** Sends `signal` (SIGKILL by default: a crash) and waits for the run to end. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    const child = this.process;
    if (child === undefined) throw new Error(`${this.name} is not running`);
    child.signal(signal);
    return child.exited;
  }

  /**
   * Stops the run gracefully (SIGTERM), SIGKILLing it after `graceMs`; resolves with the exit and
   * whether the SIGKILL was needed. A no-op when not running.
   */
  async stop(graceMs = 10_000): Promise<(Exit & { forced: boolean }) | undefined> {
    const child = this.current;
    if (child === undefined) return undefined;
    const result = await child.stop('SIGTERM', graceMs);
    return result;
  }

  /** Stops the run if there is one (SIGTERM), then starts again on the same port and data dir. */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.start();
  }

  /** The log lines of the current (or last) run. */
  runLogs(): Record<string, unknown>[] {
    return this.logs.filter((l) => l.run === this.runs);
  }

  /** Waits for a log line of the current run that satisfies `match`; returns it. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    const run = this.runs;
    return waitFor(
      () => this.logs.find((l) => l.run === run && match(l)),
      `${this.name} to log ${what}`,
      timeoutMs,
      { intervalMs: 100, context: () => this.tail(20) },
    );
  }

  /** The last `count` output lines of the current or last run, for failure messages. */
  tail(count = 20): string {
    return this.current?.tail(count) ?? '(never started)';
  }

  async getJson(path: string): Promise<any> {
    const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${this.name}${path}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text);
  }

  incident(id: number): Promise<IncidentView> {
    return this.getJson(`/api/v1/incidents/${id}`) as Promise<IncidentView>;
  }

  async incidents(query = ''): Promise<IncidentSummaryView[]> {
    const body = await this.getJson(`/api/v1/incidents${query === '' ? '' : `?${query}`}`);
    return body.incidents as IncidentSummaryView[];
  }

  /** The newest incident whose group labels include `groupLabels`, with its details. */
  async incidentFor(groupLabels: Record<string, string>): Promise<IncidentView | undefined> {
    const found = (await this.incidents('limit=100')).find((i) =>
      Object.entries(groupLabels).every(([k, v]) => i.groupLabels[k] === v),
    );
    return found === undefined ? undefined : this.incident(found.id);
  }

  async metricsText(): Promise<string> {
    const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`GET ${this.name}/metrics: HTTP ${res.status}`);
    return res.text();
  }

  /** The sum of the series of `name` whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    return sumSeries(await this.metricsText(), name, labels);
  }

  /** Logs one line, for the scenario's story. */
  say(message: string): void {
    step(`${this.name}: ${message}`);
  }
}

/** The sum of the series of `name` in a Prometheus text exposition whose labels include `labels`. */
export function sumSeries(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (m?.[1] !== name) continue;
    const series = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) total += Number(m[3]);
  }
  return total;
}
