import { startFakeKube, type FakeKube } from '../support/fake-kube';
import { PATHS, raw, webDeployment } from './fixtures';

const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

describe('error bodies', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube();
  });

  afterEach(async () => {
    await fake.close();
  });

  it('answers a missing Deployment with the exact grouped 404 Status', async () => {
    const answer = await raw(fake, 'GET', PATHS.deployment);
    expect(answer.status).toBe(404);
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \\"web\\" not found","reason":"NotFound","details":{"name":"web","group":"apps","kind":"deployments"},"code":404}',
    );
  });

  it('names core resources without a group suffix and omits details.group', async () => {
    const answer = await raw(fake, 'GET', '/api/v1/namespaces/ns/configmaps/x');
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404}',
    );
    const pod = await raw(fake, 'GET', '/api/v1/namespaces/ns/pods/p');
    expect(pod.json.message).toBe('pods "p" not found');
  });

  it('answers a path it does not serve with the generic 404', async () => {
    const answer = await raw(fake, 'GET', '/apis/apps/v1/namespaces/ns/controllerrevisions/db');
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
  });

  it('lists two or more causes in brackets and keeps one cause per error', async () => {
    fake.seed(webDeployment());
    const answer = await raw(fake, 'PATCH', PATHS.deployment, {
      contentType: MERGE,
      body: {
        spec: {
          replicas: -1,
          template: {
            spec: {
              containers: [{ name: 'model', env: [{ name: 'MODEL_VERSION', value: 'v41' }] }],
            },
          },
        },
      },
    });
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.containers[0].image: Required value]',
      reason: 'Invalid',
      details: {
        name: 'web',
        group: 'apps',
        kind: 'Deployment',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: -1: must be greater than or equal to 0',
            field: 'spec.replicas',
          },
          {
            reason: 'FieldValueRequired',
            message: 'Required value',
            field: 'spec.template.spec.containers[0].image',
          },
        ],
      },
      code: 422,
    });
  });

  it('answers a merge patch that replaces containers with the exact 422 of the reference', async () => {
    fake.seed(webDeployment());
    const answer = await raw(fake, 'PATCH', PATHS.deployment, {
      contentType: MERGE,
      body: {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'model', env: [{ name: 'MODEL_VERSION', value: 'v41' }] }],
            },
          },
        },
      },
    });
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Deployment.apps \\"web\\" is invalid: spec.template.spec.containers[0].image: Required value","reason":"Invalid","details":{"name":"web","group":"apps","kind":"Deployment","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.template.spec.containers[0].image"}]},"code":422}',
    );
  });

  it('answers a JSON patch that cannot apply with 422, the generic message and empty details', async () => {
    fake.seed(webDeployment());
    const answer = await raw(fake, 'PATCH', PATHS.deployment, {
      contentType: JSON_PATCH,
      body: [{ op: 'test', path: '/spec/replicas', value: 99 }],
    });
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}',
    );
  });

  it.each([
    [
      'an object',
      '{"spec":{}}',
      'error decoding patch: json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    ],
    [
      'a string',
      '"x"',
      'error decoding patch: json: cannot unmarshal string into Go value of type jsonpatch.Patch',
    ],
    ['broken JSON', '[{"op":', 'error decoding patch: unexpected end of JSON input'],
  ])('answers a JSON patch body that is %s with 400 BadRequest', async (_what, body, message) => {
    fake.seed(webDeployment());
    const answer = await raw(fake, 'PATCH', PATHS.deployment, { contentType: JSON_PATCH, body });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason: 'BadRequest',
      code: 400,
    });
  });

  it('answers a PUT whose body names another object with 400', async () => {
    fake.seed(webDeployment());
    const body = webDeployment();
    body.metadata.name = 'api';
    const answer = await raw(fake, 'PUT', PATHS.deployment, {
      contentType: 'application/json',
      body,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.message).toBe(
      'the name of the object (api) does not match the name on the URL (web)',
    );
  });

  it('answers a PUT whose body is in another namespace with 400', async () => {
    fake.seed(webDeployment());
    const body = webDeployment();
    body.metadata.namespace = 'other';
    const answer = await raw(fake, 'PUT', PATHS.deployment, {
      contentType: 'application/json',
      body,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.message).toBe(
      'the namespace of the object (other) does not match the namespace on the URL (ns)',
    );
  });

  it('answers a POST into another namespace than the body says with 400', async () => {
    const answer = await raw(fake, 'POST', PATHS.deployments.replace('/ns/', '/other/'), {
      contentType: 'application/json',
      body: webDeployment(),
    });
    expect(answer.status).toBe(400);
    expect(answer.json.message).toBe(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  });

  it('answers a POST that carries metadata.resourceVersion with 500', async () => {
    const body = webDeployment();
    body.metadata.resourceVersion = '12';
    const answer = await raw(fake, 'POST', PATHS.deployments, {
      contentType: 'application/json',
      body,
    });
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Internal error occurred: resourceVersion should not be set on objects to be created',
      reason: 'InternalError',
      details: {
        causes: [{ message: 'resourceVersion should not be set on objects to be created' }],
      },
      code: 500,
    });
    expect(fake.get('apps/v1', 'Deployment', 'ns', 'web')).toBeUndefined();
  });

  it('answers a POST of a name that exists with 409 AlreadyExists naming the plural', async () => {
    fake.seed(webDeployment());
    const answer = await raw(fake, 'POST', PATHS.deployments, {
      contentType: 'application/json',
      body: webDeployment(),
    });
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \\"web\\" already exists","reason":"AlreadyExists","details":{"name":"web","group":"apps","kind":"deployments"},"code":409}',
    );
  });

  it('answers a POST of an unparsable body with 400', async () => {
    const answer = await raw(fake, 'POST', PATHS.deployments, {
      contentType: 'application/json',
      body: '{"metadata":',
    });
    expect(answer.status).toBe(400);
    expect(answer.json.reason).toBe('BadRequest');
    expect(answer.json.message).toContain('unexpected end of JSON input');
  });

  it('answers a field of the wrong Go type with the decoder 400', async () => {
    const body = webDeployment();
    body.spec.replicas = '3';
    const answer = await raw(fake, 'POST', PATHS.deployments, {
      contentType: 'application/json',
      body,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });

  it('answers a body of another kind with 400', async () => {
    const answer = await raw(fake, 'POST', PATHS.deployments, {
      contentType: 'application/json',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
    });
    expect(answer.status).toBe(400);
    expect(answer.json.message).toMatch(
      /^ConfigMap in version "v1" cannot be handled as a Deployment/,
    );
  });

  it('accepts apiVersion and kind left out of a POST body (the URL gives them)', async () => {
    const body = webDeployment();
    delete body.apiVersion;
    delete body.kind;
    const answer = await raw(fake, 'POST', PATHS.deployments, {
      contentType: 'application/json',
      body,
    });
    expect(answer.status).toBe(201);
    expect(answer.json.kind).toBe('Deployment');
    expect(answer.json.apiVersion).toBe('apps/v1');
  });

  it('accepts unknown fields, drops them and warns in document order', async () => {
    const body = webDeployment();
    body.spec.replica = 5;
    body.spec.template.spec.containers[0].envs = [];
    const answer = await raw(fake, 'POST', PATHS.deployments, {
      contentType: 'application/json',
      body,
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('warning')).toBe(
      '299 - "unknown field \\"spec.template.spec.containers[0].envs\\"", 299 - "unknown field \\"spec.replica\\""',
    );
    expect(answer.json.spec.replica).toBeUndefined();
    expect(
      fake.get('apps/v1', 'Deployment', 'ns', 'web').spec.template.spec.containers[0].envs,
    ).toBeUndefined();
  });

  it('refuses unknown fields with fieldValidation=Strict', async () => {
    const body = webDeployment();
    body.spec.replica = 5;
    const answer = await raw(fake, 'POST', `${PATHS.deployments}?fieldValidation=Strict`, {
      contentType: 'application/json',
      body,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"',
    );
  });

  it('answers DELETE with the success Status, which has no code', async () => {
    const stored = fake.seed(webDeployment());
    const answer = await raw(fake, 'DELETE', PATHS.deployment);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(
      `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"web","group":"apps","kind":"deployments","uid":"${stored.metadata.uid}"}}`,
    );
    expect(fake.get('apps/v1', 'Deployment', 'ns', 'web')).toBeUndefined();
  });

  it('answers a patch of a missing object with 404', async () => {
    const answer = await raw(fake, 'PATCH', PATHS.deployment, {
      contentType: MERGE,
      body: { spec: { replicas: 1 } },
    });
    expect(answer.status).toBe(404);
    expect(answer.json.message).toBe('deployments.apps "web" not found');
  });

  it('answers a patch that leaves a field of the wrong Go type with the decoder 422 on field patch', async () => {
    fake.seed(webDeployment());
    const answer = await raw(fake, 'PATCH', PATHS.deployment, {
      contentType: JSON_PATCH,
      body: [{ op: 'replace', path: '/spec/replicas', value: '5' }],
    });
    expect(answer.status).toBe(422);
    expect(answer.json.reason).toBe('Invalid');
    expect(answer.json.message).toMatch(
      /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32$/,
    );
    expect(answer.json.details.causes[0].field).toBe('patch');
  });

  it('answers a PUT whose uid differs from the stored one with a 409 precondition failure', async () => {
    fake.seed(webDeployment());
    const body = webDeployment();
    body.metadata.uid = '00000000-0000-0000-0000-000000000000';
    const answer = await raw(fake, 'PUT', PATHS.deployment, {
      contentType: 'application/json',
      body,
    });
    expect(answer.status).toBe(409);
    expect(answer.json.message).toContain(
      'Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000',
    );
  });

  it('answers a verb a path does not serve with 405', async () => {
    const answer = await raw(fake, 'POST', PATHS.deployment, {
      contentType: 'application/json',
      body: {},
    });
    expect(answer.status).toBe(405);
    expect(answer.json.reason).toBe('MethodNotAllowed');
  });
});
