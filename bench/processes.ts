/**
 * The processes a benchmark talks to: remediator (the built `dist/main.js serve`), the bare
 * node:http baseline (bench/baseline.js), Debian's `webhook` (adnanh) and the fake Kubernetes API.
 * Every one is its own process listening on 127.0.0.1, so none shares an event loop with the load
 * generator; every one is stopped when the benchmark ends, even on an error or Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deploymentNodeOptions } from '../test/support/deployment-node-options';

export const ROOT = join(__dirname, '..', '..', '..');
export const CLI = join(ROOT, 'dist', 'main.js');
export const BASELINE = join(ROOT, 'bench', 'baseline.js');
export const DURABLE_BASELINE = join(ROOT, 'bench', 'durable-baseline.js');
export const POSTGRES_DURABLE_BASELINE = join(ROOT, 'bench', 'durable-baseline-postgres.js');

const children = new Set<ChildProcess>();

/** Kills every process the benchmark started that is still running (SIGKILL: no clean-up). */
export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

export interface Server {
  readonly name: string;
  /** The URL load is sent to. */
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** remediator on a PostgreSQL journal: whether it led when it started listening. */
  readonly role?: 'sole' | 'leader' | 'follower';
  stop(): Promise<void>;
}

function track(child: ChildProcess): Promise<void> {
  children.add(child);
  return new Promise((resolve) => {
    child.once('exit', () => {
      children.delete(child);
      resolve();
    });
  });
}

function stopper(child: ChildProcess, exited: Promise<void>): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
}

/** Waits for a JSON log line with `message` in a file the process writes; returns it. */
async function waitForLine(
  file: string,
  message: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    for (const line of text.split('\n')) {
      if (!line.includes(message)) continue;
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.message === message) return parsed;
      } catch {
        // a line still being written
      }
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  const tail = existsSync(file) ? readFileSync(file, 'utf8').slice(-2000) : '';
  throw new Error(
    `no "${message}" line within ${timeoutMs} ms (exit ${String(child.exitCode)}):\n${tail}`,
  );
}

/** An environment without the caller's Kubernetes credentials or REMEDIATOR_* settings. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('REMEDIATOR_') && !k.startsWith('KUBE') && k !== 'NODE_ENV') env[k] = v;
  }
  return { ...env, HOME: '/nonexistent', ...extra };
}

export interface RemediatorOptions {
  dataDir: string;
  policies?: string;
  /** Bearer token the webhook requires (the load sends it). */
  token?: string;
  kubeconfig?: string;
  /** More `remediator serve` flags (`--serve-arg`). */
  args?: readonly string[];
  /** Node flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
  /** How the report names it (default `remediator`). */
  name?: string;
}

/**
 * Starts `remediator serve` on 127.0.0.1 port 0. Its log goes to `<dataDir>/remediator.log`
 * through a file descriptor, so logging costs the server what it costs in production and costs
 * the benchmark's own process nothing.
 */
export async function startRemediator(options: RemediatorOptions): Promise<Server> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const log = join(options.dataDir, 'remediator.log');
  const fd = openSync(log, 'a');
  const args = [
    // The heap cap of the shipped Deployment: memory is measured as it runs there.
    ...deploymentNodeOptions(ROOT),
    ...(options.nodeArgs ?? []),
    CLI,
    'serve',
    '--listen',
    '127.0.0.1',
    '--port',
    '0',
    '--data-dir',
    options.dataDir,
    ...(options.policies === undefined ? [] : ['--policies', options.policies]),
    ...(options.args ?? []),
  ];
  const env = cleanEnv({
    ...(options.token === undefined ? {} : { REMEDIATOR_WEBHOOK_TOKEN: options.token }),
    ...(options.kubeconfig === undefined ? {} : { KUBECONFIG: options.kubeconfig }),
  });
  const child = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', fd, fd],
    cwd: options.dataDir,
  });
  closeSync(fd);
  const exited = track(child);
  const line = await waitForLine(log, 'remediator listening', child, 30_000);
  const role = line.role;
  return {
    name: options.name ?? 'remediator',
    url: `http://127.0.0.1:${String(line.port)}/webhook`,
    pid: child.pid ?? 0,
    child,
    ...(role === 'sole' || role === 'leader' || role === 'follower' ? { role } : {}),
    stop: stopper(child, exited),
  };
}

/** Starts bench/baseline.js: reads the body, JSON.parse, 200. */
export async function startBaseline(dir: string): Promise<Server> {
  const log = join(dir, 'baseline.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [BASELINE], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = track(child);
  const line = await waitForLine(log, 'baseline listening', child, 10_000);
  return {
    name: 'baseline',
    url: `http://127.0.0.1:${String(line.port)}/webhook`,
    pid: child.pid ?? 0,
    child,
    stop: stopper(child, exited),
  };
}

/**
 * The durable baseline: the bare one plus the raw body appended to a SQLite WAL journal before the
 * 200, one transaction per event-loop turn (bench/durable-baseline.js).
 */
export async function startDurableBaseline(dir: string): Promise<Server> {
  const log = join(dir, 'durable-baseline.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [DURABLE_BASELINE, join(dir, 'durable-baseline.db')], {
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = track(child);
  const line = await waitForLine(log, 'durable baseline listening', child, 10_000);
  return {
    name: 'durable baseline',
    url: `http://127.0.0.1:${String(line.port)}/webhook`,
    pid: child.pid ?? 0,
    child,
    stop: stopper(child, exited),
  };
}

/**
 * The durable baseline on PostgreSQL: the bare one plus one INSERT of the raw body into database
 * `url` before the 200 (bench/durable-baseline-postgres.js).
 */
export async function startPostgresDurableBaseline(dir: string, url: string): Promise<Server> {
  const log = join(dir, 'durable-baseline-postgres.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [POSTGRES_DURABLE_BASELINE, url], {
    stdio: ['ignore', fd, fd],
    cwd: ROOT,
  });
  closeSync(fd);
  const exited = track(child);
  const line = await waitForLine(log, 'postgres durable baseline listening', child, 15_000);
  return {
    name: 'PostgreSQL durable baseline',
    url: `http://127.0.0.1:${String(line.port)}/webhook`,
    pid: child.pid ?? 0,
    child,
    stop: stopper(child, exited),
  };
}

/** Where Debian's `webhook` (adnanh) is, or undefined when it is not installed. */
export function findAdnanhWebhook(): { path: string; version: string } | undefined {
  for (const path of ['/usr/bin/webhook', '/usr/local/bin/webhook']) {
    if (!existsSync(path)) continue;
    const result = spawnSync(path, ['-version'], { encoding: 'utf8', timeout: 5000 });
    const text = `${result.stdout}${result.stderr}`;
    // Another program called webhook would not print this.
    const version = /webhook version (\S+)/i.exec(text)?.[1];
    if (version !== undefined) return { path, version };
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (ok) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}

/**
 * Starts adnanh's `webhook` with one hook running `/bin/true`, as it runs by default: without
 * `include-command-output-in-response` it answers 200 at once and runs the command in the
 * background (its default asynchronous mode), so each request also costs a fork and exec.
 */
export async function startAdnanhWebhook(path: string, dir: string): Promise<Server> {
  const hooks = join(dir, 'hooks.json');
  writeFileSync(
    hooks,
    JSON.stringify([
      {
        id: 'alertmanager',
        'execute-command': '/bin/true',
        'command-working-directory': dir,
        'response-message': 'accepted',
      },
    ]),
  );
  const port = await freePort();
  const log = join(dir, 'adnanh-webhook.log');
  const fd = openSync(log, 'a');
  const child = spawn(
    path,
    ['-hooks', hooks, '-ip', '127.0.0.1', '-port', String(port), '-http-methods', 'POST'],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const exited = track(child);
  await waitForPort(port, child, 10_000);
  return {
    name: 'webhook',
    url: `http://127.0.0.1:${port}/hooks/alertmanager`,
    pid: child.pid ?? 0,
    child,
    stop: stopper(child, exited),
  };
}

/** Resident set size of a process, from /proc (Linux); NaN elsewhere. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match?.[1] === undefined ? NaN : Number(match[1]) * 1024;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used, in clock ticks (usually 1/100 s); NaN if unknown. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

/**
 * Waits until a process stops using CPU: less than 1/25 of a core over half a second. remediator
 * plans and executes after it answers, so the work a round left behind would otherwise weigh on
 * the next server's round. Resolves with the seconds waited (capped at `timeoutMs`).
 */
export async function waitIdle(pid: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let before = cpuTicks(pid);
  if (Number.isNaN(before)) return 0;
  while (Date.now() - started < timeoutMs) {
    await sleep(500);
    const now = cpuTicks(pid);
    if (Number.isNaN(now) || now - before <= 2) break;
    before = now;
  }
  return (Date.now() - started) / 1000;
}

/** The journal's size on disk: journal.db with its WAL and shared-memory files. */
export function journalBytes(dataDir: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    const file = join(dataDir, `journal.db${suffix}`);
    if (existsSync(file)) total += statSync(file).size;
  }
  return total;
}

/** Reads a Prometheus text exposition into name → value (labels ignored: first sample wins). */
export async function scrapeMetrics(baseUrl: string): Promise<Map<string, number>> {
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] === undefined || match[3] === undefined) continue;
    if (!values.has(match[1])) values.set(match[1], Number(match[3]));
  }
  return values;
}

/** `http://127.0.0.1:PORT/webhook` → `http://127.0.0.1:PORT`. */
export function origin(url: string): string {
  return new URL(url).origin;
}
