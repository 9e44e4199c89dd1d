import type { JsonObject } from '../support/fake-kube/json';
import {
  listMergeKey,
  strategicMergePatch,
  StrategicMergePatchError,
} from '../support/fake-kube/strategic-merge-patch';

function podSpec(spec: JsonObject): JsonObject {
  return { spec: { template: { spec } } };
}

function containersOf(obj: JsonObject): JsonObject[] {
  return (((obj.spec as JsonObject).template as JsonObject).spec as JsonObject)
    .containers as JsonObject[];
}

const live = podSpec({
  containers: [
    {
      name: 'model',
      image: 'reg/model:v40',
      env: [
        { name: 'A', value: '1' },
        { name: 'MODEL_VERSION', value: 'v40' },
        { name: 'B', value: '2' },
      ],
    },
    { name: 'sidecar', image: 'reg/proxy:1.0' },
  ],
});

describe('strategic merge patch', () => {
  it('changes only the env entry named in the patch and keeps the order of the others', () => {
    const out = strategicMergePatch(
      live,
      podSpec({ containers: [{ name: 'model', env: [{ name: 'MODEL_VERSION', value: 'v41' }] }] }),
    );
    expect(containersOf(out)).toEqual([
      {
        name: 'model',
        image: 'reg/model:v40',
        env: [
          { name: 'A', value: '1' },
          { name: 'MODEL_VERSION', value: 'v41' },
          { name: 'B', value: '2' },
        ],
      },
      { name: 'sidecar', image: 'reg/proxy:1.0' },
    ]);
  });

  it('puts an env var the list does not have yet at the front', () => {
    const out = strategicMergePatch(
      live,
      podSpec({ containers: [{ name: 'model', env: [{ name: 'NEW', value: 'x' }] }] }),
    );
    expect(containersOf(out)[0]?.env).toEqual([
      { name: 'NEW', value: 'x' },
      { name: 'A', value: '1' },
      { name: 'MODEL_VERSION', value: 'v40' },
      { name: 'B', value: '2' },
    ]);
  });

  it('puts a container whose name matches nothing first, without an image', () => {
    const out = strategicMergePatch(
      live,
      podSpec({ containers: [{ name: 'modle', env: [{ name: 'MODEL_VERSION', value: 'v41' }] }] }),
    );
    expect(containersOf(out).map((c) => c.name)).toEqual(['modle', 'model', 'sidecar']);
    expect(containersOf(out)[0]).toEqual({
      name: 'modle',
      env: [{ name: 'MODEL_VERSION', value: 'v41' }],
    });
  });

  it('deletes a field set to null inside a merged list item', () => {
    const withValueFrom = podSpec({
      containers: [
        {
          name: 'model',
          image: 'i',
          env: [{ name: 'V', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }],
        },
      ],
    });
    const out = strategicMergePatch(
      withValueFrom,
      podSpec({
        containers: [{ name: 'model', env: [{ name: 'V', value: 'x', valueFrom: null }] }],
      }),
    );
    expect(containersOf(out)[0]?.env).toEqual([{ name: 'V', value: 'x' }]);
  });

  it('leaves value and valueFrom both set when the patch does not null valueFrom', () => {
    const withValueFrom = podSpec({
      containers: [
        {
          name: 'model',
          image: 'i',
          env: [{ name: 'V', valueFrom: { fieldRef: { fieldPath: 'x' } } }],
        },
      ],
    });
    const out = strategicMergePatch(
      withValueFrom,
      podSpec({ containers: [{ name: 'model', env: [{ name: 'V', value: 'x' }] }] }),
    );
    expect(containersOf(out)[0]?.env).toEqual([
      { name: 'V', valueFrom: { fieldRef: { fieldPath: 'x' } }, value: 'x' },
    ]);
  });

  it('removes a list item marked $patch: delete', () => {
    const out = strategicMergePatch(
      live,
      podSpec({ containers: [{ name: 'model', env: [{ name: 'A', $patch: 'delete' }] }] }),
    );
    expect((containersOf(out)[0]?.env as JsonObject[]).map((e) => e.name)).toEqual([
      'MODEL_VERSION',
      'B',
    ]);
  });

  it('replaces a whole list when an item says $patch: replace', () => {
    const out = strategicMergePatch(
      live,
      podSpec({
        containers: [{ name: 'model', env: [{ $patch: 'replace' }, { name: 'ONLY', value: '1' }] }],
      }),
    );
    expect(containersOf(out)[0]?.env).toEqual([{ name: 'ONLY', value: '1' }]);
  });

  it('accepts $setElementOrder directives and orders the list by them', () => {
    const out = strategicMergePatch(
      live,
      podSpec({
        containers: [
          {
            name: 'model',
            '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }, { name: 'MODEL_VERSION' }],
            env: [{ name: 'MODEL_VERSION', value: 'v41' }],
          },
        ],
        '$setElementOrder/containers': [{ name: 'model' }, { name: 'sidecar' }],
      }),
    );
    expect(
      (containersOf(out)[0]?.env as JsonObject[]).map(
        (e) => `${e.name as string}=${e.value as string}`,
      ),
    ).toEqual(['B=2', 'A=1', 'MODEL_VERSION=v41']);
    expect(containersOf(out).map((c) => c.name)).toEqual(['model', 'sidecar']);
  });

  it('merges maps recursively and deletes keys set to null', () => {
    const out = strategicMergePatch(
      { metadata: { labels: { app: 'web', tier: 'a' }, annotations: { x: '1' } } },
      { metadata: { labels: { app: null, q: 'true' } } },
    );
    expect(out).toEqual({
      metadata: { labels: { tier: 'a', q: 'true' }, annotations: { x: '1' } },
    });
  });

  it('replaces lists that have no merge key, such as args', () => {
    const out = strategicMergePatch(
      podSpec({ containers: [{ name: 'm', image: 'i', args: ['a', 'b'] }] }),
      podSpec({ containers: [{ name: 'm', args: ['c'] }] }),
    );
    expect(containersOf(out)[0]?.args).toEqual(['c']);
  });

  it('merges volumeMounts by mountPath and ports by containerPort', () => {
    const out = strategicMergePatch(
      podSpec({
        containers: [
          {
            name: 'm',
            image: 'i',
            ports: [{ containerPort: 80, name: 'http' }],
            volumeMounts: [{ name: 'a', mountPath: '/a' }],
          },
        ],
      }),
      podSpec({
        containers: [
          {
            name: 'm',
            ports: [{ containerPort: 80, name: 'web' }],
            volumeMounts: [{ name: 'b', mountPath: '/a' }],
          },
        ],
      }),
    );
    expect(containersOf(out)[0]?.ports).toEqual([{ containerPort: 80, name: 'web' }]);
    expect(containersOf(out)[0]?.volumeMounts).toEqual([{ name: 'b', mountPath: '/a' }]);
  });

  it('drops keys not listed in $retainKeys', () => {
    const out = strategicMergePatch(
      { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    );
    expect(out).toEqual({ spec: { strategy: { type: 'Recreate' } } });
  });

  it('does not modify its arguments', () => {
    const before = JSON.stringify(live);
    strategicMergePatch(live, podSpec({ containers: [{ name: 'model', image: 'x' }] }));
    expect(JSON.stringify(live)).toBe(before);
  });

  it('refuses a keyed list item without its merge key like the server (500)', () => {
    expect(() => strategicMergePatch(live, podSpec({ containers: [{ image: 'x' }] }))).toThrow(
      expect.objectContaining({
        code: 500,
        message: 'map: map[image:x] does not contain declared merge key: name',
      }) as StrategicMergePatchError,
    );
  });

  it.each([
    [['spec', 'template', 'spec', 'containers'], 'name'],
    [['spec', 'containers', '*', 'env'], 'name'],
    [['spec', 'initContainers', '*', 'ports'], 'containerPort'],
    [['spec', 'containers', '*', 'volumeMounts'], 'mountPath'],
    [['spec', 'template', 'spec', 'volumes'], 'name'],
    [['spec', 'containers', '*', 'args'], undefined],
    [['spec', 'ingress', '*', 'ports'], undefined],
  ])('knows the merge key of %j is %s', (path, key) => {
    expect(listMergeKey(path)).toBe(key);
  });
});
