import { JournalError } from '../errors';
import { renderReportMarkdown, reportData } from '../notify/report';
import { IncidentRecords } from '../journal/incident-records';
import { Journal } from '../journal/journal';
import { PlanRecords } from '../journal/plan-records';
import { RemediationRecords } from '../journal/remediation-records';
import { EXIT, parseCommandLine, usageError, type CommandIo } from './command';

export const REPORT_USAGE = `Usage: remediator report ID [--data-dir DIR] [--format markdown|json]

Prints the post-incident report of incident ID from the journal: summary (severity and its
reasons, impact, duration, root cause, prevention), alerts, the actions taken with their outcomes
and verification, and the timeline. Reads the journal directly (a running server may keep
using it); the same report is served at GET /api/v1/incidents/ID/report.

  --data-dir DIR    the server's data directory [default: $REMEDIATOR_DATA_DIR or ./data]
  --format FORMAT   markdown (default) or json

Exit status: 0 when printed, 1 when there is no such incident or no journal, 2 on a usage error.`;

/** `remediator report ID`: the post-incident document, from the journal. Returns the exit code. */
export function reportCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo,
  now: () => number = Date.now,
): number {
  const args = parseCommandLine(
    'report',
    argv,
    { 'data-dir': { type: 'string' }, format: { type: 'string' } },
    io,
  );
  if (args === undefined) return EXIT.usage;
  if (args.values.help === true) {
    io.out(`${REPORT_USAGE}\n`);
    return EXIT.ok;
  }
  const [idText, ...extra] = args.positionals;
  const id = Number(idText);
  if (idText === undefined || extra.length > 0 || !Number.isSafeInteger(id) || id < 1) {
    return usageError('report', 'give one incident id', io);
  }
  const format = args.values.format ?? 'markdown';
  if (format !== 'markdown' && format !== 'json')
    return usageError('report', 'format must be markdown or json', io);

  let journal: Journal;
  try {
    journal = Journal.openReadOnly(args.values['data-dir'] ?? env.REMEDIATOR_DATA_DIR ?? './data');
  } catch (err) {
    io.err(`remediator report: ${err instanceof JournalError ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
  try {
    const incidents = new IncidentRecords(journal.db);
    const incident = incidents.get(id);
    if (incident === undefined) {
      io.err(`remediator report: no incident ${id} in ${journal.path}\n`);
      return EXIT.failed;
    }
    const report = reportData({
      incident,
      timeline: incidents.timeline(id),
      plans: new PlanRecords(journal.db).forIncident(id),
      remediations: new RemediationRecords(journal.db).forIncident(id),
      now: now(),
    });
    io.out(
      format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderReportMarkdown(report),
    );
    return EXIT.ok;
  } finally {
    journal.close();
  }
}
