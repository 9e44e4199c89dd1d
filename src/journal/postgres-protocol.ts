/** What the main thread and the PostgreSQL worker (`postgres-worker.ts`) say to each other. */

/** Slots of the shared Int32Array. */
export const SHARED = {
  /** 1 once an answer was posted (the main thread resets it before it asks). */
  ready: 0,
  /** 1 while the worker holds a session. */
  connected: 1,
  /** Counts sessions: a transaction or a fence belongs to the session it began in. */
  epoch: 2,
  /** 1 once the fenced (leader's) session was lost: this process must stop acting. */
  fenceLost: 3,
} as const;
export const SHARED_SLOTS = 4;

export interface WorkerData {
  url: string;
  applicationName: string;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  shared: SharedArrayBuffer;
  port: unknown;
}

export type PostgresRequest =
  | { id: number; type: 'connect' | 'fence' | 'close' }
  /** Connect in the background if there is no session; answered by nothing. */
  | { id: number; type: 'reconnect' }
  | {
      id: number;
      type: 'query';
      sql: string;
      params: unknown[];
      /** The session the caller's transaction or fence began in; 0 for any. */
      epoch: number;
    };

export type PostgresResponse =
  | { id: number; rows: Record<string, unknown>[]; rowCount: number }
  | { id: number; error: { message: string; code: string } };
