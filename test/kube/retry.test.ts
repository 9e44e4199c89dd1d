import { KubeConfig } from '@kubernetes/client-node';

import { ClientNodeKube, type AdapterOptions } from '../../src/kube/adapter';
import { KubeError, type KubeErrorReason } from '../../src/kube/errors';
import { withRetry, type RetryDeps, type RetryPolicy } from '../../src/kube/retry';
import { startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube';

/** A clock that only moves when the code under test sleeps (or an attempt says it took time). */
function fakeTime(randoms: number[] | number = 0.5) {
  let clock = 1_000_000;
  const waits: number[] = [];
  const sequence = Array.isArray(randoms) ? [...randoms] : undefined;
  const deps: RetryDeps = {
    now: () => clock,
    sleep: (ms) => {
      waits.push(ms);
      clock += ms;
      return Promise.resolve();
    },
    random: () => {
      if (sequence === undefined) return randoms as number;
      const next = sequence.shift();
      if (next === undefined) throw new Error('the test ran out of random numbers');
      return next;
    },
  };
  return {
    deps,
    waits,
    elapsed: () => clock - 1_000_000,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

function kubeError(reason: KubeErrorReason, retryAfterMs?: number): KubeError {
  return new KubeError(reason, `test ${reason}`, {
    status: 0,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** An attempt that throws the given errors in turn, then resolves with `result`. */
function failing<T>(errors: Error[], result: T) {
  const queue = [...errors];
  const attempt = jest.fn(() => {
    const next = queue.shift();
    return next === undefined ? Promise.resolve(result) : Promise.reject(next);
  });
  return attempt;
}

const POLICY: RetryPolicy = { baseMs: 100, capMs: 10_000, deadlineMs: 60_000 };

describe('withRetry', () => {
  it('returns the first success without sleeping', async () => {
    const time = fakeTime();
    const attempt = failing([], 'ok');
    await expect(withRetry(attempt, POLICY, time.deps)).resolves.toBe('ok');
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(time.waits).toEqual([]);
  });

  it.each(['rate_limited', 'unavailable', 'timeout'] as const)(
    'retries %s failures until the call succeeds',
    async (reason) => {
      const time = fakeTime();
      const attempt = failing([kubeError(reason), kubeError(reason)], 'ok');
      await expect(withRetry(attempt, POLICY, time.deps)).resolves.toBe('ok');
      expect(attempt).toHaveBeenCalledTimes(3);
      expect(time.waits).toHaveLength(2);
    },
  );

  it.each(['not_found', 'conflict', 'forbidden', 'unauthorized', 'invalid', 'api_error'] as const)(
    'rethrows %s failures at once without retrying',
    async (reason) => {
      const time = fakeTime();
      const err = kubeError(reason);
      const attempt = failing([err], 'ok');
      const onRetry = jest.fn();
      await expect(withRetry(attempt, POLICY, time.deps, onRetry)).rejects.toBe(err);
      expect(attempt).toHaveBeenCalledTimes(1);
      expect(time.waits).toEqual([]);
      expect(onRetry).not.toHaveBeenCalled();
    },
  );

  it('rethrows an error that is not a KubeError without retrying', async () => {
    const time = fakeTime();
    const err = new TypeError('bug in the caller');
    const attempt = failing([err], 'ok');
    await expect(withRetry(attempt, POLICY, time.deps)).rejects.toBe(err);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('doubles the backoff ceiling on every attempt', async () => {
    // random() just below 1 shows the ceiling itself: base, 2 base, 4 base, ...
    const time = fakeTime(0.999);
    const errors = Array.from({ length: 5 }, () => kubeError('unavailable'));
    await withRetry(failing(errors, 'ok'), POLICY, time.deps);
    expect(time.waits.map((w) => Math.round(w / 0.999))).toEqual([100, 200, 400, 800, 1600]);
  });

  it('draws each wait uniformly between zero and the ceiling (full jitter)', async () => {
    const time = fakeTime([0, 0.25, 0.5, 0.75]);
    const errors = Array.from({ length: 4 }, () => kubeError('unavailable'));
    await withRetry(failing(errors, 'ok'), POLICY, time.deps);
    // ceilings 100, 200, 400, 800 scaled by the random draws
    expect(time.waits).toEqual([0, 50, 200, 600]);
  });

  it('never waits longer than capMs however many attempts failed', async () => {
    const time = fakeTime(0.999);
    const errors = Array.from({ length: 8 }, () => kubeError('timeout'));
    await withRetry(failing(errors, 'ok'), { ...POLICY, capMs: 500 }, time.deps);
    expect(Math.max(...time.waits)).toBeLessThanOrEqual(500);
    expect(time.waits.slice(3)).toEqual(Array<number>(5).fill(0.999 * 500));
  });

  it('waits at least the Retry-After the server asked for', async () => {
    const time = fakeTime(0.5);
    const errors = [kubeError('rate_limited', 7_000), kubeError('rate_limited', 3_000)];
    await withRetry(failing(errors, 'ok'), POLICY, time.deps);
    expect(time.waits).toEqual([7_000, 3_000]);
  });

  it('keeps its own backoff when that is longer than Retry-After', async () => {
    const time = fakeTime(0.5);
    const errors = [kubeError('rate_limited', 10)];
    await withRetry(failing(errors, 'ok'), { ...POLICY, baseMs: 1_000 }, time.deps);
    expect(time.waits).toEqual([500]);
  });

  it('lets Retry-After exceed capMs, since the server asked for it', async () => {
    const time = fakeTime(0.5);
    await withRetry(
      failing([kubeError('rate_limited', 20_000)], 'ok'),
      { ...POLICY, capMs: 1_000 },
      time.deps,
    );
    expect(time.waits).toEqual([20_000]);
  });

  it('gives up before a wait would cross the deadline and rethrows the last error', async () => {
    const time = fakeTime(0.5);
    const errors = Array.from({ length: 10 }, (_, i) =>
      kubeError(i % 2 ? 'timeout' : 'unavailable'),
    );
    const attempt = failing(errors, 'ok');
    // waits 200 (t=200), 400 (t=600); the next, 800, would end at 1400 > 1000
    const rejection = withRetry(
      attempt,
      { baseMs: 400, capMs: 10_000, deadlineMs: 1_000 },
      time.deps,
    );
    await expect(rejection).rejects.toBe(errors[2]);
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(time.waits).toEqual([200, 400]);
    expect(time.elapsed()).toBeLessThanOrEqual(1_000);
  });

  it('counts the time the attempts themselves took against the deadline', async () => {
    const time = fakeTime(0.5);
    const err = kubeError('timeout');
    const attempt = jest.fn(() => {
      time.advance(900); // a request that hung until its own timeout
      return Promise.reject(err);
    });
    await expect(
      withRetry(attempt, { baseMs: 400, capMs: 10_000, deadlineMs: 1_000 }, time.deps),
    ).rejects.toBe(err);
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(time.waits).toEqual([]);
  });

  it('still retries when the wait ends exactly at the deadline', async () => {
    const time = fakeTime(0.5);
    const attempt = failing([kubeError('unavailable')], 'ok');
    await expect(
      withRetry(attempt, { baseMs: 2_000, capMs: 10_000, deadlineMs: 1_000 }, time.deps),
    ).resolves.toBe('ok');
    expect(time.waits).toEqual([1_000]);
  });

  it('gives up at once when Retry-After is longer than the time left', async () => {
    const time = fakeTime(0.5);
    const err = kubeError('rate_limited', 120_000);
    await expect(withRetry(failing([err], 'ok'), POLICY, time.deps)).rejects.toBe(err);
    expect(time.waits).toEqual([]);
  });

  it('tells onRetry about each retried failure with its wait and attempt number, not the final one', async () => {
    const time = fakeTime(0.5);
    const errors = Array.from({ length: 5 }, () => kubeError('unavailable'));
    const seen: [KubeError, number, number][] = [];
    await expect(
      withRetry(
        failing(errors, 'ok'),
        { baseMs: 400, capMs: 10_000, deadlineMs: 1_000 },
        time.deps,
        (err, wait, n) => seen.push([err, wait, n]),
      ),
    ).rejects.toBe(errors[2]);
    expect(seen).toEqual([
      [errors[0], 200, 1],
      [errors[1], 400, 2],
    ]);
  });
});

describe('withRetry once stopped', () => {
  it('starts no retry once stopped, and rethrows the last failure', async () => {
    const time = fakeTime();
    const stop = new AbortController();
    stop.abort();
    const attempt = failing([kubeError('unavailable')], 'ok');
    await expect(withRetry(attempt, POLICY, time.deps, undefined, stop.signal)).rejects.toThrow(
      'test unavailable',
    );
    expect(attempt).toHaveBeenCalledTimes(1);
    expect(time.waits).toEqual([]);
  });

  it('cuts a backoff short when stopped during it, and does not try again', async () => {
    const stop = new AbortController();
    let sleeping: (() => void) | undefined;
    const deps: RetryDeps = {
      now: () => 0,
      random: () => 0.5,
      sleep: () =>
        new Promise<void>((resolve) => {
          sleeping = resolve;
        }),
    };
    const attempt = failing([kubeError('unavailable')], 'ok');
    const result = withRetry(attempt, POLICY, deps, undefined, stop.signal);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sleeping).toBeDefined();
    stop.abort();
    await expect(result).rejects.toThrow('test unavailable');
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});

describe('ClientNodeKube retries against the fake API server', () => {
  const DEPLOYMENT = '/apis/apps/v1/namespaces/ns/deployments/web';
  let fake: FakeKube;

  const webDeployment = (): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'model', image: 'reg/model:v40' }] },
      },
    },
  });

  function adapter(options: AdapterOptions = {}) {
    const time = fakeTime(0.5);
    const outcomes: string[] = [];
    const retries: { what: string; reason: string; waitMs: number }[] = [];
    const kc = new KubeConfig();
    fake.loadInto(kc);
    const kube = new ClientNodeKube(kc, {
      retry: { baseMs: 100, capMs: 1_000, deadlineMs: 30_000 },
      retryDeps: time.deps,
      onRequest: (verb, outcome) => outcomes.push(`${verb}:${outcome}`),
      onRetry: (what, err, waitMs) => retries.push({ what, reason: err.reason, waitMs }),
      ...options,
    });
    return { kube, time, outcomes, retries };
  }

  beforeEach(async () => {
    fake = await startFakeKube();
    fake.seed(webDeployment());
  });

  afterEach(async () => {
    await fake.close();
  });

  it('returns one result after two 503s, having sent three requests', async () => {
    fake.fault({ method: 'GET', pathPrefix: DEPLOYMENT, status: 503, times: 2 });
    const { kube, outcomes, retries } = adapter();

    const deployment = await kube.readDeployment('ns', 'web');

    expect(deployment.metadata?.name).toBe('web');
    expect(fake.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', DEPLOYMENT, 503],
      ['GET', DEPLOYMENT, 503],
      ['GET', DEPLOYMENT, 200],
    ]);
    expect(outcomes).toEqual(['get:unavailable', 'get:unavailable', 'get:success']);
    expect(retries.map((r) => [r.what, r.reason])).toEqual([
      ['get deployment ns/web', 'unavailable'],
      ['get deployment ns/web', 'unavailable'],
    ]);
  });

  it.each(['text', 'status'] as const)(
    'waits at least Retry-After after a %s-shaped 429 and then succeeds',
    async (shape) => {
      fake.fault({
        method: 'PATCH',
        pathPrefix: `${DEPLOYMENT}/scale`,
        status: 429,
        shape,
        retryAfterSeconds: 2,
        times: 1,
      });
      const { kube, time, outcomes, retries } = adapter();

      const scale = await kube.patchDeploymentScale('ns', 'web', 5);

      expect(scale.spec?.replicas).toBe(5);
      expect(outcomes).toEqual(['patch:rate_limited', 'patch:success']);
      expect(time.waits).toHaveLength(1);
      expect(time.waits[0]).toBeGreaterThanOrEqual(2_000);
      expect(retries[0]?.waitMs).toBe(time.waits[0]);
      expect(fake.get('apps/v1', 'Deployment', 'ns', 'web').spec.replicas).toBe(5);
    },
  );

  it('never retries a 422', async () => {
    const { kube, time, outcomes } = adapter();

    const failure = await kube.patchDeploymentScale('ns', 'web', -1).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(KubeError);
    expect((failure as KubeError).reason).toBe('invalid');
    expect((failure as KubeError).details.apiReason).toBe('Invalid');
    expect(fake.requests).toHaveLength(1);
    expect(time.waits).toEqual([]);
    expect(outcomes).toEqual(['patch:invalid']);
  });

  it('gives up with the last 503 once the deadline is near', async () => {
    fake.fault({ method: 'GET', pathPrefix: DEPLOYMENT, status: 503 });
    const { kube, time } = adapter({ retry: { baseMs: 400, capMs: 10_000, deadlineMs: 1_000 } });

    const failure = await kube.readDeployment('ns', 'web').catch((e: unknown) => e);

    expect((failure as KubeError).reason).toBe('unavailable');
    expect((failure as KubeError).status).toBe(503);
    expect(fake.requests).toHaveLength(3);
    expect(time.waits).toEqual([200, 400]);
  });

  it('cuts a request in flight at close(), retries nothing, and sends nothing after', async () => {
    fake.fault({ method: 'GET', pathPrefix: DEPLOYMENT, delayMs: 5_000, times: 1 });
    const { kube, outcomes } = adapter();
    const reading = kube.readDeployment('ns', 'web');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    kube.close();
    await expect(reading).rejects.toMatchObject({
      reason: 'unavailable',
      message: 'get deployment ns/web: cut short: remediator is shutting down',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(kube.readDeployment('ns', 'web')).rejects.toMatchObject({
      reason: 'unavailable',
      message: 'get deployment: not sent: remediator is shutting down',
    });
    expect(fake.requests).toHaveLength(1);
    expect(outcomes).toEqual(['get:unavailable']);
  });

  it('retries a request that got no answer within requestTimeoutMs', async () => {
    fake.fault({ method: 'GET', pathPrefix: DEPLOYMENT, delayMs: 5_000, times: 1 });
    const { kube, outcomes } = adapter({ requestTimeoutMs: 100 });

    const deployment = await kube.readDeployment('ns', 'web');

    expect(deployment.metadata?.name).toBe('web');
    expect(fake.requests).toHaveLength(2);
    expect(outcomes).toHaveLength(2);
    expect(outcomes[1]).toBe('get:success');
  });
});
