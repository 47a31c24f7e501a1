import { useCallback, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  describeError,
  isCallApproval,
  isRegistration,
  type AgentView,
  type AnyApproval,
  type LatchkeyApi,
  type ApprovalView,
  type ProviderSummary,
} from '../api';
import type { ViewId } from '../session';
import { useLiveEvents, type LiveEventHub } from '../live';
import { queryKeys } from '../queries';
import { routeHash } from '../route';
import { ActivityView } from './ActivityView';
import { AgentsView } from './AgentsView';
import { ApprovalsView } from './ApprovalsView';
import { AuditView } from './AuditView';
import { ConnectionsView } from './ConnectionsView';
import { KillSwitch, PausedBanner } from './KillSwitch';
import { ProvidersView } from './ProvidersView';
import { Notices, useNotices } from './Notices';
import { BrokerStatusLine } from './BrokerStatusLine';
import { KeyIcon } from './KeyIcon';

type Err = { code: string; description: string } | null;

const VIEWS: { id: ViewId; label: string }[] = [
  { id: 'connections', label: 'Connections' },
  { id: 'providers', label: 'Providers' },
  { id: 'agents', label: 'Agents' },
  { id: 'approvals', label: 'Approvals' },
  { id: 'activity', label: 'Activity' },
  { id: 'audit', label: 'Audit log' },
];

const errorOf = (error: unknown): Err => (error ? describeError(error) : null);

/** The signed-in dashboard: the broker's state (queried, kept live), the header with its status and kill switch, the tabs and the open view. */
export function Dashboard({
  api,
  hub,
  view,
  routeParams,
  onView,
  focusProvider,
  onFocusProvider,
}: {
  api: LatchkeyApi;
  /** Where the stream's events go on to the views (LiveEvents, provided around this dashboard). */
  hub: LiveEventHub;
  view: ViewId;
  routeParams: Record<string, string>;
  onView: (view: ViewId, params?: Record<string, string>) => void;
  focusProvider: { id: string; seq: number } | null;
  onFocusProvider: (id: string) => void;
}) {
  const queryClient = useQueryClient();
  const statusQuery = useQuery({ queryKey: queryKeys.status, queryFn: () => api.status() });
  const providersQuery = useQuery({ queryKey: queryKeys.providers, queryFn: () => api.providers() });
  const connectionsQuery = useQuery({ queryKey: queryKeys.connections, queryFn: () => api.connections() });
  const agentsQuery = useQuery({ queryKey: queryKeys.agents, queryFn: () => api.agents() });
  // One list behind two views of it: agents' authorization requests, and calls held for the person (ask-first grants).
  const approvalsQuery = useQuery({
    queryKey: queryKeys.approvals,
    queryFn: () => api.approvals(),
    select: (list) => list.filter(isRegistration),
  });
  const callsQuery = useQuery({
    queryKey: queryKeys.approvals,
    queryFn: () => api.approvals(),
    select: (list) => list.filter(isCallApproval),
  });
  const pausedQuery = useQuery({ queryKey: queryKeys.paused, queryFn: () => api.paused() });
  const status = statusQuery.data ?? null;
  const providers = providersQuery.data ?? null;
  const connections = connectionsQuery.data ?? null;
  const agents = agentsQuery.data ?? null;
  const approvals = approvalsQuery.data ?? null;
  const heldCalls = callsQuery.data ?? [];
  const paused = pausedQuery.data ?? null;
  const [pausing, setPausing] = useState(false);
  const { notices, notify, dismiss } = useNotices();

  const refetch = useCallback(
    (key: readonly string[]) => void queryClient.invalidateQueries({ queryKey: key }),
    [queryClient],
  );
  const live = useLiveEvents(api, (event) => {
    hub.publish(event);
    switch (event.type) {
      case 'audit-appended':
        if (event.data.kind === 'proxy') {
          refetch(queryKeys.activityAll);
          if (event.data.connection) refetch(queryKeys.connections); // its "last used"
        }
        if (event.data.session_id) refetch(queryKeys.sessionsAll); // a session started or ended, or its calls count grew
        return;
      case 'connection-changed':
      case 'flow-finished':
        refetch(queryKeys.connections);
        refetch(queryKeys.providers); // the provider cards count their connections
        if (event.type === 'connection-changed' && event.data.status === 'removed') refetch(queryKeys.agents); // grants on it went with it
        return;
      case 'agent-changed':
        refetch(queryKeys.agents);
        return;
      case 'approval-requested':
        notify(
          'info',
          event.data.kind === 'call'
            ? `${event.data.agent_name} waits for your approval to ${event.data.summary ?? 'make a call'}. Review it under Approvals.`
            : `${event.data.agent_name} asks for access. Review it under Approvals.`,
        );
        refetch(queryKeys.approvals);
        refetch(queryKeys.agents);
        return;
      case 'approval-decided':
        refetch(queryKeys.approvals);
        refetch(queryKeys.agents);
        return;
      case 'paused-changed':
        queryClient.setQueryData(queryKeys.paused, event.data.paused);
        return;
      case 'reset':
        void queryClient.invalidateQueries();
        return;
    }
  });

  async function changePaused(next: boolean) {
    setPausing(true);
    try {
      const now = await api.setPaused(next);
      queryClient.setQueryData(queryKeys.paused, now);
      notify(
        now ? 'info' : 'success',
        now ? 'Paused: every agent request is refused.' : 'Resumed: agents can use their grants again.',
      );
    } catch (e) {
      const { code, description } = describeError(e);
      notify('error', `Could not ${next ? 'pause' : 'resume'} agents: ${description} (${code})`);
    } finally {
      setPausing(false);
    }
  }

  const setProviders = (change: (list: ProviderSummary[]) => ProviderSummary[]) =>
    queryClient.setQueryData<ProviderSummary[]>(queryKeys.providers, (list) => change(list ?? []));
  const setAgent = (updated: AgentView) =>
    queryClient.setQueryData<AgentView[]>(
      queryKeys.agents,
      (list) => list?.map((a) => (a.id === updated.id ? updated : a)) ?? [updated],
    );
  const setApproval = (updated: ApprovalView) =>
    queryClient.setQueryData<AnyApproval[]>(
      queryKeys.approvals,
      (list) => list?.map((a) => (a.id === updated.id ? updated : a)) ?? [updated],
    );

  const openProviders = (providerId?: string) => {
    onView('providers');
    if (providerId) onFocusProvider(providerId);
  };

  const pendingCount = (approvals?.filter((a) => a.status === 'pending').length ?? 0) + heldCalls.length;
  const attention = connections?.filter((c) => c.status !== 'connected').length ?? 0;
  const counts: Record<ViewId, { count: number; note?: string; tone?: 'warn' | 'alert' } | null> = {
    connections:
      connections === null
        ? null
        : {
            count: connections.length,
            ...(attention > 0
              ? { tone: 'warn', note: `${attention} need${attention === 1 ? 's' : ''} attention` }
              : {}),
          },
    providers: providers === null ? null : { count: providers.length },
    agents: agents === null ? null : { count: agents.length },
    approvals:
      pendingCount > 0 ? { count: pendingCount, tone: 'alert', note: `${pendingCount} waiting for you` } : null,
    activity: null,
    audit: null,
  };

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <KeyIcon />
          <span>Latchkey</span>
        </div>
        <div className="topbar-end">
          <BrokerStatusLine status={status} error={errorOf(statusQuery.error)} live={live} />
          <KillSwitch paused={paused} busy={pausing} onChange={(next) => void changePaused(next)} />
        </div>
      </header>
      {paused ? <PausedBanner busy={pausing} onResume={() => void changePaused(false)} /> : null}
      <div className="layout">
        <nav className="sidebar" aria-label="Sections">
          {VIEWS.map((v) => {
            const badge = counts[v.id];
            return (
              <button
                key={v.id}
                type="button"
                className={`nav-item${view === v.id ? ' nav-item-active' : ''}`}
                aria-current={view === v.id ? 'page' : undefined}
                onClick={() => onView(v.id)}
                data-view={v.id}
              >
                <span>{v.label}</span>
                {badge ? (
                  <span className={`nav-count${badge.tone ? ` nav-count-${badge.tone}` : ''}`} title={badge.note}>
                    {badge.count}
                    {badge.note ? <span className="offscreen">, {badge.note}</span> : null}
                  </span>
                ) : null}
              </button>
            );
          })}
          <div className="sidebar-foot muted small">
            {window.latchkeyDesktop ? `Desktop app ${window.latchkeyDesktop.version}` : 'Browser dashboard'}
          </div>
        </nav>
        <main className="content">
          {view === 'connections' ? (
            <ConnectionsView
              api={api}
              connections={connections}
              providers={providers ?? []}
              secretStore={status?.secret_store ?? null}
              loadError={errorOf(connectionsQuery.error)}
              onChanged={() => refetch(queryKeys.connections)}
              onOpenProvider={openProviders}
              notify={notify}
            />
          ) : view === 'providers' ? (
            <ProvidersView
              api={api}
              providers={providers}
              connections={connections ?? []}
              secretStore={status?.secret_store ?? null}
              loadError={errorOf(providersQuery.error)}
              focusProvider={focusProvider}
              onProviderChanged={(updated) =>
                setProviders((list) => list.map((p) => (p.id === updated.id ? updated : p)))
              }
              onProviderAdded={(added) => setProviders((list) => [...list, added])}
              onConnected={() => refetch(queryKeys.connections)}
              notify={notify}
            />
          ) : view === 'agents' ? (
            <AgentsView
              api={api}
              agents={agents}
              approvals={approvals}
              loadError={errorOf(agentsQuery.error)}
              connections={connections ?? []}
              providers={providers ?? []}
              brokerUrl={status?.url ?? window.location.origin}
              onChanged={() => refetch(queryKeys.agents)}
              onAgentChanged={setAgent}
              onOpenApprovals={() => onView('approvals')}
              notify={notify}
            />
          ) : view === 'approvals' ? (
            <ApprovalsView
              api={api}
              approvals={approvals}
              heldCalls={heldCalls}
              loadError={errorOf(approvalsQuery.error)}
              connections={connections ?? []}
              providers={providers ?? []}
              onCallDecided={() => refetch(queryKeys.approvals)}
              onDecided={(updated) => {
                setApproval(updated);
                refetch(queryKeys.agents);
              }}
              notify={notify}
            />
          ) : view === 'activity' ? (
            <ActivityView api={api} onOpenAudit={(params) => onView('audit', params)} />
          ) : (
            <AuditView
              key={JSON.stringify(routeParams)}
              api={api}
              agents={agents ?? []}
              connections={connections ?? []}
              initialFilters={routeParams}
              onFiltersChanged={(params) =>
                window.history.replaceState(window.history.state, '', routeHash('audit', params))
              }
              notify={notify}
            />
          )}
        </main>
      </div>
      <Notices notices={notices} dismiss={dismiss} />
    </div>
  );
}
