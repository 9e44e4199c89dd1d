/**
 * The audit trail in the cluster: an events.k8s.io/v1 Event on each object a step changed (or
 * failed to change), so `kubectl describe` shows what remediator did and why. Event shaping is
 * audit.ts's; this writes them, and finds the object an Event is about after a restart.
 */
import type { Clock } from '../../clock';
import { describeError } from '../../errors';
import { KubeError } from '../../kube/errors';
import { objectRef, readTargetObject } from '../../kube/objects';
import type { KubePort, ObjectRef } from '../../kube/port';
import type { Logger } from '../../logger';
import type { RenderedTarget } from '../../policies/planner';
import type { ActionContext, ActionDecision } from '../action';
import { remediationEvent, type AuditReason } from '../audit';
import type { StepOutcome } from './step';

export interface AuditTrailDeps {
  /** Absent without Kubernetes credentials: nothing is recorded. */
  kube?: KubePort | undefined;
  instance: string;
  logger: Logger;
  clock: Clock;
}

export class AuditTrail {
  constructor(private readonly deps: AuditTrailDeps) {}

  /** The audit Event on the changed object; a failure to write it is logged, never fatal. */
  async record(
    decision: Extract<ActionDecision, { kind: 'act' }>,
    action: string,
    outcome: StepOutcome,
    ctx: ActionContext,
  ): Promise<void> {
    const { kube } = this.deps;
    if (
      kube === undefined ||
      ctx.dryRun ||
      decision.regarding === undefined ||
      outcome.status === 'skipped'
    )
      return;
    const reason: AuditReason =
      outcome.status === 'failed' ? 'RemediationFailed' : 'RemediationApplied';
    const alertnames = [...new Set(ctx.alerts.map((a) => a.labels.alertname ?? ''))].join(', ');
    const note = `${outcome.summary} (policy ${ctx.policy}, incident ${ctx.incident.id}, alerts ${alertnames})`;
    await recordEvent(kube, decision.regarding, action, reason, note, this.deps);
  }

  /** An Event about a GitOps suspension, on the owner or the workload; never fatal. */
  async suspended(
    regarding: ObjectRef,
    note: string,
    ctx: Pick<ActionContext, 'dryRun' | 'policy' | 'incident'>,
  ): Promise<void> {
    const { kube } = this.deps;
    if (kube === undefined || ctx.dryRun) return;
    const full = `${note} (policy ${ctx.policy}, incident ${ctx.incident.id})`;
    await recordEvent(kube, regarding, 'suspend', 'GitOpsSuspended', full, this.deps);
  }

  /** The target as an audit Event's `regarding`, with its uid; undefined if it cannot be read. */
  async regardingOf(target: RenderedTarget): Promise<ObjectRef | undefined> {
    const { kube } = this.deps;
    if (kube === undefined) return undefined;
    try {
      return objectRef(target, await readTargetObject(kube, target));
    } catch (err) {
      if (err instanceof KubeError) return undefined;
      throw err;
    }
  }
}

/** Writes one Event; a failure is logged, never thrown: the audit trail must not stop a fix. */
export async function recordEvent(
  kube: KubePort,
  regarding: ObjectRef,
  action: string,
  reason: AuditReason,
  note: string,
  deps: { readonly instance: string; readonly logger: Logger; readonly clock: Clock },
): Promise<void> {
  try {
    await kube.createEvent(
      regarding.namespace,
      remediationEvent({
        regarding,
        action,
        reason,
        note,
        instance: deps.instance,
        now: deps.clock.now(),
      }),
    );
  } catch (err) {
    deps.logger.warn('could not record the audit Event', {
      action,
      error: describeError(err),
    });
  }
}
