/**
 * Verify windows: an applied step that changes something is judged once its window closes, or
 * earlier when its evidence is in. Each verdict goes to the timeline (with what it rests on), the
 * journal, the metrics and the policy's circuit breaker; an ineffective one runs the next step.
 *
 * The evidence, by the step's `verify`:
 * - A duration: the plan's alerts. Effective when they have all resolved. With
 *   `--alertmanager-url`, Alertmanager's API v2 says which it still holds (by fingerprint,
 *   silenced and inhibited ones included): an alert it no longer holds has resolved even if no
 *   resolved notification arrived (`send_resolved: false`, a notification lost, or delivered to
 *   another replica); one it holds still fires even if this replica missed it firing again. A
 *   resolved notification judges the step early, once Alertmanager agrees. When Alertmanager
 *   cannot be reached, the notifications received decide, and the timeline says so.
 * - A PromQL query (`--prometheus-url`): run at the end of the window, and every `interval` during
 *   it when given (effective as soon as its bounds have held for `for`). Every sample must meet
 *   every bound; an empty result or a failed query is inconclusive and counts as not effective.
 *
 * A dry-run step changed nothing, so it gets no verdict. Its window still runs, so that a dry run
 * shows what would have happened and when (evidence that passes ends the plan as `done`; evidence
 * that does not runs the next step), but the timeline says there is no verdict, and neither
 * `remediator_verifications_total`, the plan's `effective` status nor the circuit breaker hears
 * of it.
 */
import type { Clock } from '../../clock';
import { describeError } from '../../errors';
import { formatGoTime } from '../../alertmanager/build';
import type { WebhookPayload } from '../../alertmanager/payload';
import type { AlertState, Incident } from '../../incidents/incident';
import type { IncidentStore } from '../../journal/incident-store';
import type { PlanRecords, StoredPlan } from '../../journal/plan-records';
import type { RemediationRecords, StoredRemediation } from '../../journal/remediation-records';
import { formatDuration, formatElapsed } from '../../labels/durations';
import type { Logger } from '../../logger';
import type { Metrics } from '../../metrics';
import type { RenderedCheck } from '../../policies/planner';
import { heldAlerts } from '../../sources/alertmanager';
import type { SourceConnection } from '../../sources/http';
import { instantQuery } from '../../sources/prometheus';
import { filtersOf, groupByName } from './alert-identity';
import type { CircuitStore } from './circuits';
import { clockTime, judgeByHeldAlerts, judgeBySamples, type Judgement } from './evidence';
import { alertsOf } from './step';
import type { StepSlots } from './step-slots';

export interface VerificationDeps {
  store: IncidentStore;
  plans: PlanRecords;
  remediations: RemediationRecords;
  circuits: CircuitStore;
  slots: StepSlots;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  /** Runs a plan's step (the next one, after an ineffective verdict). */
  runStep: (planId: number, index: number) => Promise<void>;
  /** Told when a verdict ends a plan: what it set up for the plan (a silence) is undone. */
  planEnded: (plan: StoredPlan, incident: Incident, how: string) => Promise<void>;
  /** Asked which of a plan's alerts are still active, when given. */
  alertmanager?: SourceConnection | undefined;
  /**
   * Told, as a resolved notification, about alerts Alertmanager no longer holds while the
   * incident still has them firing: no resolved notification may ever come for them (a silence
   * mutes it, `send_resolved: false`, or it went to another replica), and the incident must not
   * stay open on the tool's own inbox. serve appends it to the notification log like any other.
   */
  confirmResolved?: (payload: WebhookPayload) => Promise<void>;
  /** Asked the queries of steps verified by PromQL. */
  prometheus?: SourceConnection | undefined;
  /** Aborted at shutdown: questions in flight are given up. */
  signal?: AbortSignal;
}

/** What closes a window: its end, a resolved notification, or a query's bounds held long enough. */
type Trigger = 'window' | 'notification' | 'held';

interface Window {
  readonly planId: number;
  readonly step: number;
  readonly timer: NodeJS.Timeout;
  readonly ticker?: NodeJS.Timeout;
  /** Since when the query's bounds have held without a break (checks every `interval`). */
  heldSince?: number;
  /** A judgement is being made; `again` is a trigger that came meanwhile. */
  judging: boolean;
  again?: Trigger;
}

/** What a judgement says, and where it came from. */
interface Verdict extends Judgement {
  readonly source: 'notifications' | 'alertmanager' | 'prometheus';
}

export class Verification {
  /** Steps under verification, by remediation id. */
  private readonly pending = new Map<number, Window>();
  private closed = false;

  constructor(private readonly deps: VerificationDeps) {}

  /** Opens the verify window of a plan's step, closing in `inMs` (at once if that has passed). */
  schedule(remediationId: number, planId: number, step: number, inMs: number): void {
    if (this.closed) return;
    const check = this.deps.plans.get(planId)?.steps[step]?.check;
    const timer = setTimeout(
      () => {
        this.settle(remediationId, 'window');
      },
      Math.max(0, inMs),
    );
    timer.unref();
    const ticker =
      check?.intervalMs === undefined || inMs <= 0
        ? undefined
        : setInterval(() => {
            this.tick(remediationId, check);
          }, check.intervalMs);
    ticker?.unref();
    this.pending.set(remediationId, {
      planId,
      step,
      timer,
      ...(ticker === undefined ? {} : { ticker }),
      judging: false,
    });
    this.deps.metrics.verificationsPending.set(this.pending.size);
  }

  /** Some of the incident's alerts resolved: a step judged by alerts that have all is judged now. */
  alertsResolved(incident: Incident): void {
    for (const [remediationId, { planId, step }] of this.pending) {
      const plan = this.deps.plans.get(planId);
      if (plan?.incidentId !== incident.id || plan.steps[step]?.check !== undefined) continue;
      if (alertsOf(plan, incident).every((a) => a.status === 'resolved')) {
        this.settle(remediationId, 'notification');
      }
    }
  }

  /** Stops every window; no verdict comes after this. */
  close(): void {
    this.closed = true;
    for (const window of this.pending.values()) stop(window);
    this.pending.clear();
  }

  /** A query checked during the window: a verdict once its bounds have held for `for`. */
  private tick(remediationId: number, check: RenderedCheck): void {
    const window = this.pending.get(remediationId);
    if (window === undefined || window.judging) return;
    this.deps.slots.spawn(async () => {
      const now = this.deps.clock.now().getTime();
      const judged = await this.query(check, now);
      if (this.pending.get(remediationId) !== window) return;
      if (!judged.passed) {
        delete window.heldSince;
        return;
      }
      window.heldSince ??= now;
      if (now - window.heldSince >= check.forMs) {
        this.settle(remediationId, 'held', {
          ...judged,
          evidence: heldEvidence(judged.evidence, check, window.heldSince),
        });
      }
    });
  }

  /**
   * Judges the step and, unless the evidence says to wait for the window's end (a resolved
   * notification Alertmanager does not confirm), records the verdict and moves the plan on.
   */
  private settle(remediationId: number, trigger: Trigger, held?: Verdict | Judgement): void {
    const window = this.pending.get(remediationId);
    if (window === undefined) return;
    if (window.judging) {
      if (trigger !== 'notification') window.again = trigger;
      else window.again ??= trigger;
      return;
    }
    window.judging = true;
    this.deps.slots.spawn(async () => {
      try {
        const verdict =
          held === undefined
            ? await this.judge(window, trigger)
            : { ...held, source: 'prometheus' as const };
        if (verdict === 'wait' || this.pending.get(remediationId) !== window) return;
        stop(window);
        this.pending.delete(remediationId);
        this.deps.metrics.verificationsPending.set(this.pending.size);
        if (verdict !== undefined) await this.record(remediationId, window, verdict);
      } finally {
        window.judging = false;
        const again = window.again;
        delete window.again;
        if (again !== undefined) this.settle(remediationId, again);
      }
    });
  }

  /** The step's evidence now; 'wait' to keep the window open; undefined when its plan is gone. */
  private async judge(window: Window, trigger: Trigger): Promise<Verdict | 'wait' | undefined> {
    const { deps } = this;
    const plan = deps.plans.get(window.planId);
    const incident = plan && deps.store.get(plan.incidentId);
    const step = plan?.steps[window.step];
    if (plan === undefined || incident === undefined || step === undefined) return undefined;
    const now = deps.clock.now().getTime();
    const { check } = step;
    if (check !== undefined) {
      const judged = await this.query(check, now);
      if (check.intervalMs === undefined || !judged.passed)
        return { ...judged, source: 'prometheus' };
      const since = window.heldSince ?? now;
      const heldFor = now - since;
      return heldFor >= check.forMs
        ? { ...judged, evidence: heldEvidence(judged.evidence, check, since), source: 'prometheus' }
        : {
            passed: false,
            evidence: `${judged.evidence}, but it held only ${formatElapsed(heldFor)} of the ${formatDuration(check.forMs)} required`,
            source: 'prometheus',
          };
    }
    const alerts = alertsOf(plan, incident);
    const record = deps.remediations.forPlan(plan.id).find((r) => r.step === window.step);
    const journal = (): Verdict => ({
      ...judgeByNotifications(
        alerts.every((a) => a.status === 'resolved'),
        record,
        now,
      ),
      source: 'notifications',
    });
    const { alertmanager } = deps;
    if (alertmanager === undefined) return journal();
    const groups = groupByName(alerts);
    try {
      const held = await Promise.all(
        groups.map((g) => heldAlerts(alertmanager, filtersOf(g), deps.signal)),
      );
      const judged = judgeByHeldAlerts(groups, held, now);
      if (trigger === 'notification' && !judged.passed) return 'wait';
      return { ...judged, source: 'alertmanager' };
    } catch (err) {
      const fallback = journal();
      return {
        ...fallback,
        evidence: `Alertmanager could not be asked (${describeError(err)}), so the notifications received decide: ${fallback.evidence}`,
      };
    }
  }

  /** The step's query at `now` against its bounds; inconclusive when it cannot be asked. */
  private async query(check: RenderedCheck, now: number): Promise<Judgement> {
    const { prometheus } = this.deps;
    if (prometheus === undefined) {
      return {
        passed: false,
        inconclusive: true,
        evidence:
          'no --prometheus-url is configured, so the query could not be asked (the plan was made by a server that had one)',
      };
    }
    try {
      return judgeBySamples(
        check,
        await instantQuery(prometheus, check.query, now, this.deps.signal),
        now,
      );
    } catch (err) {
      return {
        passed: false,
        inconclusive: true,
        evidence: `the query failed at ${clockTime(now)}: ${describeError(err)}`,
      };
    }
  }

  /** The verdict in the timeline, the journal, the metrics and the circuit; the plan moves on. */
  private async record(remediationId: number, window: Window, judged: Verdict): Promise<void> {
    const { deps } = this;
    const plan = deps.plans.get(window.planId);
    const incident = plan && deps.store.get(plan.incidentId);
    const step = plan && deps.remediations.forPlan(plan.id).find((r) => r.id === remediationId);
    if (plan === undefined || incident === undefined || step === undefined) return;
    const now = deps.clock.now().getTime();
    const last = step.step === plan.steps.length - 1;
    const verdict = step.dryRun ? undefined : judged.passed ? 'effective' : 'ineffective';
    const evidence = `${judged.evidence}${judged.inconclusive === true ? ', so it counts as not effective' : ''}`;
    const message =
      verdict === undefined
        ? `Step ${step.step + 1} ${step.action} [dry run]: no verdict, since it changed nothing; ${evidence}${judged.passed || last ? '' : ', so the next step runs'}`
        : `Step ${step.step + 1} ${step.action} ${verdict}${judged.inconclusive === true ? ' (inconclusive)' : ''}: ${evidence}`;
    await deps.store.update(
      incident,
      () => ({
        timeline: [
          {
            at: now,
            kind: 'verification',
            message,
            data: {
              plan: plan.id,
              step: step.step,
              verdict: verdict ?? null,
              source: judged.source,
              ...(judged.inconclusive === true ? { inconclusive: true } : {}),
            },
          },
        ],
      }),
      () => {
        if (verdict !== undefined) deps.remediations.setVerification(remediationId, verdict);
        if (judged.passed) {
          deps.plans.setStatus(
            plan.id,
            verdict === 'effective' ? 'effective' : 'done',
            step.step,
            now,
          );
        } else if (!last) deps.plans.setStatus(plan.id, 'running', step.step + 1, now);
      },
    );
    if (verdict !== undefined) {
      deps.metrics.verifications.inc({ policy: plan.policy, action: step.action, result: verdict });
      await deps.circuits.recordRun(plan.policy, verdict === 'effective' ? 'success' : 'failure');
    }
    if (judged.passed && judged.source === 'alertmanager') {
      const gone = alertsOf(plan, incident).filter((a) => a.status === 'firing');
      if (gone.length > 0 && deps.confirmResolved !== undefined) {
        await deps
          .confirmResolved(resolvedNotification(incident, gone, now))
          .catch((err: unknown) => {
            // Refused (the journal or its backlog): said, not dropped; a resolved notification
            // Alertmanager sends later, or a human, still closes the incident.
            deps.logger.warn(
              'could not record the alerts Alertmanager no longer holds as resolved',
              {
                incident: incident.id,
                plan: plan.id,
                error: describeError(err),
              },
            );
          });
      }
    }
    if (judged.passed) {
      await deps.planEnded(plan, deps.store.get(plan.incidentId) ?? incident, verdict ?? 'done');
    } else await deps.runStep(plan.id, step.step + 1);
  }
}

/**
 * The resolved notification Alertmanager would have sent for `alerts` of the incident's group,
 * ending at `at`: folded like any other, it resolves them (and the incident, once it has no alert
 * firing) through the same decisions.
 */
export function resolvedNotification(
  incident: Incident,
  alerts: readonly AlertState[],
  at: number,
): WebhookPayload {
  return {
    version: '4',
    groupKey: incident.groupKey,
    truncatedAlerts: 0,
    status: 'resolved',
    receiver: incident.receiver,
    groupLabels: incident.groupLabels,
    commonLabels: incident.groupLabels,
    commonAnnotations: {},
    externalURL: incident.externalURL ?? '',
    alerts: alerts.map((a) => ({
      status: 'resolved',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: formatGoTime(at),
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
  };
}

function stop(window: Window): void {
  clearTimeout(window.timer);
  clearInterval(window.ticker);
}

/** What the notifications received say: the words verdicts always had without Alertmanager. */
function judgeByNotifications(
  resolved: boolean,
  step: StoredRemediation | undefined,
  now: number,
): Judgement {
  const applied = step?.finishedAt ?? now;
  const window = seconds((step?.verifyUntil ?? now) - applied);
  return resolved
    ? {
        passed: true,
        evidence: `its alerts resolved ${seconds(now - applied)} after it (verify window ${window})`,
      }
    : { passed: false, evidence: `its alerts still fire after ${window}` };
}

/** `p99 0.4 < 1 at 13:47:00, holding for 2m since 13:45:00`. */
function heldEvidence(evidence: string, check: RenderedCheck, since: number): string {
  return check.forMs === 0
    ? evidence
    : `${evidence}, holding for ${formatDuration(check.forMs)} since ${clockTime(since)}`;
}

/** `0.3s`, `4.5s`, `300s`: whole seconds once the tenths stop mattering. */
function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
