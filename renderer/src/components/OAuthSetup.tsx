import { useId, useState, type FormEvent } from 'react';
import { describeError, type LatchkeyApi, type ProviderSummary, type SecretStore } from '../api';
import { secretPlace } from '../format';
import { CopyButton, ErrorMessage, Spinner } from './common';
import type { Notify } from './Notices';

type Err = { code: string; description: string } | null;

/** "Your OAuth app": the redirect URI to register, client ID and (where used) client secret. */
export function OAuthSetup({
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
