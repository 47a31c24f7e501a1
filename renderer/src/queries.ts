import { QueryClient } from '@tanstack/react-query';
import { useMemo, useRef } from 'react';
import type { ActivityRange, AuditEntry } from './api';

/** Every server list the dashboard shows lives in one TanStack Query cache under these keys. */
export const queryKeys = {
  status: ['status'],
  providers: ['providers'],
  connections: ['connections'],
  agents: ['agents'],
  approvals: ['approvals'],
  paused: ['paused'],
  activityAll: ['activity'],
  activity: (range: ActivityRange) => ['activity', range],
} as const;

/**
 * The broker's event stream keeps the cache true (live.ts invalidates what an event changed),
 * so nothing is refetched on a timer, on focus or merely because it was read before.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: 1 } },
  });
}

/** New audit entries as they commit, for the views that show them (the audit list is paged, so it is not a cached query). */
export interface AuditFeed {
  publish(entry: AuditEntry): void;
  publishReset(): void;
  subscribe(onEntry: (entry: AuditEntry) => void, onReset: () => void): () => void;
}

export function useAuditFeed(): AuditFeed {
  const listeners = useRef(new Set<{ onEntry: (entry: AuditEntry) => void; onReset: () => void }>());
  return useMemo(
    () => ({
      publish: (entry) => listeners.current.forEach((l) => l.onEntry(entry)),
      publishReset: () => listeners.current.forEach((l) => l.onReset()),
      subscribe: (onEntry, onReset) => {
        const listener = { onEntry, onReset };
        listeners.current.add(listener);
        return () => listeners.current.delete(listener);
      },
    }),
    [],
  );
}
