import {
  alert,
  incidentWhen,
  payload,
  post,
  seedDeployment,
  steps,
  stored,
  waitFor,
  withScenario,
  writesTo,
} from './harness';

const DEPLOYMENTS = 600;

const POLICIES = `
safety:
  maxPlansPerNotification: 1000
  blastRadius: { perNamespace: 10000, cluster: 10000 }
policies:
  - name: restart
    match: ['alertname="HighErrorRate"']
    target: { kind: Deployment, namespace: '{{ labels.namespace }}', name: '{{ labels.deployment }}' }
    steps:
      - action: restart
        verify: 0s
`;

describe('shutdown', () => {
  it('stops within --shutdown-timeout with steps queued, and the next start runs each of them once', async () => {
    await withScenario(async (s) => {
      const names = Array.from({ length: DEPLOYMENTS }, (_, i) => `web-${i}`);
      for (const name of names) seedDeployment(s.fake, 'prod', name);
      s.policies(POLICIES);
      // Every read of a Deployment takes a while: hundreds of steps are still queued when the
      // server is told to stop.
      const removeDelay = s.fake.fault({
        method: 'GET',
        pathPrefix: '/apis/apps/v1/namespaces/prod/deployments/',
        delayMs: 100,
      });
      const first = await s.start({ parallelSteps: 8, shutdownTimeoutMs: 3_000 });
      await post(
        first,
        payload(
          names.map((deployment) => ({
            labels: { alertname: 'HighErrorRate', namespace: 'prod', deployment },
          })),
        ),
      );
      const applied = (server: typeof first) =>
        (
          server.journal.db
            .prepare("SELECT count(*) AS n FROM remediations WHERE status = 'applied'")
            .get() as { n: number }
        ).n;
      await waitFor(() => applied(first) >= 10, 'the first steps', 20_000);

      const stopping = Date.now();
      await s.stop(first);
      expect(Date.now() - stopping).toBeLessThan(4_000);
      const patched = () =>
        writesTo(s.fake, '/namespaces/prod/deployments/').filter((w) => w.method === 'PATCH');
      const beforeRestart = patched().length;
      expect(beforeRestart).toBeLessThan(DEPLOYMENTS / 2);

      removeDelay();
      const second = await s.start({ parallelSteps: 8 });
      await waitFor(() => applied(second) === DEPLOYMENTS, 'every step after the restart', 30_000);
      // Exactly once: one PATCH per Deployment, one journaled step per plan, none skipped.
      const perDeployment = new Map<string, number>();
      for (const w of patched()) perDeployment.set(w.path, (perDeployment.get(w.path) ?? 0) + 1);
      expect(perDeployment.size).toBe(DEPLOYMENTS);
      expect([...perDeployment.values()].every((n) => n === 1)).toBe(true);
      expect(
        second.journal.db
          .prepare('SELECT status, count(*) AS n FROM remediations GROUP BY status ORDER BY status')
          .all(),
      ).toEqual([{ status: 'applied', n: DEPLOYMENTS }]);
      expect(
        second.journal.db.prepare("SELECT count(*) AS n FROM plans WHERE status != 'done'").get(),
      ).toEqual({ n: 0 });
    });
  }, 60_000);

  it('gives a request that hangs --shutdown-timeout, then stops; the next start reconciles its step', async () => {
    await withScenario(async (s) => {
      seedDeployment(s.fake, 'prod', 'web');
      s.policies(POLICIES);
      // The restart's PATCH reaches the API server, which takes 4 s to answer.
      s.fake.fault({
        method: 'PATCH',
        pathPrefix: '/apis/apps/v1/namespaces/prod/deployments/web',
        delayMs: 4_000,
        times: 1,
      });
      const first = await s.start({ shutdownTimeoutMs: 500 });
      const id = await post(
        first,
        alert({ alertname: 'HighErrorRate', namespace: 'prod', deployment: 'web' }).firing(),
      );
      await waitFor(
        () => writesTo(s.fake, '/deployments/web').some((w) => w.method === 'PATCH'),
        'the PATCH to be in flight',
      );
      const stopping = Date.now();
      await s.stop(first);
      expect(Date.now() - stopping).toBeLessThan(1_500);

      // The step journaled its intent and no result: the next start reads the Deployment back
      // (the PATCH landed meanwhile) instead of writing again.
      await waitFor(
        () =>
          stored(s.fake, 'prod', 'web').spec.template.metadata.annotations?.[
            'kubectl.kubernetes.io/restartedAt'
          ] !== undefined,
        'the held PATCH to land',
      );
      const second = await s.start();
      const view = await incidentWhen(
        second,
        id,
        (v) => steps(v)[0]?.status === 'applied',
        'the step to be reconciled',
      );
      expect(steps(view)[0]?.summary).toMatch(/found in place after a restart/);
      expect(writesTo(s.fake, '/deployments/web').filter((w) => w.method === 'PATCH')).toHaveLength(
        1,
      );
    });
  });
});
