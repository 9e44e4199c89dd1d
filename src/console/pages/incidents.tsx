import { useCallback, useEffect, useState } from 'preact/hooks';
import type { IncidentSummaryView } from '../../api/wire';
import { getJson } from '../api';
import { Activity, ErrorNote, SeverityBadge, StatusBadge, Time } from '../components';
import { formatAgo, incidentTitle, matchesText } from '../format';
import { useLiveEvent } from '../live';
import { navigate, useLocation } from '../router';

const STATUSES = ['all', 'open', 'investigating', 'identified', 'resolving', 'resolved'] as const;
const SEVERITIES = ['any', '1', '2', '3', '4'] as const;
const LIMIT = 100;

interface Filters {
  readonly status: string;
  readonly severity: string;
  readonly text: string;
}

function readFilters(query: URLSearchParams): Filters {
  const status = query.get('status') ?? 'all';
  const severity = query.get('severity') ?? 'any';
  return {
    status: (STATUSES as readonly string[]).includes(status) ? status : 'all',
    severity: (SEVERITIES as readonly string[]).includes(severity) ? severity : 'any',
    text: query.get('q') ?? '',
  };
}

/** Whether a changed incident belongs in the list the server filters gave. */
function matchesServerFilters(incident: IncidentSummaryView, filters: Filters): boolean {
  if (filters.status === 'open' && incident.status === 'resolved') return false;
  if (!['all', 'open'].includes(filters.status) && incident.status !== filters.status) return false;
  if (filters.severity !== 'any' && incident.severity !== `Sev${filters.severity}`) return false;
  return true;
}

/**
 * Open and recent incidents, newest first, live: the list is read once (and again after every
 * reconnection), then each `incident` event replaces its row or adds it on top. The filters live
 * in the URL, so a filtered list can be shared.
 */
export function IncidentsPage() {
  const { query } = useLocation();
  const filters = readFilters(query);
  const [incidents, setIncidents] = useState<readonly IncidentSummaryView[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [now, setNow] = useState(Date.now());

  const load = useCallback(() => {
    const params = new URLSearchParams({ limit: String(LIMIT) });
    if (filters.status !== 'all') params.set('status', filters.status);
    if (filters.severity !== 'any') params.set('severity', filters.severity);
    getJson<{ incidents: IncidentSummaryView[] }>(`/api/v1/incidents?${params.toString()}`).then(
      (body) => {
        setIncidents(body.incidents);
        setError(undefined);
      },
      setError,
    );
  }, [filters.status, filters.severity]);

  useEffect(load, [load]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  useLiveEvent('hello', load);
  useLiveEvent('incident', (incident) => {
    setNow(Date.now());
    setIncidents((list) => {
      if (list === undefined) return list;
      const others = list.filter((i) => i.id !== incident.id);
      if (!matchesServerFilters(incident, filters)) return others;
      return [...others, incident].sort((a, b) => b.id - a.id).slice(0, LIMIT);
    });
  });

  const setFilter = (key: 'status' | 'severity' | 'q', value: string, initial: string) => {
    const next = new URLSearchParams(query);
    if (value === initial) next.delete(key);
    else next.set(key, value);
    const search = next.toString();
    navigate(search === '' ? '/' : `/?${search}`, { replace: true });
  };

  const shown = incidents?.filter((i) => matchesText(i, filters.text));
  return (
    <section aria-labelledby="incidents-title">
      <h1 id="incidents-title">Incidents</h1>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            value={filters.status}
            onChange={(e) => setFilter('status', e.currentTarget.value, 'all')}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === 'all' ? 'open and recent' : s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select
            value={filters.severity}
            onChange={(e) => setFilter('severity', e.currentTarget.value, 'any')}
          >
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s === 'any' ? 'any' : `Sev${s}`}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          Text
          <input
            type="search"
            value={filters.text}
            placeholder="labels, components, #id"
            onInput={(e) => setFilter('q', e.currentTarget.value, '')}
          />
        </label>
      </form>
      <ErrorNote error={error} />
      {shown === undefined ? (
        <p class="muted">Loading…</p>
      ) : shown.length === 0 ? (
        <p class="empty">No incidents{incidents?.length === 0 ? '' : ' match the filters'}.</p>
      ) : (
        <div class="table-wrap">
          <table class="incidents">
            <thead>
              <tr>
                <th scope="col">Incident</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Components</th>
                <th scope="col">Alerts</th>
                <th scope="col">Now</th>
                <th scope="col">Opened</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((incident) => (
                <IncidentRow key={incident.id} incident={incident} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function IncidentRow({ incident, now }: { incident: IncidentSummaryView; now: number }) {
  const components = Object.entries(incident.components);
  return (
    <tr data-incident={incident.id} class={`row-${incident.status}`}>
      <td data-label="Incident">
        <a href={`/incidents/${incident.id}`}>
          <span class="id">#{incident.id}</span> {incidentTitle(incident.groupLabels)}
        </a>
      </td>
      <td data-label="Severity">
        <SeverityBadge severity={incident.severity} />
      </td>
      <td data-label="Status">
        <StatusBadge status={incident.status} />
      </td>
      <td data-label="Components">
        {components.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          components.map(([label, values]) => (
            <span key={label} class="component-values">
              {label} {values.join(', ')}
            </span>
          ))
        )}
      </td>
      <td data-label="Alerts" class="nowrap">
        {incident.alerts.firing} firing / {incident.alerts.total}
      </td>
      <td data-label="Now">
        <Activity activity={incident.activity} />
      </td>
      <td data-label="Opened">
        <span title={incident.openedAt}>{formatAgo(incident.openedAt, now)}</span>{' '}
        <span class="sr-only">
          <Time iso={incident.openedAt} />
        </span>
      </td>
    </tr>
  );
}
