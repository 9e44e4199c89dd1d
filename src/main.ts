#!/usr/bin/env node
/**
 * The composition root: the only module that reads the environment, creates real clients and
 * listens. Everything it wires together takes its dependencies as arguments.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { checkCommand } from './cli/check';
import { processIo } from './cli/command';
import { planCommand } from './cli/plan';
import { reportCommand } from './cli/report';
import { testCommand } from './cli/test';
import { systemClock, type Clock } from './clock';
import { parseServeConfig, SERVE_OPTIONS, type ServeConfig } from './config';
import { describeError, RemediatorError } from './errors';
import { IncidentBook } from './incidents/book';
import { IncidentRecords } from './journal/incident-records';
import { Journal } from './journal/journal';
import { PlanRecords } from './journal/plan-records';
import { RemediationRecords } from './journal/remediation-records';
import { pruneResolved, retentionCheckInterval } from './journal/retention';
import { ClientNodeKube, loadKubeConfig } from './kube/adapter';
import { defaultNamespace, findKubeCredentials } from './kube/credentials';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { SinkNotifier } from './notify/sinks';
import { formatProblem } from './policies/loader';
import { PolicyStore } from './policies/store';
import { WebhookAuthenticator } from './receivers/auth';
import { Escalator } from './remediations/escalation';
import { Executor } from './remediations/executor';
import { LeaseStore } from './remediations/leases';
import { ACTIONS_BY_NAME } from './remediations/registry';

export const VERSION = readVersion();

/** How long a slow client may take: Alertmanager itself gives up after 10 s. */
export const SERVER_TIMEOUTS = {
  headersMs: 10_000,
  requestMs: 30_000,
  /** Longer than typical load balancer idle timeouts, so the server is not the one to race them. */
  keepAliveMs: 65_000,
  /** How often Node enforces the two limits above (its default, 30 s, would let them overrun). */
  checkIntervalMs: 1_000,
};

export interface ServeOptions {
  logger?: Logger;
  clock?: Clock;
  env?: Readonly<Record<string, string | undefined>>;
  /** Node process metrics; on by default. */
  processMetrics?: boolean;
  /** How often the policies file is checked besides change events; default 10 s. */
  policyPollMs?: number;
  /** How often open incidents are checked against the escalation ladders; default 30 s. */
  escalationCheckMs?: number;
  /** How often resolved incidents past retention are pruned; default `retentionCheckInterval`. */
  retentionCheckMs?: number;
  timeouts?: Partial<typeof SERVER_TIMEOUTS>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly dryRun: boolean;
  readonly logger: Logger;
  readonly journal: Journal;
  readonly executor: Executor;
  /** Reloads the policies file now (what SIGHUP does). */
  reloadPolicies(): void;
  close(): Promise<void>;
}

/** Starts `remediator serve`: journal, policies, incident book, HTTP server. */
export async function serve(
  config: ServeConfig,
  options: ServeOptions = {},
): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;

  const policies = PolicyStore.open(config.policiesFile);
  const credentials = findKubeCredentials(env, existsSync);
  const dryRun = config.dryRun || credentials.kind === 'none';
  if (credentials.kind === 'none') {
    logger.warn(
      'no Kubernetes credentials found (no service account, KUBECONFIG or ~/.kube/config): running in dry-run mode, nothing in any cluster will be changed',
    );
  }
  const kubeconfig = credentials.kind === 'none' ? undefined : loadKubeConfig(credentials);
  const namespace =
    config.namespace ??
    defaultNamespace(
      credentials,
      kubeconfig?.getContextObject(kubeconfig.getCurrentContext())?.namespace,
      (path) => readFileSync(path, 'utf8'),
    );
  const instance = config.instance ?? env.HOSTNAME ?? hostname();

  const registry = new Registry();
  const metrics = createMetrics(registry, {
    processMetrics: options.processMetrics ?? true,
    version: VERSION,
  });
  const journal = Journal.open({
    dataDir: config.dataDir,
    sync: config.journalSync,
    onCommit: (seconds) => {
      metrics.journalCommitDuration.observe(seconds);
    },
    onCommitFailure: (err) => {
      metrics.journalWriteFailures.inc();
      logger.error('journal commit failed', { error: describeError(err) });
    },
  });
  const records = new IncidentRecords(journal.db);
  const plans = new PlanRecords(journal.db);
  const remediations = new RemediationRecords(journal.db);
  const book = new IncidentBook({
    journal,
    records,
    clock,
    logger,
    metrics,
    plans,
    policies: () => policies.policies,
  });
  metrics.bindOpenIncidents(() => book.openCounts());
  metrics.bindJournalSize(() => journal.sizeBytes());
  metrics.dryRun.set(dryRun ? 1 : 0);
  metrics.initPolicies(policies.policies);
  metrics.policyLastReloadSuccessful.set(1);
  metrics.policyLastReloadSuccessTime.set(clock.now().getTime() / 1000);

  const kube =
    kubeconfig === undefined
      ? undefined
      : new ClientNodeKube(kubeconfig, {
          onRequest: (verb, outcome, seconds) => {
            metrics.kubeRequests.inc({ verb, outcome });
            metrics.kubeRequestDuration.observe({ verb }, seconds);
          },
          onRetry: (what, err, waitMs) => {
            logger.warn('Kubernetes request will be retried', {
              what,
              reason: err.reason,
              waitMs: Math.round(waitMs),
            });
          },
        });
  const leases = kube === undefined ? undefined : new LeaseStore(kube, namespace, instance);
  const notifier = new SinkNotifier({
    sinks: () => policies.policies.sinks,
    env,
    clock,
    logger,
    onDelivery: (sink, outcome) => {
      metrics.notifications.inc({ sink, template: outcome.template, result: outcome.result });
    },
  });
  const escalator = new Escalator({
    journal,
    book,
    incidents: records,
    remediations,
    notifier,
    policies: () => policies.policies,
    metrics,
    logger,
    clock,
    dryRun,
    ...(leases === undefined ? {} : { claims: leases }),
  });
  const executor = new Executor({
    journal,
    book,
    incidents: records,
    plans,
    remediations,
    actions: ACTIONS_BY_NAME,
    policies: () => policies.policies,
    ...(kube === undefined || leases === undefined ? {} : { kube, leases }),
    notifier,
    escalator,
    metrics,
    logger,
    clock,
    instance,
    dryRun,
    parallelSteps: config.parallelSteps,
  });
  book.onChange((change, planned) => {
    for (const entry of planned) executor.start(entry.planId);
    executor.onIncidentChange(change);
  });
  // Plans and steps a crash interrupted; they do not hold up the start.
  void executor.recover();
  const stopEscalationChecks = escalator.start(options.escalationCheckMs ?? 30_000);
  const prune = (): void => {
    const cutoff = clock.now().getTime() - config.retentionMs;
    Promise.all([pruneResolved(journal, cutoff), leases?.pruneClaims(new Date(cutoff))]).then(
      ([count]) => {
        book.forgetResolvedBefore(cutoff);
        metrics.journalPruned.inc(count);
        if (count > 0)
          logger.info('retention pruned resolved incidents', {
            count,
            sizeBytes: journal.sizeBytes(),
          });
      },
      (err: unknown) => {
        logger.error('retention failed', { error: describeError(err) });
      },
    );
  };
  prune();
  const pruning = setInterval(
    prune,
    options.retentionCheckMs ?? retentionCheckInterval(config.retentionMs),
  );
  pruning.unref();

  const onReload = (result: ReturnType<PolicyStore['reload']>, trigger: string): void => {
    if (result.outcome === 'loaded') {
      metrics.policyReloads.inc({ result: 'success' });
      metrics.policyLastReloadSuccessful.set(1);
      metrics.policyLastReloadSuccessTime.set(clock.now().getTime() / 1000);
      metrics.initPolicies(result.policySet);
      logger.info('policies reloaded', {
        trigger,
        file: result.policySet.source,
        digest: result.policySet.digest.slice(0, 12),
        policies: result.policySet.policies.length,
      });
    } else if (result.outcome === 'rejected') {
      metrics.policyReloads.inc({ result: 'failure' });
      metrics.policyLastReloadSuccessful.set(0);
      logger.error('policies file rejected; the last good policies stay in force', {
        trigger,
        problems: result.problems.map(formatProblem),
      });
    }
  };
  const stopWatching = policies.watch({
    onReload,
    ...(options.policyPollMs === undefined ? {} : { pollMs: options.policyPollMs }),
  });

  const auth = new WebhookAuthenticator(config.credentials);
  if (!auth.required) {
    logger.warn(
      'webhook authentication is off: anyone who can reach the port can post alerts. Set REMEDIATOR_WEBHOOK_TOKEN_FILE (or the basic-auth variables)',
    );
  }

  const app = createApp({
    auth,
    maxBodyBytes: config.maxBodyBytes,
    book,
    records,
    plans,
    remediations,
    executor,
    escalator,
    clock,
    registry,
    metrics,
    logger,
    readiness: () => [
      { name: 'journal', ok: journal.isOpen, detail: journal.isOpen ? journal.path : 'closed' },
      {
        name: 'policies',
        ok: true,
        detail:
          policies.rejectedProblems.length === 0
            ? `${policies.policies.source} (${policies.policies.policies.length} policies)`
            : `${policies.policies.source}: the file on disk was rejected (${policies.rejectedProblems.length} problems); the last good policies are in force`,
      },
      {
        name: 'kubernetes',
        ok: true,
        detail: dryRun
          ? credentials.kind === 'none'
            ? 'dry-run mode: no credentials found'
            : `dry-run mode (--dry-run); credentials: ${credentials.kind}, namespace ${namespace}`
          : `credentials: ${credentials.kind}, namespace ${namespace}${executor.isPaused ? '; remediation paused' : ''}`,
      },
    ],
  });

  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    app,
  );
  try {
    await listen(server, config.port, config.listen);
  } catch (err) {
    stopWatching();
    stopEscalationChecks();
    clearInterval(pruning);
    executor.close();
    journal.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.listen.includes(':') ? `[${config.listen}]` : config.listen;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info('remediator listening', {
    version: VERSION,
    address: config.listen,
    port,
    webhook: `${url}/webhook`,
    policies: policies.policies.source,
    dataDir: config.dataDir,
    dryRun,
    kubernetes: credentials.kind,
    namespace,
    instance,
    webhookAuth: config.credentialSources.length > 0 ? config.credentialSources : 'none',
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    dryRun,
    logger,
    journal,
    executor,
    reloadPolicies: () => {
      onReload(policies.reload(), 'signal');
    },
    close: () =>
      (closing ??= (async () => {
        stopWatching();
        await new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
          server.closeIdleConnections();
        });
        stopEscalationChecks();
        clearInterval(pruning);
        executor.close();
        await executor.idle();
        journal.close();
        logger.info('remediator stopped');
      })()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'dev';
  } catch {
    return 'dev';
  }
}

const USAGE = `remediator ${VERSION}: auto-remediation for Prometheus Alertmanager

Usage:
  remediator serve [options]                        receive Alertmanager webhooks, score incidents, remediate
  remediator check FILE...                          validate policy files (like promtool check rules)
  remediator test FILE...                           run policy unit tests (like promtool test rules)
  remediator plan --policies FILE PAYLOAD.json...   show what would be planned for webhook payloads
  remediator report ID [--data-dir DIR]             print an incident's post-incident report
  remediator --version
  remediator <command> --help

Run 'remediator <command> --help' for its options.`;

function serveHelp(): string {
  const lines = SERVE_OPTIONS.map((o) => {
    const flag =
      o.flag === undefined ? '(env only)' : `--${o.flag}${o.type === 'boolean' ? '' : ' VALUE'}`;
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
