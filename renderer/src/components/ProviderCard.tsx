import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { describeError, type Connection, type ConnectMethod, type LatchkeyApi, type ProviderSummary, type SecretStore } from '../api';
import { secretPlace } from '../format';
import { useConnectFlow } from '../useConnectFlow';
import { Chip, CopyButton, ErrorMessage, ExternalLink, ProviderMark, Spinner } from './common';
import { FlowPanel } from './FlowPanel';
import type { Notify } from './Notices';

type Err = { code: string; description: string } | null;

export function ProviderCard({
  api,
  provider: p,
  connections,
  secretStore,
  expanded,
  focused,
  onToggle,
  onProviderChanged,
  onConnected,
  notify,
}: {
  api: LatchkeyApi;
  provider: ProviderSummary;
  connections: Connection[];
  /** Where secrets go, for the wording; null while the broker's status is not known. */
  secretStore: SecretStore | null;
  expanded: boolean;
  focused: boolean;
  onToggle: () => void;
  onProviderChanged: (updated: ProviderSummary) => void;
  onConnected: () => void;
  notify: Notify;
}) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (focused) ref.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [focused]);

  const isOAuth = p.auth_type === 'oauth2';
  const connected = connections.length;
  const needsClient = isOAuth && p.client === null && (p.connect_methods.includes('browser') || p.connect_methods.includes('device'));

  return (
    <article
      ref={ref}
      className={`card provider${expanded ? ' provider-open' : ''}${focused ? ' provider-focused' : ''}`}
      data-provider={p.id}
      aria-labelledby={`provider-${p.id}-name`}
    >
      <header className="provider-head">
        <ProviderMark id={p.id} name={p.name} />
        <div className="provider-title">
          <h2 id={`provider-${p.id}-name`}>{p.name}</h2>
          <div className="provider-meta">
            <span className="tag">{isOAuth ? 'OAuth 2.0' : 'API key'}</span>
            {!p.builtin ? <span className="tag tag-custom">Custom</span> : null}
            {connected > 0 ? (
              <span className="tag tag-ok">
                {connected} connection{connected === 1 ? '' : 's'}
              </span>
            ) : null}
          </div>
        </div>
        <button
          type="button"
          className={`button button-small${expanded ? ' button-quiet' : ''}`}
          aria-expanded={expanded}
          onClick={onToggle}
        >
          {expanded ? 'Close' : needsClient ? 'Set up…' : 'Connect…'}
        </button>
      </header>
      {p.description ? (
        <p className={`provider-description muted${expanded ? '' : ' clamp'}`} title={expanded ? undefined : p.description}>
          {p.description}
        </p>
      ) : null}
      {!expanded && needsClient ? (
        <p className="small muted hint-line">
          {p.connect_methods.includes('personal_token')
            ? 'Needs your own OAuth app, or a personal access token.'
            : 'Needs your own OAuth app first.'}
        </p>
      ) : null}

      {expanded ? (
        <div className="provider-body">
          {isOAuth ? (
            <OAuthSetup api={api} provider={p} secretStore={secretStore} onProviderChanged={onProviderChanged} notify={notify} />
          ) : null}
          <ConnectForm api={api} provider={p} secretStore={secretStore} onConnected={onConnected} notify={notify} />
          {p.docs_url ? (
            <p className="small">
              <ExternalLink href={p.docs_url}>{p.name} documentation ↗</ExternalLink>
            </p>
          ) : null}
        </div>
      ) : null}
    </article>
  );
}

/** "Your OAuth app": the redirect URI to register, client ID and (where used) client secret. */
function OAuthSetup({
  api,
  provider: p,
  secretStore,
  onProviderChanged,
  notify,
}: {
  api: LatchkeyApi;
  provider: ProviderSummary;
  secretStore: SecretStore | null;
  onProviderChanged: (updated: ProviderSummary) => void;
  notify: Notify;
}) {
  const id = useId();
  const [editing, setEditing] = useState(p.client === null);
  const [clientId, setClientId] = useState(p.client?.client_id ?? '');
  const [secret, setSecret] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Err>(null);
  const usesSecret = p.client_secret !== 'none';
  const secretMissing = p.client_secret === 'required' && !secret && !p.client?.has_secret;
  const place = secretPlace(secretStore);
  const secretStored = place ? `Secret stored in ${place}` : 'Secret stored';

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const updated = await api.setClient(p.id, {
        client_id: clientId.trim(),
        ...(usesSecret && secret ? { client_secret: secret } : {}),
      });
      setSecret('');
      setEditing(false);
      onProviderChanged(updated);
      notify('success', `Saved your ${p.name} OAuth app.`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="subsection" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Your OAuth app</h3>
      {p.redirect_uri ? (
        <div className="field">
          <span className="label">Redirect URI to register</span>
          <div className="copy-row">
            <code className="uri" data-testid="redirect-uri">
              {p.redirect_uri}
            </code>
            <CopyButton text={p.redirect_uri} />
          </div>
          <span className="hint">
            {p.redirect_any_port
              ? `${p.name} accepts any local port, so this URI keeps working if Latchkey's port changes.`
              : `Register exactly this URI — ${p.name} checks the port too.`}
          </span>
        </div>
      ) : null}

      {!editing && p.client ? (
        <div className="client-summary">
          <div>
            <span className="label">Client ID</span> <code>{p.client.client_id}</code>
          </div>
          {usesSecret ? (
            <div className="small">
              {p.client.has_secret ? (
                <span className="tag tag-ok">{secretStored}</span>
              ) : (
                <span className="tag">No client secret</span>
              )}
            </div>
          ) : null}
          <button type="button" className="button button-small button-quiet" onClick={() => setEditing(true)}>
            Change
          </button>
        </div>
      ) : (
        <form className="stack" onSubmit={save}>
          <label className="field">
            <span className="label">Client ID</span>
            <input
              type="text"
              value={clientId}
              onChange={(e) => setClientId(e.target.value)}
              required
              autoComplete="off"
              spellCheck={false}
              name={`${p.id}-client-id`}
            />
          </label>
          {usesSecret ? (
            <label className="field">
              <span className="label">
                Client secret{p.client_secret === 'optional' ? <span className="muted"> (optional)</span> : null}
              </span>
              <input
                type="password"
                value={secret}
                onChange={(e) => setSecret(e.target.value)}
                autoComplete="new-password"
                spellCheck={false}
                required={secretMissing}
                placeholder={p.client?.has_secret ? 'Leave empty to keep the stored secret' : ''}
                name={`${p.id}-client-secret`}
              />
              {p.client?.has_secret ? <span className="hint">{secretStored}.</span> : null}
            </label>
          ) : null}
          {error ? <ErrorMessage code={error.code} description={error.description} /> : null}
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={saving || !clientId.trim()}>
              {saving ? <Spinner /> : null} Save OAuth app
            </button>
            {p.client ? (
              <button
                type="button"
                className="button button-quiet"
                onClick={() => {
                  setEditing(false);
                  setClientId(p.client?.client_id ?? '');
                  setSecret('');
                  setError(null);
                }}
              >
                Cancel
              </button>
            ) : null}
          </div>
        </form>
      )}
    </section>
  );
}

/** Scope picker, connection name, and the connect buttons this provider offers. */
function ConnectForm({
  api,
  provider: p,
  secretStore,
  onConnected,
  notify,
}: {
  api: LatchkeyApi;
  provider: ProviderSummary;
  secretStore: SecretStore | null;
  onConnected: () => void;
  notify: Notify;
}) {
  const id = useId();
  const [scopes, setScopes] = useState<Set<string>>(() => new Set(p.default_scopes));
  const [name, setName] = useState('');
  const [secret, setSecret] = useState('');
  const declared = p.variables ?? [];
  const [variables, setVariables] = useState<Record<string, string>>(() => Object.fromEntries(declared.map((v) => [v.name, v.default ?? ''])));
  // Where the progress shows: under the buttons that started it.
  const [startedWith, setStartedWith] = useState<'oauth' | 'secret'>('oauth');
  const flow = useConnectFlow(api, (connection) => {
    notify('success', `Connected to ${p.name}${connection?.account ? ` as ${connection.account}` : ''}.`);
    onConnected();
  });

  const isOAuth = p.auth_type === 'oauth2';
  const methods = p.connect_methods;
  const staticMethod: ConnectMethod | null = methods.includes('api_key')
    ? 'api_key'
    : methods.includes('personal_token')
      ? 'personal_token'
      : null;
  const busy = flow.state.phase === 'starting' || flow.state.phase === 'browser' || flow.state.phase === 'device';
  const pickScopes = isOAuth && p.scopes.length > 0;
  const place = secretPlace(secretStore);
  // The broker checks the values (invalid_variable); the form only keeps an empty one from being sent.
  const variablesMissing = declared.some((v) => !variables[v.name]?.trim());

  function request(method: ConnectMethod, extra: { secret?: string } = {}) {
    return {
      provider: p.id,
      method,
      ...(pickScopes ? { scopes: [...scopes] } : {}),
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(declared.length > 0 ? { variables: Object.fromEntries(declared.map((v) => [v.name, (variables[v.name] ?? '').trim()])) } : {}),
      ...extra,
    };
  }

  const progress = (
    <>
      <FlowPanel state={flow.state} providerName={p.name} onCancel={flow.cancel} onDismiss={flow.cancel} />
      {flow.state.phase === 'failed' &&
      (flow.state.code === 'client_not_configured' || flow.state.code === 'client_secret_required') ? (
        <p className="hint">
          Enter your OAuth app above (client ID{p.client_secret === 'required' ? ' and secret' : ''}), then connect.
        </p>
      ) : null}
    </>
  );

  function toggle(scope: string, on: boolean) {
    setScopes((current) => {
      const next = new Set(current);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });
  }

  function submitSecret(e: FormEvent) {
    e.preventDefault();
    if (!staticMethod || !secret) return;
    const value = secret;
    // The secret leaves the page state as soon as it is sent; it is never shown again.
    setSecret('');
    setStartedWith('secret');
    void flow.start(request(staticMethod, { secret: value }));
  }

  return (
    <section className="subsection" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Connect</h3>

      {pickScopes ? (
        <fieldset className="scopes">
          <legend className="label">Scopes</legend>
          {p.scopes.map((s) => (
            <label key={s.name} className="scope">
              <input
                type="checkbox"
                checked={scopes.has(s.name)}
                onChange={(e) => toggle(s.name, e.target.checked)}
                name={`${p.id}-scope`}
                value={s.name}
              />
              <span>
                <code>{s.name}</code>
                <span className="scope-description">{s.description}</span>
              </span>
            </label>
          ))}
        </fieldset>
      ) : p.scopes.length > 0 ? (
        <div className="field">
          <span className="label">Scopes</span>
          <div className="chips">
            {p.scopes.map((s) => (
              <Chip key={s.name} title={s.description}>
                {s.name}
              </Chip>
            ))}
          </div>
          <span className="hint">A key connection holds all of these; agents are granted a subset.</span>
        </div>
      ) : null}

      <label className="field">
        <span className="label">
          Connection name <span className="muted">(optional)</span>
        </span>
        <input
          type="text"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder={`e.g. ${p.id}-work`}
          autoComplete="off"
          spellCheck={false}
          name={`${p.id}-connection-name`}
        />
        <span className="hint">How agents refer to this connection. Useful when you connect more than one account.</span>
      </label>

      {declared.map((v) => (
        <label key={v.name} className="field">
          <span className="label">{v.description}</span>
          <input
            type="text"
            value={variables[v.name] ?? ''}
            onChange={(e) => setVariables((current) => ({ ...current, [v.name]: e.target.value }))}
            required
            autoComplete="off"
            spellCheck={false}
            name={`${p.id}-variable-${v.name}`}
            placeholder={v.default ?? v.name}
          />
          <span className="hint">{v.allowed[0]?.toUpperCase()}{v.allowed.slice(1)}.</span>
        </label>
      ))}

      {methods.includes('browser') || methods.includes('device') ? (
        <div className="actions">
          {methods.includes('browser') ? (
            <button
              type="button"
              className="button button-primary"
              disabled={busy || variablesMissing || (pickScopes && scopes.size === 0)}
              onClick={() => {
                setStartedWith('oauth');
                void flow.start(request('browser'));
              }}
            >
              Connect
            </button>
          ) : null}
          {methods.includes('device') ? (
            <button
              type="button"
              className="button"
              disabled={busy || variablesMissing || (pickScopes && scopes.size === 0)}
              onClick={() => {
                setStartedWith('oauth');
                void flow.start(request('device'));
              }}
            >
              Connect with a device code
            </button>
          ) : null}
        </div>
      ) : null}
      {startedWith === 'oauth' && (methods.includes('browser') || methods.includes('device')) ? progress : null}

      {staticMethod ? (
        <form className="stack secret-form" onSubmit={submitSecret}>
          {isOAuth ? <div className="or">or paste a personal access token</div> : null}
          <label className="field">
            <span className="label">{staticMethod === 'api_key' ? 'API key' : 'Personal access token'}</span>
            <input
              type="password"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              name={`${p.id}-${staticMethod}`}
              placeholder={place ? `Stored in ${place}, never shown again` : 'Never shown again'}
            />
          </label>
          <div className="actions">
            <button type="submit" className={isOAuth ? 'button' : 'button button-primary'} disabled={busy || !secret || variablesMissing}>
              {staticMethod === 'api_key' ? 'Save key' : 'Connect with token'}
            </button>
          </div>
        </form>
      ) : null}

      {startedWith === 'secret' || !(methods.includes('browser') || methods.includes('device')) ? progress : null}
    </section>
  );
}
