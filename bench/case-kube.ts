/**
 * Alert accepted → first Kubernetes write. remediator runs with a kubeconfig pointing at the fake
 * API server (its own process, on loopback) and a policy that scales the alert's Deployment on
 * every firing alert, with no cooldown and limits too large to matter. One-alert bodies, each for
 * its own seeded Deployment (so no cooldown, lock or budget couples two alerts), are sent at a
 * fixed rate; the latency of an alert is the fake's recorded time (`at`) of the first PATCH of
 * that Deployment's scale minus the time the webhook request was sent.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDataDir, TOKEN } from './cases-http';
import type { CaseSpec, Context } from './context';
import { spawnFakeKube, type SpawnedFakeKube } from './fake-kube';
import { fixedRate, type FixedRateResult } from './load';
import { bodyTemplate, IdSource, render } from './payloads';
import { ROOT, startBaseline, startRemediator, type Server } from './processes';
import { newestProfile, topSelfTime, type HotFunction } from './profile';
import { formatNumber, formatRatio, median, percentile, ratios } from './stats';

const NAMESPACE = 'bench';
const PREFIX = 'svc-';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
/** The write this case waits for: the scale subresource of one of its Deployments. */
const SCALE_PATH = new RegExp(
  `^/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${PREFIX}([0-9a-f]+)/scale$`,
);

const POLICIES = `# Written by the benchmark (bench/case-kube.ts): scale on every alert, no limits in the way.
safety:
  protectedNamespaces: []
  blastRadius: { perNamespace: 1000000, cluster: 1000000, window: 1s }
  circuitBreaker: { failures: 1000000, openFor: 1s }
policies:
  - name: bench-scale
    match: ['alertname="BenchKubeLatency"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: scale
        params: { by: 1, max: 1000 }
        verify: 1h
    cooldown: 0s
    budget: { max: 1000000, per: 1s }
`;

function deployment(name: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'registry.example/app:1.0.0' }] },
      },
    },
  };
}

interface RoundOutcome {
  readonly answer: FixedRateResult;
  /** ms from send to the first PATCH, for the targets that got one. */
  readonly latencies: number[];
  readonly missing: number;
}

export const kubeLatency: CaseSpec = {
  name: 'kube-latency',
  title: 'alert accepted → first Kubernetes write, 100 alerts/s',
  run: async (ctx: Context) => {
    const { options } = ctx;
    const rate = 100;
    const dir = startDataDir(ctx, 'kube-latency');
    const perRound = Math.round(rate * options.durationS);
    const warmup = Math.max(20, Math.round(rate * options.warmupS));
    // Every id this case will use, so that their Deployments can be seeded up front.
    const idsFor = (count: number): string[] => {
      const source = new IdSource(ctx.nextPrefix());
      return Array.from({ length: count }, () => source.next());
    };
    const warmupIds = idsFor(warmup);
    const roundIds = Array.from({ length: options.rounds }, () => idsFor(perRound));
    const seedFile = join(dir, 'seed.json');
    writeFileSync(
      seedFile,
      JSON.stringify([...warmupIds, ...roundIds.flat()].map((id) => deployment(`${PREFIX}${id}`))),
    );
    const policiesFile = join(dir, 'policies.yaml');
    writeFileSync(policiesFile, POLICIES);
    const template = bodyTemplate({
      alerts: 1,
      alertname: 'BenchKubeLatency',
      namespace: NAMESPACE,
      deploymentPrefix: PREFIX,
      severity: 'critical',
    });

    const profileDir = join(ctx.outDir, 'profiles', `kube-latency-${Date.now()}`);
    if (options.profile) mkdirSync(profileDir, { recursive: true });
    let fake: SpawnedFakeKube | undefined;
    const servers: Server[] = [];
    try {
      ctx.progress('kube-latency: starting the fake API server');
      fake = await spawnFakeKube({ kubeconfigPath: join(dir, 'kubeconfig'), seedFile });
      const baseline = await startBaseline(dir);
      servers.push(baseline);
      const remediator = await startRemediator({
        dataDir: join(dir, 'remediator'),
        token: TOKEN,
        kubeconfig: join(dir, 'kubeconfig'),
        policies: policiesFile,
        args: options.serveArgs,
        ...(options.profile ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
      });
      servers.push(remediator);

      const send = async (server: Server, ids: readonly string[]) => {
        const sentAt = new Map<string, number>();
        const answer = await fixedRate({
          url: server.url,
          rate,
          count: ids.length,
          headers: AUTH,
          body: (n) => render(template, ids[n] ?? ''),
          onSend: (n, at) => sentAt.set(ids[n] ?? '', at),
        });
        return { answer, sentAt };
      };
      const fakeKube = fake;
      const measure = async (ids: readonly string[]): Promise<RoundOutcome> => {
        await fakeKube.resetRequests();
        const { answer, sentAt } = await send(remediator, ids);
        const firstPatch = new Map<string, number>();
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          for (const r of await fakeKube.requests()) {
            if (r.method !== 'PATCH') continue;
            const match = SCALE_PATH.exec(r.path);
            const id = match?.[1];
            if (id === undefined) continue;
            const seen = firstPatch.get(id);
            if (seen === undefined || r.at < seen) firstPatch.set(id, r.at);
          }
          if (ids.every((id) => firstPatch.has(id))) break;
          await sleep(500);
        }
        const latencies: number[] = [];
        let missing = 0;
        for (const id of ids) {
          const at = firstPatch.get(id);
          const sent = sentAt.get(id);
          if (at === undefined || sent === undefined) missing++;
          else latencies.push(at - sent);
        }
        return { answer, latencies, missing };
      };

      ctx.progress('kube-latency: warm-up');
      await send(baseline, warmupIds);
      await measure(warmupIds);
      const rounds: RoundOutcome[] = [];
      const baseRounds: FixedRateResult[] = [];
      for (let round = 0; round < options.rounds; round++) {
        const ids = roundIds[round] ?? [];
        baseRounds.push((await send(baseline, ids)).answer);
        const outcome = await measure(ids);
        rounds.push(outcome);
        ctx.progress(
          `kube-latency: round ${round + 1}/${options.rounds}: p50 ${percentile(outcome.latencies, 50).toFixed(1)} ms, p99 ${percentile(outcome.latencies, 99).toFixed(1)} ms, missing ${outcome.missing}`,
        );
      }
      const p50 = median(rounds.map((r) => percentile(r.latencies, 50)));
      const p99 = median(rounds.map((r) => percentile(r.latencies, 99)));
      const missing = rounds.reduce((a, r) => a + r.missing, 0);
      const answerP99 = median(rounds.map((r) => r.answer.p99Ms));
      const baseP99 = median(baseRounds.map((r) => r.p99Ms));
      const answerRatio = median(
        ratios(
          rounds.map((r) => r.answer.p99Ms),
          baseRounds.map((r) => r.p99Ms),
        ),
      );
      const errors = rounds.reduce((a, r) => a + r.answer.errors, 0);
      let profile: { profile: HotFunction[]; profileFile: string } | undefined;
      if (options.profile) {
        await remediator.stop();
        const profileFile = newestProfile(profileDir);
        if (profileFile !== undefined)
          profile = { profile: topSelfTime(profileFile, ROOT), profileFile };
      }
      return [
        {
          case: 'kube-latency',
          title: 'alert accepted → first Kubernetes write, 100 alerts/s',
          load: `node:http open loop, ${rate} one-alert bodies/s, each for its own Deployment, ${options.rounds}×${options.durationS} s; fake API server on loopback`,
          remediator: `first PATCH p50 ${formatNumber(p50)} ms, p99 ${formatNumber(p99)} ms${missing > 0 ? `; **${missing} targets never patched**` : ''}; webhook answer p99 ${formatNumber(answerP99)} ms${errors > 0 ? `, **${errors} errors**` : ''}`,
          vsBaseline: `webhook answer ${formatRatio(answerRatio)} p99 (baseline p99 ${formatNumber(baseP99)} ms); the write has no baseline counterpart`,
          targets: [
            {
              text: 'p50 ≤ 10 ms, p99 ≤ 50 ms',
              met: missing === 0 && errors === 0 && p50 <= 10 && p99 <= 50,
              detail: `p50 ${formatNumber(p50)} ms, p99 ${formatNumber(p99)} ms`,
            },
          ],
          figures: {
            rate,
            firstPatch: {
              p50Ms: p50,
              p99Ms: p99,
              missing,
              rounds: rounds.map((r) => ({
                p50Ms: Number(percentile(r.latencies, 50).toFixed(2)),
                p99Ms: Number(percentile(r.latencies, 99).toFixed(2)),
                maxMs: Number(percentile(r.latencies, 100).toFixed(2)),
                missing: r.missing,
              })),
            },
            answer: { p99Ms: answerP99, baselineP99Ms: baseP99, ratio: answerRatio, errors },
            ...profile,
          },
          notes: [],
        },
      ];
    } finally {
      for (const server of servers) await server.stop();
      await fake?.stop();
    }
  },
};
