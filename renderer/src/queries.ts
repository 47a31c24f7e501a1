import { QueryClient } from '@tanstack/react-query';
import type { ActivityRange } from './api';

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
  sessionsAll: ['sessions'],
  sessions: (agentId: string) => ['sessions', agentId],
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
