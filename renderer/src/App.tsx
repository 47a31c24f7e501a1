import { useCallback, useEffect, useMemo, useState } from 'react';
import { describeError, LatchkeyApi, type BrokerStatus, type Connection, type ProviderSummary } from './api';
import { consumeFragment, forgetToken, type LaunchParams, type ViewId } from './session';
import { fromNow, fullDate } from './format';
import { ConnectionsView } from './components/ConnectionsView';
import { ProvidersView } from './components/ProvidersView';
import { Notices, useNotices } from './components/Notices';

type Err = { code: string; description: string } | null;

/** Navigation. Agents, approvals and the audit log get their own entries when the API has them. */
const VIEWS: { id: ViewId; label: string }[] = [
  { id: 'connections', label: 'Connections' },
  { id: 'providers', label: 'Providers' },
];

const REFRESH_EVERY_MS = 30_000;

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

  useEffect(() => {
    void loadStatus();
    void loadConnections();
    api.providers().then(
      (list) => {
        setProviders(list);
        setProvidersError(null);
      },
      (e: unknown) => setProvidersError(describeError(e)),
    );
  }, [api, loadConnections, loadStatus]);

  // Keep statuses and "last used" fresh while the page is visible, and catch up when it comes back.
  useEffect(() => {
    const tick = () => {
      if (document.visibilityState === 'visible') {
        void loadConnections();
        void loadStatus();
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
  }, [loadConnections, loadStatus]);

  const openProviders = (providerId?: string) => {
    onView('providers');
    if (providerId) onFocusProvider(providerId);
  };

  const counts: Record<ViewId, number | null> = {
    connections: connections?.length ?? null,
    providers: providers?.length ?? null,
  };
  const attention = connections?.filter((c) => c.status !== 'connected').length ?? 0;

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <KeyIcon />
          <span>Latchkey</span>
        </div>
        <BrokerStatusLine status={status} error={statusError} />
      </header>
      <div className="layout">
        <nav className="sidebar" aria-label="Sections">
          {VIEWS.map((v) => (
            <button
              key={v.id}
              type="button"
              className={`nav-item${view === v.id ? ' nav-item-active' : ''}`}
              aria-current={view === v.id ? 'page' : undefined}
              onClick={() => onView(v.id)}
            >
              <span>{v.label}</span>
              {counts[v.id] !== null ? (
                v.id === 'connections' && attention > 0 ? (
                  <span className="nav-count nav-count-warn" title={`${attention} need${attention === 1 ? 's' : ''} attention`}>
                    {counts[v.id]}
                  </span>
                ) : (
                  <span className="nav-count">{counts[v.id]}</span>
                )
              ) : null}
            </button>
          ))}
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
              loadError={connectionsError}
              onChanged={() => void loadConnections()}
              onOpenProvider={openProviders}
              notify={notify}
            />
          ) : (
            <ProvidersView
              api={api}
              providers={providers}
              connections={connections ?? []}
              loadError={providersError}
              focusProvider={focusProvider}
              onProviderChanged={(updated) =>
                setProviders((list) => list?.map((p) => (p.id === updated.id ? updated : p)) ?? [updated])
              }
              onProviderAdded={(added) => setProviders((list) => [...(list ?? []), added])}
              onConnected={() => void loadConnections()}
              notify={notify}
            />
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
      <span title={status.secret_store === 'keychain' ? 'Secrets are kept in the OS keychain' : 'Secrets are kept in an encrypted file'}>
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
