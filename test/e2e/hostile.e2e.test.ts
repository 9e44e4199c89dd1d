import { join } from 'node:path';
import { deploymentNodeOptions } from '../support/deployment-node-options';
import type { Stack } from './support';
import { residentMemory } from './support/fuzz-target';
import { startHealthProbe, type HealthProbe } from './support/health-probe';
import { postAlerts, type InjectedAlert } from './support/injected-alerts';
import type { IncidentSummaryView } from './support/remediator';
import { stackForFile } from './support/suite';

/*
 * Issue 11, items 1 and 2, end to end: remediator with the shipped Deployment's heap cap, behind
 * a real Alertmanager, gets an alert whose label would take a backtracking regex engine forever
 * against a policy matcher, then one notification of 13,000 alerts, each naming its own
 * Deployment (some 3.5 MB, under the 4 MiB body limit). Throughout, `/healthz` answers within
 * 500 ms. The process is then killed with that journal full of unfinished work and started
 * again: it comes up, keeps answering, and works through what it planned, bounded.
 */

const ALERTS = 13_000;
const HEALTHZ_LIMIT_MS = 500;
const MIB = 1024 * 1024;
/** 90 % of the Deployment's 512 MiB memory limit, as in the fuzz run. */
const RSS_CEILING = 460 * MIB;

const started = stackForFile({
  name: 'hostile',
  // One notification for the whole storm, as an Alertmanager grouping by alertname sends it.
  alertmanager: { groupBy: ['alertname'] },
  nodeOptions: deploymentNodeOptions().join(' '),
  narrate: false,
  policies: {
    transform: (doc) => {
      // A matcher that a backtracking engine takes exponential time to reject `aaa…a` with.
      doc.policies?.unshift({
        name: 'backtracking-bait',
        match: ['job=~"(a+)+b"'],
        steps: [{ action: 'notify', params: { sink: 'oncall', template: 'status-update' } }],
      });
    },
  },
});

/** The storm's incident, as the incident list shows it (the full view is megabytes). */
async function storm(s: Stack): Promise<IncidentSummaryView | undefined> {
  const list = await s.remediator.incidents('limit=100');
  return list.find((i) => i.groupLabels.alertname === 'HighErrorRate');
}

it('keeps answering /healthz within 500 ms through a pathological regex and a 13,000-alert notification, and after a restart on that journal', async () => {
  const s = started();
  const pid = () => s.remediator.process?.pid ?? 0;
  const logs = join(s.dir, 'logs');
  let probe: HealthProbe | undefined = startHealthProbe(s.remediator.url, logs, 'probe-1');
  try {
    s.step(`alertmanager: an alert whose job is 10,000 × "a", against job=~"(a+)+b"`);
    await postAlerts(s.alertmanager, [
      { labels: { alertname: 'BacktrackBait', job: 'a'.repeat(10_000), severity: 'warning' } },
    ]);
    await s.waitFor(
      async () =>
        (await s.remediator.incidents()).find((i) => i.groupLabels.alertname === 'BacktrackBait'),
      'the incident of the regex alert',
      15_000,
    );

    // Every read of a Deployment takes a while, so plenty of steps are unfinished at the crash.
    s.kube.fault({
      method: 'GET',
      pathPrefix: '/apis/apps/v1/namespaces/prod/deployments/',
      delayMs: 200,
    });
    s.step(`alertmanager: ${ALERTS} HighErrorRate alerts, each naming its own Deployment`);
    const alerts: InjectedAlert[] = Array.from({ length: ALERTS }, (_, i) => ({
      labels: {
        alertname: 'HighErrorRate',
        namespace: 'prod',
        deployment: `svc-${i.toString(36)}`,
        severity: 'critical',
      },
    }));
    await postAlerts(s.alertmanager, alerts);
    const incident = await s.waitFor(
      async () => {
        const found = await storm(s);
        return found?.alerts.total === ALERTS ? found : undefined;
      },
      `the incident of all ${ALERTS} alerts`,
      30_000,
    );
    s.step(`remediator: incident #${incident.id} with ${incident.alerts.total} alerts journaled`);
    // Humans hear once about the alerts no plan was made for.
    await s.waitFor(
      async () =>
        (await s.remediator.metric('remediator_escalations_total', {
          reason: 'too_many_plans',
        })) === 1,
      'the escalation of the plans dropped',
      10_000,
    );
    // Killed while the plans it made run: the journal a crash in a storm leaves.
    const before = await probe.stop();
    probe = undefined;
    const firstPeak = residentMemory(pid()).peak;
    await s.remediator.kill('SIGKILL');
    s.step(
      `before the crash: ${before.probes} probes, slowest ${Math.round(before.slowestMs)} ms, peak RSS ${Math.round(firstPeak / MIB)} MiB`,
    );
    expect(before.failures).toEqual([]);
    expect(before.slowestMs).toBeLessThan(HEALTHZ_LIMIT_MS);
    expect(firstPeak).toBeLessThan(RSS_CEILING);

    s.step('remediator: started again on the same journal');
    await s.remediator.start();
    probe = startHealthProbe(s.remediator.url, logs, 'probe-2');
    // It works through the plans the crash interrupted, and takes Alertmanager's next repeat of
    // the storm (every 10 s) in its stride: a repeat, which adds nothing.
    await s.waitFor(
      async () =>
        (await s.remediator.metric('remediator_remediations_total')) > 0 &&
        (await s.remediator.metric('remediator_steps_in_flight')) === 0 &&
        s.remediator
          .runLogs()
          .some(
            (l) =>
              l.message === 'repeat notification: nothing changed' && l.incident === incident.id,
          ),
      'the interrupted plans to run, and a repeat of the storm',
      30_000,
    );
    const after = await probe.stop();
    probe = undefined;
    const secondPeak = residentMemory(pid()).peak;
    s.step(
      `after the restart: ${after.probes} probes, slowest ${Math.round(after.slowestMs)} ms, peak RSS ${Math.round(secondPeak / MIB)} MiB`,
    );
    expect(after.failures).toEqual([]);
    expect(after.slowestMs).toBeLessThan(HEALTHZ_LIMIT_MS);
    expect(secondPeak).toBeLessThan(RSS_CEILING);

    const view = await s.remediator.incident(incident.id);
    // Alertmanager may flush the group before every alert is in: at most 100 plans each time.
    const made = view.plans.filter((p) => p.status !== 'skipped' || p.remediations.length > 0);
    const perNotification = new Map<string, number>();
    for (const p of made)
      perNotification.set(p.createdAt, (perNotification.get(p.createdAt) ?? 0) + 1);
    s.step(`plans per notification: ${JSON.stringify([...perNotification.values()])}`);
    expect(Math.max(...perNotification.values())).toBeLessThanOrEqual(100);
    expect(view.plans.filter((p) => p.status === 'planned')).toEqual([]);
    expect(
      view.timeline.filter((e) => e.kind === 'escalated').map((e) => e.message),
    ).toContainEqual(expect.stringContaining('safety.maxPlansPerNotification (100)'));
    expect(s.remediator.logs.filter((l) => l.message === 'webhook rejected')).toEqual([]);
  } finally {
    await probe?.stop();
  }
}, 90_000);
