import { useEffect } from 'preact/hooks';
import { liveState, startLive } from './live';
import { findPage, PAGES } from './routes';
import { useLocation } from './router';
import { loadSession, session } from './session';
import { useStore } from './store';

/**
 * The console: a header on every page (the pause state always in it), then the page. The public
 * status page is bare: no header, no live events, no session, only its own endpoint.
 */
export function App() {
  const { path } = useLocation();
  const found = findPage(path);
  const bare = found?.page.bare === true;
  useEffect(() => {
    if (bare) return;
    startLive();
    if (session.value === null) void loadSession();
  }, [bare]);
  if (found?.page.bare === true) {
    return (
      <main id="main" tabIndex={-1} class="bare">
        {found.page.render(found.match)}
      </main>
    );
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header path={path} />
      <main id="main" tabIndex={-1}>
        {found === undefined ? (
          <section>
            <h1>Not found</h1>
            <p>
              There is no page at this address. <a href="/">Incidents</a>
            </p>
          </section>
        ) : (
          found.page.render(found.match)
        )}
      </main>
    </>
  );
}

function Header({ path }: { path: string }) {
  const live = useStore(liveState);
  const view = useStore(session);
  return (
    <header class="top">
      <a class="brand" href="/">
        remediator
      </a>
      <nav aria-label="Console">
        <ul>
          {PAGES.flatMap((page) =>
            page.nav === undefined
              ? []
              : [
                  <li key={page.nav.href}>
                    <a
                      href={page.nav.href}
                      aria-current={
                        page.nav.href === path ||
                        (page.nav.href === '/' && path.startsWith('/incidents/'))
                          ? 'page'
                          : undefined
                      }
                    >
                      {page.nav.title}
                    </a>
                  </li>,
                ],
          )}
        </ul>
      </nav>
      <div class="indicators">
        <span
          class={`pause-state ${live.paused === true ? 'paused' : 'running'}`}
          role="status"
          data-pause-state={live.paused === null ? 'unknown' : live.paused ? 'paused' : 'running'}
        >
          {live.paused === null
            ? 'Remediation: …'
            : live.paused
              ? 'Remediation PAUSED'
              : 'Remediation running'}
        </span>
        <span class={`live-state ${live.connected ? 'live' : 'offline'}`}>
          {live.connected ? 'Live' : 'Reconnecting…'}
        </span>
        <span class="session-state">
          {view === null ? null : view.writes === 'disabled' ? (
            'Read-only (no credentials configured)'
          ) : view.signedIn ? (
            `Signed in: ${view.name ?? ''}`
          ) : (
            <a href="/controls">Sign in</a>
          )}
        </span>
      </div>
    </header>
  );
}
