/**
 * Replay throughput: a journal holding 10,000 logged notifications of 10 alerts (100,000 stored
 * alerts, each group its own incident), replayed by dist/'s `remediator replay` through 200
 * policies, offline, as a policy review in CI would run it. The figure is stored alerts a second,
 * reading the log, parsing and validating each body and deciding as serve does; the comparison
 * with the recorded plans is included.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CaseSpec } from './context';
import { dist } from './dist';
import { notifications, policiesYaml } from './case-planning';
import { formatNumber, median } from './stats';

export const replay: CaseSpec = {
  name: 'replay',
  title: 'replay: 100,000 logged alerts through 200 policies',
  run: async (ctx) => {
    const { options } = ctx;
    const dir = mkdtempSync(join(ctx.workDir, 'replay-'));
    const dataDir = join(dir, 'data');
    const policies = join(dir, 'policies.yaml');
    writeFileSync(policies, policiesYaml(200));
    const groups = options.quick ? 1_000 : 10_000;
    const payloads = notifications(groups, 10);
    const alerts = payloads.reduce((a, p) => a + p.alerts.length, 0);
    const at = Date.now() - 3_600_000;
    const { Journal } = dist.journal();
    const { NotificationLog } = dist.notificationLog();
    const journal = Journal.open({ dataDir });
    const log = new NotificationLog(journal.db);
    journal.db.transaction(() => {
      payloads.forEach((payload, i) => log.append(JSON.stringify(payload), at + i, 'bench'));
    })();
    journal.close();
    const { replayCommand } = dist.replay();
    const sink = { out: () => undefined, err: (t: string) => ctx.progress(`replay: ${t}`) };
    const once = async (): Promise<number> => {
      const started = performance.now();
      const code = await replayCommand(
        ['--policies', policies, '--data-dir', dataDir, '--since', '2h', '--json'],
        sink,
        { env: {}, now: Date.now, readFile: () => '' },
      );
      if (code !== 0) throw new Error(`remediator replay exited ${code}`);
      return (performance.now() - started) / 1000;
    };
    ctx.progress('replay: warm-up');
    await once();
    const rounds = Math.max(3, options.rounds);
    const seconds: number[] = [];
    for (let i = 0; i < rounds; i++) seconds.push(await once());
    const rate = median(seconds.map((s) => alerts / s));
    ctx.progress(`replay: ${Math.round(rate)} stored alerts/s`);
    return [
      {
        case: 'replay',
        title: `replay: ${alerts.toLocaleString('en-US')} logged alerts through 200 policies`,
        load: `in process, ${rounds} rounds of dist/ remediator replay --json over a journal of ${groups.toLocaleString('en-US')} notifications of 10 alerts`,
        remediator: `${formatNumber(rate)} stored alerts/s`,
        vsBaseline: 'n/a (offline: nothing for the baseline to do)',
        targets: [
          {
            text: '≥ 50,000 stored alerts/s through 200 policies',
            met: rate >= 50_000,
            detail: `${formatNumber(rate)} alerts/s`,
          },
        ],
        figures: { alerts, groups, alertsPerSecond: rate, rounds: seconds },
        notes: [],
      },
    ];
  },
};
