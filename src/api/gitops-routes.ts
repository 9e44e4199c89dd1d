import express from 'express';
import { KubeError } from '../kube/errors';
import type { Executor } from '../remediations/executor/executor';
import { NotSuspendedError, resumeTarget } from '../remediations/gitops-suspension';
import { route } from './http';
import { actorOfRequest } from './sessions';

/**
 * `POST /api/v1/gitops/resume` `{"kind":"Kustomization","namespace":"flux-system","name":"apps"}`:
 * lifts a GitOps suspension remediator made, once a human has fixed Git (remediator never lifts
 * one itself). A write, so behind the API's write credentials. 200 with what was done; 400 for a
 * bad body; 409 for an object remediator did not suspend; the API server's own refusal (404,
 * 403, ...) as 502 with its message, which names the object and never a credential.
 */
export function gitopsRoutes(
  app: express.Express,
  deps: { executor: Executor },
  requireAuth: express.RequestHandler,
): void {
  route(app, '/api/v1/gitops/resume', ['POST']).post(
    requireAuth,
    express.json({ limit: '4kb' }),
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const target = resumeTarget(body.kind, body.namespace, body.name);
      if (typeof target === 'string') {
        res.status(400).json({ error: 'invalid_body', message: target });
        return;
      }
      try {
        const summary = await deps.executor.resumeGitOps(
          target.resource,
          target.namespace,
          target.name,
          actorOfRequest(res),
        );
        res.json({ resumed: true, message: summary });
      } catch (err) {
        if (err instanceof NotSuspendedError) {
          res.status(409).json({ error: 'not_suspended', message: err.message });
        } else if (err instanceof KubeError) {
          res.status(502).json({ error: `kube_${err.reason}`, message: err.message });
        } else {
          throw err;
        }
      }
    },
  );
}
