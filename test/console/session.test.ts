import type { SessionView } from '../../src/api/wire';
import { writeBlocked } from '../../src/console/session';

const view = (overrides: Partial<SessionView>): SessionView => ({
  writes: 'enabled',
  signedIn: false,
  name: null,
  csrfToken: null,
  expiresAt: null,
  schemes: ['bearer'],
  ...overrides,
});

describe('whether the console may write', () => {
  it('says writes are disabled, and what to set, when the server has no credentials', () => {
    expect(writeBlocked(view({ writes: 'disabled', schemes: [] }))).toMatch(
      /^Writes are disabled: .*REMEDIATOR_WEBHOOK_TOKEN_FILE/,
    );
  });

  it('asks to sign in first, and allows writes once signed in', () => {
    expect(writeBlocked(view({}))).toBe('Sign in (Controls) to change anything.');
    expect(writeBlocked(view({ signedIn: true, csrfToken: 't', name: 'Ann' }))).toBeUndefined();
    expect(writeBlocked(null)).toBe('checking the session…');
  });
});
