import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../errors';
import type { TimelineEntry } from '../incidents/incident';
import type { Logger } from '../logger';
import { timelineEntryView } from './views';
import type { IncidentSummaryView, LiveEventMap } from './wire';

export interface LiveEventsOptions {
  logger: Logger;
  /** The incidents a batch of changes named, as lists show them (missing ones left out). */
  describe: (ids: readonly number[]) => readonly IncidentSummaryView[];
  /** The global pause now, for the first event of a connection. */
  paused: () => boolean;
  /** A comment line this often keeps proxies from closing an idle stream; default 15 s. */
  heartbeatMs?: number;
  /** Streams open at once; more are refused with 503. Default 100. */
  maxClients?: number;
  /**
   * Bytes a client may leave unread before it is dropped (its EventSource reconnects and reloads
   * what it shows); default 256 KiB.
   */
  maxBufferedBytes?: number;
}

/** Timeline entries sent per incident and batch; a client that needs more reloads the incident. */
const MAX_ENTRIES_PER_BATCH = 100;
/** Incidents read and sent per turn of the event loop; the rest wait for the next turns. */
const MAX_INCIDENTS_PER_TURN = 100;
/** What an EventSource waits before it reconnects. */
const RETRY_MS = 3000;

/**
 * `GET /api/v1/events`: incident changes, their timeline entries and the pause, as server-sent
 * events (`hello`, `incident`, `timeline`, `pause`; see `LiveEventMap`), for the console and any
 * other client. Fed by the incident store's commits and the pause switch.
 *
 * The webhook's hot path does none of the work: with no client connected a change is dropped at
 * once; with clients, it is noted in a map and the work (reading the incident, serialising, one
 * write per client) runs at the next turn of the event loop, after the webhook has answered, once
 * for everything that changed in that turn, at most 100 incidents a turn (an alert storm's
 * thousands of groups are sent over several turns, with webhooks answered between them). A client that does not read is dropped once its
 * unread bytes pass `maxBufferedBytes`, so a stalled browser cannot make the server hold memory.
 */
export class LiveEvents {
  private readonly clients = new Set<ServerResponse>();
  /** Incidents changed since the last flush, with the timeline entries they added. */
  private readonly changed = new Map<number, TimelineEntry[]>();
  private pause: boolean | undefined;
  private scheduled = false;
  private nextId = 1;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly maxClients: number;
  private readonly maxBufferedBytes: number;

  constructor(private readonly options: LiveEventsOptions) {
    this.maxClients = options.maxClients ?? 100;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 256 * 1024;
  }

  /** Streams open now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** An incident changed (committed), adding these timeline entries. */
  incidentChanged(incident: { readonly id: number }, timeline: readonly TimelineEntry[]): void {
    if (this.clients.size === 0) return;
    let entries = this.changed.get(incident.id);
    if (entries === undefined) {
      entries = [];
      this.changed.set(incident.id, entries);
    }
    for (const entry of timeline) {
      if (entries.length >= MAX_ENTRIES_PER_BATCH) break;
      entries.push(entry);
    }
    this.schedule();
  }

  /** The global pause changed (journaled). */
  pauseChanged(paused: boolean): void {
    if (this.clients.size === 0) return;
    this.pause = paused;
    this.schedule();
  }

  /** Takes a `GET /api/v1/events` request: the stream stays open until the client leaves. */
  connect(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed || this.clients.size >= this.maxClients) {
      res.statusCode = 503;
      res.setHeader('Retry-After', '10');
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(
        JSON.stringify({
          error: 'unavailable',
          message: this.closed
            ? 'the server is stopping'
            : `${this.maxClients} event streams are open already; try again later`,
        }),
      );
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // nginx (and ingress-nginx) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    req.socket.setNoDelay(true);
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopHeartbeat();
    });
    this.send(
      res,
      `retry: ${RETRY_MS}\n\n${this.frame('hello', { paused: this.options.paused() })}`,
    );
    this.startHeartbeat();
  }

  /** Ends every stream (at shutdown, so that the server can close). */
  close(): void {
    this.closed = true;
    this.stopHeartbeat();
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.changed.clear();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.flush();
    });
  }

  private flush(): void {
    this.scheduled = false;
    const changed: [number, TimelineEntry[]][] = [];
    for (const item of this.changed) {
      if (changed.length >= MAX_INCIDENTS_PER_TURN) break;
      changed.push(item);
    }
    for (const [id] of changed) this.changed.delete(id);
    if (this.changed.size > 0) this.schedule();
    const pause = this.pause;
    this.pause = undefined;
    if (this.clients.size === 0) return;
    let chunk = pause === undefined ? '' : this.frame('pause', { paused: pause });
    if (changed.length > 0) {
      let views: readonly IncidentSummaryView[] = [];
      try {
        views = this.options.describe(changed.map(([id]) => id));
      } catch (err) {
        // The journal could not be read: the clients miss this change, not the server.
        this.options.logger.error('live events: cannot read the changed incidents', {
          error: describeError(err),
        });
      }
      for (const view of views) chunk += this.frame('incident', view);
      for (const [id, entries] of changed) {
        if (entries.length === 0) continue;
        chunk += this.frame('timeline', {
          incident: id,
          entries: entries.map(timelineEntryView),
        });
      }
    }
    if (chunk === '') return;
    for (const res of this.clients) this.send(res, chunk);
  }

  /** One event: JSON has no raw line breaks, so `data` is always one line. */
  private frame<K extends keyof LiveEventMap>(event: K, data: LiveEventMap[K]): string {
    return `id: ${this.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  private send(res: ServerResponse, chunk: string): void {
    if (res.writableLength + Buffer.byteLength(chunk) > this.maxBufferedBytes) {
      this.options.logger.info('live events: a client that stopped reading was dropped', {
        unreadBytes: res.writableLength,
      });
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined) return;
    this.heartbeat = setInterval(() => {
      for (const res of this.clients) this.send(res, ': keep-alive\n\n');
    }, this.options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
