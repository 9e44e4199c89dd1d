import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Clock } from '../clock';
import type { IncidentBook } from '../incidents/book';
import { INCIDENT_STATUSES, transition, type IncidentStatus } from '../incidents/incident';
import type { PlanRecords } from '../journal/plan-records';
import type { RemediationRecords } from '../journal/remediation-records';
import type { Escalator } from '../remediations/escalation';
import type { Executor } from '../remediations/executor';
import type { WebhookAuthenticator } from '../receivers/auth';
import type { Severity } from '../incidents/severity';
import type { IncidentFilter, IncidentRecords } from '../journal/incident-records';
import type { Logger } from '../logger';
import { renderReportMarkdown, reportData } from '../incidents/report';
import { incidentView, summaryView } from './views';

/** One readiness check: `/readyz` is 200 only when every check is ok. */
export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ApiDeps {
  records: IncidentRecords;
  plans: PlanRecords;
  remediations: RemediationRecords;
  executor: Executor;
  escalator: Escalator;
  book: IncidentBook;
  /** API writes take the webhook's credentials. */
  auth: WebhookAuthenticator;
  clock: Clock;
  registry: Registry;
  logger: Logger;
  readiness: () => readonly ReadinessCheck[];
}

/**
 * Everything but the webhook: health, metrics and the JSON API. Express is fine here (these
 * requests are rare); every answer, errors included, is JSON, never an HTML page or a stack trace.
 */
export function createApiApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  route(app, '/healthz').get((_req, res) => {
    res.json({ status: 'ok' });
  });

  route(app, '/readyz').get((_req, res) => {
    const checks = deps.readiness();
    const ready = checks.every((c) => c.ok);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not_ready',
      checks: Object.fromEntries(checks.map((c) => [c.name, { ok: c.ok, detail: c.detail }])),
    });
  });

  route(app, '/metrics').get(async (_req, res) => {
    res.setHeader('Content-Type', deps.registry.contentType);
    res.send(await deps.registry.metrics());
  });

  route(app, '/api/v1/incidents').get((req, res) => {
    const filter = parseFilter(req.query);
    if (typeof filter === 'string') {
      res.status(400).json({ error: 'invalid_query', message: filter });
      return;
    }
    const incidents = deps.records.list(filter);
    const last = incidents.at(-1);
    res.json({
      incidents: incidents.map(summaryView),
      ...(incidents.length === filter.limit && last ? { next: `before=${last.id}` } : {}),
    });
  });

  route(app, '/api/v1/incidents/:id', ['GET', 'HEAD', 'PATCH']).get((req, res) => {
    const id = Number(req.params.id);
    const incident = Number.isSafeInteger(id) && id > 0 ? deps.records.get(id) : undefined;
    if (incident === undefined) {
      res
        .status(404)
        .json({ error: 'not_found', message: `no incident ${JSON.stringify(req.params.id)}` });
      return;
    }
    res.json(
      incidentView(
        incident,
        deps.records.timeline(id),
        deps.plans.forIncident(id),
        deps.remediations.forIncident(id),
      ),
    );
  });

  const requireAuth = (req: Request, res: Response, next: NextFunction): void => {
    const result = deps.auth.check(req.headers.authorization);
    if (result.ok) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', deps.auth.challenge);
    res.status(401).json({ error: 'unauthorized', message: result.message });
  };

  route(app, '/api/v1/incidents/:id/report').get((req, res) => {
    const id = Number(req.params.id);
    const incident = Number.isSafeInteger(id) && id > 0 ? deps.records.get(id) : undefined;
    if (incident === undefined) {
      res
        .status(404)
        .json({ error: 'not_found', message: `no incident ${JSON.stringify(req.params.id)}` });
      return;
    }
    const report = reportData({
      incident,
      timeline: deps.records.timeline(id),
      plans: deps.plans.forIncident(id),
      remediations: deps.remediations.forIncident(id),
      now: deps.clock.now().getTime(),
    });
    const format =
      req.query.format ??
      (req.accepts(['application/json', 'text/markdown']) === 'text/markdown'
        ? 'markdown'
        : 'json');
    if (format === 'markdown') {
      res.type('text/markdown; charset=utf-8').send(renderReportMarkdown(report));
    } else if (format === 'json') {
      res.json(report);
    } else {
      res.status(400).json({ error: 'invalid_query', message: 'format must be json or markdown' });
    }
  });

  // The post-incident fields: what a human found and decided, for the report and the notices.
  app.patch(
    '/api/v1/incidents/:id',
    requireAuth,
    express.json({ limit: '64kb' }),
    async (req, res) => {
      const id = Number(req.params.id);
      const incident = Number.isSafeInteger(id) && id > 0 ? deps.records.get(id) : undefined;
      if (incident === undefined) {
        res
          .status(404)
          .json({ error: 'not_found', message: `no incident ${JSON.stringify(req.params.id)}` });
        return;
      }
      const edit = parseNarrative(req.body);
      if (typeof edit === 'string') {
        res.status(400).json({ error: 'invalid_body', message: edit });
        return;
      }
      const now = deps.clock.now().getTime();
      const updated = await deps.book.update(incident, (current) => ({
        incident: { ...current, ...edit.set, updatedAt: now },
        timeline: Object.entries(edit.set).map(([field, value]) => ({
          at: now,
          kind: 'narrative',
          message: `${field === 'rootCause' ? 'Root cause' : 'Prevention'} recorded: ${value}`,
        })),
      }));
      res.json(
        incidentView(
          updated,
          deps.records.timeline(id),
          deps.plans.forIncident(id),
          deps.remediations.forIncident(id),
        ),
      );
    },
  );

  route(app, '/api/v1/incidents/:id/resolve', ['POST']).post(
    requireAuth,
    express.json({ limit: '16kb' }),
    async (req, res) => {
      const id = Number(req.params.id);
      const incident = Number.isSafeInteger(id) && id > 0 ? deps.records.get(id) : undefined;
      if (incident === undefined) {
        res
          .status(404)
          .json({ error: 'not_found', message: `no incident ${JSON.stringify(req.params.id)}` });
        return;
      }
      if (incident.status === 'resolved') {
        res.status(409).json({ error: 'conflict', message: `incident ${id} is already resolved` });
        return;
      }
      const body = (req.body ?? {}) as { reason?: unknown };
      const reason =
        typeof body.reason === 'string' && body.reason.trim() !== ''
          ? body.reason.trim().slice(0, 500)
          : 'resolved by a human';
      const resolved = await deps.book.update(incident, (current) => {
        const moved = transition(current, 'resolved', reason, deps.clock.now().getTime());
        return { incident: moved.incident, timeline: [moved.entry] };
      });
      deps.logger.info('incident resolved by hand', { incident: id, reason });
      void deps.escalator.announceResolution(resolved);
      res.json(
        incidentView(
          resolved,
          deps.records.timeline(id),
          deps.plans.forIncident(id),
          deps.remediations.forIncident(id),
        ),
      );
    },
  );

  route(app, '/api/v1/pause', ['GET', 'HEAD', 'POST'])
    .get((_req, res) => {
      res.json({ paused: deps.executor.isPaused });
    })
    .post(requireAuth, async (req, res) => {
      await deps.executor.setPaused(true, req.socket.remoteAddress ?? 'unknown');
      res.json({ paused: true });
    });
  route(app, '/api/v1/resume', ['POST']).post(requireAuth, async (req, res) => {
    await deps.executor.setPaused(false, req.socket.remoteAddress ?? 'unknown');
    res.json({ paused: false });
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500)
      deps.logger.error('api error', { path: req.path, error: (err as Error).message });
    if (res.headersSent) return;
    res.status(status).json({
      error: status >= 500 ? 'internal_error' : 'bad_request',
      message: status >= 500 ? 'internal error; see the logs' : (err as Error).message,
    });
  });
  return app;
}

/** A route whose other methods get a JSON 405 naming the allowed ones. */
function route(app: express.Express, path: string, allowed: readonly string[] = ['GET', 'HEAD']) {
  const r = app.route(path);
  r.all((req, res, next) => {
    if (allowed.includes(req.method)) {
      next();
      return;
    }
    res.setHeader('Allow', allowed.join(', '));
    res
      .status(405)
      .json({ error: 'method_not_allowed', message: `${req.method} is not allowed on ${path}` });
  });
  return r;
}

const MAX_LIMIT = 500;
const MAX_NARRATIVE = 2000;

/** `{ rootCause?, prevention? }`: non-empty strings of at most 2000 characters; nothing else. */
function parseNarrative(
  body: unknown,
): { set: { rootCause?: string; prevention?: string } } | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'the body must be a JSON object';
  const set: { rootCause?: string; prevention?: string } = {};
  for (const [key, value] of Object.entries(body)) {
    if (key !== 'rootCause' && key !== 'prevention')
      return `unknown field ${JSON.stringify(key)} (rootCause, prevention)`;
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_NARRATIVE) {
      return `${key} must be a non-empty string of at most ${MAX_NARRATIVE} characters`;
    }
    set[key] = value.trim();
  }
  if (Object.keys(set).length === 0) return 'give rootCause, prevention or both';
  return { set };
}

/** Query → filter, or the message of a 400. */
function parseFilter(query: Record<string, unknown>): IncidentFilter | string {
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const filter: IncidentFilter = { limit: 100 };
  const { status, severity, limit, before } = query;
  if (status !== undefined) {
    if (status !== 'open' && !INCIDENT_STATUSES.includes(status as IncidentStatus)) {
      return `status must be open or one of ${INCIDENT_STATUSES.join(', ')}`;
    }
    filter.status = status as IncidentStatus | 'open';
  }
  if (severity !== undefined) {
    const match = /^(?:sev)?([1-4])$/i.exec(text(severity));
    if (match === null) return 'severity must be 1-4 or Sev1-Sev4';
    filter.severity = Number(match[1]) as Severity;
  }
  if (limit !== undefined) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
      return `limit must be an integer from 1 to ${MAX_LIMIT}`;
    filter.limit = n;
  }
  if (before !== undefined) {
    const n = Number(before);
    if (!Number.isInteger(n) || n < 1) return 'before must be an incident id';
    filter.before = n;
  }
  return filter;
}
