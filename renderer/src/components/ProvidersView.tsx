import { useEffect, useId, useState, type FormEvent } from 'react';
import {
  ApiError,
  describeError,
  type Connection,
  type LatchkeyApi,
  type ProviderProblem,
  type ProviderSummary,
  type SecretStore,
} from '../api';
import { ErrorMessage, Spinner } from './common';
import type { Notify } from './Notices';
import { ProviderCard } from './ProviderCard';

export function ProvidersView({
  api,
  providers,
  connections,
  secretStore,
  loadError,
  focusProvider,
  onProviderChanged,
  onProviderAdded,
  onConnected,
  notify,
}: {
  api: LatchkeyApi;
  providers: ProviderSummary[] | null;
  connections: Connection[];
  secretStore: SecretStore | null;
  loadError: { code: string; description: string } | null;
  /** Open and scroll to this provider (from the tray or a Reconnect). */
  focusProvider: { id: string; seq: number } | null;
  onProviderChanged: (updated: ProviderSummary) => void;
  onProviderAdded: (added: ProviderSummary) => void;
  onConnected: () => void;
  notify: Notify;
}) {
  // Several cards may be open at once, so a pending sign-in is not lost by opening another provider.
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set(focusProvider ? [focusProvider.id] : []));
  useEffect(() => {
    if (focusProvider) setOpen((current) => new Set([...current, focusProvider.id]));
  }, [focusProvider]);
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <section aria-labelledby="providers-title">
      <div className="page-head">
        <div>
          <h1 id="providers-title">Providers</h1>
          <p className="muted">
            Services Latchkey can connect to. OAuth providers use your own OAuth app, so tokens are issued to you — not
            to a third party.
          </p>
        </div>
      </div>

      {loadError ? <ErrorMessage code={loadError.code} description={loadError.description} /> : null}
      {providers === null && !loadError ? (
        <div className="empty">
          <Spinner /> Loading providers…
        </div>
      ) : null}

      {providers !== null ? (
        <div className="provider-grid">
          {providers.map((p) => (
            <ProviderCard
              key={p.id}
              api={api}
              provider={p}
              connections={connections.filter((c) => c.provider === p.id)}
              secretStore={secretStore}
              expanded={open.has(p.id)}
              focused={focusProvider?.id === p.id}
              onToggle={() => toggle(p.id)}
              onProviderChanged={onProviderChanged}
              onConnected={onConnected}
              notify={notify}
            />
          ))}
        </div>
      ) : null}

      <CustomProviderForm api={api} onAdded={onProviderAdded} notify={notify} />
    </section>
  );
}

const EXAMPLE = `{
  "id": "acme",
  "name": "Acme",
  "description": "Acme's REST API",
  "auth": {
    "type": "api_key",
    "header": "Authorization",
    "format": "Bearer {key}"
  },
  "api": {
    "base_url": "https://api.acme.example",
    "rules": [{ "method": "GET", "path": "/**", "scopes": [] }]
  }
}`;

/** Where a JSON.parse error points to, as "line L, column C" when the engine tells the position. */
function jsonErrorLocation(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message)?.[1];
  if (position === undefined) return message;
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return `${message.replace(/\s*\(line \d+ column \d+\)/, '')} (line ${line}, column ${column})`;
}

function CustomProviderForm({
  api,
  onAdded,
  notify,
}: {
  api: LatchkeyApi;
  onAdded: (added: ProviderSummary) => void;
  notify: Notify;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<{ code: string; description: string } | null>(null);
  const [problems, setProblems] = useState<ProviderProblem[]>([]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setProblems([]);
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (err) {
      setError({ code: 'invalid_json', description: `This is not valid JSON: ${jsonErrorLocation(text, err)}` });
      return;
    }
    setSaving(true);
    try {
      const added = await api.addProvider(definition);
      onAdded(added);
      notify('success', `Added ${added.name}.`);
      setText('');
      setOpen(false);
    } catch (err) {
      setError(describeError(err));
      if (err instanceof ApiError) setProblems(err.problems);
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="card custom-provider" aria-labelledby={`${id}-title`}>
      <header className="custom-head">
        <div>
          <h2 id={`${id}-title`}>Add custom provider</h2>
          <p className="muted small">
            Describe any OAuth 2.0 or API-key service as JSON: how to authorize, and which API calls each scope allows.
          </p>
        </div>
        <button type="button" className="button button-small" aria-expanded={open} onClick={() => setOpen((v) => !v)}>
          {open ? 'Close' : 'Add…'}
        </button>
      </header>
      {open ? (
        <form className="stack" onSubmit={submit}>
          <label className="field">
            <span className="label">Provider definition (JSON)</span>
            <textarea
              className="code-input"
              value={text}
              onChange={(e) => setText(e.target.value)}
              rows={14}
              spellCheck={false}
              placeholder={EXAMPLE}
              aria-invalid={error ? true : undefined}
              name="provider-definition"
            />
          </label>
          {error ? (
            <ErrorMessage code={error.code} description={error.description}>
              {problems.length > 0 ? (
                <ul className="problems" data-testid="provider-problems">
                  {problems.map((p, i) => (
                    <li key={`${p.path}-${i}`}>
                      <code>{p.path || '(root)'}</code> {p.message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </ErrorMessage>
          ) : null}
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={saving || !text.trim()}>
              {saving ? <Spinner /> : null} Add provider
            </button>
            <button type="button" className="button button-quiet" onClick={() => setText(EXAMPLE)}>
              Insert example
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
