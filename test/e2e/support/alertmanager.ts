import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnManaged, type ManagedProcess } from './processes';
import { sumSeries } from './remediator';
import { GiveUp, waitFor } from './wait';

/** One alert as Alertmanager's API v2 shows it. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  status: {
    state: 'active' | 'suppressed' | 'unprocessed';
    silencedBy: string[];
    inhibitedBy: string[];
  };
  receivers: { name: string }[];
}

export interface AlertmanagerTimings {
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
}

export const FAST_TIMINGS: AlertmanagerTimings = {
  groupWait: '1s',
  groupInterval: '2s',
  repeatInterval: '10s',
};

export interface AlertmanagerOptions {
  binary: string;
  dir: string;
  port: number;
  /** One receiver per webhook URL (remediator instances), each with the bearer token file. */
  webhooks: readonly { name: string; url: string }[];
  tokenFile: string;
  timings?: Partial<AlertmanagerTimings>;
  /** The root route's `group_by`; default `[alertname, namespace, deployment]`, as in the README. */
  groupBy?: readonly string[];
  /** The webhooks' `send_resolved`; default true. */
  sendResolved?: boolean;
  /** Called with every log line (logfmt). */
  onLine?: (line: string) => void;
}

export interface Alertmanager {
  readonly url: string;
  readonly port: number;
  readonly process: ManagedProcess;
  readonly configFile: string;
  /** Alerts from API v2 (active, silenced and inhibited ones included), filtered by matchers. */
  alerts(filter?: Record<string, string>): Promise<AmAlert[]>;
  /** The active alerts named `name`. */
  alertsFiring(name: string, filter?: Record<string, string>): Promise<AmAlert[]>;
  /**
   * The sum of the series of `name` in Alertmanager's `/metrics` whose labels include `labels`,
   * e.g. `alertmanager_notifications_total{integration="webhook"}` (deliveries it really made).
   */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  ready(timeoutMs: number): Promise<void>;
}

/**
 * One receiver per remediator: with one, the root route's receiver, as in the README (group keys
 * `{}:{...}`); with several, one child route each with `continue: true`, so each gets every group.
 */
export function alertmanagerConfig(options: AlertmanagerOptions): string {
  const timings = { ...FAST_TIMINGS, ...options.timings };
  const receivers = options.webhooks.map((w) => ({
    name: w.name,
    webhook_configs: [
      {
        url: w.url,
        send_resolved: options.sendResolved ?? true,
        max_alerts: 0,
        http_config: {
          authorization: { type: 'Bearer', credentials_file: options.tokenFile },
        },
      },
    ],
  }));
  const first = options.webhooks[0];
  if (first === undefined) throw new Error('alertmanagerConfig: no webhook');
  return stringify({
    route: {
      receiver: first.name,
      group_by: [...(options.groupBy ?? ['alertname', 'namespace', 'deployment'])],
      group_wait: timings.groupWait,
      group_interval: timings.groupInterval,
      repeat_interval: timings.repeatInterval,
      ...(options.webhooks.length > 1
        ? { routes: options.webhooks.map((w) => ({ receiver: w.name, continue: true })) }
        : {}),
    },
    receivers,
  });
}

export function startAlertmanager(options: AlertmanagerOptions): Alertmanager {
  const storage = join(options.dir, 'alertmanager-data');
  mkdirSync(storage, { recursive: true });
  const configFile = join(options.dir, 'alertmanager.yml');
  writeFileSync(configFile, alertmanagerConfig(options));
  const url = `http://127.0.0.1:${options.port}`;
  const process = spawnManaged(
    'alertmanager',
    options.binary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${storage}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      `--web.external-url=${url}`,
      // Empty: no HA gossip listener on 0.0.0.0:9094.
      '--cluster.listen-address=',
      '--log.level=debug',
    ],
    {
      logFile: join(options.dir, 'logs', 'alertmanager.log'),
      cwd: options.dir,
      ...(options.onLine ? { onLine: options.onLine } : {}),
    },
  );
  const alerts = async (filter: Record<string, string> = {}): Promise<AmAlert[]> => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) params.append('filter', `${k}="${v}"`);
    const res = await fetch(`${url}/api/v2/alerts?${params.toString()}`, {
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`GET /api/v2/alerts: HTTP ${res.status}: ${await res.text()}`);
    return (await res.json()) as AmAlert[];
  };
  const metricsText = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`GET alertmanager /metrics: HTTP ${res.status}`);
    return res.text();
  };
  return {
    url,
    port: options.port,
    process,
    configFile,
    alerts,
    alertsFiring: async (name, filter = {}) =>
      (await alerts({ ...filter, alertname: name })).filter((a) => a.status.state === 'active'),
    metric: async (name, labels = {}) => sumSeries(await metricsText(), name, labels),
    async ready(timeoutMs) {
      await waitFor(
        async () => {
          if (process.exit !== undefined) {
            throw new GiveUp(
              `alertmanager exited (${JSON.stringify(process.exit)}) before it was ready:\n${process.tail(30)}`,
            );
          }
          const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
          return res.status === 200;
        },
        `alertmanager (${url}) to answer /-/ready`,
        timeoutMs,
        { context: () => process.tail(30), intervalMs: 100 },
      );
    },
  };
}
