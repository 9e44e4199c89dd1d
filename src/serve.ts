/**
 * The composition root of `remediator serve`: the only module that creates real clients and
 * listens. It builds each stage from the ones before it, wires the pipeline
 * (receivers → ingest → executor) and starts the HTTP server; everything it wires together takes
 * its dependencies as arguments.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { DEFAULT_CONSOLE_DIR } from './api/console';
import { LiveEvents } from './api/events';
import type { ReadinessCheck } from './api/router';
import { Sessions } from './api/sessions';
import { describeSummaries } from './api/summaries';
import { createApp } from './app';
import { systemClock, type Clock } from './clock';
import type { ServeConfig } from './config';
import { describeError } from './errors';
import { IncidentRecords } from './journal/incident-records';
import { IncidentStore } from './journal/incident-store';
import { Journal } from './journal/journal';
import { PlanRecords } from './journal/plan-records';
import { RemediationRecords } from './journal/remediation-records';
import { SilenceRecords } from './journal/silence-records';
import { pruneResolved, retentionCheckInterval } from './journal/retention';
import { ClientNodeKube, loadKubeConfig } from './kube/adapter';
import { joinReplicas } from './replicas';
import { MlflowRegistry } from './sources/mlflow';
import { defaultNamespace, findKubeCredentials } from './kube/credentials';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { SinkNotifier } from './notify/sinks';
import { formatProblem } from './policies/loader';
import { PolicyStore } from './policies/store';
import { Ingest } from './pipeline/ingest';
import { Projector } from './pipeline/projector';
import { NotificationLog } from './journal/notification-log';
import { WebhookAuthenticator } from './receivers/auth';
import { createWebhookHandler } from './receivers/webhook';
import { SlackSignatureVerifier } from './receivers/slack-signature';
import { Escalator } from './remediations/escalation';
import { Executor } from './remediations/executor/executor';
import { AttemptRecords } from './remediations/coordination/attempts';
import { Claims } from './remediations/coordination/claims';
import { TargetLocks } from './remediations/coordination/locks';
import { indexActions } from './policies/action-spec';
import { ACTIONS } from './remediations/actions/index';
import { publicUrl } from './sources/http';

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
  /** How often live event streams get a keep-alive comment; default 15 s. */
  eventsHeartbeatMs?: number;
  /** Where the built console is; default dist/console. */
  consoleDir?: string;
  timeouts?: Partial<typeof SERVER_TIMEOUTS>;
  /** With a PostgreSQL journal: how often a replica that does not lead tries to; default 1 s. */
  leadershipCheckMs?: number;
  /**
   * What a leader does when its session (and with it the lock) is gone: by default it exits, as
   * kube-controller-manager does, and its restart joins as a follower. Tests pass their own.
   */
  onLeadershipLost?: () => void;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly dryRun: boolean;
  readonly logger: Logger;
  readonly journal: Journal;
  /** Whether this replica does the work (always, on SQLite). */
  readonly isLeader: boolean;
  /** The leader's executor; throws on a replica that does not lead. */
  readonly executor: Executor;
  /**
   * The notification log's projection: `idle()` resolves once what was accepted is applied.
   * The leader's; throws on a replica that does not lead.
   */
  readonly projector: Projector;
  /** Reloads the policies file now (what SIGHUP does). */
  reloadPolicies(): void;
  close(): Promise<void>;
}

/** Starts `remediator serve`: journal, policies, ingest, executor, HTTP server. */
export async function serve(
  config: ServeConfig,
  options: ServeOptions = {},
): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const clock = options.clock ?? systemClock;

  // A policy that needs Prometheus or Alertmanager is refused without them, now and on reload.
  const policies = PolicyStore.open(config.policiesFile, ACTIONS, {
    prometheus: config.prometheus !== undefined,
    alertmanager: config.alertmanager !== undefined,
    mlflow: config.mlflow !== undefined,
  });
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
    // Shown in pg_stat_activity: which replica a session is.
    applicationName: `remediator ${instance}`,
    ...(config.journal === undefined ? {} : { location: config.journal }),
    sync: config.journalSync,
    onCommit: (seconds) => {
      metrics.journalCommitDuration.observe(seconds);
    },
    onCommitFailure: (err) => {
      metrics.journalWriteFailures.inc();
      logger.error('journal commit failed', { error: describeError(err) });
    },
  });
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
  // Coordination with other replicas, in Leases in remediator's own namespace.
  const claims = kube === undefined ? undefined : new Claims(kube, namespace, instance);
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
      'webhook authentication is off: anyone who can reach the port can post alerts, and API writes (pause, resume, resolve, edit) are refused. Set REMEDIATOR_WEBHOOK_TOKEN_FILE (or the basic-auth variables)',
    );
  }

  /**
   * The work: the projection of the notification log, the executor and its timers, retention,
   * and the full HTTP surface. On SQLite this process alone has it; on PostgreSQL, the replica
   * that leads, from the moment it took the lock (like a restart: it resumes what the journal
   * says was under way).
   */
  const startWork = (role: 'sole' | 'leader'): Work => {
    const records = new IncidentRecords(journal.db);
    const plans = new PlanRecords(journal.db);
    const remediations = new RemediationRecords(journal.db);
    const store = new IncidentStore({ journal, records, logger, metrics });
    // The console's live events; `executor` exists by the time a client can connect.
    const events: LiveEvents = new LiveEvents({
      logger,
      paused: () => executor.isPaused,
      describe: (ids) =>
        describeSummaries(
          { records, plans, remediations, paused: () => executor.isPaused },
          ids.flatMap((id) => records.summary(id) ?? []),
        ),
      ...(options.eventsHeartbeatMs === undefined
        ? {}
        : { heartbeatMs: options.eventsHeartbeatMs }),
    });
    store.onCommit((incident, timeline) => {
      events.incidentChanged(incident, timeline);
    });
    const ingest = new Ingest({
      store,
      plans,
      clock,
      logger,
      metrics,
      policies: () => policies.policies,
      dryRun,
    });
    const projector = new Projector({
      journal,
      log: new NotificationLog(journal.db),
      ingest,
      clock,
      logger,
      metrics,
      role,
    });
    metrics.bindOpenIncidents(() => store.openCounts());
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
      store,
      incidents: records,
      remediations,
      notifier,
      policies: () => policies.policies,
      metrics,
      logger,
      clock,
      dryRun,
      ...(claims === undefined ? {} : { claims }),
    });
    const executor = new Executor({
      journal,
      store,
      plans,
      remediations,
      silences: new SilenceRecords(journal.db),
      alertmanager: config.alertmanager,
      prometheus: config.prometheus,
      confirmResolved: async (payload) => {
        await projector.accept(payload, JSON.stringify(payload), 'alertmanager-api');
      },
      actions: indexActions(ACTIONS),
      policies: () => policies.policies,
      ...(kube === undefined
        ? {}
        : {
            kube,
            locks: new TargetLocks(kube, namespace, instance),
            attempts: new AttemptRecords(kube, namespace, instance),
          }),
      notifier,
      escalator,
      metrics,
      logger,
      clock,
      instance,
      dryRun,
      dryRunNotify: config.dryRunNotify,
      parallelSteps: config.parallelSteps,
      gitops: config.gitops,
      modelRegistry: config.mlflow === undefined ? undefined : new MlflowRegistry(config.mlflow),
      onPauseChange: (paused) => {
        events.pauseChanged(paused);
      },
    });
    ingest.onChange((change, planned) => {
      for (const entry of planned) executor.start(entry.planId);
      executor.onIncidentChange(change);
    });
    ingest.onPlansDropped((incident, dropped) => {
      const detail = `the notification would have made more remediation plans than safety.maxPlansPerNotification (${dropped.limit}) allows; ${dropped.alerts} alert(s) of policy ${dropped.policies.join(', ')} were not acted on`;
      escalator.escalate(incident, 'too_many_plans', detail).catch((err: unknown) => {
        logger.error('escalating dropped plans failed', {
          incident: incident.id,
          error: describeError(err),
        });
      });
    });
    // Notifications accepted and not applied, then plans and steps a crash interrupted; neither
    // holds up the start.
    void projector.recover();
    void executor.recover();
    const stopEscalationChecks = escalator.start(options.escalationCheckMs ?? 30_000);
    const prune = (): void => {
      const cutoff = clock.now().getTime() - config.retentionMs;
      Promise.all([pruneResolved(journal, cutoff), claims?.prune(new Date(cutoff))]).then(
        ([count]) => {
          store.forgetResolvedBefore(cutoff);
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

    const app = createApp({
      auth,
      slack:
        config.slackSigningSecret === undefined
          ? undefined
          : new SlackSignatureVerifier(config.slackSigningSecret, clock),
      sessions: new Sessions({ clock }),
      events,
      policies,
      consoleDir: options.consoleDir ?? DEFAULT_CONSOLE_DIR,
      maxBodyBytes: config.maxBodyBytes,
      projector,
      store,
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
        journalReadiness(journal),
        logReadiness(projector),
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
    return {
      app,
      executor,
      projector,
      stop: () => {
        events.close();
        stopEscalationChecks();
        clearInterval(pruning);
        projector.close();
        executor.close();
      },
      drained: () => Promise.all([projector.settle(), executor.idle()]).then(() => undefined),
    };
  };

  // On SQLite there is one replica, which does the work from the start.
  let work: Work | undefined = journal.postgres === undefined ? startWork('sole') : undefined;
  // Until a replica knows its role (a moment at start-up): 503.
  let follower: RequestListener = notYetListening;
  const timeouts = { ...SERVER_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    (req, res) => {
      (work?.app ?? follower)(req, res);
    },
  );
  try {
    await listen(server, config.port, config.listen);
  } catch (err) {
    stopWatching();
    work?.stop();
    journal.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.listen.includes(':') ? `[${config.listen}]` : config.listen;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

  const replicas =
    journal.postgres === undefined
      ? undefined
      : joinReplicas({
          postgres: journal.postgres,
          journal,
          instance,
          advertised:
            config.advertiseUrl ??
            // Without --advertise-url: the address it listens on, or the host name when that is
            // every address (in a cluster, set it to the pod's IP: a pod's name does not resolve).
            `http://${config.listen === '0.0.0.0' || config.listen === '::' ? hostname() : host}:${port}`,
          webhook: (appender) =>
            createWebhookHandler({
              auth,
              maxBodyBytes: config.maxBodyBytes,
              accept: (payload, body, source) => appender.accept(payload, body, source),
              metrics,
              logger,
            }),
          readiness: () => [journalReadiness(journal)],
          registry,
          metrics,
          logger,
          clock,
          checkMs: options.leadershipCheckMs ?? 1000,
          lead: () => {
            work = startWork('leader');
          },
          stepDown: () => {
            work?.stop();
            work = undefined;
            (
              options.onLeadershipLost ??
              (() => {
                // As kube-controller-manager does: a fresh process rejoins as a follower.
                process.exit(70);
              })
            )();
          },
        });
  if (replicas !== undefined) follower = replicas.follower;
  if (replicas === undefined) metrics.leader.set(1);
  logger.info('remediator listening', {
    version: VERSION,
    address: config.listen,
    port,
    webhook: `${url}/webhook`,
    policies: policies.policies.source,
    journal: journal.path,
    dryRun,
    kubernetes: credentials.kind,
    namespace,
    instance,
    role: replicas === undefined ? 'sole' : work === undefined ? 'follower' : 'leader',
    webhookAuth: config.credentialSources.length > 0 ? config.credentialSources : 'none',
    slackInteractions: config.slackSigningSecret === undefined ? 'off' : 'on',
    alertmanager: config.alertmanager === undefined ? 'none' : publicUrl(config.alertmanager),
    prometheus: config.prometheus === undefined ? 'none' : publicUrl(config.prometheus),
    mlflow: config.mlflow === undefined ? 'none' : publicUrl(config.mlflow),
  });

  const leading = (): Work => {
    if (work === undefined)
      throw new Error(`${instance} does not lead: another replica does the work`);
    return work;
  };
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    dryRun,
    logger,
    journal,
    get isLeader() {
      return work !== undefined;
    },
    get executor() {
      return leading().executor;
    },
    get projector() {
      return leading().projector;
    },
    reloadPolicies: () => {
      onReload(policies.reload(), 'signal');
    },
    close: () =>
      (closing ??= (async () => {
        // Bounded: Kubernetes kills the pod `terminationGracePeriodSeconds` after SIGTERM.
        // Nothing new starts from here; what is in flight gets until the deadline, and what
        // did not run stays journaled for the next start.
        const deadline = new Promise<'timeout'>((resolve) => {
          setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs).unref();
        });
        stopWatching();
        replicas?.stop();
        // Event streams never go idle: the work's stop ends them, or the server would wait for
        // them forever.
        work?.stop();
        const httpClosed = new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
          server.closeIdleConnections();
        });
        const drained = Promise.all([httpClosed, work?.drained()]);
        if ((await Promise.race([drained, deadline])) === 'timeout') {
          logger.warn(
            'shutdown timeout: stopping with requests and steps still in flight; steps that journaled their intent are reconciled at the next start',
            { timeoutMs: config.shutdownTimeoutMs },
          );
          server.closeAllConnections();
          kube?.close();
        }
        journal.close();
        logger.info('remediator stopped');
      })()),
  };
}

/** What the leader-only half of `serve` hands back: its HTTP surface and how to stop it. */
interface Work {
  readonly app: RequestListener;
  readonly executor: Executor;
  readonly projector: Projector;
  /** Nothing new starts; timers and event streams end. */
  stop(): void;
  /** Resolves once what was in flight is journaled. */
  drained(): Promise<void>;
}

/** Between listening and knowing its role (a moment at start-up). */
const notYetListening: RequestListener = (_req, res) => {
  res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' });
  res.end(JSON.stringify({ error: 'starting', message: 'remediator is starting: try again' }));
};

/** Ready while the webhook takes notifications: not while the log's backlog is full. */
function logReadiness(projector: Projector): ReadinessCheck {
  const overloaded = projector.overloaded();
  const { count, ageSeconds } = projector.backlog();
  return {
    name: 'log',
    ok: overloaded === undefined,
    detail:
      overloaded === undefined
        ? `${count} notifications not yet applied${count > 0 ? ` (oldest ${Math.round(ageSeconds)} s)` : ''}`
        : `backlog full, the webhook answers 503: ${overloaded}`,
  };
}

function journalReadiness(journal: Journal): ReadinessCheck {
  const problem = journal.checkWritable();
  return {
    name: 'journal',
    ok: problem === undefined,
    detail: problem === undefined ? journal.path : `${journal.path}: not writable (${problem})`,
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
