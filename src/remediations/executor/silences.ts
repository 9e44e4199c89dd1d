/**
 * Silences during the fix (a policy's `silence`): before a plan's first write, its alerts are
 * silenced in Alertmanager, one silence per alert name matching the labels the plan's alerts of
 * that name share (alert-identity.ts), `createdBy: remediator`, with a comment naming this
 * replica, the incident, the plan and the policy. A silence lasts the plan's remaining verify
 * windows plus a margin (or the policy's `silence.for`), and is expired when the plan ends,
 * whatever the verdict. At start-up, silences this replica created for plans that are over are
 * expired (a crash, or Alertmanager down when the plan ended, left them).
 *
 * A silence never holds up a fix: when Alertmanager cannot be reached, the step runs and the
 * timeline says that on-call will be paged as usual. Nothing is silenced in a dry run.
 */
import type { Clock } from '../../clock';
import { describeError } from '../../errors';
import type { Incident } from '../../incidents/incident';
import type { IncidentStore } from '../../journal/incident-store';
import type { Journal } from '../../journal/journal';
import type { PlanRecords, StoredPlan } from '../../journal/plan-records';
import type { SilenceRecords } from '../../journal/silence-records';
import { formatDuration } from '../../labels/durations';
import type { Logger } from '../../logger';
import { createSilence, expireSilence, listSilences } from '../../sources/alertmanager';
import type { SourceConnection } from '../../sources/http';
import { describeGroup, groupByName } from './alert-identity';
import { clockTime } from './evidence';
import { alertsOf } from './step';

/** A silence outlives the plan's verify windows by this much: steps take time between them. */
export const SILENCE_MARGIN_MS = 5 * 60_000;

/** Alertmanager's `createdBy` of every silence remediator creates. */
export const CREATED_BY = 'remediator';

export interface PlanSilencesDeps {
  journal: Journal;
  store: IncidentStore;
  plans: PlanRecords;
  silences: SilenceRecords;
  /** Absent without `--alertmanager-url`: policies that silence are refused then. */
  alertmanager?: SourceConnection | undefined;
  /** This replica's name: its silences' comments carry it, so another replica leaves them be. */
  instance: string;
  logger: Logger;
  clock: Clock;
}

/** `remediator r0: incident 7, plan 12, policy latency silences HighLatency while it remediates`. */
const COMMENT = /^remediator (\S+): incident (\d+), plan (\d+), /;

export class PlanSilences {
  /** Dry-run plans already told they get no silence. */
  private readonly toldDryRun = new Set<number>();

  constructor(private readonly deps: PlanSilencesDeps) {}

  /**
   * Before a write of the plan's step `index`: silences the plan's alerts unless a silence of this
   * plan is in force. Never throws; what happened is in the timeline.
   */
  async before(
    plan: StoredPlan,
    incident: Incident,
    index: number,
    dryRun: boolean,
  ): Promise<void> {
    const { deps } = this;
    const { silence } = plan;
    if (silence === undefined || deps.silences.unlifted(plan.id).length > 0) return;
    const now = deps.clock.now().getTime();
    if (dryRun) {
      if (!this.toldDryRun.has(plan.id)) {
        this.toldDryRun.add(plan.id);
        await this.say(
          incident,
          plan,
          now,
          `No silence for policy ${plan.policy}: the plan is a dry run, so on-call is paged as usual`,
        );
      }
      return;
    }
    const { alertmanager } = deps;
    if (alertmanager === undefined) return;
    const lasts =
      silence.forMs ??
      plan.steps.slice(index).reduce((sum, step) => sum + step.verifyMs, 0) + SILENCE_MARGIN_MS;
    const endsAt = now + lasts;
    for (const group of groupByName(alertsOf(plan, incident))) {
      const about = describeGroup(group);
      const matchers = Object.entries(group.labels).map(([name, value]) => ({ name, value }));
      try {
        if (matchers.length === 0) throw new Error('its alerts share no label to match');
        const id = await createSilence(alertmanager, {
          matchers,
          startsAt: new Date(now),
          endsAt: new Date(endsAt),
          createdBy: CREATED_BY,
          comment: `remediator ${deps.instance}: incident ${incident.id}, plan ${plan.id}, policy ${plan.policy} silences ${group.alertname} while it remediates`,
        });
        await deps.store.update(
          incident,
          () => ({
            timeline: [
              {
                at: now,
                kind: 'silence',
                message: `Silenced ${about} in Alertmanager until ${clockTime(endsAt)} (${formatDuration(lasts)}) while policy ${plan.policy} works: silence ${id}`,
                data: { plan: plan.id, silence: id, endsAt },
              },
            ],
          }),
          () => {
            deps.silences.insert({
              id,
              planId: plan.id,
              alertname: group.alertname,
              createdAt: now,
              endsAt,
            });
          },
        );
      } catch (err) {
        deps.logger.warn('silencing alerts failed', { plan: plan.id, error: describeError(err) });
        await this.say(
          incident,
          plan,
          now,
          `Could not silence ${about} in Alertmanager (${describeError(err)}): on-call is paged as usual`,
        );
      }
    }
  }

  /**
   * The plan is over (`why`: effective, done, escalated…): expires its silences. Resolves with
   * the ids lifted, for an escalation to say so. Never throws.
   */
  async lift(plan: StoredPlan, incident: Incident, why: string): Promise<string[]> {
    const { deps } = this;
    const { alertmanager } = deps;
    const open = deps.silences.unlifted(plan.id);
    if (alertmanager === undefined || open.length === 0) return [];
    const lifted: string[] = [];
    for (const silence of open) {
      const now = deps.clock.now().getTime();
      try {
        await expireSilence(alertmanager, silence.id);
        lifted.push(silence.id);
        await deps.store.update(
          incident,
          () => ({
            timeline: [
              {
                at: now,
                kind: 'silence',
                message: `Lifted silence ${silence.id} of ${silence.alertname}: the plan of policy ${plan.policy} is over (${why})`,
                data: { plan: plan.id, silence: silence.id, lifted: true },
              },
            ],
          }),
          () => {
            deps.silences.lifted(silence.id, now);
          },
        );
      } catch (err) {
        deps.logger.warn('lifting a silence failed', {
          plan: plan.id,
          silence: silence.id,
          error: describeError(err),
        });
        await this.say(
          incident,
          plan,
          now,
          `Could not lift silence ${silence.id} of ${silence.alertname} (${describeError(err)}): it ends by itself at ${clockTime(silence.endsAt)}, or at the next start`,
        );
      }
    }
    return lifted;
  }

  /**
   * At start-up: expires the silences this replica created (by their comment) whose plan is not
   * running any more, or not in this journal at all. Never throws.
   */
  async sweep(): Promise<void> {
    const { deps } = this;
    const { alertmanager } = deps;
    if (alertmanager === undefined) return;
    try {
      const leftovers = (await listSilences(alertmanager)).filter((s) => {
        if (s.createdBy !== CREATED_BY || s.state === 'expired') return false;
        const [, instance, , planId] = COMMENT.exec(s.comment) ?? [];
        if (instance !== deps.instance || planId === undefined) return false;
        const status = deps.plans.get(Number(planId))?.status;
        return status !== 'running' && status !== 'planned';
      });
      for (const silence of leftovers) {
        await expireSilence(alertmanager, silence.id);
        const now = deps.clock.now().getTime();
        await deps.journal.write(() => {
          deps.silences.lifted(silence.id, now);
        });
        deps.logger.info('lifted a silence left by the last run', {
          silence: silence.id,
          comment: silence.comment,
        });
      }
    } catch (err) {
      deps.logger.warn('lifting silences left by the last run failed', {
        error: describeError(err),
      });
    }
  }

  private async say(
    incident: Incident,
    plan: StoredPlan,
    at: number,
    message: string,
  ): Promise<void> {
    await this.deps.store.update(incident, () => ({
      timeline: [{ at, kind: 'silence', message, data: { plan: plan.id } }],
    }));
  }
}
