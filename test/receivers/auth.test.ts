import { WebhookAuthenticator } from '../../src/receivers/auth';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('webhook authentication', () => {
  const bearer = new WebhookAuthenticator({ bearerToken: 's3cr3t' });
  const basicOnly = new WebhookAuthenticator({
    basicAuth: { username: 'am', password: 'pw:with:colons' },
  });
  const both = new WebhookAuthenticator({
    bearerToken: 's3cr3t',
    basicAuth: { username: 'am', password: 'pw' },
  });

  it.each([
    ['the right bearer token', bearer, 'Bearer s3cr3t', true],
    ['a lower-case scheme', bearer, 'bearer s3cr3t', true],
    ['a wrong token', bearer, 'Bearer s3cr3T', false],
    ['a token prefix', bearer, 'Bearer s3cr', false],
    ['a longer token', bearer, 'Bearer s3cr3t-and-more', false],
    ['no header', bearer, undefined, false],
    ['basic auth when only a token is configured', bearer, basic('am', 's3cr3t'), false],
    [
      'right basic credentials (password with colons)',
      basicOnly,
      basic('am', 'pw:with:colons'),
      true,
    ],
    ['a wrong user name', basicOnly, basic('root', 'pw:with:colons'), false],
    [
      'a bearer token when only basic auth is configured',
      basicOnly,
      'Bearer pw:with:colons',
      false,
    ],
    ['either scheme when both are configured (bearer)', both, 'Bearer s3cr3t', true],
    ['either scheme when both are configured (basic)', both, basic('am', 'pw'), true],
    ['an unknown scheme', both, 'Digest username="am"', false],
  ])('%s → accepted: %s', (_case, auth, header, ok) => {
    expect(auth.check(header).ok).toBe(ok);
  });

  it('accepts everything when nothing is configured, and says so', () => {
    const open = new WebhookAuthenticator({});
    expect(open.required).toBe(false);
    expect(open.check(undefined)).toEqual({ ok: true });
  });

  it.each([
    ['a wrong token', 'Bearer wrong-guess'],
    ['the token without a scheme', 's3cr3t'],
    ['a wrong token without a scheme', 'wrong-guess'],
    ['the token under another scheme', 'Token s3cr3t'],
  ])('never puts the expected or given secret in its messages: %s', (_case, header) => {
    const result = both.check(header);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(/s3cr3t|wrong-guess/i);
  });

  it('names the accepted schemes when the scheme is not one of them', () => {
    expect(bearer.check('Digest username="am"')).toEqual({
      ok: false,
      message: 'unsupported authorization scheme (use Bearer)',
    });
    expect(both.check('s3cr3t')).toEqual({
      ok: false,
      message: 'unsupported authorization scheme (use Bearer or Basic)',
    });
  });

  it('challenges with the configured schemes', () => {
    expect(both.challenge).toBe(
      'Bearer realm="remediator", Basic realm="remediator", charset="UTF-8"',
    );
  });
});
