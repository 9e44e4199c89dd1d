// @ts-check
/**
 * Runs a TypeScript file in place: `node scripts/run-ts.js FILE.ts [ARGS...]`.
 *
 * Why not compile it with tsc like bench/: the end-to-end harness that scripts reuse finds the
 * repository (the built dist/main.js, alert-rules/, deploy/) relative to its own source files, so
 * it has to run where it lies. Every `.ts` file is transformed as it is required, with the same
 * @swc/core transform `npm test` uses; types are only stripped (`npm run typecheck` checks them).
 */
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS loader, plain JavaScript */
'use strict';

const { readFileSync } = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

/** @type {import('@swc/core').Options} */
const SWC = {
  swcrc: false,
  sourceMaps: 'inline',
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
};

/**
 * @param {NodeJS.Module & { _compile(code: string, filename: string): void }} module
 * @param {string} filename
 */
function compileTypeScript(module, filename) {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), { ...SWC, filename });
  module._compile(code, filename);
}

// Deprecated but the one synchronous loader hook that Node 20 and 22 both have.
// eslint-disable-next-line @typescript-eslint/no-deprecated
require.extensions['.ts'] = /** @type {any} */ (compileTypeScript);

const [file, ...args] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node scripts/run-ts.js FILE.ts [ARGS...]\n');
  process.exit(2);
}
// The script sees its own arguments, as if node had run it directly.
process.argv = [process.argv[0] ?? 'node', path.resolve(file), ...args];
require(path.resolve(file));
