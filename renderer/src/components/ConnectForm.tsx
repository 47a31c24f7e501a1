import { useId, useState, type FormEvent } from 'react';
import type { ConnectMethod, LatchkeyApi, ProviderSummary, SecretStore } from '../api';
import { secretPlace } from '../format';
import { useConnectFlow } from '../useConnectFlow';
import { Chip } from './common';
import { FlowPanel } from './FlowPanel';
import type { Notify } from './Notices';

/** Scope picker, connection name, and the connect buttons this provider offers. */
export function ConnectForm({
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
  const [variables, setVariables] = useState<Record<string, string>>(() =>
    Object.fromEntries(declared.map((v) => [v.name, v.default ?? ''])),
  );
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
      ...(declared.length > 0
        ? { variables: Object.fromEntries(declared.map((v) => [v.name, (variables[v.name] ?? '').trim()])) }
        : {}),
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
        <span className="hint">
          How agents refer to this connection. Useful when you connect more than one account.
        </span>
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
          <span className="hint">
            {v.allowed[0]?.toUpperCase()}
            {v.allowed.slice(1)}.
          </span>
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
            <button
              type="submit"
              className={isOAuth ? 'button' : 'button button-primary'}
              disabled={busy || !secret || variablesMissing}
            >
              {staticMethod === 'api_key' ? 'Save key' : 'Connect with token'}
            </button>
          </div>
        </form>
      ) : null}

      {startedWith === 'secret' || !(methods.includes('browser') || methods.includes('device')) ? progress : null}
    </section>
  );
}
