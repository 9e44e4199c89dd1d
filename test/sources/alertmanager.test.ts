import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import {
  createSilence,
  expireSilence,
  heldAlerts,
  listSilences,
} from '../../src/sources/alertmanager';
import { SourceError } from '../../src/sources/http';

/** Answers captured from a real Alertmanager 0.25 (test/fixtures/alertmanager-api/README.md). */
function captured(name: string): unknown {
  return JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'alertmanager-api', `${name}.json`), 'utf8'),
  );
}

const AM = 'http://alertmanager.test:9093';
const AUTH = 'Bearer am-secret-456';
const SILENCE_ID = '30215484-0d55-4e2d-a3ae-13cc8d979f8e';

afterEach(() => nock.cleanAll());
afterAll(() => nock.restore());

describe("Alertmanager's API v2", () => {
  it('lists the alerts a filter selects, silenced and inhibited ones included, with the credentials', async () => {
    const scope = nock(AM, { reqheaders: { authorization: AUTH } })
      .get('/api/v2/alerts')
      .query({
        active: 'true',
        silenced: 'true',
        inhibited: 'true',
        unprocessed: 'true',
        filter: ['alertname="HighLatency"', 'deployment="heart-disease-api"'],
      })
      .reply(200, captured('alerts-get-silenced') as nock.Body);
    const alerts = await heldAlerts({ url: AM, authorization: AUTH }, [
      'alertname="HighLatency"',
      'deployment="heart-disease-api"',
    ]);
    expect(alerts).toEqual([
      {
        fingerprint: 'df5c8bbacc482596',
        startsAt: '2026-12-06T17:00:45.000Z',
        state: 'suppressed',
        labels: {
          alertname: 'HighLatency',
          deployment: 'heart-disease-api',
          namespace: 'prod',
          service: 'heart-disease-api',
          severity: 'critical',
        },
      },
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it('lists nothing for an alert that resolved', async () => {
    nock(AM)
      .get('/api/v2/alerts')
      .query(true)
      .reply(200, captured('alerts-get-after-resolve') as nock.Body);
    await expect(heldAlerts({ url: AM }, ['alertname="HighLatency"'])).resolves.toEqual([]);
  });

  it('creates a silence of equality matchers and reads back its id', async () => {
    let sent: unknown;
    nock(AM, { reqheaders: { authorization: AUTH, 'content-type': 'application/json' } })
      .post('/api/v2/silences', (body: unknown) => {
        sent = body;
        return true;
      })
      .reply(200, captured('silence-post') as nock.Body);
    const id = await createSilence(
      { url: AM, authorization: AUTH },
      {
        matchers: [
          { name: 'alertname', value: 'HighLatency' },
          { name: 'deployment', value: 'say "hi"\n' },
        ],
        startsAt: new Date('2026-12-06T17:00:46.220Z'),
        endsAt: new Date('2026-12-06T17:30:46.000Z'),
        createdBy: 'remediator',
        comment: 'remediator r0: incident 7, plan 12, policy p',
      },
    );
    expect(id).toBe(SILENCE_ID);
    expect(sent).toEqual({
      matchers: [
        { name: 'alertname', value: 'HighLatency', isRegex: false, isEqual: true },
        { name: 'deployment', value: 'say "hi"\n', isRegex: false, isEqual: true },
      ],
      startsAt: '2026-12-06T17:00:46.220Z',
      endsAt: '2026-12-06T17:30:46.000Z',
      createdBy: 'remediator',
      comment: 'remediator r0: incident 7, plan 12, policy p',
    });
  });

  it('refuses a silence id that is not a UUID, so that nothing else reaches a path', async () => {
    nock(AM).post('/api/v2/silences').reply(200, { silenceID: '../../status' });
    await expect(
      createSilence(
        { url: AM },
        {
          matchers: [{ name: 'a', value: 'b' }],
          startsAt: new Date(0),
          endsAt: new Date(1),
          createdBy: 'remediator',
          comment: '',
        },
      ),
    ).rejects.toThrow(/unexpected shape/);
    await expect(expireSilence({ url: AM }, '../status')).rejects.toThrow(/not a silence id/);
  });

  it('lists silences with their state, creator and comment', async () => {
    nock(AM)
      .get('/api/v2/silences')
      .reply(200, captured('silences-get') as nock.Body);
    await expect(listSilences({ url: AM })).resolves.toEqual([
      {
        id: SILENCE_ID,
        state: 'active',
        createdBy: 'remediator',
        comment: 'remediator incident 7 plan 12: performance-degradation (scale)',
        endsAt: '2026-12-06T17:30:46.000Z',
      },
    ]);
  });

  it('expires a silence; one already expired or unknown is no error', async () => {
    nock(AM).delete(`/api/v2/silence/${SILENCE_ID}`).reply(200, '');
    await expect(expireSilence({ url: AM }, SILENCE_ID)).resolves.toBeUndefined();
    nock(AM)
      .delete(`/api/v2/silence/${SILENCE_ID}`)
      .reply(500, `"silence ${SILENCE_ID} already expired"`);
    await expect(expireSilence({ url: AM }, SILENCE_ID)).resolves.toBeUndefined();
    nock(AM).delete(`/api/v2/silence/${SILENCE_ID}`).reply(404, '');
    await expect(expireSilence({ url: AM }, SILENCE_ID)).resolves.toBeUndefined();
    nock(AM).delete(`/api/v2/silence/${SILENCE_ID}`).reply(500, '"storage full"');
    const err = await expireSilence({ url: AM }, SILENCE_ID).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect(err).toMatchObject({ retryable: true });
    expect((err as Error).message).toBe(`Alertmanager at ${AM}: answered 500: storage full`);
  });

  it.each([
    [400, '"bad matcher format: x"', false, /answered 400: bad matcher format: x/],
    [503, 'unavailable', true, /answered 503: unavailable/],
    [200, '{"not": "a list"}', false, /alerts of an unexpected shape/],
    [200, '[{"fingerprint": 1}]', false, /alerts of an unexpected shape/],
    [200, 'oops', false, /answered 200 with a body that is not JSON/],
  ])(
    'turns a %d answer %s into a SourceError that says whether to retry',
    async (status, body, retryable, message) => {
      nock(AM).get('/api/v2/alerts').query(true).reply(status, body);
      const err = await heldAlerts({ url: AM, authorization: AUTH }, []).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect(err).toMatchObject({ retryable });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('am-secret');
    },
  );

  it('never quotes the credentials of the URL, and says when nothing answers', async () => {
    const err = await heldAlerts(
      { url: 'http://user:pw-789@127.0.0.1:9', timeoutMs: 2000 },
      [],
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true });
    expect((err as Error).message).toMatch(/^Alertmanager at http:\/\/127\.0\.0\.1:9: unreachable/);
    expect((err as Error).message).not.toContain('pw-789');
    expect((err as Error).message).not.toContain('user');
  });
});
