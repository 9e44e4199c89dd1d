import { readFileSync, writeFileSync } from 'node:fs';

import { parseAllDocuments } from 'yaml';

import { isObject } from './json';
import { startFakeKube, type FakeKube } from './start-fake-kube';

/**
 * Command-line options of the fake (`--port`, `--seed`, `--kubeconfig`, `--token`,
 * `--require-token`, `--env-var-names strict|relaxed`).
 */
export interface CliOptions {
  port: number;
  seed?: string;
  kubeconfig?: string;
  token?: string;
  requireToken: boolean;
  envVarNames?: 'strict' | 'relaxed';
}

/** Parses the command line; throws on an unknown flag or a missing value. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { port: 0, requireToken: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined) throw new Error(`${String(flag)} needs a value`);
      i++;
      return next;
    };
    switch (flag) {
      case '--port': {
        const raw = value();
        const port = Number(raw);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new Error(`--port must be 0..65535, got "${raw}"`);
        }
        options.port = port;
        break;
      }
      case '--seed':
        options.seed = value();
        break;
      case '--kubeconfig':
        options.kubeconfig = value();
        break;
      case '--token':
        options.token = value();
        break;
      case '--require-token':
        options.requireToken = true;
        break;
      case '--env-var-names': {
        const raw = value();
        if (raw !== 'strict' && raw !== 'relaxed') {
          throw new Error(`--env-var-names must be strict or relaxed, got "${raw}"`);
        }
        options.envVarNames = raw;
        break;
      }
      default:
        throw new Error(`unknown option "${String(flag)}"`);
    }
  }
  return options;
}

/** Every object in a JSON or (multi-document) YAML seed file; `items` of a List are expanded. */
export function readSeedFile(path: string): object[] {
  const objects: object[] = [];
  const add = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(add);
    else if (isObject(value) && Array.isArray(value.items)) value.items.forEach(add);
    else if (isObject(value)) objects.push(value);
  };
  for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message ?? 'bad YAML'}`);
    add(doc.toJS());
  }
  return objects;
}

/** Where the CLI writes its ready line, and whether it stops the server on SIGTERM/SIGINT. */
export interface CliIo {
  write?: (line: string) => void;
  handleSignals?: boolean;
}

/**
 * Starts the fake from command-line arguments, seeds it, writes the kubeconfig and prints one JSON
 * line `{"url":...,"kubeconfig":...}` once it listens. The control API is under `/_fake/`.
 */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<FakeKube> {
  const write = io.write ?? ((line: string) => process.stdout.write(line));
  const options = parseCliArgs(argv);
  const fake = await startFakeKube({
    port: options.port,
    token: options.token,
    requireToken: options.requireToken,
    ...(options.envVarNames === undefined ? {} : { envVarNames: options.envVarNames }),
  });
  try {
    if (options.seed !== undefined) for (const obj of readSeedFile(options.seed)) fake.seed(obj);
    if (options.kubeconfig !== undefined) {
      writeFileSync(options.kubeconfig, fake.kubeconfigYaml(), { mode: 0o600 });
    }
  } catch (error) {
    await fake.close();
    throw error;
  }
  write(`${JSON.stringify({ url: fake.url, kubeconfig: options.kubeconfig ?? null })}\n`);
  if (io.handleSignals === true) {
    const stop = (): void => {
      void fake.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  return fake;
}

if (require.main === module) {
  runCli(process.argv.slice(2), { handleSignals: true }).catch((error: unknown) => {
    process.stderr.write(`fake-kube: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
