/**
 * A replica among others on one PostgreSQL journal (part of the composition root, beside
 * `serve.ts`): it tries for leadership every `checkMs`, and until it has it serves the follower's
 * HTTP surface: the webhook appending to the shared log, its own health and metrics, the rest
 * forwarded to the leader. When it wins, `lead()` starts the work; when the leader's session is
 * lost, `stepDown()` ends it (by default the process exits, and its restart rejoins).
 */
import type { RequestListener } from 'node:http';
import type { Registry } from 'prom-client';
import { createFollowerApp } from './api/follower';
import type { ReadinessCheck } from './api/router';
import { WEBHOOK_PATH } from './app';
import type { Clock } from './clock';
import type { Journal } from './journal/journal';
import { Leadership } from './journal/leadership';
import { NotificationLog } from './journal/notification-log';
import type { PostgresDatabase } from './journal/postgres';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { Projector } from './pipeline/projector';

export interface ReplicaDeps {
  postgres: PostgresDatabase;
  journal: Journal;
  instance: string;
  /** Where the others forward API requests to this replica when it leads. */
  advertised: string;
  /** The webhook's handler, accepting into the follower's appender. */
  webhook: (appender: Projector) => RequestListener;
  readiness: () => ReadinessCheck[];
  registry: Registry;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  checkMs: number;
  lead: () => void;
  stepDown: () => void;
}

export interface Replica {
  /** What this replica serves while it does not lead. */
  readonly follower: RequestListener;
  stop(): void;
}

export function joinReplicas(deps: ReplicaDeps): Replica {
  const { postgres, instance, advertised, metrics, logger } = deps;
  const leadership = new Leadership(postgres);
  // A follower appends what it receives to the shared log; the leader applies it.
  const appender = new Projector({
    journal: deps.journal,
    log: new NotificationLog(deps.journal.db),
    ingest: undefined,
    clock: deps.clock,
    logger,
    metrics,
    role: 'follower',
  });
  let known: { url: string | undefined; at: number } = { url: undefined, at: -Infinity };
  // Read at most once a second: a new leader announces itself within seconds anyway. A row that
  // names this replica is a previous life's: it leads nothing now.
  const leaderUrl = (): string | undefined => {
    const now = Date.now();
    if (now - known.at >= 1000) {
      try {
        const leader = leadership.current();
        known = { url: leader?.url === advertised ? undefined : leader?.url, at: now };
      } catch {
        known = { url: undefined, at: now };
      }
    }
    return known.url;
  };
  const follower = createFollowerApp({
    webhookPath: WEBHOOK_PATH,
    webhook: deps.webhook(appender),
    leaderUrl,
    instance,
    registry: deps.registry,
    logger,
    readiness: () => [
      ...deps.readiness(),
      { name: 'replica', ok: true, detail: `follower of ${known.url ?? 'no leader yet'}` },
    ],
  });

  let leading = false;
  const check = (): void => {
    if (leading) {
      if (leadership.stillLeading()) return;
      leading = false;
      clearInterval(timer);
      metrics.leader.set(0);
      logger.error(
        'leadership lost: the journal session that held it is gone; stopping so that another replica takes over',
        { instance },
      );
      deps.stepDown();
      return;
    }
    try {
      postgres.reconnect();
      if (!leadership.tryAcquire({ instance, url: advertised }, deps.clock.now().getTime())) return;
    } catch {
      return; // PostgreSQL unreachable: the journal's readiness says so.
    }
    leading = true;
    logger.info('leading: this replica now does the work', { instance, advertised });
    metrics.leader.set(1);
    deps.lead();
  };
  const timer = setInterval(check, deps.checkMs);
  timer.unref();
  check();
  return {
    follower,
    stop: () => {
      clearInterval(timer);
    },
  };
}
