import { SlackSignatureVerifier, slackSignature } from '../../src/receivers/slack-signature';

/*
 * Slack's request signing: `v0=` HMAC-SHA256 of `v0:{timestamp}:{raw body}`. The vector below is
 * the one Slack's "Verifying requests from Slack" page walks through (its signing secret, its
 * timestamp, its slash-command body and the signature it shows), so the verifier is checked
 * against Slack's own arithmetic, not only against itself.
 */
const SLACK_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const SLACK_TIMESTAMP = '1531420618';
const SLACK_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SLACK_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

function at(seconds: number) {
  return { now: () => new Date(seconds * 1000) };
}

describe('Slack request signatures', () => {
  it("computes the signature of Slack's documented example", () => {
    expect(slackSignature(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY)).toBe(SLACK_SIGNATURE);
  });

  it("accepts Slack's documented request within five minutes of its timestamp", () => {
    const verifier = new SlackSignatureVerifier(SLACK_SECRET, at(Number(SLACK_TIMESTAMP) + 299));
    expect(verifier.verify(SLACK_TIMESTAMP, SLACK_SIGNATURE, Buffer.from(SLACK_BODY))).toEqual({
      ok: true,
    });
  });

  it('accepts each signature once: a replay inside the window is refused', () => {
    const verifier = new SlackSignatureVerifier(SLACK_SECRET, at(Number(SLACK_TIMESTAMP)));
    const body = Buffer.from(SLACK_BODY);
    expect(verifier.verify(SLACK_TIMESTAMP, SLACK_SIGNATURE, body).ok).toBe(true);
    expect(verifier.verify(SLACK_TIMESTAMP, SLACK_SIGNATURE, body)).toEqual({
      ok: false,
      message: 'this signature was already used (a replayed request)',
    });
  });

  it.each([
    [
      'a timestamp more than 5 minutes old',
      Number(SLACK_TIMESTAMP) + 301,
      SLACK_TIMESTAMP,
      SLACK_SIGNATURE,
      'more than 5 minutes off',
    ],
    [
      'a timestamp more than 5 minutes ahead',
      Number(SLACK_TIMESTAMP) - 301,
      SLACK_TIMESTAMP,
      SLACK_SIGNATURE,
      'more than 5 minutes off',
    ],
    [
      'a timestamp that is not a number',
      Number(SLACK_TIMESTAMP),
      '1531420618.5',
      SLACK_SIGNATURE,
      'not a Unix time',
    ],
    [
      'a signature of another version',
      Number(SLACK_TIMESTAMP),
      SLACK_TIMESTAMP,
      SLACK_SIGNATURE.replace('v0=', 'v1='),
      'not v0= and 64 hex digits',
    ],
    [
      'a truncated signature',
      Number(SLACK_TIMESTAMP),
      SLACK_TIMESTAMP,
      SLACK_SIGNATURE.slice(0, -2),
      'not v0= and 64 hex digits',
    ],
    [
      'a signature of another body',
      Number(SLACK_TIMESTAMP),
      SLACK_TIMESTAMP,
      slackSignature(SLACK_SECRET, SLACK_TIMESTAMP, 'x=1'),
      'does not match',
    ],
    [
      'a signature with another secret',
      Number(SLACK_TIMESTAMP),
      SLACK_TIMESTAMP,
      slackSignature('other', SLACK_TIMESTAMP, SLACK_BODY),
      'does not match',
    ],
    [
      'the body signed at another timestamp',
      Number(SLACK_TIMESTAMP),
      SLACK_TIMESTAMP,
      slackSignature(SLACK_SECRET, '1531420619', SLACK_BODY),
      'does not match',
    ],
  ])('refuses %s', (_what, now, timestamp, signature, message) => {
    const verifier = new SlackSignatureVerifier(SLACK_SECRET, at(now));
    const verdict = verifier.verify(timestamp, signature, Buffer.from(SLACK_BODY));
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.message).toContain(message);
  });

  it('refuses a request without the headers', () => {
    const verifier = new SlackSignatureVerifier(SLACK_SECRET, at(Number(SLACK_TIMESTAMP)));
    expect(verifier.verify(undefined, SLACK_SIGNATURE, Buffer.from(SLACK_BODY)).ok).toBe(false);
    expect(verifier.verify(SLACK_TIMESTAMP, undefined, Buffer.from(SLACK_BODY)).ok).toBe(false);
  });

  it('does not remember forged signatures, so they cannot crowd out genuine ones', () => {
    const verifier = new SlackSignatureVerifier(SLACK_SECRET, at(Number(SLACK_TIMESTAMP)));
    const forged = slackSignature('other', SLACK_TIMESTAMP, SLACK_BODY);
    expect(verifier.verify(SLACK_TIMESTAMP, forged, Buffer.from(SLACK_BODY)).ok).toBe(false);
    expect(verifier.verify(SLACK_TIMESTAMP, SLACK_SIGNATURE, Buffer.from(SLACK_BODY)).ok).toBe(
      true,
    );
  });
});
