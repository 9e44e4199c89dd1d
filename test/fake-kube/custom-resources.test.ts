import { startFakeKube, type FakeKube } from '../support/fake-kube';
import { application, helmRelease, kustomization, scaledObject } from '../support/gitops/objects';
import { raw } from './fixtures';

const KS = '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations';
const MERGE = 'application/merge-patch+json';

describe('custom resources served as from a CRD with a structural schema', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
  });

  afterEach(async () => {
    await fake.close();
  });

  it.each([
    ['kustomize.toolkit.fluxcd.io/v1', 'kustomizations', kustomization('flux-system', 'apps')],
    ['helm.toolkit.fluxcd.io/v2', 'helmreleases', helmRelease('flux-system', 'web')],
    ['argoproj.io/v1alpha1', 'applications', application('flux-system', 'web')],
    ['keda.sh/v1alpha1', 'scaledobjects', scaledObject('flux-system', 'web', 'web', { min: 1 })],
  ])('serves %s %s at its real group, version and plural', async (apiVersion, plural, object) => {
    const created = await raw(
      fake,
      'POST',
      `/apis/${apiVersion}/namespaces/flux-system/${plural}`,
      {
        body: object,
        contentType: 'application/json',
      },
    );
    expect(created.status).toBe(201);
    const read = await raw(
      fake,
      'GET',
      `/apis/${apiVersion}/namespaces/flux-system/${plural}/${object.metadata.name}`,
    );
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ apiVersion, kind: object.kind, spec: object.spec });
    expect(read.json.metadata.uid).toEqual(expect.any(String));
  });

  it('suspends a Kustomization with a merge patch, bumping its generation', async () => {
    fake.seed(kustomization('flux-system', 'apps'));
    const answer = await raw(fake, 'PATCH', `${KS}/apps`, {
      body: { spec: { suspend: true } },
      contentType: MERGE,
    });
    expect(answer.status).toBe(200);
    expect(answer.json.spec.suspend).toBe(true);
    expect(answer.json.metadata.generation).toBe(2);
  });

  it('answers a strategic merge patch with 415, listing only the patch types a CRD takes', async () => {
    fake.seed(kustomization('flux-system', 'apps'));
    const answer = await raw(fake, 'PATCH', `${KS}/apps`, {
      body: { spec: { suspend: true } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(answer.status).toBe(415);
    expect(answer.json.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });

  it('refuses a field of the wrong type the way the OpenAPI validator words it', async () => {
    fake.seed(kustomization('flux-system', 'apps'));
    const answer = await raw(fake, 'PATCH', `${KS}/apps`, {
      body: { spec: { suspend: 'yes' } },
      contentType: MERGE,
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toBe(
      'Kustomization.kustomize.toolkit.fluxcd.io "apps" is invalid: spec.suspend: Invalid value: "string": spec.suspend in body must be of type boolean: "string"',
    );
  });

  it('refuses a create without the fields the CRD requires', async () => {
    const answer = await raw(fake, 'POST', KS, {
      body: {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'x' },
        spec: { interval: '1m' },
      },
      contentType: 'application/json',
    });
    expect(answer.status).toBe(422);
    expect(answer.json.details.causes.map((c: { field: string }) => c.field)).toEqual([
      'spec.prune',
      'spec.sourceRef',
    ]);
  });

  it('drops an unknown field with a warning, and refuses it with fieldValidation=Strict', async () => {
    fake.seed(kustomization('flux-system', 'apps'));
    const warned = await raw(fake, 'PATCH', `${KS}/apps`, {
      body: { spec: { suspended: true } },
      contentType: MERGE,
    });
    expect(warned.status).toBe(200);
    expect(warned.json.spec.suspended).toBeUndefined();
    expect(warned.headers.get('warning')).toContain('unknown field \\"spec.suspended\\"');
    const strict = await raw(fake, 'PATCH', `${KS}/apps?fieldValidation=Strict`, {
      body: { spec: { suspended: true } },
      contentType: MERGE,
    });
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe('strict decoding error: unknown field "spec.suspended"');
  });

  it('checks the Argo CD automated sync block it knows field by field', async () => {
    fake.seed(application('argocd', 'web'));
    const path = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/web';
    const off = await raw(fake, 'PATCH', path, {
      body: { spec: { syncPolicy: { automated: null } } },
      contentType: MERGE,
    });
    expect(off.status).toBe(200);
    expect(off.json.spec.syncPolicy).toEqual({ syncOptions: ['CreateNamespace=true'] });
    const bad = await raw(fake, 'PATCH', path, {
      body: { spec: { syncPolicy: { automated: { selfHeal: 'true' } } } },
      contentType: MERGE,
    });
    expect(bad.status).toBe(422);
    expect(bad.json.details.causes[0].field).toBe('spec.syncPolicy.automated.selfHeal');
  });
});
