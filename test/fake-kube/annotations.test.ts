import { startFakeKube, type FakeKube } from '../support/fake-kube';
import { PATHS, raw, webDeployment } from './fixtures';

/**
 * ValidateAnnotationsSize (k8s.io/apimachinery/pkg/api/validation/objectmeta.go): the keys and
 * values of one annotation map may total at most TotalAnnotationSizeLimitB = 256 KiB, counted
 * with Go's len(), in bytes. remediator's history and attempt annotations grow toward it.
 */

const LIMIT = 256 * 1024;
const MERGE = 'application/merge-patch+json';

describe('annotation size', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
    fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  const annotate = (annotations: Record<string, string>, where: 'object' | 'template' = 'object') =>
    raw(fake, 'PATCH', PATHS.deployment, {
      contentType: MERGE,
      body:
        where === 'object'
          ? { metadata: { annotations } }
          : { spec: { template: { metadata: { annotations } } } },
    });

  it('accepts annotations of exactly 256 KiB, keys included', async () => {
    const answer = await annotate({ big: 'x'.repeat(LIMIT - 'big'.length) });
    expect(answer.status).toBe(200);
  });

  it('refuses one byte more with the 422 of ValidateAnnotationsSize', async () => {
    const answer = await annotate({ big: 'x'.repeat(LIMIT - 'big'.length + 1) });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toBe(
      'Deployment.apps "web" is invalid: metadata.annotations: Too long: must have at most 262144 bytes',
    );
    expect(answer.json.details.causes).toEqual([
      {
        reason: 'FieldValueTooLong',
        message: 'Too long: must have at most 262144 bytes',
        field: 'metadata.annotations',
      },
    ]);
    expect(fake.get('apps/v1', 'Deployment', 'ns', 'web').metadata.annotations).toBeUndefined();
  });

  it('counts bytes, not characters', async () => {
    // 131,072 characters, 262,144 bytes, plus the key: over the limit.
    const answer = await annotate({ h: 'é'.repeat(LIMIT / 2) });
    expect(answer.status).toBe(422);
  });

  it('adds up every key and value of the map', async () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 64; i++)
      annotations[`example.com/k${String(i).padStart(2, '0')}`] = 'v'.repeat(4096);
    const answer = await annotate(annotations);
    expect(answer.status).toBe(422);
    const fewer = Object.fromEntries(Object.entries(annotations).slice(0, 60));
    expect((await annotate(fewer)).status).toBe(200);
  });

  it('applies the same limit to a pod template’s annotations', async () => {
    const answer = await annotate({ big: 'x'.repeat(LIMIT) }, 'template');
    expect(answer.status).toBe(422);
    expect(answer.json.message).toBe(
      'Deployment.apps "web" is invalid: spec.template.annotations: Too long: must have at most 262144 bytes',
    );
  });
});
