import { sourceConnection } from '../../src/sources/http';

const NAMES = { what: 'Prometheus', env: 'REMEDIATOR_PROMETHEUS', from: '--prometheus-url' };

describe('sourceConnection: one rule for a source`s URL and credentials', () => {
  it('sends a token file as a bearer token and basic-auth files as basic auth', () => {
    expect(sourceConnection('http://prom:9090', { token: 't0k' }, NAMES)).toEqual({
      connection: { url: 'http://prom:9090/', authorization: 'Bearer t0k' },
    });
    expect(
      sourceConnection('http://prom:9090/prefix', { username: 'u', password: 'p' }, NAMES),
    ).toEqual({
      connection: {
        url: 'http://prom:9090/prefix',
        authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
      },
    });
    expect(sourceConnection('https://prom', {}, NAMES)).toEqual({
      connection: { url: 'https://prom/' },
    });
  });

  it.each([
    [
      'http://user:hunter2@prom:9090',
      {},
      /--prometheus-url: credentials do not go in the URL.*REMEDIATOR_PROMETHEUS_TOKEN_FILE/,
    ],
    ['ftp://prom', {}, /not an http\(s\) URL/],
    ['hunter2', {}, /not an http\(s\) URL/],
    ['http://prom', { token: 't', username: 'u', password: 'p' }, /not both/],
    ['http://prom', { username: 'u' }, /needs both REMEDIATOR_PROMETHEUS_USERNAME_FILE/],
  ])('refuses %s with %j, quoting no secret', (url, secrets, message) => {
    const result = sourceConnection(url, secrets, NAMES);
    expect(result.problems).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    expect(JSON.stringify(result)).not.toMatch(/hunter2/);
  });
});
