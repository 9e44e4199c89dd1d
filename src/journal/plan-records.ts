import type {
  AlertRef,
  Plan,
  PlanEntry,
  PlanSkip,
  RenderedStep,
  PlannedTarget,
  RenderedTarget,
  Trigger,
} from '../policies/planner';
import type { PlanApproval } from '../policies/approval';
import type { GitOpsMode, SilenceConfig } from '../policies/policy';
import type { SqlDatabase } from './sql';

/**
 * planned → running → effective (the alerts resolved) | escalated (automation gave up) |
 * done (nothing to verify, e.g. a resolution notice) | skipped (a safety gate said no);
 * `skipped` is also a plan-time skip. A plan that needs approval goes running →
 * awaiting_approval → running (approved) | denied (denied, or no answer in time) | withdrawn
 * (its alerts resolved while it waited).
 */
export const PLAN_STATUSES = [
  'planned',
  'running',
  'awaiting_approval',
  'effective',
  'escalated',
  'done',
  'skipped',
  'denied',
  'withdrawn',
] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** Where an approval request stands. */
export type ApprovalState = 'pending' | 'approved' | 'denied' | 'timed_out' | 'withdrawn';

/** An approval request and its answer, as journaled on its plan. */
export interface ApprovalRecord {
  readonly state: ApprovalState;
  /** The step it is asked for: the plan's first that changes the cluster. */
  readonly step: number;
  /** The exact change, as the action's plan worded it when the request was made. */
  readonly change: string;
  readonly requestedAt: number;
  readonly deadline: number;
  /** Who answered (a name given to the API or the CLI, or `slack:<user>`), when, and why. */
  readonly by?: string;
  readonly at?: number;
  readonly comment?: string;
}

/** A plan as stored: an entry or a skip, with its id and where it stands. */
export interface StoredPlan extends Omit<PlanEntry, 'alertnames'> {
  readonly id: number;
  readonly status: PlanStatus;
  readonly currentStep: number;
  /** The approval request, once one was made. */
  readonly approvalRecord?: ApprovalRecord;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface PlanRow {
  approval: string | null;
  approval_deadline: number | null;
  id: number;
  incident_id: number;
  policy: string;
  trigger: Trigger;
  status: string;
  reason: string;
  alerts: string;
  target: string | null;
  steps: string;
  dry_run: number;
  created_at: number;
  updated_at: number;
  current_step: number;
  gates: string | null;
}

interface Gates {
  autoResolve: boolean;
  cooldownMs: number;
  budget: { max: number; perMs: number };
  silence?: SilenceConfig;
  approval?: PlanApproval;
  gitops?: GitOpsMode;
}

/** The plans and plan_alerts tables. */
export class PlanRecords {
  private readonly insertPlan;
  private readonly insertPlanAlert;
  private readonly selectPlanned;
  private readonly selectForIncident;
  private readonly selectOne;
  private readonly selectByStatus;
  private readonly updateStatus;
  private readonly updateTarget;
  private readonly updateApproval;
  private readonly selectAwaiting;

  constructor(db: SqlDatabase) {
    this.insertPlan = db.prepare(`
      INSERT INTO plans (incident_id, policy, trigger, status, reason, alerts, target, steps, dry_run,
                         gates, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertPlanAlert = db.prepare(
      'INSERT OR IGNORE INTO plan_alerts (policy, fingerprint, starts_at, trigger, plan_id) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectPlanned = db.prepare<[string, string, string, string], { plan_id: number }>(
      'SELECT plan_id FROM plan_alerts WHERE policy = ? AND fingerprint = ? AND starts_at = ? AND trigger = ?',
    );
    this.selectForIncident = db.prepare<[number], PlanRow>(
      'SELECT * FROM plans WHERE incident_id = ? ORDER BY id',
    );
    this.selectOne = db.prepare<[number], PlanRow>('SELECT * FROM plans WHERE id = ?');
    this.selectByStatus = db.prepare<[PlanStatus, number, number], PlanRow>(
      'SELECT * FROM plans WHERE status = ? AND id > ? ORDER BY id LIMIT ?',
    );
    this.updateStatus = db.prepare(
      'UPDATE plans SET status = ?, current_step = ?, updated_at = ? WHERE id = ?',
    );
    this.updateTarget = db.prepare('UPDATE plans SET target = ?, updated_at = ? WHERE id = ?');
    this.updateApproval = db.prepare(
      'UPDATE plans SET status = ?, current_step = ?, approval = ?, approval_deadline = ?, updated_at = ? WHERE id = ?',
    );
    this.selectAwaiting = db.prepare<[number, number], PlanRow>(
      "SELECT * FROM plans WHERE status = 'awaiting_approval' AND id > ? ORDER BY id LIMIT ?",
    );
  }

  isPlanned(policy: string, alert: AlertRef, trigger: Trigger): boolean {
    return this.selectPlanned.get(policy, alert.fingerprint, alert.startsAt, trigger) !== undefined;
  }

  /** Writes a plan's entries and skips; returns the entries' ids in order. Call inside `Journal.write`. */
  save(incidentId: number, plan: Pick<Plan, 'entries' | 'skips'>, now: number): number[] {
    const ids = plan.entries.map((entry) => {
      const id = this.insert(incidentId, entry, 'planned', entry.reason, now);
      for (const alert of entry.alerts) {
        this.insertPlanAlert.run(
          entry.policy,
          alert.fingerprint,
          alert.startsAt,
          entry.trigger,
          id,
        );
      }
      return id;
    });
    for (const skip of plan.skips) this.insert(incidentId, skip, 'skipped', skip.reason, now);
    return ids;
  }

  forIncident(incidentId: number): StoredPlan[] {
    return this.selectForIncident.all(incidentId).map(fromRow);
  }

  get(id: number): StoredPlan | undefined {
    const row = this.selectOne.get(id);
    return row && fromRow(row);
  }

  /**
   * A page of the plans in `status` (`planned`: not started; `running`: between or in steps),
   * oldest first, after the plan `afterId`: a journal may hold thousands, and reading them at
   * once took the memory a restart needed.
   */
  withStatus(status: 'planned' | 'running', afterId: number, limit: number): StoredPlan[] {
    return this.selectByStatus.all(status, afterId, limit).map(fromRow);
  }

  /** Plans waiting for a human's answer, oldest first, a page at a time after `afterId`. */
  awaitingApproval(afterId: number, limit: number): StoredPlan[] {
    return this.selectAwaiting.all(afterId, limit).map(fromRow);
  }

  /**
   * Journals an approval request or its answer with the plan's status: `awaiting_approval` keeps
   * the request's deadline (a restart resumes the wait), any other status clears it. Call inside
   * `Journal.write`.
   */
  setApproval(
    id: number,
    status: PlanStatus,
    step: number,
    record: ApprovalRecord,
    now: number,
  ): void {
    this.updateApproval.run(
      status,
      step,
      JSON.stringify(record),
      status === 'awaiting_approval' ? record.deadline : null,
      now,
      id,
    );
  }

  /** The object found for a target named through a pod or an HPA. Call inside `Journal.write`. */
  setTarget(id: number, target: RenderedTarget, now: number): void {
    this.updateTarget.run(JSON.stringify(target), now, id);
  }

  /** Call inside `Journal.write`. */
  setStatus(id: number, status: PlanStatus, step: number, now: number): void {
    this.updateStatus.run(status, step, now, id);
  }

  private insert(
    incidentId: number,
    item: PlanEntry | PlanSkip,
    status: PlanStatus,
    reason: string,
    now: number,
  ): number {
    const entry = 'steps' in item ? item : undefined;
    return Number(
      this.insertPlan.run(
        incidentId,
        item.policy,
        item.trigger,
        status,
        reason,
        JSON.stringify(item.alerts),
        entry?.target === undefined ? null : JSON.stringify(entry.target),
        JSON.stringify(entry?.steps ?? []),
        entry?.dryRun === true ? 1 : 0,
        entry === undefined
          ? null
          : JSON.stringify({
              autoResolve: entry.autoResolve,
              cooldownMs: entry.cooldownMs,
              budget: entry.budget,
              ...(entry.silence === undefined ? {} : { silence: entry.silence }),
              ...(entry.approval === undefined ? {} : { approval: entry.approval }),
              ...(entry.gitops === undefined ? {} : { gitops: entry.gitops }),
            } satisfies Gates),
        now,
        now,
      ).lastInsertRowid,
    );
  }
}

function fromRow(row: PlanRow): StoredPlan {
  const gates: Gates =
    row.gates === null
      ? { autoResolve: true, cooldownMs: 0, budget: { max: 1, perMs: 0 } }
      : (JSON.parse(row.gates) as Gates);
  return {
    id: row.id,
    incidentId: row.incident_id,
    policy: row.policy,
    trigger: row.trigger,
    status: row.status as PlanStatus,
    reason: row.reason,
    alerts: JSON.parse(row.alerts) as AlertRef[],
    ...(row.target === null ? {} : { target: JSON.parse(row.target) as PlannedTarget }),
    steps: JSON.parse(row.steps) as RenderedStep[],
    dryRun: row.dry_run === 1,
    ...gates,
    currentStep: row.current_step,
    ...(row.approval === null
      ? {}
      : { approvalRecord: JSON.parse(row.approval) as ApprovalRecord }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
