import { DEFAULT_GITOPS_SETTINGS } from '../../src/remediations/gitops';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServeConfig } from '../../src/config';
import { createMemoryLogger } from '../../src/logger';
import { serve, type RunningServer, type ServeOptions } from '../../src/serve';
import { FIXTURE_TOKEN } from './fixtures';

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  /** Every log line, parsed. */
  readonly lines: Record<string, unknown>[];
}

/** A temporary data directory, removed by the returned function. */
export function tempDir(prefix = 'remediator-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A real `remediator serve` in this process, on 127.0.0.1 and a port the OS picks, with the
 * fixtures' bearer token, no Kubernetes credentials (dry-run) and a memory logger.
 */
export async function startServer(
  overrides: Partial<ServeConfig> & { dataDir: string },
  options: ServeOptions = {},
): Promise<TestServer> {
  const { logger, lines } = createMemoryLogger();
  const config: ServeConfig = {
    port: 0,
    listen: '127.0.0.1',
    dryRun: false,
    dryRunNotify: true,
    maxBodyBytes: 4 * 1024 * 1024,
    parallelSteps: 32,
    logLevel: 'debug',
    journalSync: 'normal',
    retentionMs: 30 * 24 * 3600_000,
    shutdownTimeoutMs: 10_000,
    credentials: { bearerToken: FIXTURE_TOKEN },
    credentialSources: ['webhook_token from test'],
    gitops: DEFAULT_GITOPS_SETTINGS,
    ...overrides,
  };
  // A KUBECONFIG that does not exist: no credentials, even on a machine with ~/.kube/config.
  const running = await serve(config, {
    logger,
    env: { KUBECONFIG: '/nonexistent/kubeconfig' },
    processMetrics: false,
    ...options,
  });
  // Not a spread: it would read the leader-only getters (executor, projector) once, now.
  return Object.assign(running, { dataDir: overrides.dataDir, lines });
}

export const AUTH = { Authorization: `Bearer ${FIXTURE_TOKEN}` };

/**
 * The incident a notification the webhook accepted (its answer's `notification`) fed, once the
 * projection has applied it; undefined for a repeat of a group that has none.
 */
export async function incidentOfNotification(
  server: RunningServer,
  notification: number,
): Promise<number | undefined> {
  await server.projector.idle();
  const row = server.journal.db
    .prepare<[number], { incident_id: number | null }>(
      'SELECT incident_id FROM notifications WHERE seq = ?',
    )
    .get(notification);
  if (row?.incident_id !== null && row?.incident_id !== undefined) return row.incident_id;
  // A repeat links to nothing: its group's latest incident is the one it belongs to.
  const body = server.journal.db
    .prepare<[number], { body: string }>('SELECT body FROM notifications WHERE seq = ?')
    .get(notification);
  if (body === undefined) return undefined;
  const groupKey = (JSON.parse(body.body) as { groupKey: string }).groupKey;
  return server.journal.db
    .prepare<[string], { id: number }>(
      'SELECT id FROM incidents WHERE group_key = ? ORDER BY id DESC LIMIT 1',
    )
    .get(groupKey)?.id;
}
