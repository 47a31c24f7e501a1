import { useId, useState, type FormEvent } from 'react';
import { ApiError, describeError, type AgentView, type Connection, type Grant, type ProviderSummary } from '../api';
import { choicesFromGrants, grantsFromChoices, incompleteConnections, type GrantChoices } from '../grants';
import { ErrorMessage, Spinner } from './common';
import { GrantPicker, GrantScopeProblem } from './GrantPicker';

/** An API error with what the form needs: the status (409: name taken) and the body's details. */
type FormErr = { code: string; description: string; status: number; details: Readonly<Record<string, unknown>> } | null;

export interface AgentValues {
  name: string;
  grants: Grant[];
  rateLimit: number | null;
}

/** Name, grants and rate limit: the "New agent" form and the inline editor. */
export function AgentForm({
  initial,
  connections,
  providers,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: AgentView;
  connections: Connection[];
  providers: ProviderSummary[];
  submitLabel: string;
  /** Throws the API's error, shown in the form. */
  onSubmit: (values: AgentValues) => Promise<void>;
  onCancel: () => void;
}) {
  const id = useId();
  const [name, setName] = useState(initial?.name ?? '');
  const [choices, setChoices] = useState<GrantChoices>(() => choicesFromGrants(initial?.grants ?? []));
  const [rate, setRate] = useState(initial?.rate_limit_per_minute?.toString() ?? '');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<FormErr>(null);

  const grants = grantsFromChoices(choices);
  const incomplete = incompleteConnections(choices);
  const rateValue = rate.trim() === '' ? null : Number(rate);
  const rateValid = rateValue === null || (Number.isInteger(rateValue) && rateValue > 0);
  // A new agent without any grant could do nothing; an existing one may be narrowed to nothing.
  const needsGrant = initial === undefined && grants.length === 0;
  const canSubmit = name.trim() !== '' && incomplete.length === 0 && rateValid && !needsGrant && !saving;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!canSubmit) return;
    setSaving(true);
    setError(null);
    try {
      await onSubmit({ name: name.trim(), grants, rateLimit: rateValue });
    } catch (err) {
      setError({
        ...describeError(err),
        status: err instanceof ApiError ? err.status : 0,
        details: err instanceof ApiError ? err.body : {},
      });
      setSaving(false);
    }
  }

  return (
    <form className="stack agent-form" onSubmit={submit} aria-label={initial ? `Edit ${initial.name}` : 'New agent'}>
      <label className="field agent-name-field">
        <span className="label">Name</span>
        <input
          type="text"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            if (error?.status === 409) setError(null);
          }}
          required
          autoComplete="off"
          spellCheck={false}
          placeholder="e.g. release-bot"
          name="agent-name"
          aria-invalid={error?.status === 409 ? true : undefined}
          aria-describedby={`${id}-name-hint`}
        />
        <span className="hint" id={`${id}-name-hint`}>
          How you refer to it, e.g. <code>latchkey exec --agent {name.trim() || 'NAME'}</code>.
        </span>
      </label>

      {/* A new agent starts asking before writes, deletes and sends; the person can untick any of them. */}
      <GrantPicker
        connections={connections}
        providers={providers}
        choices={choices}
        onChange={setChoices}
        askable
        preselectAsk={initial === undefined}
      />
      {needsGrant && connections.length > 0 ? <p className="hint">Give it access to at least one connection.</p> : null}

      <label className="field rate-field">
        <span className="label">
          Rate limit <span className="muted">(optional)</span>
        </span>
        <span className="rate-input">
          <input
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            value={rate}
            onChange={(e) => setRate(e.target.value)}
            placeholder="No limit"
            name="agent-rate-limit"
            aria-invalid={rateValid ? undefined : true}
            aria-describedby={`${id}-rate-hint`}
          />
          <span className="muted">requests per minute</span>
        </span>
        <span className="hint" id={`${id}-rate-hint`}>
          Above it the proxy answers 429 with Retry-After. {initial ? 'Empty removes the limit.' : ''}
        </span>
      </label>

      {error ? (
        <ErrorMessage code={error.code} description={error.description}>
          <GrantScopeProblem details={error.details} />
        </ErrorMessage>
      ) : null}

      <div className="actions">
        <button type="submit" className="button button-primary" disabled={!canSubmit}>
          {saving ? <Spinner /> : null} {submitLabel}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
