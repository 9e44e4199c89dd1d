import type { ReportView } from '../../api/wire';
import { Time } from '../components';

/**
 * The post-incident report, rendered from its JSON (the Markdown one is a download): its text is
 * alert content, shown as text, never parsed as Markdown or HTML.
 */
export function Report({ report, id }: { report: ReportView; id: number }) {
  return (
    <section aria-labelledby="report-title" class="report">
      <h2 id="report-title">Post-incident report</h2>
      <dl class="grid">
        <dt>Severity</dt>
        <dd>
          {report.severity} ({report.severityReasons.join('; ') || 'default level'})
        </dd>
        <dt>Status</dt>
        <dd>{report.status}</dd>
        <dt>Impact</dt>
        <dd>{report.impactSummary}</dd>
        <dt>Opened</dt>
        <dd>
          <Time iso={report.openedAt} />
        </dd>
        <dt>Resolved</dt>
        <dd>{report.resolvedAt === null ? 'not yet' : <Time iso={report.resolvedAt} />}</dd>
        <dt>Duration</dt>
        <dd>
          {report.duration}
          {report.resolvedAt === null ? ' so far' : ''}
        </dd>
        <dt>Root cause</dt>
        <dd>{report.rootCause ?? 'under investigation'}</dd>
        <dt>Prevention</dt>
        <dd>{report.prevention ?? 'to be decided in the post-incident review'}</dd>
      </dl>
      <h3>Actions taken</h3>
      {report.actions.length === 0 ? (
        <p class="muted">No remediation ran.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Step</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Verification</th>
              </tr>
            </thead>
            <tbody>
              {report.actions.map((a, i) => (
                <tr key={i}>
                  <td data-label="Time">
                    <Time iso={a.at} />
                  </td>
                  <td data-label="Step">
                    {a.policy} {a.step}/{a.steps} {a.action}
                  </td>
                  <td data-label="Target">{a.target ?? '—'}</td>
                  <td data-label="Outcome">
                    {a.outcome}
                    {a.reason === null ? '' : ` (${a.reason})`}: {a.summary ?? ''}
                  </td>
                  <td data-label="Verification">{a.verification ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p>
        <a href={`/api/v1/incidents/${id}/report?format=markdown`} download={`incident-${id}.md`}>
          Download the report (Markdown)
        </a>
      </p>
    </section>
  );
}
