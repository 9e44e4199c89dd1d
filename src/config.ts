import { parseArgs } from 'node:util';
import { ConfigError } from './errors';
import { durationMs } from './policies/compile';
import { durationSchema } from './remediations/action';
import { LOG_LEVELS, type LogLevel } from './logger';
import type { WebhookCredentials } from './receivers/auth';

/**
 * Every `remediator serve` option: its flag, its environment variable, its default. This table is
 * the single source for parsing, `--help` and the README's configuration table (a test compares).
 * Secrets have no flag (a command line is visible to every user of the host): they come from
 * environment variables or, better, from files such as a mounted Kubernetes Secret.
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
      "Policies file (YAML). Without it the runbook's default severity rules apply and no remediation is planned.",
  },
  {
    name: 'dataDir',
    flag: 'data-dir',
    env: 'REMEDIATOR_DATA_DIR',
    type: 'string',
    default: './data',
    description:
      'Directory for the journal (`journal.db`, SQLite). Keep it on a persistent volume.',
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
  readonly dryRun: boolean;
  readonly maxBodyBytes: number;
  readonly parallelSteps: number;
  readonly logLevel: LogLevel;
  readonly journalSync: 'full' | 'normal';
  readonly retentionMs: number;
  readonly namespace?: string;
  readonly instance?: string;
  readonly credentials: WebhookCredentials;
  /** Where each configured credential came from, for the start-up log (never the values). */
  readonly credentialSources: readonly string[];
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
    if (spec.flag !== undefined)
      flagOptions[spec.flag] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
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
  if ((username === undefined) !== (password === undefined)) {
    problems.push(
      'basic auth needs both a user name and a password (REMEDIATOR_WEBHOOK_USERNAME[_FILE] and REMEDIATOR_WEBHOOK_PASSWORD[_FILE])',
    );
  }

  const config: ServeConfig = {
    port,
    listen: text('listen') ?? '0.0.0.0',
    ...(text('policies') === undefined ? {} : { policiesFile: text('policies') }),
    dataDir: text('dataDir') ?? './data',
    dryRun: boolean('dryRun'),
    maxBodyBytes: maxBodyBytes ?? 0,
    parallelSteps: integer('parallelSteps', 1, 1000),
    logLevel: oneOf('logLevel', LOG_LEVELS),
    journalSync: oneOf('journalSync', ['normal', 'full'] as const),
    retentionMs: retentionMs ?? 0,
    ...(text('namespace') === undefined ? {} : { namespace: text('namespace') }),
    ...(text('instance') === undefined ? {} : { instance: text('instance') }),
    credentials: {
      ...(bearerToken === undefined ? {} : { bearerToken }),
      ...(username !== undefined && password !== undefined
        ? { basicAuth: { username, password } }
        : {}),
    },
    credentialSources: sources,
  };
  if (problems.length > 0)
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}

/** `30d`, `720h`, `1h30m` (units largest first, as in policies) → milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(durationSchema.pattern).test(text)) return undefined;
  return durationMs(text);
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
