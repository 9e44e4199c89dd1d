import type { ClientNodeKube } from '../../src/kube/adapter';
import { HISTORY_ANNOTATION, HISTORY_LIMIT } from '../../src/remediations/history';
import { PAUSED_ROLLBACK_REASON, rollback } from '../../src/remediations/rollback';
import type { FakeKube, KubeObject } from '../support/fake-kube';
import {
  before,
  context,
  HOUR,
  kubeFailure,
  NOW_SECONDS,
  planned,
  replicaSet,
  startKube,
  templateWithoutHash,
  WEB,
  webDeployment,
  webTemplate,
} from './support';

const DEPLOYMENT = '/apis/apps/v1/namespaces/ns/deployments/web';
const LAST_APPLIED = '{"kind":"Deployment","apiVersion":"apps/v1"}';

/** The snapshot rollback records of the v41 template it replaces. */
const V41_SNAPSHOT = {
  at: NOW_SECONDS,
  action: 'rollback',
  images: { model: 'reg/model:v41', sidecar: 'reg/proxy:1.0' },
  env: { model: { MODEL_VERSION: 'v41' } },
};

describe('rollback', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
  });

  afterEach(async () => {
    await fake.close();
  });

  const stored = (): KubeObject => fake.get('apps/v1', 'Deployment', 'ns', 'web');

  /** Deployment at v41 (revision 3) with revisions 1 (v39), 2 (v40) and 3 (v41) behind it. */
  function seedHistory(
    deploymentOptions: Parameters<typeof webDeployment>[0] = {},
    currentCreatedAt = before(HOUR / 2),
  ): KubeObject {
    const deployment = fake.seed(
      webDeployment({
        annotations: {
          'deployment.kubernetes.io/revision': '3',
          'kubectl.kubernetes.io/last-applied-configuration': LAST_APPLIED,
          'kubernetes.io/change-cause': 'v41 rollout',
          'team.example.com/owner': 'ml',
        },
        ...deploymentOptions,
      }),
    );
    fake.seed(replicaSet(deployment, 1, webTemplate('v39'), { createdAt: before(48 * HOUR) }));
    fake.seed(
      replicaSet(deployment, 2, webTemplate('v40'), {
        createdAt: before(24 * HOUR),
        annotations: {
          'kubernetes.io/change-cause': 'v40 rollout',
          'deployment.kubernetes.io/desired-replicas': '4',
          'deployment.kubernetes.io/max-replicas': '5',
        },
      }),
    );
    fake.seed(replicaSet(deployment, 3, webTemplate('v41'), { createdAt: currentCreatedAt }));
    return deployment;
  }

  it('rolls back to the previous revision with the JSON patch kubectl rollout undo sends', async () => {
    seedHistory();
    const ctx = context(kube, { target: WEB });
    const decision = await planned(rollback, ctx);
    expect(decision.summary).toBe(
      'ns/web from revision 3 to revision 2 (model: reg/model:v41 → reg/model:v40)',
    );
    expect(decision.regarding).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'ns',
      name: 'web',
      uid: stored().metadata.uid,
    });

    const result = await rollback.apply(ctx, decision.intent);
    expect(result.summary).toBe(
      'rolled back ns/web from revision 3 to revision 2 (model: reg/model:v41 → reg/model:v40)',
    );

    const list = fake.requests.find((r) => r.path === '/apis/apps/v1/namespaces/ns/replicasets');
    expect(list?.query.labelSelector).toBe('app=web');
    const writes = fake.writes();
    expect(writes).toHaveLength(1);
    const expectedAnnotations = {
      // The Deployment's own values for the skip list (desired/max-replicas of the RS dropped)...
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': LAST_APPLIED,
      // ...every other annotation of the ReplicaSet...
      'kubernetes.io/change-cause': 'v40 rollout',
      // ...and remediator's history; the Deployment's other annotations are dropped.
      [HISTORY_ANNOTATION]: JSON.stringify([V41_SNAPSHOT]),
    };
    const rs2 = fake.get('apps/v1', 'ReplicaSet', 'ns', 'web-h2');
    expect(writes[0]).toMatchObject({
      method: 'PATCH',
      path: DEPLOYMENT,
      contentType: 'application/json-patch+json',
      status: 200,
      dryRun: false,
      body: [
        { op: 'replace', path: '/spec/template', value: templateWithoutHash(rs2) },
        { op: 'replace', path: '/metadata/annotations', value: expectedAnnotations },
      ],
    });
    expect(writes[0]?.query).toEqual({ fieldManager: 'remediator' });

    const after = stored();
    expect(after.spec.template).toEqual(templateWithoutHash(rs2));
    expect(after.spec.template.spec.containers[0].image).toBe('reg/model:v40');
    expect(after.metadata.annotations).toEqual(expectedAnnotations);
    expect(after.metadata.generation).toBe(2);
  });

  it('ignores a ReplicaSet with the same labels and a higher revision that another Deployment controls', async () => {
    const deployment = seedHistory();
    fake.seed(
      replicaSet(deployment, 7, webTemplate('v99'), {
        hash: 'other',
        ownerUid: '00000000-0000-0000-0000-000000000007',
      }),
    );
    const decision = await planned(rollback, context(kube, { target: WEB }));
    expect(decision.intent).toMatchObject({ fromRevision: '3', toRevision: '2' });
  });

  it('leaves out a ReplicaSet whose revision does not parse, as kubectl does', async () => {
    const deployment = fake.seed(webDeployment());
    fake.seed(replicaSet(deployment, 3, webTemplate('v41')));
    fake.seed(replicaSet(deployment, 'v2', webTemplate('v40'), { hash: 'bad' }));
    // Counted as revision 0 it would be the previous one; left out, there is no history.
    expect(await rollback.plan(context(kube, { target: WEB }))).toEqual({
      kind: 'skip',
      reason: 'no rollout history found for deployment "web"',
    });
  });

  it('counts a ReplicaSet without a revision annotation as revision 0', async () => {
    const deployment = fake.seed(webDeployment());
    fake.seed(replicaSet(deployment, 3, webTemplate('v41')));
    fake.seed(replicaSet(deployment, null, webTemplate('v38')));
    const decision = await planned(rollback, context(kube, { target: WEB }));
    expect(decision.intent).toMatchObject({ fromRevision: '3', toRevision: '0' });
  });

  it('goes to the revision given by toRevision', async () => {
    seedHistory();
    const ctx = context(kube, { target: WEB, params: { toRevision: 1 } });
    const decision = await planned(rollback, ctx);
    expect(decision.summary).toBe(
      'ns/web from revision 3 to revision 1 (model: reg/model:v41 → reg/model:v39)',
    );
    await rollback.apply(ctx, decision.intent);
    expect(stored().spec.template.spec.containers[0].image).toBe('reg/model:v39');
  });

  it.each([
    [{ toRevision: 9 }, 'unable to find specified revision 9 in history'],
    [{}, 'no rollout history found for deployment "web"'],
  ])('skips with kubectl’s message when the revision is not found (%j)', async (params, reason) => {
    const deployment = fake.seed(webDeployment());
    fake.seed(replicaSet(deployment, 3, webTemplate('v41')));
    expect(await rollback.plan(context(kube, { target: WEB, params }))).toEqual({
      kind: 'skip',
      reason,
    });
    expect(fake.writes()).toEqual([]);
  });

  it('skips a paused Deployment with kubectl’s message and sends no patch', async () => {
    seedHistory({ paused: true });
    expect(await rollback.plan(context(kube, { target: WEB }))).toEqual({
      kind: 'skip',
      reason: PAUSED_ROLLBACK_REASON,
    });
    expect(fake.writes()).toEqual([]);
  });

  it('reports a missing revision before a pause, in kubectl’s order', async () => {
    seedHistory({ paused: true });
    const decision = await rollback.plan(context(kube, { target: WEB, params: { toRevision: 9 } }));
    expect(decision).toEqual({
      kind: 'skip',
      reason: 'unable to find specified revision 9 in history',
    });
  });

  it('skips when the current template already matches the revision, the hash label aside', async () => {
    seedHistory({ version: 'v40' });
    expect(await rollback.plan(context(kube, { target: WEB }))).toEqual({
      kind: 'skip',
      reason: 'skipped rollback (current template already matches revision 2)',
    });
    expect(fake.writes()).toEqual([]);
  });

  it('adds the annotation map to a Deployment that has none, where replace would get a 422', async () => {
    const deployment = fake.seed(webDeployment({ annotations: null }));
    fake.seed(replicaSet(deployment, 1, webTemplate('v40')));
    fake.seed(replicaSet(deployment, 2, webTemplate('v41')));
    const ctx = context(kube, { target: WEB });
    const decision = await planned(rollback, ctx);
    await rollback.apply(ctx, decision.intent);
    const patch = fake.writes()[0]?.body as { op: string; path: string }[];
    expect(patch[1]).toMatchObject({ op: 'add', path: '/metadata/annotations' });
    expect(stored().metadata.annotations).toEqual({
      [HISTORY_ANNOTATION]: JSON.stringify([V41_SNAPSHOT]),
    });
  });

  it('keeps the newest history entries, replacing the stale copy the ReplicaSet carries', async () => {
    const old = Array.from({ length: HISTORY_LIMIT }, (_, i) => ({
      at: `2024-04-${String(10 + i)}T00:00:00Z`,
      action: 'restart',
      images: { model: `reg/model:old${i}` },
      env: {},
    }));
    const deployment = fake.seed(
      webDeployment({
        annotations: {
          'deployment.kubernetes.io/revision': '2',
          [HISTORY_ANNOTATION]: JSON.stringify(old),
        },
      }),
    );
    fake.seed(
      replicaSet(deployment, 1, webTemplate('v40'), {
        annotations: { [HISTORY_ANNOTATION]: '[]' },
      }),
    );
    fake.seed(replicaSet(deployment, 2, webTemplate('v41')));
    const ctx = context(kube, { target: WEB });
    await rollback.apply(ctx, (await planned(rollback, ctx)).intent);
    const history = JSON.parse(stored().metadata.annotations[HISTORY_ANNOTATION]);
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0]).toEqual(old[1]);
    expect(history[HISTORY_LIMIT - 1]).toEqual(V41_SNAPSHOT);
  });

  it('builds the ReplicaSet selector from matchLabels and matchExpressions as kubectl does', async () => {
    const selector = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['serving', 'api'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    const labels = { tier: 'api' };
    const deployment = fake.seed(webDeployment({ selector, template: webTemplate('v41', labels) }));
    fake.seed(replicaSet(deployment, 1, webTemplate('v40', labels)));
    fake.seed(replicaSet(deployment, 2, webTemplate('v41', labels)));
    const decision = await planned(rollback, context(kube, { target: WEB }));
    expect(decision.intent).toMatchObject({ toRevision: '1' });
    const list = fake.requests.find((r) => r.path === '/apis/apps/v1/namespaces/ns/replicasets');
    expect(list?.query.labelSelector).toBe('app=web,!canary,tier in (api,serving)');
  });

  describe('with onlyIfChangedWithin', () => {
    it('acts when the current revision was created within the window', async () => {
      seedHistory({}, before(HOUR / 2));
      const decision = await rollback.plan(
        context(kube, { target: WEB, params: { onlyIfChangedWithin: '2h' } }),
      );
      expect(decision.kind).toBe('act');
    });

    it('skips when the current revision is older than the window, so the next step can run', async () => {
      seedHistory({}, before(5 * HOUR + 3 * 60_000));
      expect(
        await rollback.plan(context(kube, { target: WEB, params: { onlyIfChangedWithin: '2h' } })),
      ).toEqual({
        kind: 'skip',
        reason:
          'current revision 3 (ReplicaSet web-h3) was created 5h 3m ago, not within 2h (onlyIfChangedWithin): a recent rollout is not the likely cause',
      });
    });
  });

  it('sends the patch with dryRun=All in a dry run and stores nothing', async () => {
    seedHistory();
    const seeded = stored();
    const ctx = context(kube, { target: WEB, dryRun: true });
    const result = await rollback.apply(ctx, (await planned(rollback, ctx)).intent);
    expect(result.summary).toBe(
      'would roll back ns/web from revision 3 to revision 2 (model: reg/model:v41 → reg/model:v40)',
    );
    expect(fake.writes()).toMatchObject([
      { method: 'PATCH', path: DEPLOYMENT, query: { dryRun: 'All' }, dryRun: true, status: 200 },
    ]);
    expect(stored()).toEqual(seeded);
  });

  it('reconciles as not done before the patch and done after it', async () => {
    seedHistory();
    const ctx = context(kube, { target: WEB });
    const { intent } = await planned(rollback, ctx);
    expect(await rollback.reconcile(ctx, intent)).toBe('not_done');
    await rollback.apply(ctx, intent);
    expect(await rollback.reconcile(ctx, intent)).toBe('done');
  });

  it('reconciles as unknown when the Deployment is gone', async () => {
    seedHistory();
    const ctx = context(kube, { target: WEB });
    const { intent } = await planned(rollback, ctx);
    fake.remove('apps/v1', 'Deployment', 'ns', 'web');
    expect(await rollback.reconcile(ctx, intent)).toBe('unknown');
  });

  it('fails with a not_found KubeError when the Deployment does not exist', async () => {
    const err = await kubeFailure(rollback.plan(context(kube, { target: WEB })));
    expect(err.reason).toBe('not_found');
    expect(err.message).toContain('deployments.apps "web" not found');
  });

  it('fails with a forbidden KubeError when listing ReplicaSets is not allowed', async () => {
    seedHistory();
    fake.fault({
      method: 'GET',
      pathPrefix: '/apis/apps/v1/namespaces/ns/replicasets',
      status: 403,
    });
    const err = await kubeFailure(rollback.plan(context(kube, { target: WEB })));
    expect(err.reason).toBe('forbidden');
  });

  it('surfaces the server’s 422 when the old template no longer matches the selector', async () => {
    const deployment = fake.seed(webDeployment());
    // Revision 1 is listed by its own labels, but its pod template predates the `app` label.
    const old = replicaSet(deployment, 1, webTemplate('v40'));
    old.spec.selector = { matchLabels: { 'pod-template-hash': 'h1' } };
    old.spec.template.metadata.labels = { 'pod-template-hash': 'h1', app: 'web-legacy' };
    fake.seed(old);
    fake.seed(replicaSet(deployment, 2, webTemplate('v41')));
    const ctx = context(kube, { target: WEB });
    const { intent } = await planned(rollback, ctx);
    const err = await kubeFailure(rollback.apply(ctx, intent));
    expect(err.reason).toBe('invalid');
    expect(err.status).toBe(422);
    expect(err.message).toContain('selector');
  });
});
