import type { Clock } from '../clock';
import { describeError } from '../errors';
import type { IncidentStore } from '../journal/incident-store';
import { transition, type Incident, type TimelineEntry } from '../incidents/incident';
import type { IncidentRecords } from '../journal/incident-records';
import type { Journal } from '../journal/journal';
import type { RemediationRecords } from '../journal/remediation-records';
import type { Logger } from '../logger';
import type { ESCALATION_REASONS, Metrics } from '../metrics';
import type { Notifier } from '../notify/notifier';
import { matchesLabels } from '../labels/matchers';
import type { EscalationLadder, EscalationRung, PolicySet } from '../policies/policy';

/** Why humans are told: automation gave up (and how), or the incident stayed open too long. */
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

/** The first ladder whose matchers fit one of the incident's alerts; a ladder without any fits all. */
export function chooseLadder(
  incident: Incident,
  ladders: readonly EscalationLadder[],
): EscalationLadder | undefined {
  return ladders.find(
    (ladder) =>
      ladder.match.length === 0 ||
      [...incident.alerts.values()].some((a) => matchesLabels(ladder.match, a.labels)),
  );
}

/**
 * The rungs to notify now, pure. Time alone (`unresolved`): every rung not yet told whose `after`
 * has passed and whose severity fits. When automation gives up, also the next rung not yet told,
 * whatever its `after`: giving up is a reason to go one step up the ladder at once.
 */
export function dueRungs(
  incident: Incident,
  ladder: EscalationLadder,
  notified: ReadonlySet<number>,
  now: number,
  reason: EscalationReason,
): { index: number; rung: EscalationRung }[] {
  const open = now - incident.openedAt;
  const eligible = ladder.rungs
    .map((rung, index) => ({ index, rung }))
    .filter(({ index, rung }) => !notified.has(index) && incident.severity <= rung.minSeverity);
  // A rung with `after: 0s` is for the moment automation gives up, never for time alone.
  const due = eligible.filter(({ rung }) => rung.afterMs > 0 && open >= rung.afterMs);
  if (reason !== 'unresolved' && due.length === 0 && eligible[0] !== undefined)
    due.push(eligible[0]);
  return due;
}

export interface EscalatorDeps {
  journal: Journal;
  store: IncidentStore;
  incidents: IncidentRecords;
  remediations: RemediationRecords;
  notifier: Notifier;
  policies: () => PolicySet;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** In a dry run nothing is sent: the timeline says what would have been. */
  dryRun: boolean;
  /**
   * Replicas behind one Alertmanager each see the incident; a claim (a Lease) makes one of
   * them send each escalation and resolution notice. Absent without a cluster.
   */
  claims?: { claimOnce(key: string, now: Date): Promise<boolean> };
}

/** The same incident as other replicas know it: its group and its earliest alert instance. */
function episodeKey(incident: Incident): string {
  const starts = [...incident.alerts.values()].map((a) => a.startsAt).sort();
  return `${incident.groupKey}|${starts[0] ?? ''}`;
}

/**
 * Hands incidents to humans, following the escalation ladders of the policies file: when
 * automation gives up on an incident, when an incident stays unresolved past a rung's `after`,
 * and, once it resolves, with a resolution notice to every sink that heard about it. Each rung
 * and each resolution notice is journaled before it is sent, so a restart never repeats one.
 */
export class Escalator {
  constructor(private readonly deps: EscalatorDeps) {}

  /** Automation gave up on this incident: tell the next rung(s) now; humans own it from here. */
  escalate(
    incident: Incident,
    reason: Exclude<EscalationReason, 'unresolved'>,
    detail: string,
    dryRun = this.deps.dryRun,
  ): Promise<void> {
    return this.tellHumans(incident, reason, detail, dryRun, true);
  }

  /**
   * Humans must know something, while automation goes on (a GitOps controller it suspended):
   * the next rung is told, the timeline says so, and the incident's status is left alone.
   */
  inform(
    incident: Incident,
    reason: Exclude<EscalationReason, 'unresolved'>,
    detail: string,
    dryRun = this.deps.dryRun,
  ): Promise<void> {
    return this.tellHumans(incident, reason, detail, dryRun, false);
  }

  private async tellHumans(
    incident: Incident,
    reason: Exclude<EscalationReason, 'unresolved'>,
    detail: string,
    dryRun: boolean,
    gaveUp: boolean,
  ): Promise<void> {
    const { deps } = this;
    deps.metrics.escalations.inc({ reason });
    const now = deps.clock.now().getTime();
    await deps.store.update(incident, (current) => {
      const entry: TimelineEntry = {
        at: now,
        kind: 'escalated',
        message: `${gaveUp ? 'Escalated to humans' : 'Humans told'}: ${detail}`,
        data: { reason },
      };
      if (!gaveUp || current.status === 'resolved' || current.status === 'investigating')
        return { timeline: [entry] };
      const moved = transition(current, 'investigating', `automation gave up (${reason})`, now);
      return { incident: moved.incident, timeline: [entry, moved.entry] };
    });
    await this.notifyRungs(incident, reason, detail, dryRun);
  }

  /** Rungs whose time has come, for every open incident. */
  async tick(): Promise<void> {
    for (const summary of this.deps.incidents.list({ status: 'open', limit: 500 })) {
      // Each read is synchronous and a big incident takes tens of milliseconds: webhooks and
      // probes get their turn between two, or 500 reads would hold them up as one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const incident = this.deps.incidents.get(summary.id);
      if (incident !== undefined)
        await this.notifyRungs(incident, 'unresolved', 'still unresolved', this.deps.dryRun);
    }
  }

  /** Runs `tick` every `intervalMs`; returns a function that stops it. */
  start(intervalMs: number): () => void {
    const timer = setInterval(() => {
      this.tick().catch((err: unknown) => {
        this.deps.logger.error('escalation check failed', { error: describeError(err) });
      });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The runbook's resolution notice, to every sink that was told about the incident. */
  async announceResolution(incident: Incident): Promise<void> {
    const { deps } = this;
    for (const sink of deps.remediations.notifiedSinks(incident.id)) {
      const now = deps.clock.now().getTime();
      const fresh = await deps.journal.write(() =>
        deps.remediations.recordResolutionNotice(incident.id, sink, now),
      );
      if (fresh) {
        await this.send(
          incident,
          sink,
          'resolution-notice',
          'the incident resolved',
          `Resolution notice to ${sink}`,
          {
            dryRun: deps.dryRun,
            claim: `resolution|${episodeKey(incident)}|${sink}`,
          },
        );
      }
    }
  }

  private async notifyRungs(
    incident: Incident,
    reason: EscalationReason,
    detail: string,
    dryRun: boolean,
  ): Promise<void> {
    const { deps } = this;
    const ladder = chooseLadder(incident, deps.policies().ladders);
    if (ladder === undefined) {
      if (reason !== 'unresolved')
        deps.logger.warn('no escalation ladder configured', { incident: incident.id, reason });
      return;
    }
    const now = deps.clock.now().getTime();
    const notified = deps.remediations.escalatedRungs(incident.id, ladder.name);
    for (const { index, rung } of dueRungs(incident, ladder, notified, now, reason)) {
      const fresh = await deps.journal.write(() =>
        deps.remediations.recordEscalation(
          incident.id,
          { ladder: ladder.name, index, sink: rung.sink },
          reason,
          now,
        ),
      );
      if (!fresh) continue;
      if (reason === 'unresolved') deps.metrics.escalations.inc({ reason });
      const who = rung.who ?? rung.sink;
      await this.send(
        incident,
        rung.sink,
        'status-update',
        `escalation (${ladder.name} ladder, ${who}): ${detail}`,
        `Escalation to ${who} (${rung.sink})`,
        { dryRun, claim: `escalation|${episodeKey(incident)}|${ladder.name}|${index}` },
      );
    }
  }

  /**
   * True when this replica is the one to send. A claim that cannot be made (the API server is
   * down, which is when humans most need telling) counts as won: two copies of a notice are
   * better than none, and the rung is already journaled, so nothing would send it later.
   */
  private async claim(key: string, incident: Incident): Promise<boolean> {
    const { claims, clock, logger } = this.deps;
    if (claims === undefined) return true;
    try {
      return await claims.claimOnce(key, clock.now());
    } catch (err) {
      logger.warn('could not claim a notice for this replica; sending it anyway', {
        incident: incident.id,
        error: describeError(err),
      });
      return true;
    }
  }

  /** Sends (or, in a dry run, records that it would send) and puts the outcome in the timeline. */
  private async send(
    incident: Incident,
    sink: string,
    template: 'status-update' | 'resolution-notice',
    reason: string,
    what: string,
    options: { dryRun: boolean; claim: string },
  ): Promise<void> {
    const { deps } = this;
    let message: string;
    if (options.dryRun) {
      deps.notifier.withhold({ sink, template, incident, reason });
      message = `${what}: not sent (dry run)`;
    } else if (!(await this.claim(options.claim, incident))) {
      message = `${what}: sent by another replica`;
    } else {
      try {
        // Deliveries are counted by the notifier itself, whoever sends.
        const result = await deps.notifier.send({ sink, template, incident, reason });
        message = `${what}: delivered (HTTP ${result.status}, ${result.attempts} attempt${result.attempts === 1 ? '' : 's'})`;
      } catch (err) {
        message = `${what} failed: ${describeError(err)}`;
        deps.logger.error('notification failed', {
          incident: incident.id,
          sink,
          template,
          error: describeError(err),
        });
      }
    }
    const at = deps.clock.now().getTime();
    await deps.store.update(incident, () => ({
      timeline: [{ at, kind: 'notification', message, data: { sink, template } }],
    }));
  }
}
