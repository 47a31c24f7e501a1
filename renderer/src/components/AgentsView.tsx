import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { activitySeries, agentSparkline } from '../activity';
import {
  ApiError,
  type ActivityReport,
  describeError,
  type AgentChanges,
  type AgentView,
  type ApprovalView,
  type Connection,
  type CreatedAgent,
  type Grant,
  type LatchkeyApi,
  type ProviderSummary,
} from '../api';
import { fromNow, fullDate, hostOf } from '../format';
import { choicesFromGrants, grantsFromChoices, incompleteConnections, type GrantChoices } from '../grants';
import { queryKeys } from '../queries';
import { AgentUsage } from './AgentUsage';
import { Badge, CopyButton, ErrorMessage, ProviderMark, Spinner } from './common';
import { GrantList, GrantPicker, GrantScopeProblem } from './GrantPicker';
import type { Notify } from './Notices';

type Err = { code: string; description: string } | null;
/** An API error with what the form needs: the status (409: name taken) and the body's details. */
type FormErr = { code: string; description: string; status: number; details: Readonly<Record<string, unknown>> } | null;

/**
 * An agent's status as shown. A pending agent is awaiting the person's decision on its request, or has
 * none waiting: its request was denied or expired, and it stays pending so that it may ask again.
 * Plain "pending" while the approvals are not loaded.
 */
type ShownStatus = AgentView['status'] | 'awaiting' | 'not-approved';

const SHOWN: Record<ShownStatus, { badge: string; label: string }> = {
  pending: { badge: 'agent-pending', label: 'Pending' },
  awaiting: { badge: 'agent-pending', label: 'Awaiting approval' },
  'not-approved': { badge: 'agent-not-approved', label: 'Not approved' },
  active: { badge: 'agent-active', label: 'Active' },
  revoked: { badge: 'agent-revoked', label: 'Revoked' },
};

/** `awaiting`: whether a request of the agent waits for a decision; null when not known. */
function shownStatus(status: AgentView['status'], awaiting: boolean | null): ShownStatus {
  if (status !== 'pending' || awaiting === null) return status;
  return awaiting ? 'awaiting' : 'not-approved';
}

export function AgentsView({
  api,
  agents,
  approvals,
  loadError,
  connections,
  providers,
  brokerUrl,
  onChanged,
  onAgentChanged,
  onOpenApprovals,
  notify,
}: {
  api: LatchkeyApi;
  agents: AgentView[] | null;
  /** To tell an agent awaiting a decision from one whose request was denied or expired; null until loaded. */
  approvals: ApprovalView[] | null;
  loadError: { code: string; description: string } | null;
  connections: Connection[];
  providers: ProviderSummary[];
  /** Where agents reach the broker, for the snippets. */
  brokerUrl: string;
  onChanged: () => void;
  onAgentChanged: (agent: AgentView) => void;
  onOpenApprovals: () => void;
  notify: Notify;
}) {
  const [creating, setCreating] = useState(false);
  // The one answer that carries the client secret. It lives in this component only: leaving the
  // view unmounts it, so the secret is never shown twice.
  const [created, setCreated] = useState<CreatedAgent | null>(null);
  const awaitingIds = approvals && new Set(approvals.filter((r) => r.status === 'pending').map((r) => r.agent_id));
  const day = useQuery({ queryKey: queryKeys.activity('day'), queryFn: () => api.activity('day') }).data;
  const daySeries = day ? activitySeries(day) : null;

  async function create(values: AgentValues) {
    const agent = await api.createAgent({
      name: values.name,
      grants: values.grants,
      ...(values.rateLimit !== null ? { rate_limit_per_minute: values.rateLimit } : {}),
    });
    setCreating(false);
    setCreated(agent);
    onChanged();
  }

  return (
    <section aria-labelledby="agents-title">
      <div className="page-head">
        <div>
          <h1 id="agents-title">Agents</h1>
          <p className="muted">
            Programs that act for you. Each gets short-lived tokens limited to the scopes you grant here, and calls your
            connections through Latchkey's proxy — it never sees a provider secret.
          </p>
        </div>
        <button
          type="button"
          className="button button-primary"
          aria-expanded={creating}
          onClick={() => {
            setCreated(null);
            setCreating(true);
          }}
          disabled={creating}
        >
          New agent
        </button>
      </div>

      {created ? <SecretPanel agent={created} brokerUrl={brokerUrl} onDone={() => setCreated(null)} /> : null}

      {creating ? (
        <section className="card agent-new" aria-labelledby="agent-new-title">
          <h2 id="agent-new-title">New agent</h2>
          <AgentForm
            connections={connections}
            providers={providers}
            submitLabel="Create agent"
            onSubmit={create}
            onCancel={() => setCreating(false)}
          />
        </section>
      ) : null}

      {loadError ? <ErrorMessage code={loadError.code} description={loadError.description} /> : null}

      {agents === null && !loadError ? (
        <div className="empty">
          <Spinner /> Loading agents…
        </div>
      ) : null}

      {agents !== null && agents.length === 0 && !creating ? (
        <div className="empty" data-testid="agents-empty">
          <h2>No agents yet</h2>
          <p className="muted">
            Create one for each tool or script that should use your connections, and grant it only what it needs.
            Interactive agents can also register themselves; you approve them under <strong>Approvals</strong>.
          </p>
        </div>
      ) : null}

      {agents !== null && agents.length > 0 ? (
        <ul className="agent-list" aria-label="Agents">
          {agents.map((a) => (
            <AgentRow
              key={a.id}
              api={api}
              agent={a}
              shown={shownStatus(a.status, awaitingIds ? awaitingIds.has(a.id) : null)}
              usage={daySeries ? { report: day?.agents.find((u) => u.agent_id === a.id), spark: agentSparkline(daySeries, a.id) } : null}
              connections={connections}
              providers={providers}
              onChanged={onChanged}
              onAgentChanged={onAgentChanged}
              onOpenApprovals={onOpenApprovals}
              notify={notify}
            />
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** Quotes a shell word unless it is plainly safe. */
function shellWord(value: string): string {
  return /^[\w.:@%+=/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function SecretPanel({ agent, brokerUrl, onDone }: { agent: CreatedAgent; brokerUrl: string; onDone: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const tokenRequest = `curl -u ${shellWord(`${agent.client_id}:${agent.client_secret}`)} -d grant_type=client_credentials ${brokerUrl}/oauth/token`;
  const exec = `latchkey exec --agent ${shellWord(agent.name)} -- your-command`;

  return (
    <section className="card secret-panel" aria-labelledby="agent-secret-title" data-testid="agent-secret">
      <h2 id="agent-secret-title" ref={heading} tabIndex={-1}>
        Agent <span className="agent-name-inline">{agent.name}</span> created
      </h2>
      <div className="message message-warning" role="note">
        <div>
          <strong>Copy the client secret now — you will not see it again.</strong> Latchkey keeps only a hash of it. If
          you lose it, delete this agent and create a new one.
        </div>
      </div>
      <div className="field">
        <span className="label">Client ID</span>
        <div className="copy-row">
          <code className="uri" data-testid="client-id">
            {agent.client_id}
          </code>
          <CopyButton text={agent.client_id} label="Copy ID" />
        </div>
      </div>
      <div className="field">
        <span className="label">Client secret</span>
        <div className="copy-row">
          <code className="uri secret" data-testid="client-secret">
            {agent.client_secret}
          </code>
          <CopyButton text={agent.client_secret} label="Copy secret" />
        </div>
      </div>
      <Snippet label="Get a token (valid up to 15 minutes)" text={tokenRequest} testId="snippet-token" />
      <Snippet label="Or run a command with a fresh token in its environment" text={exec} testId="snippet-exec" />
      <div className="actions">
        <button type="button" className="button button-primary" onClick={onDone}>
          I have saved the secret
        </button>
      </div>
    </section>
  );
}

function Snippet({ label, text, testId }: { label: string; text: string; testId: string }) {
  const id = useId();
  return (
    <div className="field">
      <span className="label" id={id}>
        {label}
      </span>
      <div className="snippet">
        <pre aria-labelledby={id} data-testid={testId}>
          <code>{text}</code>
        </pre>
        <CopyButton text={text} />
      </div>
    </div>
  );
}

function AgentRow({
  api,
  agent: a,
  shown,
  usage,
  connections,
  providers,
  onChanged,
  onAgentChanged,
  onOpenApprovals,
  notify,
}: {
  api: LatchkeyApi;
  agent: AgentView;
  shown: ShownStatus;
  /** Its last day of calls; null until loaded. */
  usage: { report: ActivityReport['agents'][number] | undefined; spark: { at: number; calls: number }[] } | null;
  connections: Connection[];
  providers: ProviderSummary[];
  onChanged: () => void;
  onAgentChanged: (agent: AgentView) => void;
  onOpenApprovals: () => void;
  notify: Notify;
}) {
  const [busy, setBusy] = useState<'revoke' | 'delete' | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<Err>(null);

  // One click, no dialog: stopping an agent must be as fast as possible.
  async function revoke() {
    setBusy('revoke');
    setError(null);
    try {
      const updated = await api.revokeAgent(a.id);
      onAgentChanged(updated);
      notify('success', `Revoked ${a.name}. Its tokens stop working now.`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
    }
  }

  async function remove() {
    setBusy('delete');
    setError(null);
    try {
      await api.deleteAgent(a.id);
      notify('success', `Deleted ${a.name}.`);
      onChanged();
    } catch (e) {
      setError(describeError(e));
      setBusy(null);
      setConfirming(false);
    }
  }

  async function save(values: AgentValues) {
    const changes: AgentChanges = {};
    if (values.name !== a.name) changes.name = values.name;
    if (JSON.stringify(values.grants) !== JSON.stringify(a.grants)) changes.grants = values.grants;
    if (values.rateLimit !== a.rate_limit_per_minute) changes.rate_limit_per_minute = values.rateLimit;
    if (Object.keys(changes).length > 0) {
      const updated = await api.updateAgent(a.id, changes);
      onAgentChanged(updated);
      notify('success', `Saved ${updated.name}.`);
    }
    setEditing(false);
  }

  return (
    <li className="agent" data-agent={a.name} data-status={a.status}>
      <ProviderMark id={a.id} name={a.name} />
      <div className="connection-main">
        <div className="connection-title">
          <span className="connection-name">{a.name}</span>
          <Badge status={SHOWN[shown].badge}>{SHOWN[shown].label}</Badge>
          <span className="tag" title={a.registered_via === 'dcr' ? 'Registered itself through dynamic client registration' : undefined}>
            {a.registered_via === 'dcr' ? 'Registered itself (DCR)' : 'Added by you'}
          </span>
        </div>
        <div className="connection-sub muted">
          <code title="Client ID">{a.client_id}</code>
        </div>
        {shown === 'awaiting' ? (
          <div className="message message-warning message-center small">
            <span>Can do nothing until you approve its request.</span>
            <button type="button" className="button button-small" onClick={onOpenApprovals}>
              Review in Approvals
            </button>
          </div>
        ) : null}
        {shown === 'not-approved' ? (
          <p className="small muted" data-testid="not-approved-hint">
            It can ask again; you can also delete it.
          </p>
        ) : null}
        {usage ? <AgentUsage usage={usage.report} spark={usage.spark} /> : null}
        <GrantList grants={a.grants} label={`Grants of ${a.name}`} />
        <dl className="facts">
          <div>
            <dt>Rate limit</dt>
            <dd data-testid="rate-limit">{a.rate_limit_per_minute !== null ? `${a.rate_limit_per_minute} / minute` : 'none'}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd title={fullDate(a.created_at)}>{fromNow(a.created_at) ?? '—'}</dd>
          </div>
          {a.updated_at !== a.created_at ? (
            <div>
              <dt>Changed</dt>
              <dd title={fullDate(a.updated_at)}>{fromNow(a.updated_at) ?? '—'}</dd>
            </div>
          ) : null}
          {a.redirect_uris.length > 0 ? (
            <div>
              <dt>Redirects to</dt>
              <dd title={a.redirect_uris.join('\n')}>{[...new Set(a.redirect_uris.map(hostOf))].join(', ')}</dd>
            </div>
          ) : null}
        </dl>
        {error ? <ErrorMessage code={error.code} description={error.description} /> : null}
      </div>

      <div className="connection-actions">
        {confirming ? (
          <div className="confirm" role="group" aria-label={`Delete ${a.name}?`}>
            <span className="small">Delete {a.name}? Its tokens stop working.</span>
            <button type="button" className="button button-small button-danger" disabled={busy !== null} onClick={remove}>
              {busy === 'delete' ? <Spinner /> : null} Delete
            </button>
            <button type="button" className="button button-small button-quiet" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <>
            {a.status !== 'revoked' ? (
              <button
                type="button"
                className="button button-small button-danger"
                disabled={busy !== null}
                onClick={revoke}
                title="Stop this agent now: every token it holds stops working immediately"
              >
                {busy === 'revoke' ? <Spinner /> : null} Revoke
              </button>
            ) : null}
            {a.status !== 'revoked' ? (
              <button type="button" className="button button-small" aria-expanded={editing} onClick={() => setEditing((v) => !v)}>
                Edit
              </button>
            ) : null}
            <button type="button" className="button button-small button-quiet-danger" onClick={() => setConfirming(true)}>
              Delete
            </button>
          </>
        )}
      </div>

      {editing ? (
        <div className="agent-edit">
          <AgentForm
            initial={a}
            connections={connections}
            providers={providers}
            submitLabel="Save changes"
            onSubmit={save}
            onCancel={() => setEditing(false)}
          />
        </div>
      ) : null}
    </li>
  );
}

interface AgentValues {
  name: string;
  grants: Grant[];
  rateLimit: number | null;
}

/** Name, grants and rate limit: the "New agent" form and the inline editor. */
function AgentForm({
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
      setError({ ...describeError(err), status: err instanceof ApiError ? err.status : 0, details: err instanceof ApiError ? err.body : {} });
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

      <GrantPicker connections={connections} providers={providers} choices={choices} onChange={setChoices} />
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
