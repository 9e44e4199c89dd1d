import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { createApiApp, type ReadinessCheck } from './api/router';
import type { IncidentBook } from './incidents/book';
import type { Clock } from './clock';
import type { IncidentRecords } from './journal/incident-records';
import type { PlanRecords } from './journal/plan-records';
import type { RemediationRecords } from './journal/remediation-records';
import type { Escalator } from './remediations/escalation';
import type { Executor } from './remediations/executor';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { WebhookAuthenticator } from './receivers/auth';
import { createWebhookHandler } from './receivers/webhook';

export const WEBHOOK_PATH = '/webhook';

export interface AppDeps {
  auth: WebhookAuthenticator;
  maxBodyBytes: number;
  book: IncidentBook;
  records: IncidentRecords;
  plans: PlanRecords;
  remediations: RemediationRecords;
  executor: Executor;
  escalator: Escalator;
  clock: Clock;
  registry: Registry;
  metrics: Metrics;
  logger: Logger;
  readiness: () => readonly ReadinessCheck[];
}

/**
 * The whole HTTP surface as one request listener; it never listens itself. The webhook, the hot
 * path, is routed straight to its lean handler; everything else goes through Express.
 */
export function createApp(deps: AppDeps): RequestListener {
  const webhook = createWebhookHandler({
    auth: deps.auth,
    maxBodyBytes: deps.maxBodyBytes,
    ingest: (payload) => deps.book.ingest(payload),
    metrics: deps.metrics,
    logger: deps.logger,
  });
  const api = createApiApp(deps);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (pathOf(req.url) === WEBHOOK_PATH) webhook(req, res);
    else api(req, res);
  };
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
