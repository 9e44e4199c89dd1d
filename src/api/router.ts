/**
 * api/: the HTTP surface besides the webhook: health, metrics, and the JSON API for incidents,
 * reports and pause/resume. Reads journal records and writes through the incident store and the
 * executor; imports every stage before it.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Clock } from '../clock';
import type { IncidentStore } from '../journal/incident-store';
import {
  INCIDENT_STATUSES,
  transition,
  type Incident,
  type IncidentStatus,
} from '../incidents/incident';
import type { PlanRecords } from '../journal/plan-records';
import type { RemediationRecords } from '../journal/remediation-records';
import type { Escalator } from '../remediations/escalation';
import type { Executor } from '../remediations/executor/executor';
import type { WebhookAuthenticator } from '../receivers/auth';
import type { Severity } from '../incidents/severity';
import type { IncidentFilter, IncidentRecords } from '../journal/incident-records';
import type { Logger } from '../logger';
import { renderReportMarkdown, reportData } from '../notify/report';
import type { PolicySet } from '../policies/policy';
import { consoleRoutes, securityHeaders } from './console';
import type { LiveEvents } from './events';
import { route } from './http';
import { approvalRoutes } from './approval-routes';
import { policyRoutes, type PolicySource } from './policy-routes';
import { slackInteractionRoutes } from './slack-interactions';
import type { SlackSignatureVerifier } from '../receivers/slack-signature';
import { gitopsRoutes } from './gitops-routes';
import { actorOfRequest, sessionRoutes, writeGuard, type Sessions } from './sessions';
import { statusRoute } from './status-route';
import { describeSummaries } from './summaries';
import { incidentView } from './views';
import type { ReportView } from './wire';

export { WRITES_NEED_CREDENTIALS } from './sessions';

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
  store: IncidentStore;
  /** API writes take the webhook's credentials, or a console session made with them. */
  auth: WebhookAuthenticator;
  /** Slack's interactivity callbacks are authenticated by their signature; absent: refused. */
  slack?: SlackSignatureVerifier | undefined;
  sessions: Sessions;
  events: LiveEvents;
  /** The policies in force (the policies file's store). */
  policies: PolicySource;
  /** Where the built front end is (dist/console). */
  consoleDir: string;
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
  app.use(securityHeaders);
  const requireAuth = writeGuard(deps.auth, deps.sessions);
  const paused = () => deps.executor.isPaused;

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
      incidents: describeSummaries({ ...deps, paused }, incidents),
      ...(incidents.length === filter.limit && last ? { next: `before=${last.id}` } : {}),
    });
  });

  // Every route with an incident id answers 404 for one that does not exist, before anything else.
  app.param('id', (req, res, next, value: string) => {
    const id = Number(value);
    const incident = Number.isSafeInteger(id) && id > 0 ? deps.records.get(id) : undefined;
    if (incident === undefined) {
      res.status(404).json({ error: 'not_found', message: `no incident ${JSON.stringify(value)}` });
      return;
    }
    (res.locals as IncidentLocals).incident = incident;
    next();
  });
  const fullView = (incident: Incident) =>
    incidentView(
      incident,
      deps.records.timeline(incident.id),
      deps.plans.forIncident(incident.id),
      deps.remediations.forIncident(incident.id),
      deps.executor.isPaused,
    );

  route(app, '/api/v1/incidents/:id', ['GET', 'HEAD', 'PATCH']).get((_req, res) => {
    const incident = incidentOf(res);
    res.json(fullView(incident));
  });

  route(app, '/api/v1/incidents/:id/report').get((req, res) => {
    const incident = incidentOf(res);
    const report = reportData({
      incident,
      timeline: deps.records.timeline(incident.id),
      plans: deps.plans.forIncident(incident.id),
      remediations: deps.remediations.forIncident(incident.id),
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
      const json: ReportView = report;
      res.json(json);
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
      const incident = incidentOf(res);
      const edit = parseNarrative(req.body);
      if (typeof edit === 'string') {
        res.status(400).json({ error: 'invalid_body', message: edit });
        return;
      }
      const now = deps.clock.now().getTime();
      const updated = await deps.store.update(incident, (current) => ({
        incident: { ...current, ...edit.set, updatedAt: now },
        timeline: Object.entries(edit.set).map(([field, value]) => ({
          at: now,
          kind: 'narrative',
          message: `${field === 'rootCause' ? 'Root cause' : 'Prevention'} recorded: ${value}`,
          data: { by: actorOfRequest(res) },
        })),
      }));
      res.json(fullView(updated));
    },
  );

  route(app, '/api/v1/incidents/:id/resolve', ['POST']).post(
    requireAuth,
    express.json({ limit: '16kb' }),
    async (req, res) => {
      const incident = incidentOf(res);
      if (incident.status === 'resolved') {
        res
          .status(409)
          .json({ error: 'conflict', message: `incident ${incident.id} is already resolved` });
        return;
      }
      const body = (req.body ?? {}) as { reason?: unknown };
      const reason =
        typeof body.reason === 'string' && body.reason.trim() !== ''
          ? body.reason.trim().slice(0, 500)
          : 'resolved by a human';
      const by = actorOfRequest(res);
      const resolved = await deps.store.update(incident, (current) => {
        const moved = transition(current, 'resolved', reason, deps.clock.now().getTime());
        return {
          incident: moved.incident,
          timeline: [{ ...moved.entry, data: { ...moved.entry.data, by } }],
        };
      });
      deps.logger.info('incident resolved by hand', { incident: incident.id, reason, by });
      void deps.escalator.announceResolution(resolved);
      res.json(fullView(resolved));
    },
  );

  route(app, '/api/v1/pause', ['GET', 'HEAD', 'POST'])
    .get((_req, res) => {
      res.json({ paused: deps.executor.isPaused });
    })
    .post(requireAuth, async (_req, res) => {
      await deps.executor.setPaused(true, actorOfRequest(res));
      res.json({ paused: true });
    });
  route(app, '/api/v1/resume', ['POST']).post(requireAuth, async (_req, res) => {
    await deps.executor.setPaused(false, actorOfRequest(res));
    res.json({ paused: false });
  });

  approvalRoutes(app, deps, requireAuth);
  slackInteractionRoutes(app, deps);

  route(app, '/api/v1/events', ['GET']).get((req, res) => {
    deps.events.connect(req, res);
  });
  sessionRoutes(app, deps);
  policyRoutes(app, deps);
  gitopsRoutes(app, deps, requireAuth);
  statusRoute(app, { ...deps, policies: (): PolicySet => deps.policies.policies });
  consoleRoutes(app, deps.consoleDir);

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

/** What the `:id` parameter handler leaves for the route. */
interface IncidentLocals {
  incident: Incident;
}

function incidentOf(res: Response): Incident {
  return (res.locals as IncidentLocals).incident;
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
