/**
 * cli/: the offline commands (`check`, `test`, `plan`, `report`): files in, text or JSON out, no
 * server and no cluster; and `gitops resume`, which talks to the cluster with the caller's
 * credentials. They run the same code as `serve` (the policy language, `decide`, the
 * report) with the action catalogue from remediations/actions.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes: results to `out`, errors to `err` (stdout and stderr in the binary). */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** The process's own streams. */
export const processIo: CommandIo = {
  out: (text) => {
    write(process.stdout, text);
  },
  err: (text) => {
    write(process.stderr, text);
  },
};

const guarded = new WeakSet<NodeJS.WriteStream>();

/** Writes; a reader that went away (`remediator plan ... | head`) ends the process quietly. */
function write(stream: NodeJS.WriteStream, text: string): void {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
  stream.write(text);
}

/** Exit codes of the offline commands, as promtool's: 0 all good, 1 a finding, 2 a usage error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments (`--help` always allowed). A usage error is written to `err` with
 * a pointer to the command's help, and comes back as `undefined`.
 */
export function parseCommandLine<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
  io: CommandIo,
) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // Node adds a hint about `--` to unknown options; the option itself is what matters here.
    usageError(
      command,
      (err as Error).message.replace(/\. To specify a positional argument.*$/s, ''),
      io,
    );
    return undefined;
  }
}

/** Writes `remediator CMD: message` and where to read the usage; returns the usage exit code. */
export function usageError(command: string, message: string, io: CommandIo): number {
  io.err(`remediator ${command}: ${message}\nRun 'remediator ${command} --help' for its usage.\n`);
  return EXIT.usage;
}
