import { Job } from 'kubernetes-models/batch/v1/Job';

import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { apiFailure, clients, PATHS, raw } from './fixtures';

function job(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'smoke', namespace: 'ns' },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'check', image: 'reg/smoke:1' }],
          ...spec,
        },
      },
    },
  };
}

describe('Jobs', () => {
  let fake: FakeKube;
  let batch: ReturnType<typeof clients>['batch'];

  beforeEach(async () => {
    fake = await startFakeKube();
    batch = clients(fake).batch;
  });

  afterEach(async () => {
    await fake.close();
  });

  it('creates a Job with a generated selector and the job labels on its template', async () => {
    const answer = await raw(fake, 'POST', PATHS.jobs, {
      contentType: 'application/json',
      body: job(),
    });
    expect(answer.status).toBe(201);
    const uid = answer.json.metadata.uid;
    expect(answer.json.spec.selector).toEqual({
      matchLabels: { 'batch.kubernetes.io/controller-uid': uid },
    });
    expect(answer.json.spec.template.metadata.labels).toEqual({
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'smoke',
      'controller-uid': uid,
      'job-name': 'smoke',
    });
    expect(answer.json.status).toEqual({});
    expect(() => new Job(answer.json).validate()).not.toThrow();
  });

  it('refuses a Job whose pods would restart Always (the pod default) with 422', async () => {
    const body = job();
    delete body.spec.template.spec.restartPolicy;
    const failure = await apiFailure(batch.createNamespacedJob({ namespace: 'ns', body }));
    expect(failure.code).toBe(422);
    expect(failure.body.message).toBe(
      'Job.batch "smoke" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    );
  });

  it('refuses a Job container without an image with 422', async () => {
    const failure = await apiFailure(
      batch.createNamespacedJob({
        namespace: 'ns',
        body: job({ containers: [{ name: 'check' }] }),
      }),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.details.causes).toEqual([
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers[0].image',
      },
    ]);
  });

  it('reports the status a test sets, and lists and deletes Jobs', async () => {
    await batch.createNamespacedJob({ namespace: 'ns', body: job() });
    fake.setJobStatus('ns', 'smoke', {
      succeeded: 1,
      conditions: [{ type: 'Complete', status: 'True' }],
    });
    const read = await batch.readNamespacedJob({ name: 'smoke', namespace: 'ns' });
    expect(read.status?.succeeded).toBe(1);
    const list = await batch.listNamespacedJob({ namespace: 'ns' });
    expect(list.items).toHaveLength(1);
    const status = await batch.deleteNamespacedJob({
      name: 'smoke',
      namespace: 'ns',
      propagationPolicy: 'Background',
    });
    expect(status.status).toBe('Success');
    expect(fake.get('batch/v1', 'Job', 'ns', 'smoke')).toBeUndefined();
  });

  it('keeps the status when the Job spec is patched', async () => {
    await batch.createNamespacedJob({ namespace: 'ns', body: job() });
    fake.setJobStatus('ns', 'smoke', { failed: 1 });
    const answer = await raw(fake, 'PATCH', `${PATHS.jobs}/smoke`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { seen: 'yes' } }, status: { failed: 0 } },
    });
    expect(answer.json.status).toEqual({ failed: 1 });
  });

  describe('environment variable names', () => {
    const ENV_RULE =
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";
    const withEnv = (...names: string[]) =>
      job({
        containers: [
          { name: 'check', image: 'reg/smoke:1', env: names.map((name) => ({ name, value: 'x' })) },
        ],
      });
    const create = (target: FakeKube, body: KubeObject) =>
      raw(target, 'POST', PATHS.jobs, { contentType: 'application/json', body });

    it.each([
      ['my var', [`Invalid value: "my var": ${ENV_RULE}`]],
      ['1ABC', [`Invalid value: "1ABC": ${ENV_RULE}`]],
      ['é', [`Invalid value: "é": ${ENV_RULE}`]],
      ['..', ['Invalid value: "..": must not be \'..\'']],
      ['..x', ['Invalid value: "..x": must not start with \'..\'']],
    ])(
      'refuses %j with the strict rule of servers before 1.32, by default',
      async (name, bodies) => {
        const answer = await create(fake, withEnv(name));
        expect(answer.status).toBe(422);
        const causes = bodies.map(
          (body) => `spec.template.spec.containers[0].env[0].name: ${body}`,
        );
        expect(answer.json.message).toBe(
          `Job.batch "smoke" is invalid: ${causes.length === 1 ? causes[0] : `[${causes.join(', ')}]`}`,
        );
      },
    );

    it('accepts the names the strict rule allows', async () => {
      const answer = await create(fake, withEnv('MODEL_VERSION', 'my.env-name', '_x', '-y'));
      expect(answer.status).toBe(201);
    });

    it('applies the relaxed 1.32 rule when asked: any printable ASCII but `=`', async () => {
      const relaxed = await startFakeKube({ envVarNames: 'relaxed' });
      try {
        expect((await create(relaxed, withEnv('my var', '1ABC', '..x'))).status).toBe(201);
        const refused = await create(relaxed, withEnv('A=B'));
        expect(refused.status).toBe(422);
        expect(refused.json.message).toBe(
          `Job.batch "smoke" is invalid: spec.template.spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
        );
        expect((await raw(relaxed, 'GET', '/version')).json.minor).toBe('32');
      } finally {
        await relaxed.close();
      }
      expect((await raw(fake, 'GET', '/version')).json.minor).toBe('31');
    });
  });
});
