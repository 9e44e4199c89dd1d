import type { SessionView } from '../api/wire';
import { getJson, send, setCsrfToken } from './api';
import { Store } from './store';

/** The console's session; null until the server answered. */
export const session = new Store<SessionView | null>(null);

function take(view: SessionView): SessionView {
  setCsrfToken(view.csrfToken);
  session.set(view);
  return view;
}

export async function loadSession(): Promise<SessionView> {
  return take(await getJson<SessionView>('/api/v1/session'));
}

export async function signIn(credentials: {
  token?: string;
  username?: string;
  password?: string;
  name?: string;
}): Promise<SessionView> {
  return take(await send<SessionView>('POST', '/api/v1/session', credentials));
}

export async function signOut(): Promise<SessionView> {
  return take(await send<SessionView>('DELETE', '/api/v1/session'));
}

/** Why a write is not possible now, or undefined when it is. */
export function writeBlocked(view: SessionView | null): string | undefined {
  if (view === null) return 'checking the session…';
  if (view.writes === 'disabled')
    return 'Writes are disabled: the server has no credentials configured (REMEDIATOR_WEBHOOK_TOKEN_FILE).';
  if (!view.signedIn) return 'Sign in (Controls) to change anything.';
  return undefined;
}
