import { formatProblem } from '../policies/loader';
import { simulate, type SimulatedNotification } from '../policies/simulate';
import { readPolicyFile } from '../policies/store';
import { ACTIONS } from '../remediations/actions/index';
import { durationMs, durationSchema, formatDuration } from '../labels/durations';
import { EXIT, parseCommandLine, usageError, type CommandIo } from './command';
import { simulationStepJson } from '../policies/plan-view';
import { readPayloadFile } from './test-file';

export const PLAN_USAGE = `Usage: remediator plan --policies FILE [--interval DURATION] [--dry-run] PAYLOAD.json...

Shows what remediator would decide for Alertmanager webhook payloads, without touching a cluster:
the payloads are fed, in order, as successive notifications through the same pure decisions the
server makes (incident, severity, policies, plan), and the result is printed as JSON.

Options:
  --policies FILE        the policies file (required)
  --interval DURATION    time between two notifications, e.g. 30s [default: 0s]
  --dry-run              plan as a server in dry-run mode would (--dry-run, or no Kubernetes
                         credentials): every plan's "dryRun" is then true, as it will run

Output (stdout): {"policies": FILE, "notifications": [{"payload": FILE, "at": "0s", "groupKey",
"changed", "incident": {"id", "status", "severity", "severityReasons", "heldOpen"}, "plan": [{"policy",
"trigger", "target", "steps": [{"action", "params", "verify"}], "dryRun", "autoResolve",
"alertnames", "alerts", "reason"}], "skips": [{"policy", "trigger", "code", "reason", "alerts"}],
"timeline": [...]}]}

Exit status: 0 on success, 1 when the policies file or a payload is invalid, 2 on a usage error.`;

/** `remediator plan`: what would happen for these payloads. Returns the exit code. */
export function planCommand(argv: readonly string[], io: CommandIo): number {
  const args = parseCommandLine(
    'plan',
    argv,
    { policies: { type: 'string' }, interval: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    io,
  );
  if (args === undefined) return EXIT.usage;
  if (args.values.help === true) {
    io.out(`${PLAN_USAGE}\n`);
    return EXIT.ok;
  }
  const { policies: policiesFile, interval = '0s' } = args.values;
  if (policiesFile === undefined) return usageError('plan', '--policies FILE is required', io);
  if (args.positionals.length === 0) return usageError('plan', 'no payload file given', io);
  if (!new RegExp(durationSchema.pattern).test(interval)) {
    return usageError(
      'plan',
      `--interval "${interval}" is not a duration such as 0s, 30s or 5m`,
      io,
    );
  }
  const step = durationMs(interval);

  const policies = readPolicyFile(policiesFile, ACTIONS);
  if (!policies.ok) {
    io.err(
      `remediator plan: ${policiesFile} is invalid:\n${policies.problems.map((p) => `${formatProblem(p)}\n`).join('')}`,
    );
    return EXIT.failed;
  }
  const notifications: SimulatedNotification[] = [];
  const problems: string[] = [];
  args.positionals.forEach((file, i) => {
    const read = readPayloadFile(file);
    if (read.ok) notifications.push({ payload: read.payload, at: i * step });
    else problems.push(`remediator plan: ${read.message}\n`);
  });
  if (problems.length > 0) {
    io.err(problems.join(''));
    return EXIT.failed;
  }

  const steps = simulate(policies.policySet, notifications, {
    dryRun: args.values['dry-run'] === true,
  });
  const output = {
    policies: policiesFile,
    notifications: steps.map((s, i) => ({
      payload: args.positionals[i],
      at: formatDuration(i * step),
      groupKey: notifications[i]?.payload.groupKey,
      ...simulationStepJson(s),
    })),
  };
  io.out(`${JSON.stringify(output, null, 2)}\n`);
  return EXIT.ok;
}
