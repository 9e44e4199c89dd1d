import type { AlertmanagerLinksView } from './wire';

/**
 * URLs from alerts, made safe to link to. `externalURL` and `generatorURL` come in the payload,
 * written by whoever can post to the webhook: only an absolute http(s) URL becomes a link
 * (never `javascript:`, `data:` or a relative path that would point into the console).
 */
export function httpUrl(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.href;
}

/**
 * Alertmanager's UI for an incident's group: its alert list filtered to the group labels, and a
 * new silence with them filled in. Null when the `externalURL` is not an http(s) URL.
 */
export function alertmanagerLinks(
  externalURL: string | undefined,
  groupLabels: Readonly<Record<string, string>>,
): AlertmanagerLinksView | null {
  const base = httpUrl(externalURL);
  if (base === null) return null;
  const root = base.replace(/\/+$/, '');
  // Alertmanager's matcher syntax: `{name="value", …}`, the value quoted as in Go (JSON's escapes).
  const filter = encodeURIComponent(
    `{${Object.keys(groupLabels)
      .sort()
      .map((k) => `${k}=${JSON.stringify(groupLabels[k])}`)
      .join(',')}}`,
  );
  return {
    alerts: `${root}/#/alerts?filter=${filter}`,
    silence: `${root}/#/silences/new?filter=${filter}`,
  };
}
