import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, type WriteStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import { step } from './log';

/** The binaries the suite runs, and what to do when one is missing. */
export const REQUIRED_BINARIES = ['prometheus', 'prometheus-alertmanager'] as const;
const INSTALL_HINT = 'apt-get install prometheus prometheus-alertmanager; .ci/run installs them';

/** The absolute path of `name` on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * The paths of the binaries the suite needs. A missing one fails the suite (never skips it) with
 * how to install it.
 */
export function requireBinaries(): Record<(typeof REQUIRED_BINARIES)[number], string> {
  const found: Partial<Record<(typeof REQUIRED_BINARIES)[number], string>> = {};
  for (const name of REQUIRED_BINARIES) {
    const path = which(name);
    if (path === undefined) throw new Error(`${name} is not installed: ${INSTALL_HINT}`);
    found[name] = path;
  }
  return found as Record<(typeof REQUIRED_BINARIES)[number], string>;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A child process in a process group of its own (so that a kill reaches anything it starts), its
 * output teed to a log file and kept in memory line by line.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Every output line (stdout and stderr), in arrival order. */
  readonly lines: readonly string[];
  /** Resolves when the process has exited (and been reaped). */
  readonly exited: Promise<Exit>;
  /** The exit, once it happened. */
  readonly exit: Exit | undefined;
  /** The last `count` lines, for failure messages. */
  tail(count?: number): string;
  /** Sends `signal` to the whole process group; a no-op once it exited. */
  signal(signal: NodeJS.Signals): void;
  /**
   * Sends `signal` (SIGTERM by default), waits up to `graceMs`, then SIGKILLs the group. Resolves
   * with the exit and whether the SIGKILL was needed.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit & { forced: boolean }>;
}

/** Process group ids of every process spawned and not yet seen to exit, for the exit hook. */
const live = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort, if the test process ends without its afterAll (a crash, Ctrl-C): no orphans.
  process.on('exit', () => {
    for (const pgid of live) killGroup(pgid, 'SIGKILL');
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Whether a process (or, for a negative id, any process of that group) still exists. */
export function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The log file: every output line is appended to it. */
  readonly logFile: string;
  /** Called with every output line. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Run as this user and group (the caller must be root): PostgreSQL refuses to run as root, and
   * a `runuser` wrapper would stand between the harness' signals and the server.
   */
  readonly uid?: number;
  readonly gid?: number;
}

export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ManagedProcess {
  installExitHook();
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`${name}: could not start ${command}`);
  }
  live.add(pid);
  const lines: string[] = [];
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(pid);
      resolve(exit);
    });
  });
  const reader = (stream: 'stdout' | 'stderr') => {
    let buffered = '';
    return (data: Buffer) => {
      buffered += data.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        lines.push(line);
        log.write(`${line}\n`);
        options.onLine?.(line, stream);
      }
    };
  };
  child.stdout.on('data', reader('stdout'));
  child.stderr.on('data', reader('stderr'));
  void exited.then(() => log.end());

  const handle: ManagedProcess = {
    name,
    pid,
    logFile: options.logFile,
    lines,
    exited,
    get exit() {
      return exit;
    },
    tail: (count = 20) => lines.slice(-count).join('\n'),
    signal(signal) {
      if (exit === undefined) killGroup(pid, signal);
    },
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (exit !== undefined) {
        // The leader is gone; anything left in its group goes too.
        killGroup(pid, 'SIGKILL');
        return { ...exit, forced: false };
      }
      killGroup(pid, signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const first = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      let forced = false;
      if (first === 'timeout') {
        forced = true;
        step(`${name} (pid ${pid}) ignored ${signal} for ${graceMs} ms: SIGKILL`);
        killGroup(pid, 'SIGKILL');
      }
      const result = await exited;
      killGroup(pid, 'SIGKILL');
      return { ...result, forced };
    },
  };
  return handle;
}
