import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

import { startFakeKube, type FakeKube } from '../support/fake-kube';
import { apiFailure, clients, PATHS, raw, webDeployment } from './fixtures';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('fault injection', () => {
  let fake: FakeKube;
  let clock: Date;

  beforeEach(async () => {
    clock = new Date('2024-05-01T10:00:00Z');
    fake = await startFakeKube({ now: () => clock });
    fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  it('answers 503 as a ServiceUnavailable Status that client-node surfaces', async () => {
    fake.fault({ status: 503 });
    const { apps } = clients(fake);
    const failure = await apiFailure(
      apps.readNamespacedDeployment({ name: 'web', namespace: 'ns' }),
    );
    expect(failure.code).toBe(503);
    expect(failure.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server is currently unable to handle the request',
      reason: 'ServiceUnavailable',
      code: 503,
    });
  });

  it('answers the flow-control 429 as plain text with Retry-After', async () => {
    fake.fault({ status: 429, retryAfterSeconds: 7 });
    const answer = await raw(fake, 'GET', PATHS.deployment);
    expect(answer.status).toBe(429);
    expect(answer.text).toBe('Too many requests, please try again later.\n');
    expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(answer.headers.get('x-kubernetes-pf-flowschema-uid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives client-node the text 429 as a string body and the lowercase retry-after header', async () => {
    fake.fault({ status: 429, shape: 'text' });
    const { apps } = clients(fake);
    const failure = await apiFailure(
      apps.readNamespacedDeployment({ name: 'web', namespace: 'ns' }),
    );
    expect(failure.code).toBe(429);
    expect(failure.text).toBe('Too many requests, please try again later.\n');
    expect(failure.headers['retry-after']).toBe('1');
  });

  it('answers the Status-shaped 429 with details.retryAfterSeconds and Retry-After', async () => {
    fake.fault({ status: 429, shape: 'status', retryAfterSeconds: 3 });
    const { apps } = clients(fake);
    const failure = await apiFailure(
      apps.patchNamespacedDeployment(
        { name: 'web', namespace: 'ns', body: { spec: { replicas: 2 } } },
        MERGE,
      ),
    );
    expect(failure.code).toBe(429);
    expect(failure.headers['retry-after']).toBe('3');
    expect(failure.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Too many requests, please try again later.',
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 3 },
      code: 429,
    });
  });

  it('fails only the first `times` matching requests, then answers normally', async () => {
    fake.fault({ method: 'GET', pathPrefix: PATHS.deployment, status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await raw(fake, 'GET', PATHS.deployment)).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(fake.requests.map((r) => r.fault)).toEqual([true, true, false]);
  });

  it('matches on method and path regex (including the query) and leaves other requests alone', async () => {
    fake.fault({ method: 'patch', pathRegex: /deployments\/web\?.*dryRun=All/, status: 504 });
    const normal = await raw(fake, 'PATCH', PATHS.deployment, {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 2 } },
    });
    expect(normal.status).toBe(200);
    const dry = await raw(fake, 'PATCH', `${PATHS.deployment}?dryRun=All`, {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 2 } },
    });
    expect(dry.status).toBe(504);
    expect(dry.json.reason).toBe('Timeout');
    expect((await raw(fake, 'GET', PATHS.deployment)).status).toBe(200);
  });

  it('delays an answer by delayMs and then answers normally', async () => {
    fake.fault({ delayMs: 150, times: 1 });
    const started = Date.now();
    const answer = await raw(fake, 'GET', PATHS.deployment);
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('stops applying a rule after `until` by the fake clock', async () => {
    fake.fault({ status: 503, until: clock.getTime() + 1000 });
    expect((await raw(fake, 'GET', PATHS.deployment)).status).toBe(503);
    clock = new Date(clock.getTime() + 2000);
    expect((await raw(fake, 'GET', PATHS.deployment)).status).toBe(200);
  });

  it('drops the connection when asked, and records the request', async () => {
    fake.fault({ dropConnection: true, times: 1 });
    await expect(raw(fake, 'GET', PATHS.deployment)).rejects.toThrow();
    expect(fake.requests[0]).toMatchObject({ method: 'GET', status: 0, fault: true });
    expect((await raw(fake, 'GET', PATHS.deployment)).status).toBe(200);
  });

  it('commits a write and then drops the connection with dropAfterCommit', async () => {
    fake.fault({ method: 'PATCH', dropAfterCommit: true, times: 1 });
    await expect(
      raw(fake, 'PATCH', PATHS.deployment, {
        contentType: 'application/merge-patch+json',
        body: { spec: { replicas: 7 } },
      }),
    ).rejects.toThrow();
    // The client heard nothing, yet the write happened.
    expect(fake.requests[0]).toMatchObject({ method: 'PATCH', status: 200, fault: true });
    const read = await raw(fake, 'GET', PATHS.deployment);
    expect((read.json.spec as { replicas: number }).replicas).toBe(7);
  });

  it('answers 422 as the generic Invalid Status', async () => {
    fake.fault({ method: 'PATCH', status: 422, times: 1 });
    const answer = await raw(fake, 'PATCH', PATHS.deployment, {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 2 } },
    });
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({ reason: 'Invalid', code: 422 });
  });

  it('answers 403 with the authorizer message for the verb and subresource', async () => {
    fake.fault({ pathPrefix: PATHS.scale, status: 403 });
    const answer = await raw(fake, 'PATCH', PATHS.scale, {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 1 } },
    });
    expect(answer.text).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \\"web\\" is forbidden: User \\"system:serviceaccount:default:remediator\\" cannot patch resource \\"deployments/scale\\" in API group \\"apps\\" in the namespace \\"ns\\"","reason":"Forbidden","details":{"name":"web","group":"apps","kind":"deployments"},"code":403}',
    );
  });

  it('names no object in a 403 on a create', async () => {
    fake.fault({ method: 'POST', status: 403 });
    const answer = await raw(fake, 'POST', PATHS.leases, {
      contentType: 'application/json',
      body: {},
    });
    expect(answer.json.message).toBe(
      'leases.coordination.k8s.io is forbidden: User "system:serviceaccount:default:remediator" cannot create resource "leases" in API group "coordination.k8s.io" in the namespace "rem"',
    );
  });

  it('answers 401 with the Unauthorized Status', async () => {
    fake.fault({ status: 401 });
    const answer = await raw(fake, 'GET', PATHS.deployment);
    expect(answer.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('answers 500 as an InternalError Status', async () => {
    fake.fault({ status: 500, message: 'etcdserver: leader changed' });
    const answer = await raw(fake, 'GET', PATHS.deployment);
    expect(answer.json.message).toBe('Internal error occurred: etcdserver: leader changed');
    expect(answer.json.reason).toBe('InternalError');
  });

  it('checks rules in order and removes a rule with the returned function', async () => {
    const removeFirst = fake.fault({ status: 503 });
    fake.fault({ status: 500 });
    expect((await raw(fake, 'GET', PATHS.deployment)).status).toBe(503);
    removeFirst();
    expect((await raw(fake, 'GET', PATHS.deployment)).status).toBe(500);
    fake.clearFaults();
    expect((await raw(fake, 'GET', PATHS.deployment)).status).toBe(200);
  });

  it('closes promptly while a delayed request is pending', async () => {
    fake.fault({ delayMs: 60_000 });
    const pending = raw(fake, 'GET', PATHS.deployment).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(1000);
    // fetch rejects with a TypeError from Node's own realm, so match on the message.
    expect(await pending).toMatchObject({ message: 'fetch failed' });
  });
});

describe('request recording', () => {
  let fake: FakeKube;

  beforeEach(async () => {
    fake = await startFakeKube({ now: () => new Date('2024-05-01T10:00:00Z') });
    fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  it('records every request in order with its parsed body, status and dry-run flag', async () => {
    await raw(fake, 'GET', PATHS.deployment);
    await raw(fake, 'PATCH', `${PATHS.deployment}?dryRun=All&fieldManager=remediator`, {
      contentType: 'application/merge-patch+json; charset=utf-8',
      body: { spec: { replicas: 2 } },
    });
    await raw(fake, 'DELETE', PATHS.deployment, {
      contentType: 'application/json',
      body: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] },
    });
    expect(fake.requests).toEqual([
      {
        method: 'GET',
        path: PATHS.deployment,
        query: {},
        contentType: undefined,
        body: undefined,
        status: 200,
        at: Date.parse('2024-05-01T10:00:00Z'),
        dryRun: false,
        fault: false,
      },
      {
        method: 'PATCH',
        path: PATHS.deployment,
        query: { dryRun: 'All', fieldManager: 'remediator' },
        contentType: 'application/merge-patch+json; charset=utf-8',
        body: { spec: { replicas: 2 } },
        status: 200,
        at: Date.parse('2024-05-01T10:00:00Z'),
        dryRun: true,
        fault: false,
      },
      expect.objectContaining({ method: 'DELETE', status: 200, dryRun: true }),
    ]);
    expect(fake.writes().map((w) => w.method)).toEqual(['PATCH', 'DELETE']);
    expect(fake.get('apps/v1', 'Deployment', 'ns', 'web')).toBeDefined();
    fake.resetRequests();
    expect(fake.requests).toEqual([]);
  });

  it('answers 401 without the kubeconfig token when the token is required', async () => {
    const strict = await startFakeKube({ requireToken: true, token: 't0ken' });
    try {
      const denied = await fetch(`${strict.url}${PATHS.deployments}`);
      expect(denied.status).toBe(401);
      const { apps } = clients(strict);
      const list = await apps.listNamespacedDeployment({ namespace: 'ns' });
      expect(list.items).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
