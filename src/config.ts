import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors';
import { dns1123LabelProblem } from './kube/names';
import { parseDuration } from './labels/durations';
import { LOG_LEVELS, type LogLevel } from './logger';
import type { WebhookCredentials } from './receivers/auth';
import {
  ARGOCD_TRACKING_METHODS,
  DEFAULT_GITOPS_SETTINGS,
  type GitOpsSettings,
} from './remediations/gitops';
import type { JournalLocation } from './journal/journal';
import { sourceConnection, type SourceConnection } from './sources/http';

/**
 * Every `remediator serve` option: its flag, its environment variable, its default. This table is
 * the single source for parsing, `--help` and the README's configuration table (a test compares).
 * Secrets have no flag (a command line is visible to every user of the host): they come from
 * environment variables or, better, from files such as a mounted Kubernetes Secret.
 *
 * One idea, the configuration's table and its parsing, in one file of about 520 lines: most of it
 * is the table, which --help and the README are checked against.
 */
export interface OptionSpec {
  readonly name: string;
  readonly flag?: string;
  readonly env: string;
  readonly type: 'string' | 'integer' | 'boolean' | 'bytes';
  readonly default?: string;
  readonly description: string;
  readonly secret?: boolean;
}

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'port',
    flag: 'port',
    env: 'REMEDIATOR_PORT',
    type: 'integer',
    default: '9095',
    description: 'TCP port for the webhook, API, /metrics and health endpoints.',
  },
  {
    name: 'listen',
    flag: 'listen',
    env: 'REMEDIATOR_LISTEN',
    type: 'string',
    default: '0.0.0.0',
    description: 'Address to listen on (`127.0.0.1` to accept local clients only).',
  },
  {
    name: 'policies',
    flag: 'policies',
    env: 'REMEDIATOR_POLICIES',
    type: 'string',
    description:
      "Policies file (YAML), or a directory of them loaded as one set (every `*.yaml` but `*.test.yaml`, in name order). Without it the runbook's default severity rules apply and no remediation is planned.",
  },
  {
    name: 'dataDir',
    flag: 'data-dir',
    env: 'REMEDIATOR_DATA_DIR',
    type: 'string',
    default: './data',
    description:
      'Directory for the journal (`journal.db`, SQLite) unless `--journal` puts it elsewhere. Keep it on a persistent volume.',
  },
  {
    name: 'journal',
    flag: 'journal',
    env: 'REMEDIATOR_JOURNAL',
    type: 'string',
    description:
      'Where the journal is: `sqlite:PATH` (default: `journal.db` under `--data-dir`), or `postgres://USER@HOST:PORT/DATABASE` for several replicas sharing one (see deploy/k8s/overlays/ha). A password is refused in the flag, which every user of the host can read: put the whole URL in a file named by `REMEDIATOR_JOURNAL_FILE`, or use `PGPASSWORD`/`~/.pgpass`.',
  },
  {
    name: 'journalFile',
    env: 'REMEDIATOR_JOURNAL_FILE',
    type: 'string',
    description: 'File holding the journal URL, password included (a mounted Secret).',
  },
  {
    name: 'advertiseUrl',
    flag: 'advertise-url',
    env: 'REMEDIATOR_ADVERTISE_URL',
    type: 'string',
    description:
      "With a PostgreSQL journal: the URL other replicas reach this one's HTTP server at (in a cluster `http://$(POD_IP):PORT`). One replica at a time does the work; the others take webhooks and forward API requests to it there. Default: `http://LISTEN:PORT`, or the host name when listening on every address.",
  },
  {
    name: 'dryRun',
    flag: 'dry-run',
    env: 'REMEDIATOR_DRY_RUN',
    type: 'boolean',
    default: 'false',
    description:
      'Plan and record remediations without changing anything. Forced on when no Kubernetes credentials are found.',
  },
  {
    name: 'dryRunNotify',
    flag: 'dry-run-notify',
    env: 'REMEDIATOR_DRY_RUN_NOTIFY',
    type: 'boolean',
    default: 'true',
    description:
      "In a dry run (the server's or a policy's), `notify` steps still send their message, marked as a dry run: a notification changes nothing in any cluster, and it shows on-call what remediator would do. `false` records them as dry runs instead (`--dry-run-notify=false`). Escalations are never sent in a dry run.",
  },
  {
    name: 'maxBodyBytes',
    flag: 'max-body-bytes',
    env: 'REMEDIATOR_MAX_BODY_BYTES',
    type: 'bytes',
    default: '4MiB',
    description:
      'Largest webhook body accepted (bytes, or with a KiB/MiB suffix); larger ones get 413.',
  },
  {
    name: 'logLevel',
    flag: 'log-level',
    env: 'REMEDIATOR_LOG_LEVEL',
    type: 'string',
    default: 'info',
    description: 'One of error, warn, info, debug.',
  },
  {
    name: 'journalSync',
    flag: 'journal-sync',
    env: 'REMEDIATOR_JOURNAL_SYNC',
    type: 'string',
    default: 'normal',
    description:
      '`normal` (SQLite WAL, its recommended setting): an answered webhook survives a crash or kill of the process; `full`: it also survives a power cut, at one fsync per commit.',
  },
  {
    name: 'parallelSteps',
    flag: 'parallel-steps',
    env: 'REMEDIATOR_PARALLEL_STEPS',
    type: 'integer',
    default: '32',
    description:
      'Remediation steps run at once, across plans and targets (one target is never acted on twice at once). Each step makes a few Kubernetes requests; lower it to spare a busy API server.',
  },
  {
    name: 'shutdownTimeout',
    flag: 'shutdown-timeout',
    env: 'REMEDIATOR_SHUTDOWN_TIMEOUT',
    type: 'string',
    default: '10s',
    description:
      "On SIGTERM, no new step starts; steps already talking to the API server get this long to finish (keep it below the pod's `terminationGracePeriodSeconds`, 30 s by default). Whatever did not run stays journaled and the next start resumes it.",
  },
  {
    name: 'retention',
    flag: 'retention',
    env: 'REMEDIATOR_RETENTION',
    type: 'string',
    default: '30d',
    description:
      'How long resolved incidents (with their alerts, timeline, plans and steps) stay in the journal; open incidents are never pruned.',
  },
  {
    name: 'namespace',
    flag: 'namespace',
    env: 'REMEDIATOR_NAMESPACE',
    type: 'string',
    description:
      "remediator's own namespace, where its Leases (locks, cooldowns, budgets) live. In a cluster: the service account's namespace; elsewhere: the kubeconfig context's, else `default`.",
  },
  {
    name: 'instance',
    flag: 'instance',
    env: 'REMEDIATOR_INSTANCE',
    type: 'string',
    description:
      "This replica's name in Leases, Job names and Events. Default: the host name (the pod name in a cluster).",
  },
  {
    name: 'argocdNamespace',
    flag: 'argocd-namespace',
    env: 'REMEDIATOR_ARGOCD_NAMESPACE',
    type: 'string',
    default: 'argocd',
    description:
      "Argo CD's control-plane namespace, where the Application named by a workload's tracking id or label lives (an app elsewhere is written `<namespace>_<app>` and found there). deploy/k8s grants `get`/`patch` on Applications cluster-wide (the ClusterRole `remediator-gitops`).",
  },
  {
    name: 'argocdTrackingMethod',
    flag: 'argocd-tracking-method',
    env: 'REMEDIATOR_ARGOCD_TRACKING_METHOD',
    type: 'string',
    default: 'annotation',
    description:
      "How Argo CD marks what it manages, as its `application.resourceTrackingMethod` in `argocd-cm`: `annotation` (Argo CD 3's default) or `annotation+label` (the annotation `argocd.argoproj.io/tracking-id`), or `label` (the instance label, see `--argocd-instance-label`). A label names a candidate only: the Application is read, and one that does not exist manages nothing.",
  },
  {
    name: 'argocdInstanceLabel',
    flag: 'argocd-instance-label',
    env: 'REMEDIATOR_ARGOCD_INSTANCE_LABEL',
    type: 'string',
    default: 'app.kubernetes.io/instance',
    description:
      'The label Argo CD tracks by with `--argocd-tracking-method label` (its `application.instanceLabelKey`).',
  },
  {
    name: 'alertmanagerUrl',
    flag: 'alertmanager-url',
    env: 'REMEDIATOR_ALERTMANAGER_URL',
    type: 'string',
    description:
      "Alertmanager's base URL (e.g. `http://alertmanager-operated.monitoring.svc:9093`). At the end of a verify window, the plan's alerts are looked up in its API v2: an alert it no longer holds has resolved even if no resolved notification arrived, one it holds still fires. Needed by policies with `silence`. Credentials from `REMEDIATOR_ALERTMANAGER_TOKEN_FILE` or the basic-auth files, never in the URL.",
  },
  {
    name: 'alertmanagerTokenFile',
    env: 'REMEDIATOR_ALERTMANAGER_TOKEN_FILE',
    type: 'string',
    description:
      'File holding a bearer token for Alertmanager (e.g. an OAuth proxy in front of it).',
  },
  {
    name: 'alertmanagerUsernameFile',
    env: 'REMEDIATOR_ALERTMANAGER_USERNAME_FILE',
    type: 'string',
    description: "File holding the basic-auth user name for Alertmanager's API.",
  },
  {
    name: 'alertmanagerPasswordFile',
    env: 'REMEDIATOR_ALERTMANAGER_PASSWORD_FILE',
    type: 'string',
    description: "File holding the basic-auth password for Alertmanager's API.",
  },
  {
    name: 'prometheusUrl',
    flag: 'prometheus-url',
    env: 'REMEDIATOR_PROMETHEUS_URL',
    type: 'string',
    description:
      "Prometheus' base URL (e.g. `http://prometheus-operated.monitoring.svc:9090`), asked the PromQL queries of steps verified by one (`verify: { query }`); without it, policies with such steps are refused. Credentials from `REMEDIATOR_PROMETHEUS_TOKEN_FILE` or the basic-auth files, never in the URL.",
  },
  {
    name: 'prometheusTokenFile',
    env: 'REMEDIATOR_PROMETHEUS_TOKEN_FILE',
    type: 'string',
    description: 'File holding a bearer token for Prometheus.',
  },
  {
    name: 'prometheusUsernameFile',
    env: 'REMEDIATOR_PROMETHEUS_USERNAME_FILE',
    type: 'string',
    description: "File holding the basic-auth user name for Prometheus' API.",
  },
  {
    name: 'prometheusPasswordFile',
    env: 'REMEDIATOR_PROMETHEUS_PASSWORD_FILE',
    type: 'string',
    description: "File holding the basic-auth password for Prometheus' API.",
  },
  {
    name: 'slackSigningSecret',
    env: 'REMEDIATOR_SLACK_SIGNING_SECRET',
    type: 'string',
    secret: true,
    description:
      "The Slack app's signing secret: turns on `POST /slack/interactions`, where the Approve and Deny buttons of approval requests land (each request's signature is checked against it).",
  },
  {
    name: 'slackSigningSecretFile',
    env: 'REMEDIATOR_SLACK_SIGNING_SECRET_FILE',
    type: 'string',
    description: 'File holding the Slack signing secret (a mounted Secret).',
  },
  {
    name: 'mlflowUrl',
    flag: 'mlflow-url',
    env: 'REMEDIATOR_MLFLOW_URL',
    type: 'string',
    description:
      "MLflow tracking server's base URL (e.g. `http://mlflow.ml.svc:5000`), whose model registry `restore-model` steps with `mlflow:` use to point a registered model's alias (e.g. `champion`) back to the previous version; without it, policies with such steps are refused. Credentials from `REMEDIATOR_MLFLOW_TOKEN_FILE` or the basic-auth files, never in the URL.",
  },
  {
    name: 'mlflowTokenFile',
    env: 'REMEDIATOR_MLFLOW_TOKEN_FILE',
    type: 'string',
    description:
      'File holding a bearer token for the MLflow server (e.g. Databricks, or an auth proxy).',
  },
  {
    name: 'mlflowUsernameFile',
    env: 'REMEDIATOR_MLFLOW_USERNAME_FILE',
    type: 'string',
    description:
      "File holding the basic-auth user name for MLflow's API (`mlflow server --app-name basic-auth`).",
  },
  {
    name: 'mlflowPasswordFile',
    env: 'REMEDIATOR_MLFLOW_PASSWORD_FILE',
    type: 'string',
    description: "File holding the basic-auth password for MLflow's API.",
  },
  {
    name: 'webhookToken',
    env: 'REMEDIATOR_WEBHOOK_TOKEN',
    type: 'string',
    secret: true,
    description: 'Bearer token Alertmanager must send (`http_config.authorization`).',
  },
  {
    name: 'webhookTokenFile',
    env: 'REMEDIATOR_WEBHOOK_TOKEN_FILE',
    type: 'string',
    description:
      "File holding the bearer token (surrounding whitespace ignored, like Alertmanager's `credentials_file`).",
  },
  {
    name: 'webhookUsername',
    env: 'REMEDIATOR_WEBHOOK_USERNAME',
    type: 'string',
    secret: true,
    description: 'Basic-auth user name Alertmanager must send (`http_config.basic_auth`).',
  },
  {
    name: 'webhookUsernameFile',
    env: 'REMEDIATOR_WEBHOOK_USERNAME_FILE',
    type: 'string',
    description: 'File holding the basic-auth user name.',
  },
  {
    name: 'webhookPassword',
    env: 'REMEDIATOR_WEBHOOK_PASSWORD',
    type: 'string',
    secret: true,
    description: 'Basic-auth password.',
  },
  {
    name: 'webhookPasswordFile',
    env: 'REMEDIATOR_WEBHOOK_PASSWORD_FILE',
    type: 'string',
    description: 'File holding the basic-auth password.',
  },
];

export interface ServeConfig {
  readonly port: number;
  readonly listen: string;
  readonly policiesFile?: string;
  readonly dataDir: string;
  /** The SQLite file or the PostgreSQL URL (a secret: shown only through `redactUrl`); default `journal.db` under `dataDir`. */
  readonly journal?: JournalLocation;
  /** Where other replicas forward API requests to this one (PostgreSQL journal only). */
  readonly advertiseUrl?: string;
  readonly dryRun: boolean;
  /** Whether notify steps send (marked) in a dry run. */
  readonly dryRunNotify: boolean;
  readonly maxBodyBytes: number;
  readonly parallelSteps: number;
  readonly logLevel: LogLevel;
  readonly journalSync: 'full' | 'normal';
  readonly retentionMs: number;
  readonly shutdownTimeoutMs: number;
  readonly namespace?: string;
  readonly instance?: string;
  readonly credentials: WebhookCredentials;
  /** Where each configured credential came from, for the start-up log (never the values). */
  readonly credentialSources: readonly string[];
  /** Alertmanager's API, asked about alerts at verdicts and for silences. */
  readonly alertmanager?: SourceConnection;
  /** Prometheus' API, asked the queries of steps verified by PromQL. */
  readonly prometheus?: SourceConnection;
  /** The Slack app's signing secret, for `POST /slack/interactions`. */
  readonly slackSigningSecret?: string;
  /** MLflow's model registry, for `restore-model` with `mlflow:`. */
  readonly mlflow?: SourceConnection;
  /** How Argo CD and Flux mark what they manage (`gitops:` in policies). */
  readonly gitops: GitOpsSettings;
}

export interface ConfigInputs {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Reads a secret file; injected so parsing stays testable. */
  readFile: (path: string) => string;
}

/** Flags win over environment variables, which win over defaults. Every problem is listed. */
export function parseServeConfig(inputs: ConfigInputs): ServeConfig {
  const flagOptions: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const spec of SERVE_OPTIONS) {
    if (spec.flag !== undefined) flagOptions[spec.flag] = { type: flagType(spec) };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...inputs.argv],
      options: flagOptions,
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ConfigError(
      `remediator serve: ${(err as Error).message} (see remediator serve --help)`,
    );
  }

  const problems: string[] = [];
  const raw = (spec: OptionSpec): { value: string; from: string } | undefined => {
    const flagValue = spec.flag === undefined ? undefined : values[spec.flag];
    if (flagValue !== undefined) return { value: String(flagValue), from: `--${spec.flag ?? ''}` };
    const envValue = inputs.env[spec.env];
    if (envValue !== undefined && envValue !== '') return { value: envValue, from: spec.env };
    return spec.default === undefined ? undefined : { value: spec.default, from: 'default' };
  };
  const option = (name: string): OptionSpec => {
    const spec = SERVE_OPTIONS.find((s) => s.name === name);
    if (spec === undefined) throw new Error(`unknown option ${name}`);
    return spec;
  };
  const text = (name: string): string | undefined => raw(option(name))?.value;
  const integer = (name: string, min: number, max: number): number => {
    const given = raw(option(name));
    const n = Number(given?.value);
    if (given === undefined || !Number.isInteger(n) || n < min || n > max) {
      problems.push(
        `${given?.from ?? name}: ${JSON.stringify(given?.value)} is not an integer from ${min} to ${max}`,
      );
      return min;
    }
    return n;
  };
  const boolean = (name: string): boolean => {
    const given = raw(option(name));
    if (given === undefined) return false;
    if (/^(true|1|yes|on)$/i.test(given.value)) return true;
    if (/^(false|0|no|off)$/i.test(given.value)) return false;
    problems.push(`${given.from}: ${JSON.stringify(given.value)} is not a boolean (true or false)`);
    return false;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly [T, ...T[]]): T => {
    const given = raw(option(name));
    const value = given?.value as T;
    if (!allowed.includes(value)) {
      problems.push(
        `${given?.from ?? name}: ${JSON.stringify(given?.value)} must be one of ${allowed.join(', ')}`,
      );
      return allowed[0];
    }
    return value;
  };

  const port = integer('port', 0, 65535);
  const retention = raw(option('retention'));
  const retentionMs = parseDuration(retention?.value ?? '');
  if (retentionMs === undefined || retentionMs < 60_000) {
    problems.push(
      `${retention?.from ?? 'retention'}: ${JSON.stringify(retention?.value)} is not a duration of at least 1m (e.g. 7d, 720h)`,
    );
  }
  const shutdown = raw(option('shutdownTimeout'));
  const shutdownTimeoutMs = parseDuration(shutdown?.value ?? '');
  if (shutdownTimeoutMs === undefined || shutdownTimeoutMs > 3_600_000) {
    problems.push(
      `${shutdown?.from ?? 'shutdown-timeout'}: ${JSON.stringify(shutdown?.value)} is not a duration of at most 1h (e.g. 10s, 25s)`,
    );
  }
  const maxBody = raw(option('maxBodyBytes'));
  const maxBodyBytes = parseByteSize(maxBody?.value ?? '');
  if (maxBodyBytes === undefined) {
    problems.push(
      `${maxBody?.from ?? 'max-body-bytes'}: ${JSON.stringify(maxBody?.value)} is not a size (e.g. 4194304, 512KiB, 4MiB)`,
    );
  }

  const sources: string[] = [];
  const secret = (valueName: string, fileName: string): string | undefined => {
    const direct = raw(option(valueName));
    const file = raw(option(fileName));
    if (direct !== undefined && file !== undefined) {
      problems.push(`set ${option(valueName).env} or ${option(fileName).env}, not both`);
      return undefined;
    }
    if (file !== undefined) {
      try {
        const value = inputs.readFile(file.value).trim();
        if (value === '') problems.push(`${file.from}: ${file.value} is empty`);
        sources.push(
          `${option(valueName).env.replace('REMEDIATOR_', '').toLowerCase()} from file ${file.value}`,
        );
        return value;
      } catch (err) {
        problems.push(
          `${file.from}: cannot read ${file.value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
        return undefined;
      }
    }
    if (direct !== undefined) {
      sources.push(
        `${option(valueName).env.replace('REMEDIATOR_', '').toLowerCase()} from ${direct.from}`,
      );
      return direct.value;
    }
    return undefined;
  };
  const bearerToken = secret('webhookToken', 'webhookTokenFile');
  const username = secret('webhookUsername', 'webhookUsernameFile');
  const password = secret('webhookPassword', 'webhookPasswordFile');
  const slackSigningSecret = secret('slackSigningSecret', 'slackSigningSecretFile');
  if ((username === undefined) !== (password === undefined)) {
    problems.push(
      'basic auth needs both a user name and a password (REMEDIATOR_WEBHOOK_USERNAME[_FILE] and REMEDIATOR_WEBHOOK_PASSWORD[_FILE])',
    );
  }

  /** A source's URL and its credentials, read from files only. */
  const source = (
    name: 'alertmanager' | 'prometheus' | 'mlflow',
    what: string,
  ): SourceConnection | undefined => {
    const given = raw(option(`${name}Url`));
    const fromFile = (
      suffix: 'TokenFile' | 'UsernameFile' | 'PasswordFile',
    ): string | undefined => {
      const file = raw(option(`${name}${suffix}`));
      if (file === undefined) return undefined;
      try {
        const value = inputs.readFile(file.value).trim();
        if (value === '') problems.push(`${file.from}: ${file.value} is empty`);
        return value;
      } catch (err) {
        problems.push(
          `${file.from}: cannot read ${file.value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
        return undefined;
      }
    };
    const secrets = {
      token: fromFile('TokenFile'),
      username: fromFile('UsernameFile'),
      password: fromFile('PasswordFile'),
    };
    const env = option(`${name}Url`).env.replace('_URL', '');
    if (given === undefined) {
      if (secrets.token !== undefined || secrets.username !== undefined)
        problems.push(`${what}: credentials are given but no URL (${env}_URL)`);
      return undefined;
    }
    const result = sourceConnection(given.value, secrets, { what, env, from: given.from });
    if (result.problems !== undefined) {
      problems.push(...result.problems);
      return undefined;
    }
    return result.connection;
  };
  const journal = journalLocation(raw(option('journal')), raw(option('journalFile')), {
    dataDir: text('dataDir') ?? './data',
    readFile: inputs.readFile,
    problems,
  });
  const advertise = raw(option('advertiseUrl'));
  if (advertise !== undefined && !/^https?:\/\/[^/@\s]+(\/.*)?$/.test(advertise.value)) {
    problems.push(
      `${advertise.from}: ${JSON.stringify(advertise.value)} is not an http(s) URL without credentials`,
    );
  }
  const alertmanager = source('alertmanager', 'Alertmanager');
  const prometheus = source('prometheus', 'Prometheus');
  const mlflow = source('mlflow', 'MLflow');

  const config: ServeConfig = {
    port,
    listen: text('listen') ?? '0.0.0.0',
    ...(text('policies') === undefined ? {} : { policiesFile: text('policies') }),
    dataDir: text('dataDir') ?? './data',
    journal,
    ...(advertise === undefined ? {} : { advertiseUrl: advertise.value.replace(/\/+$/, '') }),
    dryRun: boolean('dryRun'),
    dryRunNotify: boolean('dryRunNotify'),
    maxBodyBytes: maxBodyBytes ?? 0,
    parallelSteps: integer('parallelSteps', 1, 1000),
    logLevel: oneOf('logLevel', LOG_LEVELS),
    journalSync: oneOf('journalSync', ['normal', 'full'] as const),
    retentionMs: retentionMs ?? 0,
    shutdownTimeoutMs: shutdownTimeoutMs ?? 0,
    ...(text('namespace') === undefined ? {} : { namespace: text('namespace') }),
    ...(text('instance') === undefined ? {} : { instance: text('instance') }),
    credentials: {
      ...(bearerToken === undefined ? {} : { bearerToken }),
      ...(username !== undefined && password !== undefined
        ? { basicAuth: { username, password } }
        : {}),
    },
    credentialSources: sources,
    ...(alertmanager === undefined ? {} : { alertmanager }),
    ...(prometheus === undefined ? {} : { prometheus }),
    ...(slackSigningSecret === undefined ? {} : { slackSigningSecret }),
    ...(mlflow === undefined ? {} : { mlflow }),
    gitops: {
      argocdNamespace: text('argocdNamespace') ?? DEFAULT_GITOPS_SETTINGS.argocdNamespace,
      argocdTracking: oneOf('argocdTrackingMethod', ARGOCD_TRACKING_METHODS),
      argocdInstanceLabel:
        text('argocdInstanceLabel') ?? DEFAULT_GITOPS_SETTINGS.argocdInstanceLabel,
    },
  };
  const argocdNamespaceProblem = dns1123LabelProblem(config.gitops.argocdNamespace);
  if (argocdNamespaceProblem !== undefined)
    problems.push(
      `argocd namespace ${JSON.stringify(config.gitops.argocdNamespace)} ${argocdNamespaceProblem}`,
    );
  if (problems.length > 0)
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}

/**
 * `--journal` / `REMEDIATOR_JOURNAL` or the URL in `REMEDIATOR_JOURNAL_FILE`: a SQLite path or a
 * PostgreSQL URL. Problems never quote a URL (it may carry a password).
 */
function journalLocation(
  given: { value: string; from: string } | undefined,
  file: { value: string; from: string } | undefined,
  context: { dataDir: string; readFile: (path: string) => string; problems: string[] },
): JournalLocation {
  const fallback: JournalLocation = { kind: 'sqlite', path: join(context.dataDir, 'journal.db') };
  if (given !== undefined && file !== undefined) {
    context.problems.push(
      'set REMEDIATOR_JOURNAL (--journal) or REMEDIATOR_JOURNAL_FILE, not both',
    );
    return fallback;
  }
  let value = given?.value;
  const from = given?.from ?? file?.from ?? '';
  if (file !== undefined) {
    try {
      value = context.readFile(file.value).trim();
    } catch (err) {
      context.problems.push(
        `${file.from}: cannot read ${file.value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
      return fallback;
    }
  }
  if (value === undefined) return fallback;
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length);
    if (path === '')
      context.problems.push(`${from}: sqlite: needs a path (sqlite:/data/journal.db)`);
    return { kind: 'sqlite', path: path || fallback.path };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      context.problems.push(`${from}: the PostgreSQL URL cannot be parsed`);
      return fallback;
    }
    if (url.password !== '' && from === '--journal') {
      context.problems.push(
        '--journal: a password in the command line is readable by every user of the host; put the URL in a file named by REMEDIATOR_JOURNAL_FILE',
      );
    }
    if (url.pathname.length <= 1)
      context.problems.push(`${from}: the PostgreSQL URL names no database`);
    return { kind: 'postgres', url: value };
  }
  context.problems.push(
    `${from}: the journal must be sqlite:PATH or a postgres:// URL (got ${JSON.stringify(value.split(':')[0])}…)`,
  );
  return fallback;
}

/**
 * A boolean that is off by default is a switch (`--dry-run`); one that is on by default takes a
 * value, so that it can be turned off (`--dry-run-notify=false`).
 */
export function flagType(spec: OptionSpec): 'boolean' | 'string' {
  return spec.type === 'boolean' && spec.default !== 'true' ? 'boolean' : 'string';
}

/** `4194304`, `512KiB`, `4MiB`, `1GiB` (also `KB`/`MB` as powers of 1000) → bytes. */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$/i.exec(text);
  if (match === null) return undefined;
  const units: Record<string, number> = {
    b: 1,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
  };
  const bytes = Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1);
  return Number.isSafeInteger(Math.floor(bytes)) && bytes >= 1 ? Math.floor(bytes) : undefined;
}
