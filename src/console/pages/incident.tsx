import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { IncidentView, PlanView, RemediationView, ReportView } from '../../api/wire';
import { ApiError, getJson, send } from '../api';
import {
  Activity,
  ErrorNote,
  ExternalLink,
  JsonBlock,
  Labels,
  SeverityBadge,
  StatusBadge,
  Time,
} from '../components';
import { formatDuration, incidentTitle } from '../format';
import { useLiveEvent } from '../live';
import { session, writeBlocked } from '../session';
import { useStore } from '../store';
import { Report } from './report';

/**
 * One incident at its stable URL (`/incidents/ID`): what fired, how severe and why, what
 * remediator planned and did (the exact changes), its timeline with who or what did each thing,
 * links to Alertmanager and Prometheus, the post-incident report and the fields a human fills in.
 * It reloads when a live event names it.
 */
export function IncidentPage({ id }: { id: number }) {
  const [incident, setIncident] = useState<IncidentView | undefined>();
  const [report, setReport] = useState<ReportView | undefined>();
  const [error, setError] = useState<unknown>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(() => {
    Promise.all([
      getJson<IncidentView>(`/api/v1/incidents/${id}`),
      getJson<ReportView>(`/api/v1/incidents/${id}/report?format=json`),
    ]).then(([view, data]) => {
      setIncident(view);
      setReport(data);
      setError(undefined);
    }, setError);
  }, [id]);
  useEffect(() => {
    setIncident(undefined);
    load();
  }, [load]);
  // Changes come in bursts (a step's result, its timeline entry, the status): one reload each.
  const reloadSoon = () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(load, 200);
  };
  useEffect(() => () => clearTimeout(timer.current), []);
  useLiveEvent('hello', load);
  useLiveEvent('incident', (changed) => {
    if (changed.id === id) reloadSoon();
  });
  useLiveEvent('timeline', (added) => {
    if (added.incident === id) reloadSoon();
  });

  if (error instanceof ApiError && error.status === 404) {
    return (
      <section>
        <h1>Incident #{id}</h1>
        <p class="empty">There is no incident {id} (retention may have removed it).</p>
      </section>
    );
  }
  if (incident === undefined) {
    return (
      <section>
        <h1>Incident #{id}</h1>
        <ErrorNote error={error} />
        {error === undefined ? <p class="muted">Loading…</p> : null}
      </section>
    );
  }
  return (
    <article class="incident" aria-labelledby="incident-title">
      <header class="incident-head">
        <h1 id="incident-title">
          <span class="id">#{incident.id}</span> {incidentTitle(incident.groupLabels)}
        </h1>
        <p class="facts">
          <SeverityBadge severity={incident.severity} /> <StatusBadge status={incident.status} />{' '}
          <Activity activity={incident.activity} />
        </p>
        <dl class="grid">
          <dt>Opened</dt>
          <dd>
            <Time iso={incident.openedAt} />
          </dd>
          <dt>Resolved</dt>
          <dd>
            <Time iso={incident.resolvedAt} />
            {incident.durationSeconds === null
              ? null
              : ` (after ${formatDuration(incident.durationSeconds * 1000)})`}
          </dd>
          <dt>Group</dt>
          <dd>
            <Labels labels={incident.groupLabels} />
          </dd>
          <dt>Receiver</dt>
          <dd>{incident.receiver === '' ? '—' : incident.receiver}</dd>
          {incident.heldOpen === null ? null : (
            <>
              <dt>Held open</dt>
              <dd>{incident.heldOpen}</dd>
            </>
          )}
          <dt>Links</dt>
          <dd>
            {incident.alertmanager === null ? (
              <span class="muted">Alertmanager sent no http(s) externalURL</span>
            ) : (
              <>
                <ExternalLink href={incident.alertmanager.alerts}>
                  Alerts in Alertmanager
                </ExternalLink>
                {' · '}
                <ExternalLink href={incident.alertmanager.silence}>
                  Silence in Alertmanager
                </ExternalLink>
              </>
            )}
          </dd>
        </dl>
      </header>

      <section aria-labelledby="severity-title">
        <h2 id="severity-title">Severity {incident.severity}: why</h2>
        {incident.severityReasons.length === 0 ? (
          <p class="muted">No rule matched: the default level.</p>
        ) : (
          <ul>
            {incident.severityReasons.map((reason, i) => (
              <li key={i}>{reason}</li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="alerts-title">
        <h2 id="alerts-title">Alerts ({incident.alerts.length})</h2>
        <div class="table-wrap">
          <table class="alerts">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Labels</th>
                <th scope="col">Annotations</th>
                <th scope="col">Started</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {incident.alerts.map((alert) => (
                <tr key={`${alert.fingerprint}@${alert.startsAt}`}>
                  <td data-label="Status">
                    <StatusBadge status={alert.status} />
                  </td>
                  <td data-label="Labels">
                    <Labels labels={alert.labels} />
                  </td>
                  <td data-label="Annotations">
                    <Labels labels={alert.annotations} />
                  </td>
                  <td data-label="Started">{alert.startsAt}</td>
                  <td data-label="Source">
                    {alert.prometheusURL === null ? (
                      <span class="muted">—</span>
                    ) : (
                      <ExternalLink href={alert.prometheusURL}>Prometheus</ExternalLink>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="plans-title">
        <h2 id="plans-title">Remediation</h2>
        {incident.plans.length === 0 ? (
          <p class="muted">No policy matched these alerts.</p>
        ) : (
          incident.plans.map((plan) => <Plan key={plan.id} plan={plan} />)
        )}
      </section>

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ol class="timeline">
          {incident.timeline.map((entry, i) => (
            <li key={i} class={`entry entry-${entry.kind}`}>
              <Time iso={entry.at} /> <span class="actor">{entry.actor}</span>{' '}
              <span class="kind">{entry.kind}</span>
              <p class="message">{entry.message}</p>
            </li>
          ))}
        </ol>
      </section>

      <Narrative incident={incident} onSaved={load} />
      {report === undefined ? null : <Report report={report} id={incident.id} />}
    </article>
  );
}

function Plan({ plan }: { plan: PlanView }) {
  return (
    <div class="plan">
      <h3>
        Plan {plan.id}: policy {plan.policy} <StatusBadge status={plan.status} />
        {plan.dryRun ? <span class="badge">dry run</span> : null}
      </h3>
      <p>
        {plan.target === null ? 'No target. ' : `Target ${plan.target.text}. `}
        {plan.reason}
      </p>
      {plan.steps.length === 0 ? null : (
        <ol class="steps">
          {plan.steps.map((step, i) => (
            <li key={i}>
              <strong>{step.action}</strong> <code>{JSON.stringify(step.params)}</code>
              {step.verifyMs > 0 ? ` · verify ${formatDuration(step.verifyMs)}` : ''}
              {plan.remediations
                .filter((r) => r.step === i)
                .map((r) => (
                  <Step key={r.id} step={r} />
                ))}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function Step({ step }: { step: RemediationView }) {
  return (
    <div class="step">
      <p>
        <StatusBadge status={step.status} />
        {step.reason === null ? null : ` (${step.reason})`} {step.summary ?? ''}
        {step.verification === null
          ? step.verifyUntil === null
            ? null
            : ' · verifying until '
          : ` · ${step.verification}`}
        {step.verification === null && step.verifyUntil !== null ? (
          <Time iso={step.verifyUntil} />
        ) : null}
      </p>
      {step.intent === null ? null : (
        <details>
          <summary>The exact change</summary>
          <JsonBlock value={step.intent} />
          {step.result === null ? null : (
            <>
              <p>What came back:</p>
              <JsonBlock value={step.result} />
            </>
          )}
        </details>
      )}
    </div>
  );
}

/** Root cause and prevention: what a human found and decided, for the report (PATCH). */
function Narrative({ incident, onSaved }: { incident: IncidentView; onSaved: () => void }) {
  const view = useStore(session);
  const blocked = writeBlocked(view);
  const [rootCause, setRootCause] = useState(incident.rootCause ?? '');
  const [prevention, setPrevention] = useState(incident.prevention ?? '');
  const [state, setState] = useState<{ saving?: boolean; error?: unknown; saved?: boolean }>({});
  useEffect(() => {
    setRootCause(incident.rootCause ?? '');
    setPrevention(incident.prevention ?? '');
  }, [incident.id, incident.rootCause, incident.prevention]);

  const save = (event: Event) => {
    event.preventDefault();
    const body: Record<string, string> = {};
    if (rootCause.trim() !== '' && rootCause.trim() !== (incident.rootCause ?? ''))
      body.rootCause = rootCause;
    if (prevention.trim() !== '' && prevention.trim() !== (incident.prevention ?? ''))
      body.prevention = prevention;
    if (Object.keys(body).length === 0) {
      setState({ error: new Error('Nothing changed.') });
      return;
    }
    setState({ saving: true });
    send('PATCH', `/api/v1/incidents/${incident.id}`, body).then(
      () => {
        setState({ saved: true });
        onSaved();
      },
      (error: unknown) => setState({ error }),
    );
  };
  const resolve = () => {
    setState({ saving: true });
    send('POST', `/api/v1/incidents/${incident.id}/resolve`, {
      reason: 'resolved in the console',
    }).then(
      () => {
        setState({});
        onSaved();
      },
      (error: unknown) => setState({ error }),
    );
  };
  return (
    <section aria-labelledby="narrative-title">
      <h2 id="narrative-title">Post-incident notes</h2>
      {blocked === undefined ? null : <p class="note">{blocked}</p>}
      <form class="narrative" onSubmit={save}>
        <label>
          Root cause
          <textarea
            rows={3}
            maxLength={2000}
            value={rootCause}
            disabled={blocked !== undefined}
            onInput={(e) => setRootCause(e.currentTarget.value)}
          />
        </label>
        <label>
          Prevention
          <textarea
            rows={3}
            maxLength={2000}
            value={prevention}
            disabled={blocked !== undefined}
            onInput={(e) => setPrevention(e.currentTarget.value)}
          />
        </label>
        <div class="actions">
          <button type="submit" disabled={blocked !== undefined || state.saving === true}>
            Save notes
          </button>
          {incident.heldOpen !== null && incident.status !== 'resolved' ? (
            <button
              type="button"
              disabled={blocked !== undefined || state.saving === true}
              onClick={resolve}
            >
              Resolve incident
            </button>
          ) : null}
          {state.saved === true ? <span role="status">Saved.</span> : null}
        </div>
        <ErrorNote error={state.error} />
      </form>
    </section>
  );
}
