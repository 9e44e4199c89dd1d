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
});
