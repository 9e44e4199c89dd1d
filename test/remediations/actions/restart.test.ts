import type { ClientNodeKube } from '../../../src/kube/adapter';
import { HISTORY_ANNOTATION } from '../../../src/remediations/actions/history';
import {
  PAUSED_RESTART_REASON,
  restart,
  RESTARTED_AT_ANNOTATION,
} from '../../../src/remediations/actions/restart';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import {
  context,
  kubeFailure,
  NOW_SECONDS,
  planned,
  startKube,
  WEB,
  webDeployment,
} from '../support';

const DEPLOYMENT = '/apis/apps/v1/namespaces/ns/deployments/web';

describe('restart', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
  });

  afterEach(async () => {
    await fake.close();
  });

  const stored = (): KubeObject => fake.get('apps/v1', 'Deployment', 'ns', 'web');

  it('sets restartedAt on the pod template with the strategic merge patch kubectl rollout restart sends', async () => {
    fake.seed(webDeployment({ annotations: { 'team.example.com/owner': 'ml' } }));
    const ctx = context(kube, { target: WEB });
    const decision = await planned(restart, ctx);
    expect(decision.summary).toBe(`restart the pods of ns/web (restartedAt ${NOW_SECONDS})`);
    expect(decision.regarding).toMatchObject({ kind: 'Deployment', uid: stored().metadata.uid });

    const result = await restart.apply(ctx, decision.intent);
    expect(result.summary).toBe(`restarted ns/web (restartedAt ${NOW_SECONDS})`);
    const history = JSON.stringify([
      {
        at: NOW_SECONDS,
        action: 'restart',
        images: { model: 'reg/model:v41', sidecar: 'reg/proxy:1.0' },
        env: { model: { MODEL_VERSION: 'v41' } },
      },
    ]);
    expect(fake.writes()).toMatchObject([
      {
        method: 'PATCH',
        path: DEPLOYMENT,
        contentType: 'application/strategic-merge-patch+json',
        query: { fieldManager: 'remediator' },
        status: 200,
        body: {
          metadata: { annotations: { [HISTORY_ANNOTATION]: history } },
          spec: {
            template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: NOW_SECONDS } } },
          },
        },
      },
    ]);
    const after = stored();
    expect(after.spec.template.metadata.annotations).toEqual({
      [RESTARTED_AT_ANNOTATION]: '2024-05-01T10:00:00Z',
    });
    // The history is merged into the annotations; nothing else is dropped.
    expect(after.metadata.annotations).toEqual({
      'team.example.com/owner': 'ml',
      [HISTORY_ANNOTATION]: history,
    });
  });

  it('writes restartedAt at second precision in UTC', async () => {
    fake.seed(webDeployment());
    const ctx = context(kube, { target: WEB, now: new Date('2026-11-27T13:59:26.789Z') });
    const decision = await planned(restart, ctx);
    expect(decision.intent).toMatchObject({ restartedAt: '2026-11-27T13:59:26Z' });
  });

  it('skips a paused Deployment with kubectl’s message', async () => {
    fake.seed(webDeployment({ paused: true }));
    expect(await restart.plan(context(kube, { target: WEB }))).toEqual({
      kind: 'skip',
      reason: PAUSED_RESTART_REASON,
    });
    expect(PAUSED_RESTART_REASON).toBe(
      "can't restart paused deployment (run rollout resume first)",
    );
  });

  it('skips a second restart within the same second', async () => {
    fake.seed(webDeployment());
    const ctx = context(kube, { target: WEB });
    await restart.apply(ctx, (await planned(restart, ctx)).intent);
    expect(await restart.plan(ctx)).toEqual({
      kind: 'skip',
      reason: `ns/web was already restarted at ${NOW_SECONDS}`,
    });
  });

  it('sends the patch with dryRun=All in a dry run and stores nothing', async () => {
    const seeded = fake.seed(webDeployment());
    const ctx = context(kube, { target: WEB, dryRun: true });
    const result = await restart.apply(ctx, (await planned(restart, ctx)).intent);
    expect(result.summary).toBe(`would restart ns/web (restartedAt ${NOW_SECONDS})`);
    expect(fake.writes()).toMatchObject([
      { method: 'PATCH', path: DEPLOYMENT, query: { dryRun: 'All' }, status: 200 },
    ]);
    expect(stored().metadata.resourceVersion).toBe(seeded.metadata.resourceVersion);
  });

  it('reconciles as not done before the patch and done after it', async () => {
    fake.seed(webDeployment());
    const ctx = context(kube, { target: WEB });
    const { intent } = await planned(restart, ctx);
    expect(await restart.reconcile(ctx, intent)).toBe('not_done');
    await restart.apply(ctx, intent);
    expect(await restart.reconcile(ctx, intent)).toBe('done');
  });

  it('fails with a forbidden KubeError when patching Deployments is not allowed', async () => {
    fake.seed(webDeployment());
    fake.fault({ method: 'PATCH', pathPrefix: DEPLOYMENT, status: 403 });
    const ctx = context(kube, { target: WEB });
    const err = await kubeFailure(restart.apply(ctx, (await planned(restart, ctx)).intent));
    expect(err.reason).toBe('forbidden');
    expect(err.status).toBe(403);
  });

  it('fails with a not_found KubeError when the Deployment does not exist', async () => {
    const err = await kubeFailure(restart.plan(context(kube, { target: WEB })));
    expect(err.reason).toBe('not_found');
  });

  describe.each([
    ['StatefulSet', 'statefulsets', { serviceName: 'db' }],
    ['DaemonSet', 'daemonsets', {}],
  ] as const)('a %s', (kind, plural, extraSpec) => {
    const path = `/apis/apps/v1/namespaces/ns/${plural}/db`;
    const target = { kind, namespace: 'ns', name: 'db' } as const;
    const seed = (strategy = 'RollingUpdate'): KubeObject =>
      fake.seed({
        apiVersion: 'apps/v1',
        kind,
        metadata: { name: 'db', namespace: 'ns' },
        spec: {
          ...extraSpec,
          selector: { matchLabels: { app: 'db' } },
          updateStrategy: { type: strategy },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'db', image: 'pg:16' }] },
          },
        },
      });

    it('is restarted with the same annotation kubectl rollout restart sets', async () => {
      const seeded = seed();
      const ctx = context(kube, { target });
      const decision = await planned(restart, ctx);
      expect(decision.summary).toBe(
        `restart the pods of ${kind} ns/db (restartedAt ${NOW_SECONDS})`,
      );
      expect(decision.regarding).toEqual({
        apiVersion: 'apps/v1',
        kind,
        namespace: 'ns',
        name: 'db',
        uid: seeded.metadata.uid,
      });
      const result = await restart.apply(ctx, decision.intent);
      expect(result.summary).toBe(`restarted ${kind} ns/db (restartedAt ${NOW_SECONDS})`);
      expect(fake.writes()).toMatchObject([
        { method: 'PATCH', path, contentType: 'application/strategic-merge-patch+json' },
      ]);
      expect(fake.get('apps/v1', kind, 'ns', 'db').spec.template.metadata.annotations).toEqual({
        [RESTARTED_AT_ANNOTATION]: NOW_SECONDS,
      });
      expect(await restart.reconcile(ctx, decision.intent)).toBe('done');
    });

    it('is skipped with the OnDelete update strategy, which would replace no pod', async () => {
      seed('OnDelete');
      expect(await restart.plan(context(kube, { target }))).toEqual({
        kind: 'skip',
        reason: `${kind} ns/db has the OnDelete update strategy: its controller replaces no pod for a new template, so a restart would change nothing (delete its pods instead)`,
      });
      expect(fake.writes()).toEqual([]);
    });
  });
});
