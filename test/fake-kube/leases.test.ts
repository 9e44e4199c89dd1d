import { V1MicroTime } from '@kubernetes/client-node';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';

import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { apiFailure, clients, PATHS, raw } from './fixtures';

const NAME = 'remediate-ns-web';
const LEASE_PATH = `${PATHS.leases}/${NAME}`;
const ALREADY_EXISTS = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \\"${NAME}\\" already exists","reason":"AlreadyExists","details":{"name":"${NAME}","group":"coordination.k8s.io","kind":"leases"},"code":409}`;
const CONFLICT = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on leases.coordination.k8s.io \\"${NAME}\\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"${NAME}","group":"coordination.k8s.io","kind":"leases"},"code":409}`;

function leaseBody(holder: string, time = '2024-05-01T10:00:00.123456Z'): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: NAME, annotations: { 'remediator.example.com/action': 'rollback' } },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 600,
      acquireTime: time,
      renewTime: time,
      leaseTransitions: 0,
    },
  };
}

function deleteOptions(resourceVersion: string | undefined): KubeObject {
  return { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } };
}

describe('Leases', () => {
  let fake: FakeKube;
  let coordination: ReturnType<typeof clients>['coordination'];

  beforeEach(async () => {
    fake = await startFakeKube();
    coordination = clients(fake).coordination;
  });

  afterEach(async () => {
    await fake.close();
  });

  const create = (body: KubeObject) =>
    coordination.createNamespacedLease({ namespace: 'rem', body });

  it('creates a Lease (201) with MicroTimes kept as sent and a valid shape', async () => {
    const answer = await raw(fake, 'POST', PATHS.leases, {
      contentType: 'application/json',
      body: leaseBody('pod-a'),
    });
    expect(answer.status).toBe(201);
    expect(answer.json.spec.renewTime).toBe('2024-05-01T10:00:00.123456Z');
    expect(answer.json.metadata.generation).toBeUndefined();
    expect(() => new Lease(answer.json).validate()).not.toThrow();
  });

  it('answers the loser of a create race with the exact 409 AlreadyExists', async () => {
    await create(leaseBody('pod-a'));
    const answer = await raw(fake, 'POST', PATHS.leases, {
      contentType: 'application/json',
      body: leaseBody('pod-b'),
    });
    expect(answer.text).toBe(ALREADY_EXISTS);
  });

  it('lets exactly one of two concurrent creates win', async () => {
    const answers = await Promise.all([
      raw(fake, 'POST', PATHS.leases, {
        contentType: 'application/json',
        body: leaseBody('pod-a'),
      }),
      raw(fake, 'POST', PATHS.leases, {
        contentType: 'application/json',
        body: leaseBody('pod-b'),
      }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
  });

  it('accepts MicroTimes built with V1MicroTime and refuses a plain Date with the decoder 400', async () => {
    const time = new Date('2024-05-01T10:00:00.123Z');
    const good = await create({
      metadata: { name: NAME },
      spec: {
        holderIdentity: 'pod-a',
        acquireTime: new V1MicroTime(time),
        renewTime: new V1MicroTime(time),
      },
    });
    expect(good.spec?.renewTime).toBe('2024-05-01T10:00:00.123000Z');
    const bad = await apiFailure(
      create({ metadata: { name: 'other' }, spec: { holderIdentity: 'pod-a', renewTime: time } }),
    );
    expect(bad.code).toBe(400);
    expect(bad.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Lease in version "v1" cannot be handled as a Lease: parsing time "2024-05-01T10:00:00.123Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".123Z" as ".000000"',
      reason: 'BadRequest',
      code: 400,
    });
  });

  it('refuses a PUT without resourceVersion with the reference 422', async () => {
    await create(leaseBody('pod-a'));
    const answer = await raw(fake, 'PUT', LEASE_PATH, {
      contentType: 'application/json',
      body: leaseBody('pod-b'),
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toBe(
      `leases.coordination.k8s.io "${NAME}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
    );
    expect(answer.json.details).toEqual({
      name: NAME,
      group: 'coordination.k8s.io',
      kind: 'leases',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0x0: must be specified for an update',
          field: 'metadata.resourceVersion',
        },
      ],
    });
  });

  it('takes over with a PUT carrying the current resourceVersion, and the loser gets the exact 409 Conflict', async () => {
    const created = await create(leaseBody('pod-a'));
    const takeover: KubeObject = leaseBody('pod-b', '2024-05-01T10:20:00.000000Z');
    takeover.metadata = { name: NAME, resourceVersion: created.metadata?.resourceVersion };
    const won = await coordination.replaceNamespacedLease({
      name: NAME,
      namespace: 'rem',
      body: takeover,
    });
    expect(won.spec?.holderIdentity).toBe('pod-b');
    expect(won.spec?.renewTime).toBe('2024-05-01T10:20:00.000000Z');
    const lost = await apiFailure(
      coordination.replaceNamespacedLease({ name: NAME, namespace: 'rem', body: takeover }),
    );
    expect(lost.code).toBe(409);
    expect(lost.text).toBe(CONFLICT);
  });

  it('creates the Lease on a PUT to a name that does not exist (201)', async () => {
    const answer = await raw(fake, 'PUT', LEASE_PATH, {
      contentType: 'application/json',
      body: leaseBody('pod-a'),
    });
    expect(answer.status).toBe(201);
    expect(fake.get('coordination.k8s.io/v1', 'Lease', 'rem', NAME).spec.holderIdentity).toBe(
      'pod-a',
    );
  });

  it.each([
    [
      { leaseDurationSeconds: 0 },
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    ],
    [
      { leaseTransitions: -1 },
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ],
  ])('refuses %j with 422', async (spec, detail) => {
    const failure = await apiFailure(
      create({ metadata: { name: NAME }, spec: { holderIdentity: 'a', ...spec } }),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.message).toBe(`Lease.coordination.k8s.io "${NAME}" is invalid: ${detail}`);
  });

  it('deletes with a resourceVersion precondition and refuses a mismatch with 409', async () => {
    const created = await create(leaseBody('pod-a'));
    const mismatch = await raw(fake, 'DELETE', LEASE_PATH, {
      contentType: 'application/json',
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: '1' } },
    });
    expect(mismatch.status).toBe(409);
    expect(mismatch.json.reason).toBe('Conflict');
    expect(mismatch.json.message).toBe(
      `Operation cannot be fulfilled on leases.coordination.k8s.io "${NAME}": StorageError: invalid object, Code: 4, Key: /registry/leases/rem/${NAME}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${String(created.metadata?.resourceVersion)}`,
    );
    const status = await coordination.deleteNamespacedLease({
      name: NAME,
      namespace: 'rem',
      body: deleteOptions(created.metadata?.resourceVersion),
    });
    expect(status.status).toBe('Success');
    expect(status.details?.kind).toBe('leases');
    expect(fake.get('coordination.k8s.io/v1', 'Lease', 'rem', NAME)).toBeUndefined();
  });

  it('never expires a Lease by itself', async () => {
    await create(leaseBody('pod-a', '2000-01-01T00:00:00.000000Z'));
    const read = await coordination.readNamespacedLease({ name: NAME, namespace: 'rem' });
    expect(read.spec?.holderIdentity).toBe('pod-a');
  });
});
