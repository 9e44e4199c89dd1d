/**
 * Human approval (policy `approval`): a plan that needs it stops before its first step that
 * changes the cluster, journals the request with its deadline, and tells the policy's sinks what
 * would change and why. A human approves or denies through the API, the CLI, the console or
 * Slack; no answer by the deadline denies it. An approved plan runs its step from the gates on,
 * so that an approval bypasses none of them; a denied one escalates; one whose alerts resolve
 * meanwhile is withdrawn. Every answer is journaled (plan and timeline) before it is reported,
 * counted in `remediator_approvals_total` and recorded as an Event on the target.
 */
import type { Clock } from '../../clock';
import { describeError, RemediatorError } from '../../errors';
import type { Incident, TimelineEntry } from '../../incidents/incident';
import type { IncidentStore } from '../../journal/incident-store';
import type {
  ApprovalRecord,
  ApprovalState,
  PlanRecords,
  PlanStatus,
  StoredPlan,
} from '../../journal/plan-records';
import type { RemediationRecords } from '../../journal/remediation-records';
import type { KubePort } from '../../kube/port';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { ApprovalNotice } from '../../notify/approval-message';
import type { Notifier } from '../../notify/notifier';
import { remediationEvent } from '../audit';
import type { AuditTrail } from './audit-trail';
import { alertsOf, describeParams, namedTarget, type RunningStep } from './step';

/** An answer to a request that is not waiting for one (HTTP 409). */
export class ApprovalConflictError extends RemediatorError {
  constructor(message: string) {
    super('approval_conflict', message);
  }
}

/** An approval or a denial, as a human gave it. */
export interface ApprovalAnswer {
  readonly by: string;
  readonly comment?: string;
}

/** What became of an answered request. */
export interface AnsweredApproval {
  readonly plan: StoredPlan;
  readonly record: ApprovalRecord;
  /** After an approval: what the step did, its gates checked again. */
  readonly outcome?: string;
}

export interface ApprovalsDeps {
  plans: PlanRecords;
  remediations: RemediationRecords;
  store: IncidentStore;
  notifier: Notifier;
  audit: AuditTrail;
  kube?: KubePort | undefined;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  instance: string;
  /** The server's dry run: requests are sent (marked) only with `dryRunNotify`. */
  dryRun: boolean;
  dryRunNotify: boolean;
  /** Runs the approved step, from its gates on. */
  runStep: (planId: number, index: number) => Promise<void>;
  /** Hands the incident to humans; the plan's status is already journaled. */
  escalate: (
    plan: StoredPlan,
    incident: Incident,
    reason: 'approval_denied' | 'approval_timed_out',
    detail: string,
  ) => Promise<void>;
}

/** Plans read from the journal at a time, at restart and for the API's list. */
const PAGE = 200;
/** Longest comment kept: it goes into the timeline, an Event and chat messages. */
export const MAX_COMMENT = 500;

export class Approvals {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  /** Plans whose answer is being journaled: a second answer meanwhile is a conflict. */
  private readonly answering = new Set<number>();

  constructor(private readonly deps: ApprovalsDeps) {}

  /** Whether this step must wait for a human: the plan asks, and nobody approved it yet. */
  needsApproval(step: Pick<RunningStep, 'plan' | 'action'>): boolean {
    const { plan, action } = step;
    return (
      plan.approval !== undefined &&
      plan.approvalRecord?.state !== 'approved' &&
      action.targetKinds.length > 0
    );
  }

  /** Journals the request (plan awaiting_approval, its deadline), starts its timer, tells sinks. */
  async request(step: RunningStep, change: string): Promise<void> {
    const { deps } = this;
    const { plan, incident, index } = step;
    const approval = plan.approval;
    if (approval === undefined) return;
    const now = deps.clock.now().getTime();
    const record: ApprovalRecord = {
      state: 'pending',
      step: index,
      change,
      requestedAt: now,
      deadline: now + approval.timeoutMs,
    };
    const latest = await deps.store.update(
      incident,
      () => ({
        timeline: [
          {
            at: now,
            kind: 'approval_requested',
            message: `Approval requested for plan #${plan.id} (policy ${plan.policy}), step ${index + 1} ${step.action.name}: ${change}; asked of ${approval.sinks.join(', ')}, denied if unanswered by ${new Date(record.deadline).toISOString()}`,
            data: { plan: plan.id, step: index, sinks: approval.sinks },
          },
        ],
      }),
      () => {
        deps.plans.setApproval(plan.id, 'awaiting_approval', index, record, now);
      },
    );
    deps.logger.info('approval requested', { plan: plan.id, policy: plan.policy, step: index });
    this.schedule(plan.id, record.deadline - now);
    await this.tell({ ...plan, status: 'awaiting_approval', approvalRecord: record }, latest);
  }

  /** A human approves: journaled first, then the step runs behind every gate. */
  async approve(planId: number, answer: ApprovalAnswer): Promise<AnsweredApproval> {
    const { plan, record } = await this.answer(planId, 'approved', 'running', answer);
    await this.deps.runStep(plan.id, record.step);
    const outcome = this.stepOutcome(plan.id, record.step);
    const incident = this.deps.store.get(plan.incidentId);
    if (incident !== undefined) await this.tell(plan, incident, outcome);
    return { plan: this.deps.plans.get(plan.id) ?? plan, record, outcome };
  }

  /** A human denies: nothing is written; the incident escalates. */
  deny(planId: number, answer: ApprovalAnswer): Promise<AnsweredApproval> {
    return this.refuse(planId, 'denied', answer);
  }

  /** The incident's requests whose plans' alerts have all resolved are withdrawn. */
  async withdrawResolved(incident: Incident): Promise<void> {
    for (const plan of this.deps.plans.forIncident(incident.id)) {
      if (plan.status !== 'awaiting_approval') continue;
      const alerts = alertsOf(plan, incident);
      if (alerts.length === 0 || alerts.some((a) => a.status !== 'resolved')) continue;
      try {
        const answered = await this.answer(plan.id, 'withdrawn', 'withdrawn', {
          by: 'remediator',
          comment: 'its alerts resolved while it waited',
        });
        const latest = this.deps.store.get(plan.incidentId) ?? incident;
        await this.tell(answered.plan, latest);
      } catch (err) {
        if (!(err instanceof ApprovalConflictError)) throw err;
      }
    }
  }

  /** The requests waiting for an answer, oldest first (at most `limit`). */
  pending(limit = 500): StoredPlan[] {
    const out: StoredPlan[] = [];
    let after = 0;
    while (out.length < limit) {
      const page = this.deps.plans.awaitingApproval(after, Math.min(PAGE, limit - out.length));
      out.push(...page);
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE) break;
      after = last.id;
    }
    return out;
  }

  /** After a restart: each wait goes on until its journaled deadline (a past one ends now). */
  recover(): void {
    const now = this.deps.clock.now().getTime();
    let after = 0;
    for (;;) {
      const page = this.deps.plans.awaitingApproval(after, PAGE);
      for (const plan of page) this.schedule(plan.id, (plan.approvalRecord?.deadline ?? now) - now);
      const last = page.at(-1);
      if (last === undefined || page.length < PAGE) return;
      after = last.id;
    }
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(planId: number, inMs: number): void {
    clearTimeout(this.timers.get(planId));
    // setTimeout holds at most 2^31-1 ms; a policy's timeout is at most a day.
    const timer = setTimeout(
      () => {
        this.timers.delete(planId);
        this.refuse(planId, 'timed_out', { by: 'remediator' }).catch((err: unknown) => {
          if (err instanceof ApprovalConflictError) return;
          this.deps.logger.error('timing out an approval request failed', {
            plan: planId,
            error: describeError(err),
          });
        });
      },
      Math.max(0, Math.min(inMs, 2 ** 31 - 1)),
    );
    timer.unref();
    this.timers.set(planId, timer);
  }

  private async refuse(
    planId: number,
    state: 'denied' | 'timed_out',
    answer: ApprovalAnswer,
  ): Promise<AnsweredApproval> {
    const answered = await this.answer(planId, state, 'denied', answer);
    const { plan, record } = answered;
    const incident = this.deps.store.get(plan.incidentId);
    if (incident === undefined) return answered;
    await this.tell(plan, incident);
    const detail =
      state === 'timed_out'
        ? `approval timed out: nobody approved plan #${plan.id} (policy ${plan.policy}: ${record.change}) within its timeout, so nothing was changed`
        : `${record.by ?? 'a human'} denied plan #${plan.id} (policy ${plan.policy}: ${record.change})${record.comment === undefined ? '' : `: "${record.comment}"`}; nothing was changed`;
    await this.deps.escalate(
      plan,
      this.deps.store.get(plan.incidentId) ?? incident,
      state === 'timed_out' ? 'approval_timed_out' : 'approval_denied',
      detail,
    );
    return answered;
  }

  /**
   * Journals an answer (the plan's new status, the record, a timeline entry) and only then
   * counts it and records its Event; a plan not awaiting approval is a conflict.
   */
  private async answer(
    planId: number,
    state: Exclude<ApprovalState, 'pending'>,
    status: PlanStatus,
    answer: ApprovalAnswer,
  ): Promise<{ plan: StoredPlan; record: ApprovalRecord }> {
    const { deps } = this;
    const plan = deps.plans.get(planId);
    const pending = plan?.approvalRecord;
    if (plan === undefined) throw new ApprovalConflictError(`no plan ${planId}`);
    if (
      plan.status !== 'awaiting_approval' ||
      pending === undefined ||
      this.answering.has(planId)
    ) {
      const was = plan.approvalRecord?.state;
      throw new ApprovalConflictError(
        `plan ${planId} is not awaiting approval (status ${plan.status}${was === undefined || was === 'pending' ? '' : `, approval ${was}${plan.approvalRecord?.by === undefined ? '' : ` by ${plan.approvalRecord.by}`}`})`,
      );
    }
    const incident = deps.store.get(plan.incidentId);
    if (incident === undefined) throw new ApprovalConflictError(`plan ${planId} has no incident`);
    this.answering.add(planId);
    try {
      const now = deps.clock.now().getTime();
      const comment = answer.comment?.trim().slice(0, MAX_COMMENT);
      const record: ApprovalRecord = {
        ...pending,
        state,
        by: answer.by,
        at: now,
        ...(comment === undefined || comment === '' ? {} : { comment }),
      };
      const entry: TimelineEntry = {
        at: now,
        kind: `approval_${state}`,
        message: timelineMessage(plan, record),
        data: {
          plan: plan.id,
          step: record.step,
          by: answer.by,
          ...(record.comment === undefined ? {} : { comment: record.comment }),
        },
      };
      await deps.store.update(
        incident,
        () => ({ timeline: [entry] }),
        () => {
          deps.plans.setApproval(plan.id, status, record.step, record, now);
        },
      );
      clearTimeout(this.timers.get(planId));
      this.timers.delete(planId);
      deps.metrics.approvals.inc({ policy: plan.policy, result: state });
      deps.logger.info('approval answered', {
        plan: plan.id,
        policy: plan.policy,
        result: state,
        by: answer.by,
      });
      const updated: StoredPlan = { ...plan, status, approvalRecord: record };
      await this.recordEvent(updated, record);
      return { plan: updated, record };
    } finally {
      this.answering.delete(planId);
    }
  }

  /** What the approved step did, from its journaled result. */
  private stepOutcome(planId: number, index: number): string {
    const step = this.deps.remediations
      .forPlan(planId)
      .filter((r) => r.step === index)
      .at(-1);
    if (step === undefined) return 'the step is waiting for its turn (a target lock or a slot)';
    const what = step.summary ?? step.action;
    switch (step.status) {
      case 'applied':
        return `applied: ${what}`;
      case 'dry_run':
        return `dry run: ${what}`;
      case 'skipped':
        return `a safety gate stopped it (${step.reason ?? 'skipped'}): ${what}`;
      default:
        return `${step.status}: ${what}`;
    }
  }

  /** The request or its answer, to every sink the policy names; each delivery in the timeline. */
  private async tell(plan: StoredPlan, incident: Incident, outcome?: string): Promise<void> {
    const { deps } = this;
    const record = plan.approvalRecord;
    const approval = plan.approval;
    if (record === undefined || approval === undefined) return;
    const notice = approvalNotice(plan, outcome);
    if (notice === undefined) return;
    const dryRun = deps.dryRun || plan.dryRun;
    const timeline: TimelineEntry[] = [];
    for (const sink of approval.sinks) {
      const notification = {
        sink,
        template: 'approval' as const,
        incident,
        reason: `approval of plan #${plan.id} (policy ${plan.policy})`,
        approval: notice,
        ...(dryRun ? { dryRun: true } : {}),
      };
      const what = `Approval ${record.state === 'pending' ? 'request' : record.state.replace('_', ' ')} to ${sink}`;
      let message: string;
      if (deps.dryRun && !deps.dryRunNotify) {
        deps.notifier.withhold(notification);
        message = `${what}: not sent (dry run, --dry-run-notify=false)`;
      } else {
        try {
          const result = await deps.notifier.send(notification);
          message = `${what}: delivered (HTTP ${result.status})`;
        } catch (err) {
          message = `${what} failed: ${describeError(err)}`;
        }
      }
      timeline.push({
        at: deps.clock.now().getTime(),
        kind: 'notification',
        message,
        data: { sink, template: 'approval' },
      });
    }
    await deps.store.update(incident, () => ({ timeline }));
  }

  /** `ApprovalGranted` / `ApprovalDenied` on the target, so `kubectl describe` shows who decided. */
  private async recordEvent(plan: StoredPlan, record: ApprovalRecord): Promise<void> {
    const { kube } = this.deps;
    if (kube === undefined || plan.dryRun || this.deps.dryRun) return;
    if (plan.target === undefined || !('name' in plan.target)) return;
    try {
      const regarding = await this.deps.audit.regardingOf(namedTarget(plan) ?? plan.target);
      if (regarding === undefined) return;
      const granted = record.state === 'approved';
      await kube.createEvent(
        regarding.namespace,
        remediationEvent({
          regarding,
          action: granted ? 'approve' : 'deny',
          reason: granted ? 'ApprovalGranted' : 'ApprovalDenied',
          note: timelineMessage(plan, record),
          instance: this.deps.instance,
          now: this.deps.clock.now(),
        }),
      );
    } catch (err) {
      this.deps.logger.warn('could not record the approval Event', {
        plan: plan.id,
        error: describeError(err),
      });
    }
  }
}

/** `Approved by alice: plan #4 (policy p), step 1 rollback ...: "go"`, and the like. */
function timelineMessage(plan: StoredPlan, record: ApprovalRecord): string {
  const head: Record<Exclude<ApprovalState, 'pending'>, string> = {
    approved: `Approved by ${record.by ?? 'a human'}`,
    denied: `Denied by ${record.by ?? 'a human'}`,
    timed_out: 'Approval timed out (no answer in time: denied)',
    withdrawn: 'Approval request withdrawn (its alerts resolved while it waited)',
  };
  const state = record.state === 'pending' ? 'approved' : record.state;
  const comment =
    record.comment === undefined || state === 'withdrawn' ? '' : `: "${record.comment}"`;
  return `${head[state]}: plan #${plan.id} (policy ${plan.policy}), step ${record.step + 1}: ${record.change}${comment}`;
}

/** A plan's approval request or answer, as the sinks and Slack's `response_url` are told. */
export function approvalNotice(plan: StoredPlan, outcome?: string): ApprovalNotice | undefined {
  const record = plan.approvalRecord;
  const approval = plan.approval;
  if (record === undefined || approval === undefined) return undefined;
  return {
    planId: plan.id,
    policy: plan.policy,
    state: record.state,
    change: record.change,
    steps: plan.steps.map((s) => `${s.action}${describeParams(s.params)}`),
    why: approval.why,
    deadline: record.deadline,
    ...(record.by === undefined ? {} : { by: record.by }),
    ...(record.comment === undefined ? {} : { comment: record.comment }),
    ...(outcome === undefined ? {} : { outcome }),
  };
}
