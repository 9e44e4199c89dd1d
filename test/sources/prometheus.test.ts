import nock from 'nock';
import { MAX_ANSWER_BYTES } from '../../src/sources/http';
import {
  instantQuery,
  parseQuery,
  rangeQuery,
  SourceError,
  stepFor,
} from '../../src/sources/prometheus';

const URL_BASE = 'http://prometheus.test:9090';
const AUTH = 'Bearer secret-token-123';

afterEach(() => nock.cleanAll());
afterAll(() => nock.restore());

describe('the Prometheus HTTP API', () => {
  it('reads an instant vector, sending the query, the time and the credentials', async () => {
    nock(URL_BASE, { reqheaders: { authorization: AUTH } })
      .get('/api/v1/query')
      .query({ query: 'up{job="api"}', time: '1764583200.000' })
      .reply(200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { job: 'api', instance: 'a:80' }, value: [1764583200, '1'] }],
        },
      });
    await expect(
      instantQuery({ url: URL_BASE, authorization: AUTH }, 'up{job="api"}', 1_764_583_200_000),
    ).resolves.toEqual([
      { metric: { job: 'api', instance: 'a:80' }, samples: [[1_764_583_200_000, 1]] },
    ]);
  });

  it('reads a range as series of samples, under a path prefix', async () => {
    nock(URL_BASE)
      .get('/prom/api/v1/query_range')
      .query({ query: 'ALERTS', start: '0.000', end: '120.000', step: '60s' })
      .reply(200, {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: { alertname: 'X' },
              values: [
                [0, '1'],
                [60, '1'],
                [120, 'NaN'],
              ],
            },
          ],
        },
      });
    const series = await rangeQuery({ url: `${URL_BASE}/prom/` }, 'ALERTS', {
      startMs: 0,
      endMs: 120_000,
      stepMs: 60_000,
    });
    expect(series[0]?.samples.map(([t]) => t)).toEqual([0, 60_000, 120_000]);
    expect(Number.isNaN(series[0]?.samples[2]?.[1])).toBe(true);
  });

  it('reads a scalar as one series without labels', async () => {
    nock(URL_BASE)
      .get('/api/v1/query')
      .query(true)
      .reply(200, { status: 'success', data: { resultType: 'scalar', result: [5, '0.25'] } });
    await expect(instantQuery({ url: URL_BASE }, 'scalar(x)', 5000)).resolves.toEqual([
      { metric: {}, samples: [[5000, 0.25]] },
    ]);
  });

  it.each([
    [
      400,
      { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' },
      false,
      /bad_data: parse error at char 3/,
    ],
    [
      503,
      { status: 'error', errorType: 'unavailable', error: 'too busy' },
      true,
      /unavailable: too busy/,
    ],
    [502, 'Bad Gateway', true, /answered 502 with a body that is not JSON/],
    [
      200,
      { status: 'success', data: { resultType: 'vector', result: [{ metric: {} }] } },
      false,
      /unexpected shape/,
    ],
  ])(
    'turns a %d answer into a SourceError that says whether to retry',
    async (status, body, retryable, message) => {
      nock(URL_BASE)
        .get('/api/v1/query')
        .query(true)
        .reply(status, body as never);
      const err = await instantQuery({ url: URL_BASE, authorization: AUTH }, 'x', 0).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SourceError);
      expect(err).toMatchObject({ retryable });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('secret-token');
    },
  );

  it('gives up at its deadline, sends the credentials as a header, and never quotes them', async () => {
    nock(URL_BASE, {
      reqheaders: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
    })
      .get('/api/v1/query')
      .query(true)
      .delay(500)
      .reply(200, {});
    const err = await instantQuery(
      {
        url: 'http://prometheus.test:9090',
        authorization: `Basic ${Buffer.from('user:pass').toString('base64')}`,
        timeoutMs: 50,
      },
      'x',
      0,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true });
    expect((err as Error).message).toMatch(/no answer within 50 ms/);
    expect((err as Error).message).not.toContain('pass');
  });

  it('asks Prometheus to parse a query, and gives its own words when it refuses one', async () => {
    nock(URL_BASE)
      .get('/api/v1/parse_query')
      .query({ query: 'rate(x[5m])' })
      .reply(200, { status: 'success', data: { type: 'call' } });
    await expect(parseQuery({ url: URL_BASE }, 'rate(x[5m])')).resolves.toBeUndefined();
    nock(URL_BASE).get('/api/v1/parse_query').query({ query: 'rate(x[5m]' }).reply(400, {
      status: 'error',
      errorType: 'bad_data',
      error: '1:11: parse error: unclosed left parenthesis',
    });
    await expect(parseQuery({ url: URL_BASE }, 'rate(x[5m]')).resolves.toBe(
      '1:11: parse error: unclosed left parenthesis',
    );
    // A Prometheus older than 2.45 has no such endpoint.
    nock(URL_BASE).get('/api/v1/parse_query').query(true).reply(404, '404 page not found');
    await expect(parseQuery({ url: URL_BASE }, 'x')).rejects.toMatchObject({ retryable: false });
  });

  it('refuses an answer larger than it reads', async () => {
    nock(URL_BASE)
      .get('/api/v1/query')
      .query(true)
      .reply(200, () => 'x'.repeat(MAX_ANSWER_BYTES + 1));
    await expect(instantQuery({ url: URL_BASE }, 'x', 0)).rejects.toThrow(
      `answered with more than ${MAX_ANSWER_BYTES} bytes`,
    );
  });

  it('picks a range step that keeps every series under 11,000 points', () => {
    expect(stepFor(0, 3_600_000, 15_000)).toBe(15_000);
    const week = 7 * 86_400_000;
    const step = stepFor(0, week, 15_000);
    expect(week / step).toBeLessThanOrEqual(11_000);
  });
});
