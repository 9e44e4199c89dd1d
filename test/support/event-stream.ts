import { get, type IncomingMessage } from 'node:http';

/** One server-sent event as a client parses it. */
export interface ReceivedEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: any;
}

/** A client of `GET /api/v1/events` that keeps everything it received, parsed. */
export interface EventStream {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly events: ReceivedEvent[];
  /** `retry:` values and `:` comment lines (keep-alives). */
  readonly retries: string[];
  readonly comments: string[];
  /** Resolves once the server ended or cut the stream. */
  readonly ended: Promise<void>;
  /** Waits (up to `timeoutMs`) for an event that satisfies `match`; returns it. */
  next(match: (e: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  close(): void;
}

/** Opens the stream and resolves once the response headers are in. */
export function openEvents(url: string): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const req = get(`${url}/api/v1/events`, { headers: { Accept: 'text/event-stream' } }, (res) => {
      const events: ReceivedEvent[] = [];
      const retries: string[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
            }
          }
          if (fields.retry !== undefined) retries.push(fields.retry);
          if (fields.data !== undefined) {
            events.push({
              ...(fields.id === undefined ? {} : { id: fields.id }),
              event: fields.event ?? 'message',
              data: JSON.parse(fields.data),
            });
          }
        }
        for (const wake of waiters) wake();
      });
      const ended = new Promise<void>((done) => {
        res.on('close', () => done());
        res.on('error', () => done());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        retries,
        comments,
        ended,
        next: (match, timeoutMs = 5000) =>
          new Promise((found, fail) => {
            const check = () => {
              const hit = events.find(match);
              if (hit === undefined) return;
              clearTimeout(timer);
              waiters.delete(check);
              found(hit);
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`no such event in ${timeoutMs} ms; got ${JSON.stringify(events)}`));
            }, timeoutMs);
            waiters.add(check);
            check();
          }),
        close: () => {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
  });
}
