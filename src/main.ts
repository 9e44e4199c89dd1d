#!/usr/bin/env node
/**
 * The `remediator` command: argv → one of the commands. `serve` is wired in serve.ts; the offline
 * commands live in cli/. This is the only module that reads the process's own environment and
 * arguments or exits it.
 */
import { readFileSync } from 'node:fs';
import { approveCommand } from './cli/approve';
import { checkCommand } from './cli/check';
import { gitopsCommand } from './cli/gitops';
import { processIo } from './cli/command';
import { planCommand } from './cli/plan';
import { replayCommand } from './cli/replay';
import { reportCommand } from './cli/report';
import { testCommand } from './cli/test';
import { flagType, parseServeConfig, SERVE_OPTIONS } from './config';
import { describeError, RemediatorError } from './errors';
import { serve, VERSION, type RunningServer } from './serve';

const USAGE = `remediator ${VERSION}: auto-remediation for Prometheus Alertmanager

Usage:
  remediator serve [options]                        receive Alertmanager webhooks, score incidents, remediate
  remediator check FILE...                          validate policy files (like promtool check rules)
  remediator test FILE...                           run policy unit tests (like promtool test rules)
  remediator plan --policies FILE PAYLOAD.json...   show what would be planned for webhook payloads
  remediator report ID [--data-dir DIR]             print an incident's post-incident report
  remediator replay --policies FILE [--since 7d]    replay logged history through other policies, compare the plans
  remediator approve PLAN [--by NAME] [--comment T] approve a plan awaiting approval on a running server
  remediator deny PLAN [--by NAME] [--comment T]    deny it (nothing is written; the incident escalates)
  remediator gitops resume KIND NAMESPACE/NAME      lift a GitOps suspension remediator made, once Git is fixed
  remediator --version
  remediator <command> --help

Run 'remediator <command> --help' for its options.`;

function serveHelp(): string {
  const lines = SERVE_OPTIONS.map((o) => {
    const value = o.type !== 'boolean' ? ' VALUE' : flagType(o) === 'string' ? '=false' : '';
    const flag = o.flag === undefined ? '(env only)' : `--${o.flag}${value}`;
    const def = o.default === undefined ? '' : ` [default: ${o.default}]`;
    return `  ${flag.padEnd(26)} ${o.env}\n      ${o.description}${def}`;
  });
  return `Usage: remediator serve [--port 9095] [--listen ADDR] [--policies FILE] [--data-dir DIR] [--dry-run]

Every option can also be set by its environment variable; a flag wins over the variable.

${lines.join('\n')}`;
}

/** The `remediator` command. Resolves with the exit code, or never for `serve` (it runs until a signal). */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // The offline commands work on files only: no server, no cluster, no journal.
  if (command === 'check') return checkCommand(rest, processIo);
  if (command === 'plan') return planCommand(rest, processIo);
  if (command === 'test') return testCommand(rest, processIo);
  if (command === 'report') return reportCommand(rest, env, processIo);
  // The one command that talks to a cluster, with the caller's own credentials, as kubectl does.
  if (command === 'gitops') return gitopsCommand(rest, env, processIo);
  if (command === 'replay') {
    return replayCommand(rest, processIo, {
      env,
      now: Date.now,
      readFile: (path) => readFileSync(path, 'utf8'),
    });
  }
  if (command === 'approve' || command === 'deny') {
    return approveCommand(command, rest, processIo, {
      env,
      readFile: (path) => readFileSync(path, 'utf8'),
    });
  }
  if (command !== 'serve') {
    process.stderr.write(`remediator: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${serveHelp()}\n`);
    return 0;
  }
  const config = parseServeConfig({ argv: rest, env, readFile: (p) => readFileSync(p, 'utf8') });
  // Handlers go in before the server starts, so a signal sent as soon as it says it is listening
  // is never met by Node's default action (SIGHUP would kill the process).
  const state: { running?: RunningServer; stopRequested?: string } = {};
  const stop = (signal: string): void => {
    const server = state.running;
    if (server === undefined) {
      state.stopRequested = signal;
      return;
    }
    server.logger.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.logger.error('shutdown failed', { error: describeError(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGHUP', () => {
    if (state.running === undefined) return;
    state.running.logger.info('reloading policies', { signal: 'SIGHUP' });
    state.running.reloadPolicies();
  });
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  state.running = await serve(config, { env });
  if (state.stopRequested !== undefined) stop(state.stopRequested);
  return undefined;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `remediator: ${err instanceof RemediatorError ? err.message : describeError(err)}\n`,
      );
      process.exitCode = err instanceof RemediatorError ? 2 : 1;
    },
  );
}
