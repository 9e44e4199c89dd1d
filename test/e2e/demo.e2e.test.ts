import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { exists } from './support';

/*
 * `npm run demo` as a newcomer runs it (after the build, which test:e2e did): it must tell the
 * whole of scenario 1 in order (with its Alertmanager silence), then the approved outage fix, exit 0 and leave nothing running; on Ctrl-C it must stop every
 * process it started and exit 130; with --keep it must print the console's URL, which serves it.
 */

const ROOT = join(__dirname, '..', '..');

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly pid: number;
}

/** Runs the demo in its own process group; `onLine` sees each stdout line as it comes. */
function runDemo(
  onLine: (line: string, pid: number) => void = () => undefined,
  args: readonly string[] = [],
): Promise<DemoRun> {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', 'scripts/run-ts.js', 'scripts/demo.ts', ...args],
    { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  const pid = child.pid!;
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line, pid);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // Whatever happens to the test, the demo and everything it started go.
  const killer = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 100_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, pid });
    });
  });
}

/** The indexes of `hops` in `text`, each searched after the previous one. */
function inOrder(text: string, hops: readonly RegExp[]): string[] {
  const missing: string[] = [];
  let from = 0;
  for (const hop of hops) {
    const match = hop.exec(text.slice(from));
    if (match === null) missing.push(String(hop));
    else from += match.index + match[0].length;
  }
  return missing;
}

it('tells scenario 1 hop by hop, exits 0 and leaves nothing running', async () => {
  const run = await runDemo();
  const story = `${run.stdout}\n--- stderr ---\n${run.stderr}`;
  expect({ code: run.code, story }).toMatchObject({ code: 0 });
  expect(
    inOrder(run.stdout, [
      /Prometheus: HighLatency firing/,
      /Alertmanager → remediator: POST \/webhook \(bearer token\): HighLatency firing → 200/,
      /remediator: incident #1 opened, Sev1/,
      /remediator → Kubernetes: PATCH deployments\/heart-disease-api\/scale \{"spec":\{"replicas":6\}\} → 200/,
      /remediator → on-call: status update/,
      /remediator → Alertmanager: POST \/api\/v2\/silences: Silenced HighLatency .* silence [0-9a-f-]{36}/,
      /Alertmanager: HighLatency suppressed by silence [0-9a-f-]{36}/,
      /Prometheus: HighLatency resolved/,
      /remediator: incident #1 resolved/,
      /remediator: verified the scale-out: .*effective/,
      /remediator → on-call: resolution notice/,
      /remediator: incident #2 opened, Sev1; policy service-disruption .* asks approval on Sev1: plan #\d+ waits, nothing is written/,
      /remediator → on-call: approval request/,
      /Change: restart on Deployment prod\/heart-disease-api/,
      /incident commander → remediator: POST \/api\/v1\/plans\/\d+\/approve .* → 200/,
      /every safety gate checked again, then: applied: restarted prod\/heart-disease-api/,
      /remediator → Kubernetes: PATCH deployments\/heart-disease-api \(application\/strategic-merge-patch\+json\) → 200/,
      /remediator: incident #2 resolved/,
      /approvals 1/,
      /stopped: nothing left running/,
      /done in \d+ s/,
    ]),
  ).toEqual([]);
  expect(exists(-run.pid)).toBe(false);
}, 110_000);

it('stops everything it started on Ctrl-C and exits 130', async () => {
  let interrupted = false;
  const run = await runDemo((line, pid) => {
    // Interrupted mid-story, once every component runs.
    if (!interrupted && line.includes('ready:')) {
      interrupted = true;
      process.kill(pid, 'SIGINT');
    }
  });
  expect(interrupted).toBe(true);
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 130 });
  expect(run.stderr).toMatch(/SIGINT: stopping everything/);
  expect(run.stdout).toMatch(/stopped: nothing left running/);
  expect(run.stdout).not.toMatch(/incident #1 opened/);
  expect(exists(-run.pid)).toBe(false);
}, 110_000);

it('with --keep, prints the console among the URLs, serves it, and stops on Ctrl-C', async () => {
  let consoleUrl: string | undefined;
  let page: { status: number; type: string | null } | undefined;
  const run = await runDemo(
    (line, pid) => {
      const match = /^\s+console\s+(http:\/\/127\.0\.0\.1:\d+\/)\s/.exec(line);
      if (match === null || consoleUrl !== undefined) return;
      consoleUrl = match[1];
      void fetch(consoleUrl ?? '', { signal: AbortSignal.timeout(5000) })
        .then((res) => {
          page = { status: res.status, type: res.headers.get('content-type') };
        })
        .finally(() => process.kill(pid, 'SIGINT'));
    },
    ['--keep'],
  );
  expect({ consoleUrl, stdout: run.stdout }).toMatchObject({ consoleUrl: expect.any(String) });
  expect(run.stdout).toMatch(/console .*\/incidents\/1 .*\/status/);
  expect(page).toEqual({ status: 200, type: 'text/html; charset=utf-8' });
  expect(run.stdout).toMatch(/stopped: nothing left running/);
  expect(exists(-run.pid)).toBe(false);
}, 110_000);
