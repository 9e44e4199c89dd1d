import { join } from 'node:path';
import { spawnManaged } from './processes';

/**
 * Asks a server's `/healthz` every 100 ms, from a process of its own: what it measures is how
 * long the server takes to answer, not how busy the test process is (it runs the fake API
 * server and reads every log line of every child). One JSON line per probe on stdout.
 */
const PROBE = `
const http = require('node:http');
const url = new URL('/healthz', process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
const ask = () => new Promise((resolve) => {
  const req = http.get(url, { agent, timeout: 5000 }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (error) => resolve(error.message));
});
(async () => {
  while (!stopping) {
    const started = performance.now();
    const status = await ask();
    console.log(JSON.stringify({ at: Date.now(), ms: performance.now() - started, status }));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.exit(0);
})();
`;

export interface HealthReport {
  readonly probes: number;
  /** The slowest answer, in ms. */
  readonly slowestMs: number;
  /** Probes that did not get a 200: the status or the error, with when. */
  readonly failures: readonly string[];
}

export interface HealthProbe {
  /** Stops probing; resolves with what it saw. */
  stop(): Promise<HealthReport>;
}

export function startHealthProbe(url: string, logDir: string, name = 'health-probe'): HealthProbe {
  const probes: { at: number; ms: number; status: unknown }[] = [];
  const child = spawnManaged(name, process.execPath, ['-e', PROBE, url], {
    logFile: join(logDir, `${name}.log`),
    onLine: (line, stream) => {
      if (stream !== 'stdout') return;
      try {
        probes.push(JSON.parse(line) as { at: number; ms: number; status: unknown });
      } catch {
        // not a probe line
      }
    },
  });
  return {
    async stop() {
      const exit = await child.stop('SIGTERM', 5_000);
      if (exit.forced || exit.code !== 0) {
        throw new Error(`${name} ended badly (${JSON.stringify(exit)}):\n${child.tail(10)}`);
      }
      return {
        probes: probes.length,
        slowestMs: Math.max(0, ...probes.map((p) => p.ms)),
        failures: probes
          .filter((p) => p.status !== 200)
          .map((p) => `${new Date(p.at).toISOString()}: ${String(p.status)}`),
      };
    },
  };
}
