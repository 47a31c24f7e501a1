import { useState } from 'react';
import {
  type ActivityReport,
  describeError,
  type AgentChanges,
  type AgentView,
  type Connection,
  type LatchkeyApi,
  type ProviderSummary,
} from '../api';
import { fromNow, fullDate, hostOf } from '../format';
import { Badge, ErrorMessage, ProviderMark, Spinner } from './common';
import { GrantList } from './GrantPicker';
import type { Notify } from './Notices';
import { AgentForm, type AgentValues } from './AgentForm';
import { AgentUsage } from './AgentUsage';
import { AgentSessions } from './AgentSessions';

type Err = { code: string; description: string } | null;

/**
 * An agent's status as shown. A pending agent is awaiting the person's decision on its request, or has
 * none waiting: its request was denied or expired, and it stays pending so that it may ask again.
 * Plain "pending" while the approvals are not loaded.
 */
export type ShownStatus = AgentView['status'] | 'awaiting' | 'not-approved';

const SHOWN: Record<ShownStatus, { badge: string; label: string }> = {
  pending: { badge: 'agent-pending', label: 'Pending' },
  awaiting: { badge: 'agent-pending', label: 'Awaiting approval' },
  'not-approved': { badge: 'agent-not-approved', label: 'Not approved' },
  active: { badge: 'agent-active', label: 'Active' },
  revoked: { badge: 'agent-revoked', label: 'Revoked' },
};

const REGISTRATION: Record<AgentView['registration'], { label: string; title: string | undefined }> = {
  admin: { label: 'Added by you', title: undefined },
  dynamic: { label: 'Registered itself (DCR)', title: 'Registered itself through dynamic client registration' },
  metadata_document: {
    label: 'Registered itself (metadata document)',
    title: 'Registered by the client metadata document at its client ID',
  },
};

/** `awaiting`: whether a request of the agent waits for a decision; null when not known. */
export function shownStatus(status: AgentView['status'], awaiting: boolean | null): ShownStatus {
  if (status !== 'pending' || awaiting === null) return status;
  return awaiting ? 'awaiting' : 'not-approved';
}

/** One agent: status, usage, grants and facts, with revoke, edit and delete. */
export function AgentRow({
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
          <span className="tag" title={REGISTRATION[a.registration].title}>
            {REGISTRATION[a.registration].label}
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
        {a.status === 'active' ? <AgentSessions api={api} agentId={a.id} /> : null}
        <GrantList grants={a.grants} label={`Grants of ${a.name}`} />
        <dl className="facts">
          <div>
            <dt>Rate limit</dt>
            <dd data-testid="rate-limit">
              {a.rate_limit_per_minute !== null ? `${a.rate_limit_per_minute} / minute` : 'none'}
            </dd>
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
            <button
              type="button"
              className="button button-small button-danger"
              disabled={busy !== null}
              onClick={remove}
            >
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
              <button
                type="button"
                className="button button-small"
                aria-expanded={editing}
                onClick={() => setEditing((v) => !v)}
              >
                Edit
              </button>
            ) : null}
            <button
              type="button"
              className="button button-small button-quiet-danger"
              onClick={() => setConfirming(true)}
            >
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
