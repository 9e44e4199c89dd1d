import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

import { startFakeKube, type FakeKube } from '../support/fake-kube';
import { apiFailure, clients, PATHS, raw, webDeployment } from './fixtures';

const PATCH_415 =
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml","reason":"UnsupportedMediaType","code":415}';

const scalePatch = { spec: { replicas: 5 } };

describe('content types', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
    fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  it.each([
    'application/json',
    'text/plain',
    'application/merge-patch+json ; charset=utf-8',
    'Application/Merge-Patch+JSON',
    'application/yaml',
  ])('answers a PATCH sent as %j with the exact 415 Status', async (contentType) => {
    const answer = await raw(fake, 'PATCH', PATHS.deployment, { body: scalePatch, contentType });
    expect(answer.status).toBe(415);
    expect(answer.text).toBe(PATCH_415);
    expect(answer.headers.get('content-type')).toBe('application/json');
  });

  it('answers a PATCH without any Content-Type with 415', async () => {
    const response = await fetch(`${fake.url}${PATHS.deployment}`, {
      method: 'PATCH',
      body: new Blob([JSON.stringify(scalePatch)]),
    });
    expect(response.status).toBe(415);
    expect(await response.text()).toBe(PATCH_415);
  });

  it('strips a charset parameter before checking the patch type', async () => {
    const answer = await raw(fake, 'PATCH', PATHS.deployment, {
      body: scalePatch,
      contentType: 'application/merge-patch+json; charset=utf-8',
    });
    expect(answer.status).toBe(200);
    expect(answer.json.spec.replicas).toBe(5);
  });

  it.each([
    ['application/json-patch+json', [{ op: 'replace', path: '/spec/replicas', value: 5 }]],
    ['application/merge-patch+json', scalePatch],
    ['application/strategic-merge-patch+json', scalePatch],
  ])('accepts a PATCH sent as %s', async (contentType, body) => {
    const answer = await raw(fake, 'PATCH', PATHS.deployment, { body, contentType });
    expect(answer.status).toBe(200);
    expect(answer.json.spec.replicas).toBe(5);
  });

  it('rejects client-node patches sent with its default json-patch type when the body is an object', async () => {
    const { apps } = clients(fake);
    const failure = await apiFailure(
      apps.patchNamespacedDeployment({ name: 'web', namespace: 'ns', body: scalePatch }),
    );
    expect(failure.code).toBe(400);
    expect(failure.body.message).toBe(
      'error decoding patch: json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  });

  it('accepts client-node patches once the Content-Type header option is set', async () => {
    const { apps } = clients(fake);
    const patched = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'ns', body: scalePatch },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.spec?.replicas).toBe(5);
  });

  it('answers a POST that is not JSON or YAML with 415 listing the create media types', async () => {
    const answer = await raw(fake, 'POST', '/api/v1/namespaces/ns/configmaps', {
      body: { metadata: { name: 'c' } },
      contentType: 'text/plain',
    });
    expect(answer.status).toBe(415);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      reason: 'UnsupportedMediaType',
      code: 415,
    });
  });

  it('accepts a POST with application/json and a charset', async () => {
    const answer = await raw(fake, 'POST', '/api/v1/namespaces/ns/configmaps', {
      body: { metadata: { name: 'c' }, data: { k: 'v' } },
      contentType: 'application/json; charset=utf-8',
    });
    expect(answer.status).toBe(201);
  });

  it('refuses force on a non-apply patch with a PatchOptions 422, even force=false', async () => {
    const answer = await raw(fake, 'PATCH', `${PATHS.deployment}?force=false`, {
      body: scalePatch,
      contentType: 'application/merge-patch+json',
    });
    expect(answer.status).toBe(422);
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"PatchOptions.meta.k8s.io \\"\\" is invalid: force: Forbidden: may not be specified for non-apply patch","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"PatchOptions","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: may not be specified for non-apply patch","field":"force"}]},"code":422}',
    );
  });

  it('refuses an apply patch without fieldManager with 422', async () => {
    const answer = await raw(fake, 'PATCH', PATHS.deployment, {
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
      contentType: 'application/apply-patch+yaml',
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });

  it('accepts an apply patch with fieldManager and force (approximated as a merge)', async () => {
    const answer = await raw(
      fake,
      'PATCH',
      `${PATHS.deployment}?fieldManager=remediator&force=true`,
      {
        body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 7\n',
        contentType: 'application/apply-patch+yaml',
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.json.spec.replicas).toBe(7);
    expect(answer.json.spec.template.spec.containers).toHaveLength(2);
  });

  it('refuses a dryRun value other than All with 422', async () => {
    const answer = await raw(fake, 'PATCH', `${PATHS.deployment}?dryRun=true`, {
      body: scalePatch,
      contentType: 'application/merge-patch+json',
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"',
    );
  });
});
