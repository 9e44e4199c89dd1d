import { useEffect, useState } from 'preact/hooks';
import type { StatusView } from '../../api/wire';
import { getJson } from '../api';
import { ComponentStatusBadge, ErrorNote, SeverityBadge, Time } from '../components';

const SUMMARY = {
  operational: 'All systems operational',
  degraded: 'Some systems are degraded',
  outage: 'Some systems are down',
} as const;

/**
 * The public status page for stakeholders (`/status`): each component's status and the open
 * incidents' public summaries, as the runbook's status update words them. It reads only
 * `GET /api/v1/status` (no labels, no timeline) and reads it again every `refreshSeconds`, so
 * that a proxy may expose this page without the rest of the API.
 */
export function StatusPage() {
  const [view, setView] = useState<StatusView | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const load = () => {
      getJson<StatusView>('/api/v1/status')
        .then(
          (next) => {
            setView(next);
            setError(undefined);
            document.title = next.title;
            return next.refreshSeconds;
          },
          (err: unknown) => {
            setError(err);
            return 30;
          },
        )
        .then(
          (seconds) => {
            if (!stopped) timer = setTimeout(load, seconds * 1000);
          },
          () => undefined,
        );
    };
    load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  if (view === undefined) {
    return (
      <section>
        <h1>Status</h1>
        <ErrorNote error={error} />
      </section>
    );
  }
  return (
    <section class="status-page" aria-labelledby="status-title">
      <h1 id="status-title">{view.title}</h1>
      <p class={`overall overall-${view.status}`} role="status">
        {SUMMARY[view.status]}
      </p>
      <ErrorNote error={error} />
      {view.components.length === 0 ? null : (
        <ul class="components">
          {view.components.map((c) => (
            <li key={c.name} data-component={c.name}>
              <span class="component-name">{c.name}</span>{' '}
              <ComponentStatusBadge status={c.status} />
            </li>
          ))}
        </ul>
      )}
      <h2>Open incidents</h2>
      {view.incidents.length === 0 ? (
        <p class="empty">None.</p>
      ) : (
        view.incidents.map((incident) => (
          <article key={incident.id} class="public-incident">
            <h3>
              <SeverityBadge severity={incident.severity} /> {incident.title}
            </h3>
            <dl class="grid">
              <dt>Status</dt>
              <dd>{incident.status}</dd>
              <dt>Impact</dt>
              <dd>{incident.impact}</dd>
              <dt>Since</dt>
              <dd>
                <Time iso={incident.startedAt} />
              </dd>
              <dt>Last update</dt>
              <dd>
                <Time iso={incident.updatedAt} />
              </dd>
            </dl>
            {incident.notes.map((note, i) => (
              <p key={i}>{note}</p>
            ))}
          </article>
        ))
      )}
      <p class="muted">
        Updated <Time iso={view.updatedAt} />; this page refreshes itself every{' '}
        {view.refreshSeconds} seconds.
      </p>
    </section>
  );
}
