import { startFakeKube, type FakeKube } from '../support/fake-kube';
import {
  applyJsonPatch,
  goString,
  JsonPatchError,
  JsonPatchPanic,
} from '../support/fake-kube/json-patch';
import { PATHS, raw, webDeployment } from './fixtures';

/**
 * The fake's JSON patch against gopkg.in/evanphx/json-patch.v4 v4.12.0 (patch.go), which
 * kube-apiserver applies JSON patches with: each case is what that code does, quirks included.
 */

const DOC = {
  metadata: { name: 'web', generation: 4, labels: { app: 'web' } },
  spec: { list: ['a', 'b', 'c'], note: 'R&D <ops>' },
};

const apply = (ops: unknown[], doc: unknown = DOC) => applyJsonPatch(doc, JSON.stringify(ops));
const fails = (ops: unknown[], doc: unknown = DOC) => {
  expect(() => apply(ops, doc)).toThrow(JsonPatchError);
};

describe('applyJsonPatch', () => {
  describe('replace', () => {
    it('adds a missing object member instead of failing (partialDoc.get never fails)', () => {
      expect(apply([{ op: 'replace', path: '/metadata/annotations', value: { a: 'b' } }])).toEqual({
        ...DOC,
        metadata: { ...DOC.metadata, annotations: { a: 'b' } },
      });
    });

    it('fails when the parent is missing', () => {
      fails([{ op: 'replace', path: '/metadata/annotations/a', value: 'b' }]);
    });

    it('fails on an array index out of range and counts a negative one from the end', () => {
      fails([{ op: 'replace', path: '/spec/list/3', value: 'x' }]);
      fails([{ op: 'replace', path: '/spec/list/-4', value: 'x' }]);
      fails([{ op: 'replace', path: '/spec/list/-', value: 'x' }]);
      expect(apply([{ op: 'replace', path: '/spec/list/-1', value: 'z' }])).toMatchObject({
        spec: { list: ['a', 'b', 'z'] },
      });
    });

    it('ignores a whole-document replace with a scalar, and performs one with an object', () => {
      expect(apply([{ op: 'replace', path: '', value: 5 }])).toEqual(DOC);
      expect(apply([{ op: 'replace', path: '', value: { a: 1 } }])).toEqual({ a: 1 });
    });
  });

  describe('add and remove', () => {
    it('inserts at an index, appends at `-` or at the length, and fails past it', () => {
      expect(apply([{ op: 'add', path: '/spec/list/0', value: 'x' }])).toMatchObject({
        spec: { list: ['x', 'a', 'b', 'c'] },
      });
      expect(apply([{ op: 'add', path: '/spec/list/3', value: 'x' }])).toMatchObject({
        spec: { list: ['a', 'b', 'c', 'x'] },
      });
      expect(apply([{ op: 'add', path: '/spec/list/-', value: 'x' }])).toMatchObject({
        spec: { list: ['a', 'b', 'c', 'x'] },
      });
      fails([{ op: 'add', path: '/spec/list/5', value: 'x' }]);
    });

    it('fails to add under a missing parent', () => {
      fails([{ op: 'add', path: '/status/conditions/0', value: {} }]);
    });

    it('fails to remove a missing member, and removes an existing one', () => {
      fails([{ op: 'remove', path: '/metadata/annotations' }]);
      expect(apply([{ op: 'remove', path: '/metadata/labels/app' }])).toMatchObject({
        metadata: { labels: {} },
      });
    });

    it('decodes ~1 and ~0 in a path token', () => {
      expect(
        apply([{ op: 'add', path: '/metadata/labels/example.com~1a~0b', value: 'x' }]),
      ).toMatchObject({ metadata: { labels: { 'example.com/a~b': 'x' } } });
    });
  });

  describe('move and copy', () => {
    it('fails to move a missing member, but copies one as null', () => {
      fails([{ op: 'move', from: '/metadata/missing', path: '/metadata/x' }]);
      expect(apply([{ op: 'copy', from: '/metadata/missing', path: '/metadata/x' }])).toEqual({
        ...DOC,
        metadata: { ...DOC.metadata, x: null },
      });
    });

    it('moves and copies existing values', () => {
      expect(apply([{ op: 'move', from: '/spec/note', path: '/metadata/note' }])).toEqual({
        metadata: { ...DOC.metadata, note: 'R&D <ops>' },
        spec: { list: ['a', 'b', 'c'] },
      });
      expect(apply([{ op: 'copy', from: '/spec/list/0', path: '/spec/list/-' }])).toMatchObject({
        spec: { list: ['a', 'b', 'c', 'a'] },
      });
    });

    it('caps what copies add at 3 MiB', () => {
      const big = { data: 'x'.repeat(1024 * 1024) };
      const copies = Array.from({ length: 3 }, (_, i) => ({
        op: 'copy',
        from: '/data',
        path: `/c${i}`,
      }));
      expect(() => apply(copies, big)).toThrow(JsonPatchError);
      expect(() => apply(copies.slice(0, 2), big)).not.toThrow();
    });
  });

  describe('test', () => {
    it('compares objects member by member, in any order', () => {
      expect(() =>
        apply([
          {
            op: 'test',
            path: '/metadata',
            value: { labels: { app: 'web' }, generation: 4, name: 'web' },
          },
        ]),
      ).not.toThrow();
      fails([{ op: 'test', path: '/metadata', value: { name: 'web', generation: 4 } }]);
    });

    it('compares numbers and strings by their JSON text', () => {
      expect(() => apply([{ op: 'test', path: '/metadata/generation', value: 4 }])).not.toThrow();
      fails([{ op: 'test', path: '/metadata/generation', value: 5 }]);
      fails([{ op: 'test', path: '/metadata/generation', value: '4' }]);
      // 4.0 is 4 to JSON.parse, not to a byte comparison.
      expect(() =>
        applyJsonPatch(DOC, '[{"op":"test","path":"/metadata/generation","value":4.0}]'),
      ).toThrow(JsonPatchError);
    });

    it('fails on a string with & < > sent as is: the server’s copy has them \\u-escaped', () => {
      fails([{ op: 'test', path: '/spec/note', value: 'R&D <ops>' }]);
      expect(() =>
        applyJsonPatch(
          DOC,
          '[{"op":"test","path":"/spec/note","value":"R\\u0026D \\u003cops\\u003e"}]',
        ),
      ).not.toThrow();
    });

    it('passes a missing member only for "value": null', () => {
      expect(() => apply([{ op: 'test', path: '/metadata/uid', value: null }])).not.toThrow();
      fails([{ op: 'test', path: '/metadata/uid', value: 'u1' }]);
      fails([{ op: 'test', path: '/metadata/name', value: null }]);
    });

    it('fails under a missing parent and past the end of an array', () => {
      fails([{ op: 'test', path: '/status/replicas', value: null }]);
      fails([{ op: 'test', path: '/spec/list/3', value: 'x' }]);
    });

    it('panics (a nil dereference) comparing arrays with a null item', () => {
      expect(() =>
        apply([{ op: 'test', path: '/l', value: ['a', null] }], { l: ['a', null] }),
      ).toThrow(JsonPatchPanic);
    });

    it('stops at the first failure and leaves the document as it was', () => {
      const doc = structuredClone(DOC);
      fails(
        [
          { op: 'replace', path: '/metadata/name', value: 'other' },
          { op: 'test', path: '/metadata/generation', value: 3 },
        ],
        doc,
      );
      expect(doc).toEqual(DOC);
    });
  });

  it.each([
    [{ op: 'frobnicate', path: '/a' }],
    [{ path: '/a', value: 1 }],
    [{ op: 'add', value: 1 }],
    [{ op: 'move', path: '/a' }],
    [null],
  ])('refuses the operation %j', (op) => {
    fails([op]);
  });
});

describe('goString', () => {
  it.each([
    ['plain', '"plain"'],
    ['R&D <x>', '"R\\u0026D \\u003cx\\u003e"'],
    ['a\u2028b', '"a\\u2028b"'],
    ['tab\there\n', '"tab\\there\\n"'],
    ['\u0001', '"\\u0001"'],
    ['é→😀', '"é→😀"'],
  ])('encodes %j as encoding/json does', (value, encoded) => {
    expect(goString(value)).toBe(encoded);
  });
});

describe('JSON patch through the fake API server', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
    fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  const send = (body: unknown) =>
    raw(fake, 'PATCH', PATHS.deployment, { contentType: 'application/json-patch+json', body });

  it('answers a failed test with the generic 422 and stores nothing', async () => {
    const before = fake.get('apps/v1', 'Deployment', 'ns', 'web');
    const answer = await send([
      { op: 'test', path: '/metadata/generation', value: 99 },
      { op: 'replace', path: '/spec/replicas', value: 1 },
    ]);
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
    expect(fake.get('apps/v1', 'Deployment', 'ns', 'web')).toEqual(before);
  });

  it('applies the patch when its test passes', async () => {
    const { generation } = fake.get('apps/v1', 'Deployment', 'ns', 'web').metadata;
    const answer = await send([
      { op: 'test', path: '/metadata/generation', value: generation },
      { op: 'replace', path: '/spec/replicas', value: 1 },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json.spec.replicas).toBe(1);
  });

  it('answers more than 10,000 operations with 413', async () => {
    const ops = Array.from({ length: 10_001 }, () => ({
      op: 'test',
      path: '/kind',
      value: 'Deployment',
    }));
    const answer = await send(ops);
    expect(answer.status).toBe(413);
    expect(answer.json.message).toBe(
      'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    );
  });

  it('answers the library’s nil dereference with the panic-recovery 500', async () => {
    const answer = await send([{ op: 'test', path: '/metadata/deletionTimestamp' }]);
    expect(answer.status).toBe(500);
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(answer.text).toBe(
      'This request caused apiserver to panic. Look in the logs for details.\n',
    );
  });
});
