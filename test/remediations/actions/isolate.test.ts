import type { ClientNodeKube } from '../../../src/kube/adapter';
import type { RenderedTarget } from '../../../src/policies/planner';
import {
  isolate,
  quarantinePolicy,
  QUARANTINE_POLICY,
} from '../../../src/remediations/actions/isolate';
import type { FakeKube, KubeObject } from '../../support/fake-kube';
import { context, kubeFailure, planned, startKube } from '../support';

const POD: RenderedTarget = { kind: 'Pod', namespace: 'ns', name: 'web-7d9f-x1' };
const POD_PATH = '/api/v1/namespaces/ns/pods/web-7d9f-x1';
const POLICIES = '/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies';
const QUARANTINE = 'remediator.dev/quarantine';

function pod(labels: Record<string, string> = { app: 'web', 'pod-template-hash': '7d9f' }) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9f-x1', namespace: 'ns', labels },
    spec: { containers: [{ name: 'model', image: 'reg/model:v41' }] },
  };
}

describe('isolate', () => {
  let fake: FakeKube;
  let kube: ClientNodeKube;

  beforeEach(async () => {
    ({ fake, kube } = await startKube());
  });

  afterEach(async () => {
    await fake.close();
  });

  const storedPod = (): KubeObject => fake.get('v1', 'Pod', 'ns', 'web-7d9f-x1');
  const storedPolicy = (): KubeObject =>
    fake.get('networking.k8s.io/v1', 'NetworkPolicy', 'ns', QUARANTINE_POLICY);

  it('creates the deny-all policy for both directions, then labels the pod', async () => {
    const seeded = fake.seed(pod());
    const ctx = context(kube, { target: POD, params: { removeLabels: ['app'] } });
    const decision = await planned(isolate, ctx);
    expect(decision.summary).toBe(
      `quarantine pod ns/web-7d9f-x1: create deny-all NetworkPolicy ns/${QUARANTINE_POLICY}, label ${QUARANTINE}=true, remove app`,
    );
    expect(decision.regarding).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'ns',
      name: 'web-7d9f-x1',
      uid: seeded.metadata.uid,
    });
    const result = await isolate.apply(ctx, decision.intent);
    expect(result.summary).toBe(
      `isolated pod ns/web-7d9f-x1 (${QUARANTINE}=true, without app; created NetworkPolicy ${QUARANTINE_POLICY})`,
    );

    expect(fake.writes()).toMatchObject([
      {
        method: 'POST',
        path: POLICIES,
        contentType: 'application/json',
        status: 201,
        body: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: {
            name: QUARANTINE_POLICY,
            namespace: 'ns',
            labels: { 'app.kubernetes.io/managed-by': 'remediator' },
          },
          spec: {
            podSelector: { matchLabels: { [QUARANTINE]: 'true' } },
            policyTypes: ['Ingress', 'Egress'],
          },
        },
      },
      {
        method: 'PATCH',
        path: POD_PATH,
        contentType: 'application/merge-patch+json',
        status: 200,
        body: { metadata: { labels: { [QUARANTINE]: 'true', app: null } } },
      },
    ]);
    expect(storedPolicy().spec).toEqual({
      podSelector: { matchLabels: { [QUARANTINE]: 'true' } },
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(storedPod().metadata.labels).toEqual({
      'pod-template-hash': '7d9f',
      [QUARANTINE]: 'true',
    });
  });

  it('treats an existing quarantine policy (AlreadyExists) as in place and labels the pod', async () => {
    fake.seed(pod());
    fake.seed(quarantinePolicy('ns', QUARANTINE));
    const ctx = context(kube, { target: POD });
    const decision = await planned(isolate, ctx);
    expect(decision.summary).toBe(`quarantine pod ns/web-7d9f-x1: label ${QUARANTINE}=true`);
    const result = await isolate.apply(ctx, decision.intent);
    expect(result.summary).toBe(
      `isolated pod ns/web-7d9f-x1 (${QUARANTINE}=true; NetworkPolicy ${QUARANTINE_POLICY} already present)`,
    );
    expect(fake.writes().map((w) => [w.method, w.status])).toEqual([
      ['POST', 409],
      ['PATCH', 200],
    ]);
    expect(storedPod().metadata.labels[QUARANTINE]).toBe('true');
  });

  it('uses the quarantine label the policy names', async () => {
    fake.seed(pod());
    const ctx = context(kube, { target: POD, params: { quarantineLabel: 'security/quarantined' } });
    await isolate.apply(ctx, (await planned(isolate, ctx)).intent);
    expect(storedPolicy().spec.podSelector).toEqual({
      matchLabels: { 'security/quarantined': 'true' },
    });
    expect(storedPod().metadata.labels['security/quarantined']).toBe('true');
  });

  it('skips a pod already quarantined behind the policy', async () => {
    fake.seed(pod({ [QUARANTINE]: 'true' }));
    fake.seed(quarantinePolicy('ns', QUARANTINE));
    expect(
      await isolate.plan(context(kube, { target: POD, params: { removeLabels: ['app'] } })),
    ).toEqual({
      kind: 'skip',
      reason: `pod ns/web-7d9f-x1 is already quarantined (${QUARANTINE}=true, NetworkPolicy ns/${QUARANTINE_POLICY} in place)`,
    });
    expect(fake.writes()).toEqual([]);
  });

  it('acts on a labelled pod whose policy is missing, so it is never left unprotected', async () => {
    fake.seed(pod({ [QUARANTINE]: 'true' }));
    const ctx = context(kube, { target: POD });
    await isolate.apply(ctx, (await planned(isolate, ctx)).intent);
    expect(storedPolicy()).toBeDefined();
  });

  it('refuses to rely on a policy of that name that does not deny everything for the label', async () => {
    fake.seed(pod());
    const other = quarantinePolicy('ns', 'other/label');
    fake.seed(other);
    expect(await isolate.plan(context(kube, { target: POD }))).toEqual({
      kind: 'skip',
      reason: `cannot isolate pod ns/web-7d9f-x1: NetworkPolicy ns/${QUARANTINE_POLICY} exists but it does not select exactly ${QUARANTINE}=true; fix or delete it`,
    });
  });

  it('does not label the pod when the policy cannot be created', async () => {
    fake.seed(pod());
    fake.fault({ method: 'POST', pathPrefix: POLICIES, status: 403 });
    const ctx = context(kube, { target: POD, params: { removeLabels: ['app'] } });
    const err = await kubeFailure(isolate.apply(ctx, (await planned(isolate, ctx)).intent));
    expect(err.reason).toBe('forbidden');
    expect(fake.writes().map((w) => w.method)).toEqual(['POST']);
    expect(storedPod().metadata.labels.app).toBe('web');
  });

  it('sends both writes with dryRun=All in a dry run and stores nothing', async () => {
    const seeded = fake.seed(pod());
    const ctx = context(kube, { target: POD, params: { removeLabels: ['app'] }, dryRun: true });
    const result = await isolate.apply(ctx, (await planned(isolate, ctx)).intent);
    expect(result.summary).toBe(
      `would isolate pod ns/web-7d9f-x1 (${QUARANTINE}=true, without app; would create NetworkPolicy ${QUARANTINE_POLICY})`,
    );
    expect(fake.writes()).toMatchObject([
      { method: 'POST', path: POLICIES, query: { dryRun: 'All' }, status: 201 },
      { method: 'PATCH', path: POD_PATH, query: { dryRun: 'All' }, status: 200 },
    ]);
    expect(storedPolicy()).toBeUndefined();
    expect(storedPod()).toEqual(seeded);
  });

  it('reconciles as not done before the writes and done after them', async () => {
    fake.seed(pod());
    const ctx = context(kube, { target: POD, params: { removeLabels: ['app'] } });
    const { intent } = await planned(isolate, ctx);
    expect(await isolate.reconcile(ctx, intent)).toBe('not_done');
    await isolate.apply(ctx, intent);
    expect(await isolate.reconcile(ctx, intent)).toBe('done');
  });

  it('fails with a not_found KubeError when the pod does not exist', async () => {
    const err = await kubeFailure(isolate.plan(context(kube, { target: POD })));
    expect(err.reason).toBe('not_found');
    expect(err.message).toContain('pods "web-7d9f-x1" not found');
  });
});
