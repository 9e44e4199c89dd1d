import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import type { FaultRule } from './faults';
import type { KubeObject, RecordedRequest } from './start-fake-kube';

/** A fake API server running in its own Node process, driven over its `/_fake/` control API. */
export interface SpawnedFakeKube {
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly child: ChildProcess;
  requests(): Promise<RecordedRequest[]>;
  resetRequests(): Promise<void>;
  fault(rule: FaultRule): Promise<void>;
  clearFaults(): Promise<void>;
  seed(obj: object): Promise<KubeObject>;
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject>;
  setJobStatus(namespace: string, name: string, status: object): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/** Options of {@link spawnFakeKube}. */
export interface SpawnFakeKubeOptions {
  /** Where the child writes its kubeconfig. */
  kubeconfigPath: string;
  /** A JSON or YAML file of objects to seed. */
  seedFile?: string;
  port?: number;
  /** How long to wait for the child to listen (default 20 s). */
  startTimeoutMs?: number;
}

// Node 20 cannot run TypeScript, so the child compiles main.ts and its imports with @swc/core.
const BOOTSTRAP = `
const fs = require('node:fs');
const swc = require(process.env.FAKE_KUBE_SWC);
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
require(process.env.FAKE_KUBE_MAIN).runCli(JSON.parse(process.env.FAKE_KUBE_ARGV), { handleSignals: true }).catch((error) => {
  process.stderr.write('fake-kube: ' + (error && error.message) + '\\n');
  process.exit(1);
});
`;

async function call(url: string, method: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`fake-kube control ${method} ${url}: ${response.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** Starts the fake in a child process (for end-to-end tests that need separate processes). */
export async function spawnFakeKube(options: SpawnFakeKubeOptions): Promise<SpawnedFakeKube> {
  const argv = ['--port', String(options.port ?? 0), '--kubeconfig', options.kubeconfigPath];
  if (options.seedFile !== undefined) argv.push('--seed', options.seedFile);
  const child = spawn(process.execPath, ['-e', BOOTSTRAP], {
    env: {
      ...process.env,
      FAKE_KUBE_SWC: require.resolve('@swc/core'),
      FAKE_KUBE_MAIN: join(__dirname, 'main.ts'),
      FAKE_KUBE_ARGV: JSON.stringify(argv),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `fake-kube did not start within ${options.startTimeoutMs ?? 20000} ms: ${stderr}`,
        ),
      );
    }, options.startTimeoutMs ?? 20000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      try {
        resolve((JSON.parse(stdout.slice(0, newline)) as { url: string }).url);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fake-kube exited with ${String(code)} before listening: ${stderr}`));
    });
  });

  return {
    url,
    kubeconfigPath: options.kubeconfigPath,
    child,
    requests: async () => (await call(`${url}/_fake/requests`, 'GET')) as RecordedRequest[],
    resetRequests: async () => {
      await call(`${url}/_fake/requests`, 'DELETE');
    },
    fault: async (rule) => {
      await call(`${url}/_fake/faults`, 'POST', { ...rule, pathRegex: rule.pathRegex?.source });
    },
    clearFaults: async () => {
      await call(`${url}/_fake/faults`, 'DELETE');
    },
    seed: async (obj) => ((await call(`${url}/_fake/seed`, 'POST', obj)) as KubeObject[])[0],
    get: async (apiVersion, kind, namespace, name) => {
      const query = new URLSearchParams({ apiVersion, kind, name });
      if (namespace !== undefined) query.set('namespace', namespace);
      const response = await fetch(`${url}/_fake/objects?${query.toString()}`);
      return response.status === 404 ? undefined : ((await response.json()) as KubeObject);
    },
    setJobStatus: async (namespace, name, status) => {
      await call(`${url}/_fake/jobs/${namespace}/${name}/status`, 'POST', status);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
