import { useState } from 'react';
import { describeError, type Connection, type LatchkeyApi, type ProviderSummary, type SecretStore } from '../api';
import { disconnectedMessage, fromNow, fullDate, isPast, secretPlace } from '../format';
import { useConnectFlow } from '../useConnectFlow';
import { Chip, ErrorMessage, ProviderMark, Spinner, StatusBadge } from './common';
import { FlowPanel } from './FlowPanel';
import type { Notify } from './Notices';

const METHOD_LABEL: Record<Connection['auth_method'], string> = {
  oauth: 'OAuth',
  device: 'Device code',
  personal_token: 'Personal token',
  api_key: 'API key',
};

export function ConnectionsView({
  api,
  connections,
  providers,
  secretStore,
  loadError,
  onChanged,
  onOpenProvider,
  notify,
}: {
  api: LatchkeyApi;
  connections: Connection[] | null;
  providers: ProviderSummary[];
  /** Where secrets go, for the wording; null while the broker's status is not known. */
  secretStore: SecretStore | null;
  loadError: { code: string; description: string } | null;
  onChanged: () => void;
  onOpenProvider: (providerId?: string) => void;
  notify: Notify;
}) {
  const place = secretPlace(secretStore);
  return (
    <section aria-labelledby="connections-title">
      <div className="page-head">
        <div>
          <h1 id="connections-title">Connections</h1>
          <p className="muted">
            Accounts Latchkey holds credentials for. Agents get short-lived, scoped access to these — never the
            credentials themselves.
          </p>
        </div>
        <button type="button" className="button button-primary" onClick={() => onOpenProvider()}>
          Add connection
        </button>
      </div>

      {loadError ? <ErrorMessage code={loadError.code} description={loadError.description} /> : null}

      {connections === null && !loadError ? (
        <div className="empty">
          <Spinner /> Loading connections…
        </div>
      ) : null}

      {connections !== null && connections.length === 0 ? (
        <div className="empty" data-testid="connections-empty">
          <h2>No connections yet</h2>
          <p className="muted">
            Connect an account from <strong>Providers</strong>: sign in with OAuth, use a device code, or paste an API
            key.{place ? ` The secrets are kept in ${place}.` : null}
          </p>
          <button type="button" className="button button-primary" onClick={() => onOpenProvider()}>
            Browse providers
          </button>
        </div>
      ) : null}

      {connections !== null && connections.length > 0 ? (
        <ul className="connection-list" aria-label="Connections">
          {connections.map((c) => (
            <ConnectionRow
              key={c.name}
              api={api}
              connection={c}
              provider={providers.find((p) => p.id === c.provider)}
              onChanged={onChanged}
              onOpenProvider={onOpenProvider}
              notify={notify}
            />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function ConnectionRow({
  api,
  connection: c,
  provider,
  onChanged,
  onOpenProvider,
  notify,
}: {
  api: LatchkeyApi;
  connection: Connection;
  provider: ProviderSummary | undefined;
  onChanged: () => void;
  onOpenProvider: (providerId?: string) => void;
  notify: Notify;
}) {
  const providerName = provider?.name ?? c.provider;
  const [busy, setBusy] = useState<'refresh' | 'delete' | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<{ code: string; description: string } | null>(null);
  const flow = useConnectFlow(api, () => {
    notify('success', `Reconnected ${c.name}.`);
    onChanged();
  });

  const oauthLike = c.auth_method === 'oauth' || c.auth_method === 'device';
  const expires = c.expires_at ? fromNow(c.expires_at) : null;
  const expired = isPast(c.expires_at);

  async function refresh() {
    setBusy('refresh');
    setError(null);
    try {
      const updated = await api.refresh(c.name);
      notify('success', `Refreshed ${updated.name}.`);
      onChanged();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  }

  async function disconnect() {
    setBusy('delete');
    setError(null);
    try {
      const result = await api.disconnect(c.name);
      notify(
        result.revocation_error === undefined ? 'success' : 'info',
        disconnectedMessage(c.name, providerName, result),
      );
      onChanged();
    } catch (e) {
      setError(describeError(e));
      setBusy(null);
      setConfirming(false);
    }
  }

  function reconnect() {
    setError(null);
    if (!oauthLike) {
      onOpenProvider(c.provider);
      return;
    }
    void flow.start({
      provider: c.provider,
      method: c.auth_method === 'device' ? 'device' : 'browser',
      scopes: c.scopes,
      name: c.name,
    });
  }

  return (
    <li className="connection" data-connection={c.name} data-status={c.status}>
      <ProviderMark id={c.provider} name={providerName} />
      <div className="connection-main">
        <div className="connection-title">
          <span className="connection-name">{c.name}</span>
          <StatusBadge status={c.status} />
        </div>
        <div className="connection-sub muted">
          {providerName}
          <span className="sep">·</span>
          {c.account ?? <em>account unknown</em>}
          <span className="sep">·</span>
          {METHOD_LABEL[c.auth_method]}
        </div>
        {c.scopes.length > 0 ? (
          <div className="chips" aria-label="Scopes">
            {c.scopes.map((s) => (
              <Chip key={s} title={provider?.scopes.find((x) => x.name === s)?.description}>
                {s}
              </Chip>
            ))}
          </div>
        ) : null}
        <dl className="facts">
          <div>
            <dt>{expired ? 'Expired' : 'Expires'}</dt>
            <dd title={fullDate(c.expires_at)}>{expires ?? 'never'}</dd>
          </div>
          <div>
            <dt>Last used</dt>
            <dd title={fullDate(c.last_used_at)}>{fromNow(c.last_used_at) ?? 'never'}</dd>
          </div>
          <div>
            <dt>Added</dt>
            <dd title={fullDate(c.created_at)}>{fromNow(c.created_at) ?? '—'}</dd>
          </div>
        </dl>
        {c.last_error ? (
          <div className="message message-warning small">
            <span>Last error: {c.last_error}</span>
          </div>
        ) : null}
        {error ? <ErrorMessage code={error.code} description={error.description} /> : null}
        <FlowPanel state={flow.state} providerName={providerName} onCancel={flow.cancel} onDismiss={flow.cancel} />
      </div>

      <div className="connection-actions">
        {confirming ? (
          <div className="confirm" role="group" aria-label={`Disconnect ${c.name}?`}>
            <span className="small">Disconnect {c.name}?</span>
            <button
              type="button"
              className="button button-small button-danger"
              disabled={busy !== null}
              onClick={disconnect}
            >
              {busy === 'delete' ? <Spinner /> : null} Disconnect
            </button>
            <button type="button" className="button button-small button-quiet" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <>
            {c.status === 'needs_reauth' ? (
              <button type="button" className="button button-small button-primary" onClick={reconnect}>
                Reconnect
              </button>
            ) : null}
            {oauthLike ? (
              <button type="button" className="button button-small" disabled={busy !== null} onClick={refresh}>
                {busy === 'refresh' ? <Spinner /> : null} Refresh now
              </button>
            ) : null}
            <button
              type="button"
              className="button button-small button-quiet-danger"
              onClick={() => setConfirming(true)}
            >
              Disconnect
            </button>
          </>
        )}
      </div>
    </li>
  );
}
