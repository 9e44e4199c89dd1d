import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { SERVE_OPTIONS } from '../../src/config';
import { one, read, renderKustomization, ROOT } from './manifests';

/*
 * No Docker engine runs the tests, so the Dockerfile is checked by what it says: that it builds the
 * entrypoint package.json and the Deployment name, that its runtime stage has what that entrypoint
 * loads, and that it agrees with the Deployment on user, port and paths.
 */

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}
interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** The Dockerfile's stages, with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [from = '', , name] = args.split(/\s+/);
      stages.push({ from, ...(name === undefined ? {} : { name }), instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`${keyword} before FROM`);
      stage.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const stages = parseDockerfile(read('Dockerfile'));
const builder = stages[0]!;
const runtime = stages.at(-1)!;
const pkg = JSON.parse(read('package.json')) as {
  bin: Record<string, string>;
  engines: { node: string };
  scripts: Record<string, string>;
};
const deployment = one(renderKustomization(), 'Deployment', 'remediator');
const container = deployment.spec.template.spec.containers[0];

const args = (stage: Stage, keyword: string): string[] =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (stage: Stage, keyword: string): string => {
  const found = args(stage, keyword).at(-1);
  if (found === undefined) throw new Error(`stage ${stage.from} has no ${keyword}`);
  return found;
};
const workdir = (stage: Stage): string => last(stage, 'WORKDIR');

/** COPY instructions as { from stage or undefined for the build context, sources, destination }. */
function copies(stage: Stage): { from?: string; sources: string[]; dest: string }[] {
  return args(stage, 'COPY').map((a) => {
    const words = a.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    const dest = paths.pop()!;
    return { ...(from === undefined ? {} : { from }), sources: paths, dest };
  });
}
const resolveIn = (dir: string, path: string): string =>
  posix.normalize(path.startsWith('/') ? path : posix.join(dir, path));

/** The image's ENV, as name → value (the `ENV a=b c=d` form). */
function env(stage: Stage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args(stage, 'ENV')) {
    for (const m of a.matchAll(/(\w+)=(\S+)/g)) out[m[1]!] = m[2]!;
  }
  return out;
}

describe('the Dockerfile', () => {
  it('builds in node:20-bookworm and runs in node:20-bookworm-slim: the same Node and glibc for better-sqlite3', () => {
    expect(stages).toHaveLength(2);
    expect(builder.from).toBe('node:20-bookworm');
    expect(runtime.from).toBe('node:20-bookworm-slim');
    expect(pkg.engines.node).toMatch(/(^|\s)>=20\./);
    expect(args(builder, 'RUN').join(' ')).toMatch(/apt-get install .*python3 make g\+\+/);
  });

  it('installs exactly the lock file, builds, then drops the dev dependencies', () => {
    const run = args(builder, 'RUN').join(' && ');
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((c) => run.indexOf(c));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('copies into the build stage what `npm ci` and `npm run build` read, before they run', () => {
    const tsconfig = JSON.parse(read('tsconfig.build.json'));
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json && npm run build:console');
    // The console's bundle reads its sources from src/ (copied below) and nothing else.
    const consoleInputs = (pkg.scripts['build:console'] ?? '')
      .split(/\s+/)
      .filter((w) => /\.(tsx?|css)$/.test(w));
    expect(consoleInputs.length).toBeGreaterThan(0);
    for (const input of consoleInputs) expect(input).toMatch(/^src\/console\//);
    const steps = builder.instructions;
    const copiedAt = (file: string): number =>
      steps.findIndex(
        (i) =>
          i.keyword === 'COPY' &&
          !i.args.includes('--from=') &&
          i.args
            .split(/\s+/)
            .slice(0, -1)
            .some((s) => s.replace(/^\.\//, '').replace(/\/$/, '') === file),
      );
    const runAt = (command: string): number =>
      steps.findIndex((i) => i.keyword === 'RUN' && i.args.includes(command));
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) {
      expect(copiedAt(file)).toBeGreaterThanOrEqual(0);
      expect(copiedAt(file)).toBeLessThan(runAt('npm ci'));
    }
    const buildInputs = [
      'tsconfig.build.json',
      tsconfig.extends.replace(/^\.\//, ''),
      ...tsconfig.include,
    ];
    for (const file of buildInputs) {
      expect(copiedAt(file)).toBeGreaterThanOrEqual(0);
      expect(copiedAt(file)).toBeLessThan(runAt('npm run build'));
    }
  });

  it('starts the entrypoint package.json names, which the build compiles from src/main.ts', () => {
    expect(JSON.parse(last(runtime, 'ENTRYPOINT'))).toEqual(['node', pkg.bin.remediator]);
    const tsconfig = JSON.parse(read('tsconfig.build.json'));
    const { outDir, rootDir } = tsconfig.compilerOptions;
    const entry = pkg.bin.remediator!;
    expect(entry.startsWith(`${outDir}/`)).toBe(true);
    const source = join(rootDir, entry.slice(outDir.length + 1).replace(/\.js$/, '.ts'));
    expect(existsSync(join(ROOT, source))).toBe(true);
  });

  it('copies into the runtime stage the build output, production node_modules and package.json', () => {
    const dir = workdir(runtime);
    const fromBuilder = copies(runtime).filter((c) => c.from === builder.name);
    const copied = new Map(
      fromBuilder.flatMap((c) =>
        c.sources.map((s) => [resolveIn(workdir(builder), s), resolveIn(dir, c.dest)] as const),
      ),
    );
    const at = (path: string) => copied.get(resolveIn(workdir(builder), path));
    expect(at(pkg.bin.remediator!.split('/')[0]!)).toBe(resolveIn(dir, 'dist'));
    expect(at('node_modules')).toBe(resolveIn(dir, 'node_modules'));
    // main.ts reads its version from ../package.json, next to dist/.
    expect(at('package.json')).toBe(resolveIn(dir, 'package.json'));
  });

  it('copies from the build context only what .dockerignore lets in', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    for (const stage of stages) {
      for (const copy of copies(stage).filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          const path = source.replace(/^\.\//, '').replace(/\/$/, '');
          expect(allowed).toContain(path);
          expect(existsSync(join(ROOT, path))).toBe(true);
        }
      }
    }
  });

  it('runs `serve` as the user the Deployment runs as, on the port it exposes', () => {
    expect(JSON.parse(last(runtime, 'CMD'))).toEqual(['serve']);
    expect(container.args[0]).toBe('serve');
    const [user, group] = last(runtime, 'USER').split(':').map(Number);
    expect(user).toBe(deployment.spec.template.spec.securityContext.runAsUser);
    expect(group).toBe(deployment.spec.template.spec.securityContext.runAsGroup);
    expect(Number(last(runtime, 'EXPOSE'))).toBe(container.ports[0].containerPort);
  });

  it('sets only variables `remediator serve` reads (and NODE_ENV), naming the paths the Deployment uses', () => {
    const vars = env(runtime);
    const serveEnv = new Set(SERVE_OPTIONS.map((o) => o.env));
    for (const name of Object.keys(vars)) {
      if (name !== 'NODE_ENV') expect(serveEnv).toContain(name);
    }
    const argv: string[] = container.args;
    expect(vars.REMEDIATOR_POLICIES).toBe(argv[argv.indexOf('--policies') + 1]);
    expect(vars.REMEDIATOR_DATA_DIR).toBe(argv[argv.indexOf('--data-dir') + 1]);
  });

  it('ships the policies directory at the path it points at, without its tests, and a data directory the user owns', () => {
    const vars = env(runtime);
    const policies = copies(runtime).find((c) => c.sources.includes('deploy/k8s/policies/'));
    expect(policies?.dest.replace(/\/$/, '')).toBe(vars.REMEDIATOR_POLICIES);
    expect(parse(read('deploy/k8s/policies/runbook.yaml')).policies.length).toBeGreaterThan(0);
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toContain('!deploy/k8s/policies/');
    expect(ignored).toContain('deploy/k8s/policies/*.test.yaml');
    const run = args(runtime, 'RUN').join(' ');
    expect(run).toContain(`mkdir -p ${vars.REMEDIATOR_DATA_DIR}`);
    expect(run).toContain(`chown ${last(runtime, 'USER')} ${vars.REMEDIATOR_DATA_DIR}`);
  });
});
