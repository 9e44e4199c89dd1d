import { useEffect, useRef } from 'preact/hooks';
import type { LiveEventMap } from '../api/wire';
import { Store } from './store';

/** The live connection as the header shows it. */
export interface LiveState {
  readonly connected: boolean;
  /** The global pause; null until the server said. */
  readonly paused: boolean | null;
}

export const liveState = new Store<LiveState>({ connected: false, paused: null });

type EventName = keyof LiveEventMap;
const EVENTS: readonly EventName[] = ['hello', 'incident', 'timeline', 'pause'];
const handlers = new Map<EventName, Set<(data: never) => void>>();

/**
 * One `EventSource` on `/api/v1/events` for the whole console. The browser reconnects it by
 * itself; every connection starts with `hello`, on which pages reload what they show (events
 * sent while it was away are not replayed).
 */
let source: EventSource | undefined;

export function startLive(): void {
  if (source !== undefined) return;
  const events = new EventSource('/api/v1/events');
  source = events;
  for (const name of EVENTS) {
    events.addEventListener(name, (event) => {
      let data: unknown;
      try {
        data = JSON.parse((event as MessageEvent<string>).data);
      } catch {
        return;
      }
      if (name === 'hello' || name === 'pause') {
        liveState.set({ connected: true, paused: (data as { paused: boolean }).paused });
      }
      for (const handler of handlers.get(name) ?? []) (handler as (d: unknown) => void)(data);
    });
  }
  events.addEventListener('error', () => {
    liveState.set({ ...liveState.value, connected: false });
  });
}

/** Calls `handler` with every event of that name while the component is shown. */
export function useLiveEvent<K extends EventName>(
  name: K,
  handler: (data: LiveEventMap[K]) => void,
): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const set = handlers.get(name) ?? new Set();
    handlers.set(name, set);
    const call = (data: LiveEventMap[K]) => {
      latest.current(data);
    };
    set.add(call);
    return () => set.delete(call);
  }, [name]);
}
