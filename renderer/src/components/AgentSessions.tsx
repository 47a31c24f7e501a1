import { useQuery } from '@tanstack/react-query';
import type { LatchkeyApi } from '../api';
import { fromNow, fullDate } from '../format';
import { queryKeys } from '../queries';

/** The agent's live `latchkey exec` sessions (command, pid, started, calls); nothing when it has none. */
export function AgentSessions({ api, agentId }: { api: LatchkeyApi; agentId: string }) {
  const sessions =
    useQuery({ queryKey: queryKeys.sessions(agentId), queryFn: () => api.agentSessions(agentId) }).data ?? [];
  if (sessions.length === 0) return null;
  return (
    <ul className="small" aria-label="Live exec sessions" data-testid="agent-sessions">
      {sessions.map((s) => (
        <li key={s.id} data-session={s.id}>
          <code>{s.command}</code>
          {s.pid !== null ? ` (pid ${s.pid})` : ''}, started{' '}
          <span title={fullDate(s.started_at)}>{fromNow(s.started_at) ?? '—'}</span>, {s.calls} call
          {s.calls === 1 ? '' : 's'}
          {s.held ? '' : ' — reconnecting'}
        </li>
      ))}
    </ul>
  );
}
