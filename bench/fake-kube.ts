/**
 * The fake Kubernetes API of the test suite (test/support/fake-kube), started as its own process
 * with the suite's own `spawnFakeKube`. That helper and the fake are TypeScript run through
 * @swc/core (Node 20 cannot run TypeScript), so this module registers the same on-the-fly
 * compilation for `.ts` files before loading the helper.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Spawn from '../test/support/fake-kube/spawn-fake-kube';
import { ROOT } from './processes';

const load = createRequire(__filename);

interface Swc {
  transformSync(
    code: string,
    options: object,
  ): {
    code: string;
  };
}

type CompilingModule = NodeJS.Module & { _compile(code: string, filename: string): void };

function registerTypeScript(): void {
  // Deprecated, and still how a CommonJS loader hook is written (the fake's own bootstrap does it).
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const extensions = load.extensions as Record<
    string,
    (module: NodeJS.Module, file: string) => void
  >;
  if ('.ts' in extensions) return;
  const swc = load('@swc/core') as Swc;
  extensions['.ts'] = (module, filename) => {
    const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    (module as CompilingModule)._compile(code, filename);
  };
}

export type SpawnedFakeKube = Spawn.SpawnedFakeKube;

export function spawnFakeKube(options: Spawn.SpawnFakeKubeOptions): Promise<SpawnedFakeKube> {
  registerTypeScript();
  const helper = load(
    join(ROOT, 'test', 'support', 'fake-kube', 'spawn-fake-kube.ts'),
  ) as typeof Spawn;
  return helper.spawnFakeKube(options);
}
