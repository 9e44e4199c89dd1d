import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { pathOf } from './api/http';
import { createApiApp, type ApiDeps } from './api/router';
import type { Projector } from './pipeline/projector';
import type { Metrics } from './metrics';
import { createWebhookHandler } from './receivers/webhook';

export const WEBHOOK_PATH = '/webhook';

export interface AppDeps extends ApiDeps {
  maxBodyBytes: number;
  projector: Projector;
  metrics: Metrics;
}

/**
 * The whole HTTP surface as one request listener; it never listens itself. The webhook, the hot
 * path, is routed straight to its lean handler; everything else goes through Express.
 */
export function createApp(deps: AppDeps): RequestListener {
  const webhook = createWebhookHandler({
    auth: deps.auth,
    maxBodyBytes: deps.maxBodyBytes,
    accept: (payload, body, source) => deps.projector.accept(payload, body, source),
    metrics: deps.metrics,
    logger: deps.logger,
  });
  const api = createApiApp(deps);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (pathOf(req.url) === WEBHOOK_PATH) webhook(req, res);
    else api(req, res);
  };
}
