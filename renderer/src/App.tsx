import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  describeError,
  LatchkeyApi,
  type AgentView,
  type ApprovalView,
  type BrokerStatus,
  type Connection,
  type ProviderSummary,
} from './api';
import { consumeFragment, forgetToken, type LaunchParams, type ViewId } from './session';
import { fromNow, fullDate, secretPlace } from './format';
import { useVisiblePolling } from './hooks';
import { AgentsView } from './components/AgentsView';
import { ApprovalsView } from './components/ApprovalsView';
import { AuditView } from './components/AuditView';
import { ConnectionsView } from './components/ConnectionsView';
import { KillSwitch, PausedBanner } from './components/KillSwitch';
import { ProvidersView } from './components/ProvidersView';
import { Notices, useNotices } from './components/Notices';

type Err = { code: string; description: string } | null;

const VIEWS: { id: ViewId; label: string }[] = [
  { id: 'connections', label: 'Connections' },
  { id: 'providers', label: 'Providers' },
  { id: 'agents', label: 'Agents' },
  { id: 'approvals', label: 'Approvals' },
  { id: 'audit', label: 'Audit log' },
];

const REFRESH_EVERY_MS = 30_000;
/** An agent waits on the consent page while the person decides: notice new requests quickly. */
const APPROVALS_EVERY_MS = 2000;

export function App({ initialToken, initialLaunch }: { initialToken: string | null; initialLaunch: LaunchParams }) {
  const [token, setToken] = useState(initialToken);
  const [rejected, setRejected] = useState(false);
  const [view, setView] = useState<ViewId>(initialLaunch.view ?? (initialLaunch.provider ? 'providers' : 'connections'));
  const [focusProvider, setFocusProvider] = useState<{ id: string; seq: number } | null>(
    initialLaunch.provider ? { id: initialLaunch.provider, seq: 0 } : null,
  );

  // The desktop shell (and a second click on a dashboard link) may load a new fragment into this page.
  useEffect(() => {
    const onHash = () => {
      const { token: next, launch } = consumeFragment();
      if (next && next !== token) {
        setToken(next);
        setRejected(false);
      }
      if (launch.view || launch.provider) setView(launch.view ?? 'providers');
      if (launch.provider) setFocusProvider((f) => ({ id: launch.provider as string, seq: (f?.seq ?? 0) + 1 }));
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [token]);

  const api = useMemo(
    () =>
      token
        ? new LatchkeyApi(token, () => {
            forgetToken();
            setRejected(true);
          })
        : null,
    [token],
  );

  if (!api || rejected) return <NeedsLink rejected={rejected} />;
  return (
    <Dashboard
      api={api}
      view={view}
      onView={setView}
      focusProvider={focusProvider}
      onFocusProvider={(id) => setFocusProvider((f) => ({ id, seq: (f?.seq ?? 0) + 1 }))}
    />
  );
}

function Dashboard({
  api,
  view,
  onView,
  focusProvider,
  onFocusProvider,
}: {
  api: LatchkeyApi;
  view: ViewId;
  onView: (view: ViewId) => void;
  focusProvider: { id: string; seq: number } | null;
  onFocusProvider: (id: string) => void;
}) {
  const [status, setStatus] = useState<BrokerStatus | null>(null);
  const [statusError, setStatusError] = useState<Err>(null);
  const [providers, setProviders] = useState<ProviderSummary[] | null>(null);
  const [providersError, setProvidersError] = useState<Err>(null);
  const [connections, setConnections] = useState<Connection[] | null>(null);
  const [connectionsError, setConnectionsError] = useState<Err>(null);
  const [agents, setAgents] = useState<AgentView[] | null>(null);
  const [agentsError, setAgentsError] = useState<Err>(null);
  const [approvals, setApprovals] = useState<ApprovalView[] | null>(null);
  const [approvalsError, setApprovalsError] = useState<Err>(null);
  const [paused, setPaused] = useState<boolean | null>(null);
  const [pausing, setPausing] = useState(false);
  const { notices, notify, dismiss } = useNotices();

  const loadConnections = useCallback(async () => {
    try {
      setConnections(await api.connections());
      setConnectionsError(null);
    } catch (e) {
      setConnectionsError(describeError(e));
    }
  }, [api]);

  const loadStatus = useCallback(async () => {
    try {
      setStatus(await api.status());
      setStatusError(null);
    } catch (e) {
      setStatusError(describeError(e));
    }
  }, [api]);

  const loadAgents = useCallback(async () => {
    try {
      setAgents(await api.agents());
      setAgentsError(null);
    } catch (e) {
      setAgentsError(describeError(e));
    }
  }, [api]);

  const loadPaused = useCallback(async () => {
    try {
      setPaused(await api.paused());
    } catch {
      // Not known: the switch keeps its last state (disabled until one is known).
    }
  }, [api]);

  // Pending requests already seen, to announce only new ones (none on the first load).
  const seenPending = useRef<Set<string> | null>(null);
  const loadApprovals = useCallback(async () => {
    try {
      const list = await api.approvals();
      setApprovals(list);
      setApprovalsError(null);
      const pending = list.filter((a) => a.status === 'pending');
      const fresh = seenPending.current === null ? [] : pending.filter((a) => !seenPending.current?.has(a.id));
      seenPending.current = new Set(pending.map((a) => a.id));
      for (const a of fresh) notify('info', `${a.agent_name} asks for access. Review it under Approvals.`);
      // A new request comes with a new (pending) agent.
      if (fresh.length > 0) void loadAgents();
    } catch (e) {
      setApprovalsError(describeError(e));
    }
  }, [api, notify, loadAgents]);

  useEffect(() => {
    void loadStatus();
    void loadConnections();
    void loadAgents();
    void loadPaused();
    api.providers().then(
      (list) => {
        setProviders(list);
        setProvidersError(null);
      },
      (e: unknown) => setProvidersError(describeError(e)),
    );
  }, [api, loadConnections, loadStatus, loadAgents, loadPaused]);

  useVisiblePolling(loadApprovals, APPROVALS_EVERY_MS);

  // Keep statuses and "last used" fresh while the page is visible, and catch up when it comes back.
  useEffect(() => {
    const tick = () => {
      if (document.visibilityState === 'visible') {
        void loadConnections();
        void loadStatus();
        void loadPaused();
      }
    };
    const timer = window.setInterval(tick, REFRESH_EVERY_MS);
    document.addEventListener('visibilitychange', tick);
    window.addEventListener('focus', tick);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', tick);
      window.removeEventListener('focus', tick);
    };
  }, [loadConnections, loadStatus, loadPaused]);

  async function changePaused(next: boolean) {
    setPausing(true);
    try {
      const now = await api.setPaused(next);
      setPaused(now);
      notify(now ? 'info' : 'success', now ? 'Paused: every agent request is refused.' : 'Resumed: agents can use their grants again.');
    } catch (e) {
      const { code, description } = describeError(e);
      notify('error', `Could not ${next ? 'pause' : 'resume'} agents: ${description} (${code})`);
    } finally {
      setPausing(false);
    }
  }

  const openProviders = (providerId?: string) => {
    onView('providers');
    if (providerId) onFocusProvider(providerId);
  };

  const pendingCount = approvals?.filter((a) => a.status === 'pending').length ?? 0;
  const attention = connections?.filter((c) => c.status !== 'connected').length ?? 0;
  const counts: Record<ViewId, { count: number; note?: string; tone?: 'warn' | 'alert' } | null> = {
    connections:
      connections === null
        ? null
        : { count: connections.length, ...(attention > 0 ? { tone: 'warn', note: `${attention} need${attention === 1 ? 's' : ''} attention` } : {}) },
    providers: providers === null ? null : { count: providers.length },
    agents: agents === null ? null : { count: agents.length },
    approvals: pendingCount > 0 ? { count: pendingCount, tone: 'alert', note: `${pendingCount} waiting for you` } : null,
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
          <BrokerStatusLine status={status} error={statusError} />
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
              loadError={connectionsError}
              onChanged={() => void loadConnections()}
              onOpenProvider={openProviders}
              notify={notify}
            />
          ) : view === 'providers' ? (
            <ProvidersView
              api={api}
              providers={providers}
              connections={connections ?? []}
              secretStore={status?.secret_store ?? null}
              loadError={providersError}
              focusProvider={focusProvider}
              onProviderChanged={(updated) =>
                setProviders((list) => list?.map((p) => (p.id === updated.id ? updated : p)) ?? [updated])
              }
              onProviderAdded={(added) => setProviders((list) => [...(list ?? []), added])}
              onConnected={() => void loadConnections()}
              notify={notify}
            />
          ) : view === 'agents' ? (
            <AgentsView
              api={api}
              agents={agents}
              approvals={approvals}
              loadError={agentsError}
              connections={connections ?? []}
              providers={providers ?? []}
              brokerUrl={status?.url ?? window.location.origin}
              onChanged={() => void loadAgents()}
              onAgentChanged={(updated) => setAgents((list) => list?.map((a) => (a.id === updated.id ? updated : a)) ?? [updated])}
              onOpenApprovals={() => onView('approvals')}
              notify={notify}
            />
          ) : view === 'approvals' ? (
            <ApprovalsView
              api={api}
              approvals={approvals}
              loadError={approvalsError}
              connections={connections ?? []}
              providers={providers ?? []}
              onDecided={(updated) => {
                setApprovals((list) => list?.map((a) => (a.id === updated.id ? updated : a)) ?? [updated]);
                void loadAgents();
              }}
              notify={notify}
            />
          ) : (
            <AuditView api={api} agents={agents ?? []} connections={connections ?? []} notify={notify} />
          )}
        </main>
      </div>
      <Notices notices={notices} dismiss={dismiss} />
    </div>
  );
}

function BrokerStatusLine({ status, error }: { status: BrokerStatus | null; error: Err }) {
  if (error) {
    return (
      <div className="broker-status broker-status-down" role="status" title={`${error.description} (${error.code})`}>
        <span className="status-dot" aria-hidden="true" /> Broker unreachable
      </div>
    );
  }
  if (!status) return <div className="broker-status muted">Connecting…</div>;
  return (
    <div className="broker-status" role="status" data-testid="broker-status">
      <span className="status-dot" aria-hidden="true" />
      <span>Running</span>
      <span className="sep">·</span>
      <span>v{status.version}</span>
      <span className="sep">·</span>
      <span title={`Secrets are kept in ${secretPlace(status.secret_store)}`}>
        {status.secret_store === 'keychain' ? 'Keychain' : 'Encrypted file'}
      </span>
      <span className="sep hide-narrow">·</span>
      <span className="hide-narrow" title={`Started ${fullDate(status.started_at) ?? ''} · data in ${status.data_dir}`}>
        started {fromNow(status.started_at)}
      </span>
    </div>
  );
}

function NeedsLink({ rejected }: { rejected: boolean }) {
  return (
    <div className="gate">
      <div className="card gate-card" role="alert" data-testid="needs-link">
        <KeyIcon large />
        <h1>Open the dashboard link printed by <code>latchkey serve</code> (or from the tray)</h1>
        <p className="muted">
          {rejected
            ? 'The broker did not accept this page’s admin token — the link is probably from an earlier run of Latchkey.'
            : 'This page needs the admin token that comes in that link. It stays in this tab only and is removed from the address bar.'}
        </p>
        <ul className="muted small gate-list">
          <li>
            In a terminal: run <code>latchkey serve</code> and open the <code>http://127.0.0.1:…/#admin=…</code> link it prints.
          </li>
          <li>
            In the desktop app: choose <strong>Open Latchkey</strong> from the tray menu.
          </li>
        </ul>
      </div>
    </div>
  );
}

function KeyIcon({ large = false }: { large?: boolean }) {
  const size = large ? 40 : 22;
  return (
    <svg className="key-icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect x="0" y="0" width="24" height="24" rx="6" className="key-icon-bg" />
      <g transform="rotate(-45 12 12)" className="key-icon-fg">
        <circle cx="7.2" cy="12" r="3.6" fill="none" strokeWidth="2.1" />
        <path d="M10.8 12h8.4M16.6 12v2.8M14.2 12v2" fill="none" strokeWidth="2.1" strokeLinecap="round" />
      </g>
    </svg>
  );
}
