import { createContext, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { LatchkeyApi, LiveEvent } from './api';
import { EventStreamParser } from './sse';

export type LiveState = 'connecting' | 'live' | 'offline';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * Follows the broker's event stream while mounted: one fetch() stream, reconnected with
 * Last-Event-ID after a drop (backing off up to 10 s while the broker is unreachable).
 * A reconnect that cannot resume (no id yet, or the broker answers `reset`) reports `reset`.
 */
export function useLiveEvents(api: LatchkeyApi, onEvent: (event: LiveEvent) => void): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    const abort = new AbortController();
    let lastId: string | null = null;
    let failures = 0;
    let connectedBefore = false;

    const follow = async (): Promise<void> => {
      while (!abort.signal.aborted) {
        try {
          const body = await api.events(lastId, abort.signal);
          setState('live');
          // Events between the drop and now are lost without an id to resume from.
          if (connectedBefore && lastId === null) handler.current({ type: 'reset', data: {} });
          connectedBefore = true;
          failures = 0;
          const parser = new EventStreamParser();
          const decoder = new TextDecoder();
          const reader = body.getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            for (const event of parser.push(decoder.decode(value, { stream: true }))) {
              if (event.id) lastId = event.id;
              handler.current({ type: event.type, data: JSON.parse(event.data) } as LiveEvent);
            }
          }
        } catch (error) {
          if (abort.signal.aborted) return;
          // 401 ends the session (the api's onUnauthorized unmounts this); anything else is retried.
          if ((error as { unauthorized?: boolean }).unauthorized) return;
        }
        if (abort.signal.aborted) return;
        setState('offline');
        const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** failures++);
        await new Promise((resolve) => window.setTimeout(resolve, wait));
      }
    };
    void follow();
    return () => abort.abort();
  }, [api]);

  return state;
}

/** Passes the stream's events on to the components that follow them (the audit list, connect flows). */
export interface LiveEventHub {
  publish(event: LiveEvent): void;
  subscribe(listener: (event: LiveEvent) => void): () => void;
}

export function useLiveEventHub(): LiveEventHub {
  const listeners = useRef(new Set<(event: LiveEvent) => void>());
  return useMemo(
    () => ({
      publish: (event) => listeners.current.forEach((listener) => listener(event)),
      subscribe: (listener) => {
        listeners.current.add(listener);
        return () => listeners.current.delete(listener);
      },
    }),
    [],
  );
}

/** The dashboard's hub; outside a dashboard (no provider) nothing is ever published. */
export const LiveEvents = createContext<LiveEventHub>({ publish: () => {}, subscribe: () => () => {} });

export const useLiveEventsHub = (): LiveEventHub => useContext(LiveEvents);
