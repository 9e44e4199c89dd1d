/**
 * `remediator replay`: what other policies would have done with history, before they act. From a
 * journal, the notifications it logged are folded again, offline, through a policies file, and
 * each incident's plans are compared with what was recorded; from Prometheus (a team without a
 * journal yet), notifications are rebuilt from the `ALERTS` series and the plans shown.
 */
import { episodesFromSeries, notificationsFrom } from '../alertmanager/from-series';
import { checkWebhookPayload, type WebhookPayload } from '../alertmanager/payload';
import { IncidentRecords } from '../journal/incident-records';
import { Journal } from '../journal/journal';
import { NotificationLog } from '../journal/notification-log';
import { PlanRecords } from '../journal/plan-records';
import { formatDuration, parseDuration } from '../labels/durations';
import { formatProblem } from '../policies/loader';
import {
  diffIncident,
  differs,
  summarisePlan,
  type IncidentDiff,
  type PlanSummary,
} from '../policies/plan-diff';
import type { PolicySet } from '../policies/policy';
import { Simulation, type SimulationStep } from '../policies/simulate';
import { readPolicyFile } from '../policies/store';
import { ACTIONS } from '../remediations/actions/index';
import { sourceConnection } from '../sources/http';
import { rangeQuery, SourceError, stepFor } from '../sources/prometheus';
import { EXIT, parseCommandLine, usageError, type CommandIo } from './command';

export const REPLAY_USAGE = `Usage: remediator replay --policies FILE|DIR [--data-dir DIR] [--since 7d] [options]
       remediator replay --policies FILE|DIR --from-prometheus URL [--since 24h] [options]

Folds history through a policies file, offline and without a cluster, and prints per incident
what those policies would plan. From a journal (--data-dir), the notifications remediator logged
are replayed in order, at the times they arrived, and compared with what was recorded: plans
added, removed and changed (by policy, trigger and target), and severities. From Prometheus
(--from-prometheus), notifications are rebuilt from the ALERTS series, grouped and timed as an
Alertmanager route would send them, and the plans are shown ("would have planned").

Options:
  --policies FILE|DIR      the policies to replay through (required)
  --data-dir DIR           the journal's data directory [default: $REMEDIATOR_DATA_DIR or ./data]
  --since DURATION         how far back, e.g. 7d, 24h [default: 7d; 24h from Prometheus]
  --json                   print JSON instead of text
  --all                    list every incident, not only those that differ
  --fail-on-change         exit 1 when any incident's plans or severity differ (for CI)
  --from-prometheus URL    rebuild notifications from Prometheus' ALERTS series instead; its
                           credentials, as for serve, from the files named by
                           $REMEDIATOR_PROMETHEUS_TOKEN_FILE (a bearer token) or
                           $REMEDIATOR_PROMETHEUS_USERNAME_FILE and _PASSWORD_FILE (basic auth),
                           never in the URL
  --group-by LABELS        the route's group_by, comma-separated [default: alertname]
  --group-wait DURATION    the route's group_wait [default: 30s]
  --group-interval DURATION  the route's group_interval [default: 5m]

What ALERTS cannot give: annotations (Prometheus keeps them in memory only), so a policy or a
severity rule whose value condition reads an annotation cannot be judged (they are listed); the
exact startsAt (first seen up to one step late); and repeats.

Exit status: 0 when replayed (and, with --fail-on-change, nothing differs), 1 when something
differs with --fail-on-change or a file or Prometheus cannot be read, 2 on a usage error.`;

const OPTIONS = {
  policies: { type: 'string' },
  'data-dir': { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  'fail-on-change': { type: 'boolean' },
  'from-prometheus': { type: 'string' },
  'group-by': { type: 'string' },
  'group-wait': { type: 'string' },
  'group-interval': { type: 'string' },
} as const;

/** Notifications read from the journal at a time. */
const PAGE = 1000;

/** One replayed incident as it builds up: its plans, its severity, the recorded one it matches. */
interface Replayed {
  readonly groupKey: string;
  recordedId?: number;
  severity: string;
  readonly plans: PlanSummary[];
}

export interface ReplayDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => number;
  readonly readFile: (path: string) => string;
}

const PROMETHEUS_ENV = 'REMEDIATOR_PROMETHEUS';

/** Prometheus' connection, its credentials from the same `_FILE` variables as `serve`'s. */
function prometheusConnection(url: string, deps: ReplayDeps): ReturnType<typeof sourceConnection> {
  const problems: string[] = [];
  const secret = (name: string): string | undefined => {
    const file = deps.env[`${PROMETHEUS_ENV}_${name}_FILE`];
    if (file === undefined) return undefined;
    try {
      return deps.readFile(file).trim();
    } catch (err) {
      problems.push(
        `${PROMETHEUS_ENV}_${name}_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
      return undefined;
    }
  };
  const secrets = {
    token: secret('TOKEN'),
    username: secret('USERNAME'),
    password: secret('PASSWORD'),
  };
  const result = sourceConnection(url, secrets, {
    what: 'Prometheus',
    env: PROMETHEUS_ENV,
    from: '--from-prometheus',
  });
  return problems.length > 0 ? { problems: [...problems, ...(result.problems ?? [])] } : result;
}

/** `remediator replay`. Resolves with the exit code. */
export async function replayCommand(
  argv: readonly string[],
  io: CommandIo,
  deps: ReplayDeps,
): Promise<number> {
  const args = parseCommandLine('replay', argv, OPTIONS, io);
  if (args === undefined) return EXIT.usage;
  const { values } = args;
  if (values.help === true) {
    io.out(`${REPLAY_USAGE}\n`);
    return EXIT.ok;
  }
  if (args.positionals.length > 0)
    return usageError('replay', `unexpected argument ${JSON.stringify(args.positionals[0])}`, io);
  if (values.policies === undefined)
    return usageError('replay', '--policies FILE|DIR is required', io);
  const fromPrometheus = values['from-prometheus'];
  const durations: Record<string, number | undefined> = {};
  for (const [name, fallback] of [
    ['since', fromPrometheus === undefined ? '7d' : '24h'],
    ['group-wait', '30s'],
    ['group-interval', '5m'],
  ] as const) {
    const text = values[name] ?? fallback;
    const ms = parseDuration(text);
    if (ms === undefined || ms === 0)
      return usageError('replay', `--${name} "${text}" is not a duration such as 30s or 7d`, io);
    durations[name] = ms;
  }
  const loaded = readPolicyFile(values.policies, ACTIONS);
  if (!loaded.ok) {
    io.err(
      `remediator replay: ${values.policies} is invalid:\n${loaded.problems.map((p) => `${formatProblem(p)}\n`).join('')}`,
    );
    return EXIT.failed;
  }
  const until = deps.now();
  const since = until - (durations.since ?? 0);
  const options = {
    json: values.json === true,
    all: values.all === true,
    failOnChange: values['fail-on-change'] === true,
  };
  try {
    if (fromPrometheus !== undefined) {
      return await fromPrometheusCommand(io, deps, loaded.policySet, {
        ...options,
        url: fromPrometheus,
        since,
        until,
        groupBy: (values['group-by'] ?? 'alertname').split(',').map((l) => l.trim()),
        groupWaitMs: durations['group-wait'] ?? 0,
        groupIntervalMs: durations['group-interval'] ?? 0,
      });
    }
    const dataDir = values['data-dir'] ?? deps.env.REMEDIATOR_DATA_DIR ?? './data';
    return fromJournal(io, loaded.policySet, { ...options, dataDir, since, until });
  } catch (err) {
    if (err instanceof SourceError || (err as { code?: unknown }).code === 'journal_unavailable') {
      io.err(`remediator replay: ${(err as Error).message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}

interface Output {
  readonly json: boolean;
  readonly all: boolean;
  readonly failOnChange: boolean;
}

function fromJournal(
  io: CommandIo,
  policySet: PolicySet,
  options: Output & { dataDir: string; since: number; until: number },
): number {
  const journal = Journal.openReadOnly(options.dataDir);
  const started = performance.now();
  try {
    const log = new NotificationLog(journal.db);
    const records = new IncidentRecords(journal.db);
    const plans = new PlanRecords(journal.db);
    const simulation = new Simulation(policySet);
    const replayed = new Map<number, Replayed>();
    let notifications = 0;
    let alerts = 0;
    let skipped = 0;
    for (let after = 0; ;) {
      const page = log.receivedBetween(options.since, options.until, after, PAGE);
      for (const stored of page) {
        after = stored.seq;
        const payload = parsePayload(stored.body);
        if (payload === undefined) {
          skipped++;
          continue;
        }
        notifications++;
        alerts += payload.alerts.length;
        const step = simulation.step({ payload, at: stored.receivedAt });
        const incident = record(replayed, payload, step);
        if (incident !== undefined) incident.recordedId ??= stored.incidentId;
      }
      if (page.length < PAGE) break;
    }
    const diffs = [...replayed.values()].map((incident) => {
      const recordedId = incident.recordedId;
      const recorded = recordedId === undefined ? undefined : records.get(recordedId);
      return diffIncident({
        groupKey: incident.groupKey,
        ...(recordedId === undefined ? {} : { recordedId }),
        recorded:
          recordedId === undefined
            ? []
            : plans
                .forIncident(recordedId)
                .filter((p) => p.steps.length > 0)
                .map(summarisePlan),
        replayed: incident.plans,
        ...(recorded === undefined ? {} : { recordedSeverity: `Sev${recorded.severity}` }),
        replayedSeverity: incident.severity,
      });
    });
    const changed = diffs.filter(differs);
    const seconds = (performance.now() - started) / 1000;
    const header = `${notifications} notifications (${alerts} alerts) logged from ${new Date(options.since).toISOString()} to ${new Date(options.until).toISOString()}, replayed through ${policySet.source} in ${seconds.toFixed(2)} s: ${diffs.length} incidents, ${changed.length} differ from what was recorded${skipped > 0 ? ` (${skipped} unreadable notifications skipped)` : ''}`;
    const shown = options.all ? diffs : changed;
    if (options.json) {
      io.out(
        `${JSON.stringify({ policies: policySet.source, since: new Date(options.since).toISOString(), until: new Date(options.until).toISOString(), notifications, alerts, incidents: diffs.length, differing: changed.length, diffs: shown }, null, 2)}\n`,
      );
    } else {
      io.out(`remediator replay: ${header}\n`);
      for (const diff of shown) io.out(`\n${describeDiff(diff)}`);
    }
    return options.failOnChange && changed.length > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    journal.close();
  }
}

async function fromPrometheusCommand(
  io: CommandIo,
  deps: ReplayDeps,
  policySet: PolicySet,
  options: Output & {
    url: string;
    since: number;
    until: number;
    groupBy: readonly string[];
    groupWaitMs: number;
    groupIntervalMs: number;
  },
): Promise<number> {
  const connection = prometheusConnection(options.url, deps);
  if (connection.problems !== undefined) {
    io.err(connection.problems.map((p) => `remediator replay: ${p}\n`).join(''));
    return EXIT.failed;
  }
  const stepMs = stepFor(options.since, options.until, 15_000);
  const series = await rangeQuery(connection.connection, 'ALERTS{alertstate="firing"}', {
    startMs: options.since,
    endMs: options.until,
    stepMs,
  });
  const alerts = series.map((s) =>
    episodesFromSeries(
      s.metric,
      s.samples.map(([t]) => t),
      stepMs,
      options.until,
    ),
  );
  const notifications = notificationsFrom(alerts, {
    groupBy: options.groupBy,
    groupWaitMs: options.groupWaitMs,
    groupIntervalMs: options.groupIntervalMs,
    receiver: 'remediator',
    externalURL: '',
    untilMs: options.until,
  });
  const simulation = new Simulation(policySet);
  const replayed = new Map<number, Replayed>();
  for (const { at, payload } of notifications) {
    record(replayed, payload, simulation.step({ payload, at }));
  }
  const unjudged = annotationConditions(policySet);
  const incidents = [...replayed.values()];
  const planning = incidents.filter((i) => i.plans.length > 0);
  if (options.json) {
    io.out(
      `${JSON.stringify(
        {
          policies: policySet.source,
          prometheus: options.url,
          since: new Date(options.since).toISOString(),
          until: new Date(options.until).toISOString(),
          series: series.length,
          notifications: notifications.length,
          incidents: (options.all ? incidents : planning).map((i) => ({
            groupKey: i.groupKey,
            severity: i.severity,
            plans: i.plans,
          })),
          cannotJudge: unjudged,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.out(
      `remediator replay: ${series.length} ALERTS series from ${options.url} over ${formatDuration(options.until - options.since)} (step ${formatDuration(stepMs)}), grouped by ${options.groupBy.join(', ')}: ${notifications.length} notifications, ${incidents.length} incidents, ${planning.length} with plans, through ${policySet.source}\n`,
    );
    if (unjudged.length > 0) {
      io.out(
        `\nNot judged (ALERTS carries no annotations, so these value conditions read nothing):\n${unjudged.map((u) => `  ${u}\n`).join('')}`,
      );
    }
    for (const incident of options.all ? incidents : planning) {
      io.out(
        `\nIncident ${incident.groupKey} (${incident.severity}) would have planned:\n${incident.plans.length === 0 ? '  nothing\n' : incident.plans.map((p) => `  ${describePlan(p)}\n`).join('')}`,
      );
    }
  }
  return EXIT.ok;
}

/** Adds a step's plans to its replayed incident; returns that incident. */
function record(
  replayed: Map<number, Replayed>,
  payload: WebhookPayload,
  step: SimulationStep,
): Replayed | undefined {
  if (step.incident === undefined) return undefined;
  let incident = replayed.get(step.incident.id);
  if (incident === undefined) {
    incident = { groupKey: payload.groupKey, severity: step.incident.severity, plans: [] };
    replayed.set(step.incident.id, incident);
  }
  incident.severity = step.incident.severity;
  incident.plans.push(...step.plan.map(summarisePlan));
  return incident;
}

function parsePayload(body: string): WebhookPayload | undefined {
  try {
    const check = checkWebhookPayload(JSON.parse(body));
    return check.ok ? check.payload : undefined;
  } catch {
    return undefined;
  }
}

/** Policies and severity rules a notification rebuilt from ALERTS cannot satisfy or refute. */
function annotationConditions(policySet: PolicySet): string[] {
  const out: string[] = [];
  for (const policy of policySet.policies) {
    if (policy.value?.source === 'annotation')
      out.push(`policy ${policy.name} (value: annotation ${policy.value.key})`);
  }
  for (const rule of policySet.severity.rules) {
    if (rule.value?.source === 'annotation')
      out.push(`severity rule Sev${rule.level} (value: annotation ${rule.value.key})`);
  }
  return out;
}

function describePlan(plan: PlanSummary): string {
  return `policy ${plan.policy} (${plan.trigger})${plan.target === null ? '' : ` on ${plan.target}`}: ${plan.steps.join(' → ')}`;
}

function describeDiff(diff: IncidentDiff): string {
  const severity =
    diff.severity.recorded === diff.severity.replayed
      ? (diff.severity.replayed ?? '')
      : `${diff.severity.recorded ?? '(none)'} → ${diff.severity.replayed ?? '(none)'}`;
  const lines = [
    `Incident ${diff.recordedId === undefined ? '(new)' : String(diff.recordedId)} ${diff.groupKey} ${severity}`,
    ...diff.added.map((p) => `  + would plan  ${describePlan(p)}`),
    ...diff.removed.map((p) => `  - would drop  ${describePlan(p)}`),
    ...diff.changed.flatMap((c) => [
      `  ~ would change ${describePlan(c.before)}`,
      `             to ${c.after.steps.join(' → ')}`,
    ]),
    ...(diff.same > 0 ? [`  = ${diff.same} plan(s) the same`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
