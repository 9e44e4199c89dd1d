import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tempDir } from './support/server';

const ROOT = resolve(__dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

/** Runs the project's layering rules on a small tree of files; returns the exit code and report. */
function cruise(files: Record<string, string>): { code: number; report: string } {
  const dir = tempDir();
  try {
    copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir.path, '.dependency-cruiser.cjs'));
    writeFileSync(
      join(dir.path, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true }, include: ['src'] }),
    );
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir.path, file)), { recursive: true });
      writeFileSync(join(dir.path, file), text);
    }
    try {
      const report = execFileSync(
        DEPCRUISE,
        ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
        { cwd: dir.path, encoding: 'utf8', stdio: 'pipe' },
      );
      return { code: 0, report };
    } catch (err) {
      const failed = err as { status: number; stdout: string };
      return { code: failed.status, report: failed.stdout };
    }
  } finally {
    dir.remove();
  }
}

describe('the layering rules of npm run lint', () => {
  it('accept a stage that imports the stages before it', () => {
    const { code, report } = cruise({
      'src/labels/matchers.ts': 'export const m = 1;\n',
      'src/incidents/severity.ts': "import { m } from '../labels/matchers';\nexport const s = m;\n",
      'src/policies/planner.ts':
        "import { s } from '../incidents/severity';\nexport const p = s;\n",
    });
    expect(report).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('refuse a stage that imports a later stage', () => {
    const { code, report } = cruise({
      'src/policies/planner.ts': 'export const p = 1;\n',
      'src/incidents/severity.ts':
        "import { p } from '../policies/planner';\nexport const s = p;\n",
    });
    expect(code).not.toBe(0);
    expect(report).toContain(
      'no-upward-import-from-incidents: src/incidents/severity.ts → src/policies/planner.ts',
    );
  });

  it('refuse a type-only import of a later stage too', () => {
    const { code, report } = cruise({
      'src/remediations/executor/executor.ts': 'export interface E { x: number }\n',
      'src/journal/journal.ts':
        "import type { E } from '../remediations/executor/executor';\nexport const j: E = { x: 1 };\n",
    });
    expect(code).not.toBe(0);
    expect(report).toContain('no-upward-import-from-journal');
  });

  it('refuse a circle of imports inside one stage', () => {
    const { code, report } = cruise({
      'src/policies/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'src/policies/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    });
    expect(code).not.toBe(0);
    expect(report).toContain('no-circular');
  });

  it('refuse an action that reaches into the executor', () => {
    const { code, report } = cruise({
      'src/remediations/executor/gates.ts': 'export const g = 1;\n',
      'src/remediations/actions/scale.ts':
        "import { g } from '../executor/gates';\nexport const s = g;\n",
    });
    expect(code).not.toBe(0);
    expect(report).toContain('actions-do-not-import-the-executor');
  });

  it("accept the console's type-only import of the API's types", () => {
    const { code, report } = cruise({
      'src/api/wire.ts': 'export interface W { id: number }\n',
      'src/console/app.ts':
        "import type { W } from '../api/wire';\nexport const w: W = { id: 1 };\n",
    });
    expect(report).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('refuse the console importing server code, or the API types as values', () => {
    const { code, report } = cruise({
      'src/api/wire.ts': 'export const W = 1;\n',
      'src/api/links.ts': 'export const httpUrl = (s: string) => s;\n',
      'src/console/a.ts': "import { httpUrl } from '../api/links';\nexport const a = httpUrl;\n",
      'src/console/b.ts': "import { W } from '../api/wire';\nexport const b = W;\n",
    });
    expect(code).not.toBe(0);
    expect(report).toContain(
      'console-imports-only-the-api-types: src/console/a.ts → src/api/links.ts',
    );
    expect(report).toContain(
      'console-imports-the-api-types-as-types: src/console/b.ts → src/api/wire.ts',
    );
  });

  it('refuse the server importing the console', () => {
    const { code, report } = cruise({
      'src/console/format.ts': 'export const f = 1;\n',
      'src/api/views.ts': "import { f } from '../console/format';\nexport const v = f;\n",
    });
    expect(code).not.toBe(0);
    expect(report).toContain('server-does-not-import-the-console: src/api/views.ts');
  });
});
