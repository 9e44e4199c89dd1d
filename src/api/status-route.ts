import type { Clock } from '../clock';
import type { Incident } from '../incidents/incident';
import type { IncidentRecords } from '../journal/incident-records';
import type { IncidentStore } from '../journal/incident-store';
import { statusPage } from '../notify/status-page';
import type { PolicySet } from '../policies/policy';
import type express from 'express';
import { route } from './http';
import type { StatusView } from './wire';

/** Open incidents the page reads at most, newest first. */
const MAX_OPEN = 200;
/** The page is computed at most this often, however many stakeholders ask. */
const CACHE_MS = 1000;
/** What the status page tells its clients to wait between two reads. */
export const STATUS_REFRESH_SECONDS = 10;

/**
 * `GET /api/v1/status`: the public status page's data (the page itself is `GET /status`). It reads
 * the open incidents from the store's cache (the journal for the others) at most once a second,
 * so that a page many people keep open costs the server next to nothing.
 */
export function statusRoute(
  app: express.Express,
  deps: {
    records: IncidentRecords;
    store: IncidentStore;
    policies: () => PolicySet;
    clock: Clock;
  },
): void {
  let cached: { at: number; view: StatusView } | undefined;
  const compute = (now: number): StatusView => {
    const open: Incident[] = [];
    for (const summary of deps.records.list({ status: 'open', limit: MAX_OPEN })) {
      const latest = deps.store.latest(summary.groupKey);
      const incident = latest?.id === summary.id ? latest : deps.records.get(summary.id);
      if (incident !== undefined) open.push(incident);
    }
    const page = statusPage(deps.policies().status, open);
    return {
      ...page,
      incidents: page.incidents.map((i) => ({
        ...i,
        startedAt: new Date(i.startedAt).toISOString(),
        updatedAt: new Date(i.updatedAt).toISOString(),
      })),
      updatedAt: new Date(now).toISOString(),
      refreshSeconds: STATUS_REFRESH_SECONDS,
    };
  };
  route(app, '/api/v1/status').get((_req, res) => {
    const now = deps.clock.now().getTime();
    if (cached === undefined || now - cached.at >= CACHE_MS || now < cached.at) {
      cached = { at: now, view: compute(now) };
    }
    res.setHeader('Cache-Control', `public, max-age=${CACHE_MS / 1000}`);
    res.json(cached.view);
  });
}
