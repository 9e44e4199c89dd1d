import { useEffect, useState } from 'preact/hooks';
import { Store } from './store';

/** The page shown: the URL's path and query. Links inside the console change it without a reload. */
export const currentLocation = new Store<string>(window.location.pathname + window.location.search);

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace === true) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  currentLocation.set(to);
  if (options.replace !== true) {
    window.scrollTo(0, 0);
    // Keyboard and screen-reader users start at the new page's content.
    document.getElementById('main')?.focus();
  }
}

/**
 * Plain left clicks on links to the console's own pages navigate in place; anything else (a new
 * tab, a link out, the API) is left to the browser. Back and forward follow.
 */
export function startRouter(): void {
  window.addEventListener('popstate', () => {
    currentLocation.set(window.location.pathname + window.location.search);
  });
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const target = event.target instanceof Element ? event.target.closest('a') : null;
    if (target?.target !== '' || target.hasAttribute('download')) return;
    const url = new URL(target.href, window.location.href);
    if (url.origin !== window.location.origin) return;
    if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/console/')) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const [value, setValue] = useState(currentLocation.value);
  useEffect(() => currentLocation.subscribe(setValue), []);
  const [path = '/', search = ''] = value.split('?', 2);
  return { path, query: new URLSearchParams(search) };
}
