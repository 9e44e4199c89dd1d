import type { ClientNodeKube } from '../../../src/kube/adapter';
import { HISTORY_ANNOTATION, HISTORY_LIMIT } from '../../../src/remediations/actions/history';
import { PAUSED_ROLLBACK_REASON, rollback } from '../../../src/remediations/actions/rollback';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
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
} from '../support';

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
        // Guarded: the Deployment the plan read, unchanged since (see 'guards the patch').
        { op: 'test', path: '/metadata/uid', value: stored().metadata.uid },
        { op: 'test', path: '/metadata/generation', value: 1 },
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

  it('adds the annotation map to a Deployment that has none, with add as RFC 6902 wants', async () => {
    const deployment = fake.seed(webDeployment({ annotations: null }));
    fake.seed(replicaSet(deployment, 1, webTemplate('v40')));
    fake.seed(replicaSet(deployment, 2, webTemplate('v41')));
    const ctx = context(kube, { target: WEB });
    const decision = await planned(rollback, ctx);
    await rollback.apply(ctx, decision.intent);
    const patch = fake.writes()[0]?.body as { op: string; path: string }[];
    expect(patch.at(-1)).toMatchObject({ op: 'add', path: '/metadata/annotations' });
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

    const DAY = 24 * HOUR;
    const MINUTE = 60_000;

    /**
     * A GitOps revert: v41 (ReplicaSet web-h41, created 30 days ago as revision 1) was replaced by
     * v40 and then v42, and the revert to v41 made the deployment controller reuse web-h41 and
     * raise its revision to 4, recording the rollout in the Progressing condition.
     */
    function seedRevert(progressing: Record<string, string> | undefined): void {
      const deployment = fake.seed(webDeployment({ version: 'v41' }));
      fake.seed(
        replicaSet(deployment, 4, webTemplate('v41'), {
          hash: 'h41',
          createdAt: before(30 * DAY),
          annotations: { 'deployment.kubernetes.io/revision-history': '1' },
        }),
      );
      fake.seed(replicaSet(deployment, 2, webTemplate('v40'), { createdAt: before(20 * DAY) }));
      fake.seed(replicaSet(deployment, 3, webTemplate('v42'), { createdAt: before(DAY) }));
      if (progressing !== undefined) {
        fake.setStatus('apps/v1', 'Deployment', 'ns', 'web', {
          conditions: [
            {
              type: 'Progressing',
              status: progressing.status ?? 'True',
              lastTransitionTime: before(30 * DAY),
              ...progressing,
            },
          ],
        });
      }
    }
    const within2h = () =>
      rollback.plan(context(kube, { target: WEB, params: { onlyIfChangedWithin: '2h' } }));

    it.each([
      ['NewReplicaSetAvailable', 'ReplicaSet "web-h41" has successfully progressed.'],
      ['ReplicaSetUpdated', 'ReplicaSet "web-h41" is progressing.'],
      ['FoundNewReplicaSet', 'Found new replica set "web-h41"'],
    ])(
      'acts after a revert that reused an old ReplicaSet, from the Progressing condition (%s)',
      async (reason, message) => {
        seedRevert({ reason, message, lastUpdateTime: before(20 * MINUTE) });
        const decision = await within2h();
        expect(decision).toMatchObject({
          kind: 'act',
          summary: 'ns/web from revision 4 to revision 3 (model: reg/model:v41 → reg/model:v42)',
        });
      },
    );

    it('acts on a stuck rollout the condition reports as timed out', async () => {
      seedRevert({
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: 'ReplicaSet "web-h41" has timed out progressing.',
        lastUpdateTime: before(50 * MINUTE),
      });
      expect((await within2h()).kind).toBe('act');
    });

    it('skips when the Progressing condition says the current rollout is older than the window', async () => {
      seedRevert({
        reason: 'NewReplicaSetAvailable',
        message: 'ReplicaSet "web-h41" has successfully progressed.',
        lastUpdateTime: before(5 * HOUR),
      });
      expect(await within2h()).toEqual({
        kind: 'skip',
        reason:
          'current revision 4 (ReplicaSet web-h41) was rolled out 5h ago (Progressing: NewReplicaSetAvailable), not within 2h (onlyIfChangedWithin): a recent rollout is not the likely cause',
      });
    });

    it('falls back to the creation time when the condition is about another ReplicaSet', async () => {
      // Right after the revert, before the controller saw progress: still about v42's rollout.
      seedRevert({
        reason: 'NewReplicaSetAvailable',
        message: 'ReplicaSet "web-h3" has successfully progressed.',
        lastUpdateTime: before(20 * MINUTE),
      });
      expect(await within2h()).toMatchObject({
        kind: 'skip',
        reason: expect.stringContaining('(ReplicaSet web-h41) was created 30d'),
      });
    });

    it('falls back to the creation time without a Progressing condition', async () => {
      seedRevert(undefined);
      expect(await within2h()).toMatchObject({
        kind: 'skip',
        reason: expect.stringContaining('was created 30d'),
      });
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

  describe('guards the patch computed at plan time', () => {
    /** Plans against the seeded history, then lets `change` happen before the patch is sent. */
    async function planThen(change: () => Promise<unknown>) {
      seedHistory();
      const ctx = context(kube, { target: WEB });
      const { intent } = await planned(rollback, ctx);
      await change();
      fake.resetRequests();
      return { ctx, intent };
    }
    const setImage = (image: string) =>
      kube.patchDeployment('ns', 'web', {
        type: 'strategic',
        body: { spec: { template: { spec: { containers: [{ name: 'model', image }] } } } },
      });
    const patches = () =>
      fake.writes().map((w) => [w.method, w.status, (w.body as { op: string }[])[1]]);

    it('does not overwrite a template edited after the plan, as a restart would re-send it', async () => {
      const { ctx, intent } = await planThen(() => setImage('reg/model:v43'));
      // After a crash: the intent has no result, reconcile finds the change not in place...
      expect(await rollback.reconcile(ctx, intent)).toBe('not_done');
      // ...and the executor applies the journaled intent.
      const err = await kubeFailure(rollback.apply(ctx, intent));
      expect(err.reason).toBe('conflict');
      expect(err.message).toBe(
        'roll back deployment ns/web: it changed since the rollback was planned (its spec or annotations were edited (generation 1 → 2)); not overwriting it',
      );
      expect(stored().spec.template.spec.containers[0].image).toBe('reg/model:v43');
      expect(fake.writes()).toMatchObject([{ method: 'PATCH', path: DEPLOYMENT, status: 422 }]);
    });

    it('does not overwrite annotations edited after the plan', async () => {
      const { ctx, intent } = await planThen(() =>
        kube.patchDeployment('ns', 'web', {
          type: 'merge',
          body: { metadata: { annotations: { 'team.example.com/owner': 'search' } } },
        }),
      );
      const err = await kubeFailure(rollback.apply(ctx, intent));
      expect(err.reason).toBe('conflict');
      expect(stored().metadata.annotations['team.example.com/owner']).toBe('search');
    });

    it('does not act on a Deployment deleted and created again since the plan', async () => {
      const { ctx, intent } = await planThen(() => {
        fake.remove('apps/v1', 'Deployment', 'ns', 'web');
        return Promise.resolve(fake.seed(webDeployment({ version: 'v43' })));
      });
      const err = await kubeFailure(rollback.apply(ctx, intent));
      expect(err.reason).toBe('conflict');
      expect(err.message).toContain('it was deleted and created again');
      expect(stored().spec.template.spec.containers[0].image).toBe('reg/model:v43');
    });

    it('rolls back anyway after a scale, which the patch does not touch, re-guarded', async () => {
      const { ctx, intent } = await planThen(() => kube.patchDeploymentScale('ns', 'web', 7));
      await rollback.apply(ctx, intent);
      expect(stored().spec.replicas).toBe(7);
      expect(stored().spec.template.spec.containers[0].image).toBe('reg/model:v40');
      expect(patches()).toEqual([
        ['PATCH', 422, { op: 'test', path: '/metadata/generation', value: 1 }],
        ['PATCH', 200, { op: 'test', path: '/metadata/generation', value: 2 }],
      ]);
    });

    it('counts its own patch, landed on an attempt whose answer was lost, as done', async () => {
      const { ctx, intent } = await planThen(() => Promise.resolve());
      await rollback.apply(ctx, intent);
      const after = stored();
      await rollback.apply(ctx, intent);
      expect(stored()).toEqual(after);
      expect(patches().map(([method, status]) => [method, status])).toEqual([
        ['PATCH', 200],
        ['PATCH', 422],
      ]);
    });

    it('sends an intent journaled before the guard existed as it is', async () => {
      const { ctx, intent } = await planThen(() => setImage('reg/model:v43'));
      const {
        planned: _planned,
        patch,
        ...rest
      } = intent as {
        planned?: unknown;
        patch: { op: string }[];
      };
      const legacy = { ...rest, patch: patch.filter((op) => op.op !== 'test') };
      await rollback.apply(ctx, legacy);
      expect(stored().spec.template.spec.containers[0].image).toBe('reg/model:v40');
    });
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
