import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { clients, ownedReplicaSet, PATHS, raw, webDeployment } from './fixtures';

function replicaSet(name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'ns', labels },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
  };
}

describe('ReplicaSet lists', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
    fake.seed(replicaSet('a', { app: 'web', tier: 'front' }));
    fake.seed(replicaSet('b', { app: 'web', tier: 'back', canary: 'true' }));
    fake.seed(replicaSet('c', { app: 'api' }));
    fake.seed({
      ...replicaSet('d', { app: 'web' }),
      metadata: { name: 'd', namespace: 'other', labels: { app: 'web' } },
    });
  });

  afterEach(async () => {
    await fake.close();
  });

  it.each([
    ['app=web', ['a', 'b']],
    ['app==web', ['a', 'b']],
    ['app!=web', ['c']],
    ['tier in (front,back)', ['a', 'b']],
    ['tier notin (front)', ['b', 'c']],
    ['canary', ['b']],
    ['!canary', ['a', 'c']],
    ['app=web,!canary', ['a']],
    ['', ['a', 'b', 'c']],
  ])('selects %j in the namespace as %j', async (selector, names) => {
    const { apps } = clients(fake);
    const list = await apps.listNamespacedReplicaSet({ namespace: 'ns', labelSelector: selector });
    expect(list.items.map((rs) => rs.metadata?.name)).toEqual(names);
  });

  it('returns items without kind or apiVersion and a list resourceVersion', async () => {
    const answer = await raw(
      fake,
      'GET',
      `${PATHS.replicaSets}?labelSelector=${encodeURIComponent('app=web')}`,
    );
    expect(answer.json.kind).toBe('ReplicaSetList');
    expect(answer.json.apiVersion).toBe('apps/v1');
    expect(answer.json.metadata.resourceVersion).toMatch(/^\d+$/);
    for (const item of answer.json.items) {
      expect(item.kind).toBeUndefined();
      expect(item.apiVersion).toBeUndefined();
    }
  });

  it('lists across namespaces on the cluster-wide path', async () => {
    const answer = await raw(fake, 'GET', '/apis/apps/v1/replicasets?labelSelector=app%3Dweb');
    expect(
      answer.json.items.map(
        (i: KubeObject) => `${String(i.metadata.namespace)}/${String(i.metadata.name)}`,
      ),
    ).toEqual(['ns/a', 'ns/b', 'other/d']);
  });

  it('answers a selector it cannot parse with 400', async () => {
    const answer = await raw(
      fake,
      'GET',
      `${PATHS.replicaSets}?labelSelector=${encodeURIComponent('app in web')}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.json.reason).toBe('BadRequest');
  });

  it('pages with limit and continue', async () => {
    const first = await raw(fake, 'GET', `${PATHS.replicaSets}?limit=2`);
    expect(first.json.items.map((i: KubeObject) => i.metadata.name)).toEqual(['a', 'b']);
    expect(first.json.metadata.remainingItemCount).toBe(1);
    const token = encodeURIComponent(first.json.metadata.continue);
    const second = await raw(fake, 'GET', `${PATHS.replicaSets}?limit=2&continue=${token}`);
    expect(second.json.items.map((i: KubeObject) => i.metadata.name)).toEqual(['c']);
    expect(second.json.metadata.continue).toBeUndefined();
  });

  it('keeps owner references and revision annotations as seeded', () => {
    const owner = fake.seed(webDeployment());
    const stored = fake.seed(ownedReplicaSet(owner, 7, 'reg/model:v7'));
    expect(stored.metadata.ownerReferences[0].uid).toBe(owner.metadata.uid);
    expect(stored.metadata.annotations['deployment.kubernetes.io/revision']).toBe('7');
    expect(stored.status).toEqual({ replicas: 0 });
  });
});
