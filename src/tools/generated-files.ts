import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A file a generator writes: its path from the repository root and its whole content. */
export interface GeneratedFile {
  readonly file: string;
  readonly content: string;
}

export interface Generator {
  /** The command, for its usage line, e.g. `generate-docs`. */
  readonly name: string;
  /** What it writes, for "… are up to date", e.g. `generated files`. */
  readonly what: string;
  /** Where the content comes from, for the stale-file message, e.g. `what src/ generates`. */
  readonly source: string;
  /** Renders every file; called only once the arguments are valid. */
  readonly render: () => readonly GeneratedFile[];
}

/**
 * A generator's command line: writes its files under `root`, or with `--check` writes nothing and
 * reports each one that is missing or differs. Returns the exit code: 0, 1 (stale files) or 2
 * (bad arguments).
 */
export function runGenerator(
  generator: Generator,
  args: readonly string[],
  root: string,
  print: (line: string) => void,
  printError: (line: string) => void,
): number {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    printError(
      `unknown argument ${JSON.stringify(unknown[0])}; usage: ${generator.name} [--check]`,
    );
    return 2;
  }
  const check = args.includes('--check');
  const stale: string[] = [];
  let written = 0;
  for (const { file, content } of generator.render()) {
    const path = join(root, file);
    if (readOrUndefined(path) === content) continue;
    if (check) {
      stale.push(file);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written += 1;
    print(`wrote ${file}`);
  }
  if (stale.length === 0) {
    if (written === 0) print(`${generator.what} are up to date`);
    return 0;
  }
  for (const file of stale) {
    printError(
      `${file} is stale: it differs from ${generator.source}. Run \`npm run generate\` and commit the result.`,
    );
  }
  return 1;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
