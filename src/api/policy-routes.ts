import express from 'express';
import { stringify } from 'yaml';
import { checkWebhookPayload } from '../alertmanager/payload';
import type { Clock } from '../clock';
import { formatProblem, type PolicyProblem } from '../policies/loader';
import { simulationStepJson } from '../policies/plan-view';
import type { PolicySet } from '../policies/policy';
import { simulate } from '../policies/simulate';
import { route } from './http';
import { targetView } from './views';
import type { PlanPreviewView, PoliciesView } from './wire';

/** The policies in force, and the problems of a file on disk that was rejected. */
export interface PolicySource {
  readonly policies: PolicySet;
  readonly rejectedProblems: readonly PolicyProblem[];
}

/** A pasted payload: enough for hundreds of alerts, and a bounded cost to plan. */
export const MAX_PLAN_BODY = '256kb';

/**
 * `GET /api/v1/policies`: the policies in force, read-only, secrets left out. `POST /api/v1/plan`:
 * what they would do about a webhook payload, `remediator plan` in the browser. Planning runs the
 * same pure `decide` as `serve` on a fresh state (no incident, nothing planned before), journals
 * nothing and acts on nothing; it is a read, so it follows the API's reads (no credentials), with
 * its body bounded to 256 KiB.
 */
export function policyRoutes(
  app: express.Express,
  deps: { policies: PolicySource; clock: Clock },
): void {
  route(app, '/api/v1/policies').get((_req, res) => {
    const set = deps.policies.policies;
    const view: PoliciesView = {
      source: set.source,
      digest: set.digest,
      text: stringify(set.view, { lineWidth: 100 }),
      policies: set.policies.map((p) => ({
        name: p.name,
        description: p.description ?? null,
        actions: p.steps.map((s) => s.action),
      })),
      rejected: deps.policies.rejectedProblems.map(formatProblem),
    };
    res.json(view);
  });

  route(app, '/api/v1/plan', ['POST']).post(express.json({ limit: MAX_PLAN_BODY }), (req, res) => {
    const checked = checkWebhookPayload(req.body);
    if (!checked.ok) {
      res.status(400).json({ error: 'invalid_payload', message: checked.message });
      return;
    }
    const set = deps.policies.policies;
    const [step] = simulate(set, [{ payload: checked.payload, at: deps.clock.now().getTime() }]);
    if (step === undefined) throw new Error('simulate returned nothing for one notification');
    const json = simulationStepJson(step);
    const view: PlanPreviewView = {
      policies: { source: set.source, digest: set.digest },
      ...json,
      plan: json.plan.map((entry) => ({
        ...entry,
        target: entry.target === null ? null : targetView(entry.target),
      })),
    };
    res.json(view);
  });
}
