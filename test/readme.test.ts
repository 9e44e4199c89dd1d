import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, loadPolicies } from '../src/policies/loader';
import { ACTIONS } from '../src/remediations/actions/index';
import { cleanEnv, startCli } from './support/cli';
import { tempDir } from './support/server';

/*
 * The README's "Try it" is what a newcomer runs first: these tests run its commands the way it
 * writes them, so that they keep working as the code changes.
 */

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The text of a `## ` section, up to the next one. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no section "${title}" in README.md`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The fenced code blocks of a text, by language. */
function codeBlocks(text: string, language: string): string[] {
  return [...text.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (m) => m[1] ?? '',
  );
}

/** Shell lines, with `\` continuations joined and comments dropped. */
function commands(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

describe("the README's Try it", () => {
  const tryIt = section('Try it');
  const lines = codeBlocks(tryIt, 'sh').flatMap(commands);

  it('installs once, then runs the commands, and keeps the one-line forms', () => {
    expect(lines.filter((line) => /\bnpm ci\b/.test(line))).toEqual(['npm ci']);
    expect(lines[0]).toBe('npm ci');
    expect(tryIt).toContain('`npm ci && npm start`');
    expect(tryIt).toContain('`npm ci && npm test`');
  });

  it('starts on 127.0.0.1 with a webhook token, and its curl example is accepted with that token', async () => {
    const start = lines.findIndex((line) => line.startsWith('npm start'));
    expect(lines[start]).toMatch(/^npm start -- .*--listen 127\.0\.0\.1/);
    expect(
      lines.slice(0, start).some((l) => l.startsWith('export REMEDIATOR_WEBHOOK_TOKEN=')),
    ).toBe(true);

    // `npm start -- ARGS` runs the package's start script with ARGS appended.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const script = pkg.scripts.start.split(' serve ')[1]?.split(' ') ?? [];
    const given = (lines[start] ?? '').replace(/^npm start -- /, '').split(' ');
    const token = 'readme-token-0123456789abcdef';
    const dir = tempDir();
    const server = await startCli(
      [...script, ...given, '--data-dir', dir.path],
      cleanEnv({ REMEDIATOR_WEBHOOK_TOKEN: token }),
    );
    try {
      const curls = lines.filter((line) => line.startsWith('curl '));
      const post = curls.find((c) => c.includes('/webhook')) ?? '';
      const headers = Object.fromEntries(
        [...post.matchAll(/-H (["'])(.*?)\1/g)].map((m) => {
          const [name = '', value = ''] = (m[2] ?? '').split(/:\s*/, 2);
          return [name, value.replace('$REMEDIATOR_WEBHOOK_TOKEN', token)];
        }),
      );
      const body = readFileSync(join(ROOT, /--data @(\S+)/.exec(post)?.[1] ?? ''), 'utf8');
      const path = /http:\/\/127\.0\.0\.1:9095(\/\S*)/.exec(post)?.[1] ?? '';
      expect(headers.Authorization).toBe(`Bearer ${token}`);

      const posted = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
      expect(posted.status).toBe(200);
      const unauthenticated = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      expect(unauthenticated.status).toBe(401);

      const get = curls.find((c) => !c.includes('/webhook')) ?? '';
      const incident = await fetch(
        `${server.url}${/http:\/\/127\.0\.0\.1:9095(\/\S*)/.exec(get)?.[1] ?? ''}`,
      );
      expect(incident.status).toBe(200);
      expect(await incident.json()).toMatchObject({ id: 1 });
    } finally {
      await server.stop();
      dir.remove();
    }
  });
});

describe("the README's other examples", () => {
  it('says to build before the offline commands it applies to', () => {
    const policies = section('Policies');
    const build = policies.indexOf('after `npm run build`');
    expect(build).toBeGreaterThan(0);
    expect(build).toBeLessThan(policies.indexOf('npx remediator check'));
  });

  it('gives a severity section that loads', () => {
    const [yaml = ''] = codeBlocks(section('Severity'), 'yaml');
    const result = loadPolicies(yaml, 'README.md', ACTIONS);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
  });
});
