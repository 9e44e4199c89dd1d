import { execFile, execFileSync } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDatabaseOn } from '../../support/postgres';
import { step } from './log';
import { freePort, refusesConnections } from './ports';
import { spawnManaged, which, type ManagedProcess } from './processes';
import { GiveUp, waitFor } from './wait';

/**
 * A PostgreSQL server of the test's own, for the end-to-end tests of issue 15 that stop the
 * journal's database mid-run: the machine's shared server cannot be stopped under other tests.
 * It runs from a fresh data directory in a temporary directory, on 127.0.0.1 only, on a port the
 * OS picked, with its unix socket inside that directory (never /var/run/postgresql, which the
 * machine's server owns).
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication, no password). */
  readonly url: string;
  readonly port: number;
  /** The temporary directory: data directory, socket and log. */
  readonly dir: string;
  readonly logFile: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** The last `count` lines the server logged since it was last started, for failure messages. */
  tail(count?: number): string;
  /**
   * Fast shutdown (SIGINT: sessions are cut, the server checkpoints and exits); resolves once the
   * server process has exited and the port refuses connections. A no-op when stopped.
   */
  stop(): Promise<void>;
  /** Starts it again on the same data directory and port; resolves once it accepts queries. */
  start(): Promise<void>;
  /** Creates database `name`; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops it and removes the temporary directory (kept with E2E_KEEP=1); safe to call twice. */
  destroy(): Promise<void>;
}

/** Every wait on the server (initdb, start, stop) is bounded by this. */
const WAIT_MS = 30_000;
const INSTALL_HINT = 'apt-get install postgresql; .ci/run installs it';

/**
 * The directory of `initdb` and `postgres`: Debian keeps them off PATH, in
 * /usr/lib/postgresql/<major>/bin; the newest installed major wins. Elsewhere, PATH.
 */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  let majors: string[] = [];
  try {
    majors = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not Debian's layout
  }
  for (const major of majors) {
    const dir = join(base, major, 'bin');
    try {
      accessSync(join(dir, 'initdb'), constants.X_OK);
      accessSync(join(dir, 'postgres'), constants.X_OK);
      return dir;
    } catch {
      // a client-only install of this major
    }
  }
  const initdb = which('initdb');
  if (initdb !== undefined && which('postgres') !== undefined) return join(initdb, '..');
  throw new Error(
    `PostgreSQL's server binaries (initdb, postgres) are not installed: ${INSTALL_HINT}`,
  );
}

/**
 * Who the server runs as. PostgreSQL refuses to run as root, and the tests run as root in CI and
 * in the container: there the server runs as the `postgres` OS user, which the package creates.
 * Otherwise it runs as the caller.
 */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', timeout: 5000 }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch (error) {
    throw new Error(
      `running as root, and there is no 'postgres' OS user to run PostgreSQL as (${String(error)}): ${INSTALL_HINT}`,
    );
  }
}

/** Runs initdb, bounded; its output goes into the error if it fails. */
function initdb(
  binDir: string,
  dataDir: string,
  cwd: string,
  user: { uid: number; gid: number } | undefined,
): Promise<void> {
  const args = [
    '-D',
    dataDir,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C',
    // The data directory is thrown away after the test: no need to wait for the disk.
    '--no-sync',
  ];
  return new Promise((resolve, reject) => {
    execFile(
      join(binDir, 'initdb'),
      args,
      { cwd, env: serverEnv(), timeout: WAIT_MS, ...(user ?? {}) },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve();
          return;
        }
        const output = `${stdout}${stderr}`.trim().split('\n').slice(-30).join('\n');
        reject(new Error(`initdb ${dataDir} failed (${error.message}):\n${output}`));
      },
    );
  });
}

/** English messages whatever the machine's locale, so that failure messages read the same. */
function serverEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', LANG: 'C' };
}

/** Temporary directories of servers not destroyed yet, for the exit hook. */
const undestroyed = new Map<string, () => ManagedProcess | undefined>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort, when a test file ends without its afterAll (a crash, Ctrl-C): processes.ts kills
  // the server's process group too; this also takes its data directory away.
  process.on('exit', () => {
    for (const [dir, current] of undestroyed) {
      current()?.signal('SIGKILL');
      if (process.env.E2E_KEEP === '1') continue;
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a server still dying may be writing into it; /tmp is cleaned eventually
      }
    }
  });
}

/**
 * Starts a private PostgreSQL server: initdb (trust authentication, superuser `postgres`) in a new
 * temporary directory, then the server, ready to accept queries. Call `destroy()` in `afterAll`;
 * on any failure here, everything started so far is removed.
 */
export async function startPostgres(): Promise<PrivatePostgres> {
  const binDir = postgresBinDir();
  const user = serverUser();
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'remediator-e2e-postgres-'));
  // The server writes its data directory and socket here, as the `postgres` user.
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  let server: ManagedProcess | undefined;
  undestroyed.set(dir, () => server);

  let port = 0;
  const url = () => `postgres://postgres@127.0.0.1:${port}/postgres`;
  const tail = (count = 30) => server?.tail(count) ?? '(the server was never started)';
  const running = () => server !== undefined && server.exit === undefined;

  const start = async (): Promise<void> => {
    if (running()) return;
    const started = spawnManaged(
      'postgres',
      join(binDir, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
        // Durability is not what these tests are about; a stopped server keeps its data anyway
        // (fast shutdown checkpoints, and the OS keeps the files).
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
      ],
      { logFile, cwd: dir, env: serverEnv(), ...(user ?? {}) },
    );
    server = started;
    try {
      await waitFor(
        async () => {
          if (started.exit !== undefined) {
            throw new GiveUp(
              `postgres exited (${JSON.stringify(started.exit)}) before it accepted connections:\n${started.tail(30)}`,
            );
          }
          // Not a bare TCP connect: while it recovers, the server accepts and then refuses.
          const client = new Client({ connectionString: url(), connectionTimeoutMillis: 2000 });
          client.on('error', () => undefined);
          try {
            await client.connect();
            await client.query('SELECT 1');
            return true;
          } finally {
            await client.end().catch(() => undefined);
          }
        },
        `postgres (${url()}) to accept connections`,
        WAIT_MS,
        { context: () => `postgres log (${logFile}):\n${started.tail(30)}`, intervalMs: 100 },
      );
    } catch (error) {
      await started.stop('SIGKILL', 5000);
      throw error;
    }
  };

  const stop = async (): Promise<void> => {
    const current = server;
    if (current === undefined || current.exit !== undefined) return;
    // SIGINT is PostgreSQL's fast shutdown; processes.ts SIGKILLs the group if it takes too long.
    const exit = await current.stop('SIGINT', WAIT_MS);
    if (exit.forced) step(`postgres on port ${port} needed SIGKILL to stop:\n${current.tail(10)}`);
    await waitFor(
      () => refusesConnections(port),
      `port ${port} to refuse connections once postgres exited`,
      WAIT_MS,
      { context: () => `postgres log (${logFile}):\n${current.tail(30)}`, intervalMs: 100 },
    );
  };

  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> =>
    (destroyed ??= (async () => {
      try {
        await stop();
      } finally {
        undestroyed.delete(dir);
        if (process.env.E2E_KEEP === '1') step(`kept ${dir} (E2E_KEEP=1)`);
        else rmSync(dir, { recursive: true, force: true });
      }
    })());

  try {
    await initdb(binDir, dataDir, dir, user);
    port = await freePort();
    await start();
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    get url() {
      return url();
    },
    port,
    dir,
    logFile,
    get running() {
      return running();
    },
    tail,
    stop,
    start,
    createDatabase: (name) =>
      createDatabaseOn(
        url(),
        name,
        running() ? '' : 'The private server is stopped: start() it first.',
      ),
    destroy,
  };
}
