import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';

import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';
import { apiFailure, clients, PATHS, raw } from './fixtures';

const NAME = 'quarantine-web-ccc-x1';

function quarantine(policyTypes?: string[]): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: NAME, labels: { 'remediator.example.com/managed': 'true' } },
    spec: {
      podSelector: { matchLabels: { 'remediator.example.com/quarantine': 'true' } },
      ...(policyTypes === undefined ? {} : { policyTypes }),
    },
  };
}

describe('NetworkPolicies', () => {
  let fake: FakeKube;
  let networking: ReturnType<typeof clients>['networking'];

  beforeEach(async () => {
    fake = await startFakeKube();
    networking = clients(fake).networking;
  });

  afterEach(async () => {
    await fake.close();
  });

  it('creates the quarantine policy (201) with a valid shape and generation 1', async () => {
    const answer = await raw(fake, 'POST', PATHS.networkPolicies, {
      contentType: 'application/json',
      body: quarantine(['Ingress', 'Egress']),
    });
    expect(answer.status).toBe(201);
    expect(answer.json.metadata.namespace).toBe('ns');
    expect(answer.json.metadata.generation).toBe(1);
    expect(() => new NetworkPolicy(answer.json).validate()).not.toThrow();
  });

  it('answers a second create of the same name with 409 AlreadyExists', async () => {
    await networking.createNamespacedNetworkPolicy({
      namespace: 'ns',
      body: quarantine(['Ingress', 'Egress']),
    });
    const failure = await apiFailure(
      networking.createNamespacedNetworkPolicy({
        namespace: 'ns',
        body: quarantine(['Ingress', 'Egress']),
      }),
    );
    expect(failure.code).toBe(409);
    expect(failure.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `networkpolicies.networking.k8s.io "${NAME}" already exists`,
      reason: 'AlreadyExists',
      details: { name: NAME, group: 'networking.k8s.io', kind: 'networkpolicies' },
      code: 409,
    });
  });

  it('refuses a policyType other than Ingress or Egress with 422 NotSupported', async () => {
    const failure = await apiFailure(
      networking.createNamespacedNetworkPolicy({
        namespace: 'ns',
        body: quarantine(['Ingress', 'All']),
      }),
    );
    expect(failure.code).toBe(422);
    expect(failure.body.message).toBe(
      `NetworkPolicy.networking.k8s.io "${NAME}" is invalid: spec.policyTypes[1]: Unsupported value: "All": supported values: "Ingress", "Egress"`,
    );
    expect(failure.body.details.causes[0].reason).toBe('FieldValueNotSupported');
  });

  it('defaults policyTypes to Ingress only when they are left out, leaving egress open', async () => {
    const created = await networking.createNamespacedNetworkPolicy({
      namespace: 'ns',
      body: quarantine(),
    });
    expect(created.spec?.policyTypes).toEqual(['Ingress']);
  });

  it('gets, lists and deletes a policy, the delete answering the success Status', async () => {
    const created = await networking.createNamespacedNetworkPolicy({
      namespace: 'ns',
      body: quarantine(['Ingress', 'Egress']),
    });
    const read = await networking.readNamespacedNetworkPolicy({ name: NAME, namespace: 'ns' });
    expect(read.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    const list = await networking.listNamespacedNetworkPolicy({
      namespace: 'ns',
      labelSelector: 'remediator.example.com/managed=true',
    });
    expect(list.items.map((p) => p.metadata?.name)).toEqual([NAME]);
    const answer = await raw(fake, 'DELETE', `${PATHS.networkPolicies}/${NAME}`);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name: NAME,
        group: 'networking.k8s.io',
        kind: 'networkpolicies',
        uid: created.metadata?.uid,
      },
    });
    const gone = await apiFailure(
      networking.readNamespacedNetworkPolicy({ name: NAME, namespace: 'ns' }),
    );
    expect(gone.code).toBe(404);
  });
});
