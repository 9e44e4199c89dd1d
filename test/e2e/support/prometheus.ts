import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnManaged, type ManagedProcess } from './processes';
import { GiveUp, waitFor } from './wait';

/** One alert as Prometheus's `/api/v1/alerts` shows it. */
export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface PrometheusOptions {
  binary: string;
  dir: string;
  port: number;
  alertmanagerPort: number;
  /** Rule files to load (already rewritten to seconds). */
  ruleFiles: readonly string[];
  /** Scrape targets: job name → `host:port` and the static labels of the target. */
  targets: readonly { job: string; address: string; labels?: Record<string, string> }[];
}

export interface Prometheus {
  readonly url: string;
  readonly port: number;
  readonly process: ManagedProcess;
  readonly configFile: string;
  /** An instant query; returns the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Pending and firing alerts. */
  alerts(): Promise<PromAlert[]>;
  /** Alerts of one name in one state (firing by default). */
  alertsNamed(name: string, state?: 'pending' | 'firing'): Promise<PromAlert[]>;
  /** Waits until Prometheus has discovered the Alertmanager and scraped every target (`up` 1). */
  ready(timeoutMs: number): Promise<void>;
}

export function prometheusConfig(options: PrometheusOptions): string {
  return stringify({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    alerting: {
      alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${options.alertmanagerPort}`] }] }],
    },
    rule_files: [...options.ruleFiles],
    scrape_configs: options.targets.map((t) => ({
      job_name: t.job,
      // The service's series carry namespace/deployment/service themselves; the same labels on
      // the target give them to `up` too (ServiceDown reads them), without an exported_ prefix.
      honor_labels: true,
      static_configs: [{ targets: [t.address], ...(t.labels ? { labels: t.labels } : {}) }],
    })),
  });
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${await res.text()}`);
  return res.json();
}

export function startPrometheus(options: PrometheusOptions): Prometheus {
  mkdirSync(join(options.dir, 'prometheus-data'), { recursive: true });
  const configFile = join(options.dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(options));
  const url = `http://127.0.0.1:${options.port}`;
  const process = spawnManaged(
    'prometheus',
    options.binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      `--web.external-url=${url}`,
      '--web.enable-lifecycle',
      '--log.level=info',
    ],
    { logFile: join(options.dir, 'logs', 'prometheus.log'), cwd: options.dir },
  );
  const query: Prometheus['query'] = async (expr) => {
    const body = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return body.data.result;
  };
  const alerts = async (): Promise<PromAlert[]> =>
    (await getJson(`${url}/api/v1/alerts`)).data.alerts;
  return {
    url,
    port: options.port,
    process,
    configFile,
    query,
    alerts,
    alertsNamed: async (name, state = 'firing') =>
      (await alerts()).filter((a) => a.labels.alertname === name && a.state === state),
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const dead = () => {
        if (process.exit !== undefined) {
          throw new GiveUp(
            `prometheus exited (${JSON.stringify(process.exit)}) before it was ready:\n${process.tail(30)}`,
          );
        }
      };
      // Prometheus 2.42 discovers its Alertmanager about 5 s after start; no flag shortens it.
      await waitFor(
        async () => {
          dead();
          const body = await getJson(`${url}/api/v1/alertmanagers`);
          const active: { url: string }[] = body.data.activeAlertmanagers ?? [];
          return active.some((a) => a.url.includes(`127.0.0.1:${options.alertmanagerPort}`));
        },
        `prometheus (${url}) to discover the Alertmanager on port ${options.alertmanagerPort}`,
        Math.max(1000, deadline - Date.now()),
        { context: () => process.tail(30) },
      );
      for (const target of options.targets) {
        await waitFor(
          async () => {
            dead();
            const result = await query(`up{job="${target.job}"}`);
            return result.some((r) => r.value[1] === '1');
          },
          `prometheus to scrape ${target.job} (${target.address}) successfully`,
          Math.max(1000, deadline - Date.now()),
          { context: () => process.tail(30) },
        );
      }
    },
  };
}
