import express, { type RequestHandler, type Response } from 'express';
import type { IncidentStore } from '../journal/incident-store';
import type { PlanRecords } from '../journal/plan-records';
import type { Logger } from '../logger';
import {
  ApprovalConflictError,
  MAX_COMMENT,
  type AnsweredApproval,
  type ApprovalAnswer,
} from '../remediations/executor/approvals';
import type { Executor } from '../remediations/executor/executor';
import { route } from './http';
import { actorOfRequest } from './sessions';
import { approvalRecordView, approvalView } from './views';
import type { ApprovalAnswerView, ApprovalView } from './wire';

export interface ApprovalRoutesDeps {
  executor: Executor;
  plans: PlanRecords;
  store: IncidentStore;
  logger: Logger;
}

/** Longest approver name: it goes into the timeline, an Event, metrics-free logs and chat. */
const MAX_BY = 100;

/**
 * `GET /api/v1/approvals`: the plans waiting for a human. `POST /api/v1/plans/{id}/approve` and
 * `/deny` with `{ "by", "comment" }`, behind the API's write guard: 409 when the plan is not
 * awaiting approval. The answer is journaled before the 200; an approval's answer says what the
 * step did once every safety gate was checked again.
 */
export function approvalRoutes(
  app: express.Express,
  deps: ApprovalRoutesDeps,
  requireAuth: RequestHandler,
): void {
  route(app, '/api/v1/approvals').get((_req, res) => {
    const approvals: ApprovalView[] = deps.executor.pendingApprovals().flatMap((plan) => {
      const incident = deps.store.get(plan.incidentId);
      const view = incident && approvalView(plan, incident);
      return view === undefined ? [] : [view];
    });
    res.json({ approvals });
  });

  for (const verb of ['approve', 'deny'] as const) {
    route(app, `/api/v1/plans/:plan/${verb}`, ['POST']).post(
      requireAuth,
      express.json({ limit: '16kb' }),
      async (req, res) => {
        const id = Number(req.params.plan);
        if (!Number.isSafeInteger(id) || id < 1 || deps.plans.get(id) === undefined) {
          res
            .status(404)
            .json({ error: 'not_found', message: `no plan ${JSON.stringify(req.params.plan)}` });
          return;
        }
        const answer = parseAnswer(req.body, actorOfRequest(res));
        if (typeof answer === 'string') {
          res.status(400).json({ error: 'invalid_body', message: answer });
          return;
        }
        await answerWith(res, () =>
          verb === 'approve' ? deps.executor.approve(id, answer) : deps.executor.deny(id, answer),
        );
      },
    );
  }
}

/** Runs an answer; a plan not awaiting approval is a 409 with the reason. */
async function answerWith(res: Response, run: () => Promise<AnsweredApproval>): Promise<void> {
  try {
    const answered = await run();
    const view: ApprovalAnswerView = {
      plan: answered.plan.id,
      status: answered.plan.status,
      approval: approvalRecordView(answered.record),
      outcome: answered.outcome ?? null,
    };
    res.json(view);
  } catch (err) {
    if (!(err instanceof ApprovalConflictError)) throw err;
    res.status(409).json({ error: 'conflict', message: err.message });
  }
}

/**
 * `{ by?, comment? }`: `by` a name of 1 to 100 printable characters (default: who the request
 * authenticated as), `comment` at most 500; nothing else.
 */
export function parseAnswer(body: unknown, actor: string): ApprovalAnswer | string {
  if (body === undefined) return { by: actor };
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'the body must be a JSON object: { "by": "name", "comment": "..." }';
  let by = actor;
  let comment: string | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (key === 'by') {
      const name = typeof value === 'string' ? value.trim() : '';
      if (name === '' || name.length > MAX_BY || hasControl(name))
        return `by must be a name of 1 to ${MAX_BY} printable characters`;
      by = name;
    } else if (key === 'comment') {
      if (typeof value !== 'string' || value.length > MAX_COMMENT || hasControl(value, true))
        return `comment must be a string of at most ${MAX_COMMENT} characters`;
      comment = value.trim();
    } else {
      return `unknown field ${JSON.stringify(key)} (by, comment)`;
    }
  }
  return { by, ...(comment === undefined || comment === '' ? {} : { comment }) };
}

/** Control characters (newlines allowed in comments): they would forge lines in logs and chats. */
function hasControl(text: string, newlines = false): boolean {
  // eslint-disable-next-line no-control-regex
  return (newlines ? /[\u0000-\u0009\u000b-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/).test(text);
}
