import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The built command, as `npm start` and the Docker image run it (`npm test` builds it first). */
export const CLI = join(__dirname, '..', '..', 'dist', 'main.js');

function requireBuilt(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run npm run build (npm test does it first)`);
}

/** An environment with no Kubernetes credentials and no REMEDIATOR_* variables from the caller. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('REMEDIATOR_') && !k.startsWith('KUBE') && k !== 'NODE_ENV') env[k] = v;
  }
  return { ...env, HOME: '/nonexistent', ...extra };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), input?: string) {
  requireBuilt();
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
    input,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface CliServer {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `remediator serve` as a child process and waits for its "listening" log line. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<CliServer> {
  requireBuilt();
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--listen', '127.0.0.1', '--port', '0', ...args],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`remediator did not start within 20 s; stderr: ${stderr}`));
    }, 20_000);
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() === '') continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        lines.push(parsed);
        if (parsed.message === 'remediator listening') {
          clearTimeout(timer);
          resolve({
            child,
            url: `http://127.0.0.1:${String(parsed.port)}`,
            lines,
            stop: (signal = 'SIGTERM') => {
              child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(
        new Error(`remediator exited with ${String(code)} before listening; stderr: ${stderr}`),
      );
    });
  });
}
