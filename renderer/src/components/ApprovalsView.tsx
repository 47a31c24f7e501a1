import { useState } from 'react';
import {
  ApiError,
  describeError,
  type ApprovalView,
  type CallApprovalView,
  type CallApprovalWindow,
  type Connection,
  type LatchkeyApi,
  type ProviderSummary,
} from '../api';
import { byteSize, countdown, fromNow, fullDate, hostOf } from '../format';
import {
  choicesFromGrants,
  grantsFromChoices,
  incompleteConnections,
  scopeStrings,
  type GrantChoices,
} from '../grants';
import { useNow } from '../hooks';
import { Badge, ErrorMessage, ProviderMark, Spinner } from './common';
import { GrantList, GrantPicker, GrantScopeProblem } from './GrantPicker';
import type { Notify } from './Notices';

type Err = { code: string; description: string; details: Readonly<Record<string, unknown>> } | null;

const STATUS_LABEL: Record<ApprovalView['status'], string> = {
  pending: 'Pending',
  approved: 'Approved',
  denied: 'Denied',
  expired: 'Expired',
};

export function ApprovalsView({
  api,
  approvals,
  heldCalls,
  loadError,
  connections,
  providers,
  onDecided,
  onCallDecided,
  notify,
}: {
  api: LatchkeyApi;
  approvals: ApprovalView[] | null;
  /** Calls waiting for the person under ask-first grants. */
  heldCalls: CallApprovalView[];
  loadError: { code: string; description: string } | null;
  connections: Connection[];
  providers: ProviderSummary[];
  onDecided: (approval: ApprovalView) => void;
  onCallDecided: () => void;
  notify: Notify;
}) {
  const pending = approvals?.filter((a) => a.status === 'pending') ?? [];
  const decided = approvals?.filter((a) => a.status !== 'pending') ?? [];
  const now = useNow(pending.length > 0 || heldCalls.length > 0);

  return (
    <section aria-labelledby="approvals-title">
      <div className="page-head">
        <div>
          <h1 id="approvals-title">Approvals</h1>
          <p className="muted">
            Agents that registered themselves, and calls under scopes you asked to be asked about, wait here until you
            decide. Only you can approve, from this dashboard — an agent cannot approve its own request.
          </p>
        </div>
      </div>

      {loadError ? <ErrorMessage code={loadError.code} description={loadError.description} /> : null}
      {approvals === null && !loadError ? (
        <div className="empty">
          <Spinner /> Loading approvals…
        </div>
      ) : null}

      {heldCalls.length > 0 ? (
        <ul className="approval-list" aria-label="Calls waiting for you">
          {heldCalls.map((c) => (
            <HeldCall key={c.id} api={api} call={c} now={now} onDecided={onCallDecided} notify={notify} />
          ))}
        </ul>
      ) : null}

      {approvals !== null && pending.length === 0 && heldCalls.length === 0 ? (
        <div className="empty" data-testid="approvals-empty">
          <h2>Nothing to approve</h2>
          <p className="muted">When an agent asks for access, its request shows up here and in the sidebar.</p>
        </div>
      ) : null}

      {pending.length > 0 ? (
        <ul className="approval-list" aria-label="Pending requests">
          {pending.map((a) => (
            <PendingApproval
              key={a.id}
              api={api}
              approval={a}
              now={now}
              connections={connections}
              providers={providers}
              onDecided={onDecided}
              notify={notify}
            />
          ))}
        </ul>
      ) : null}

      {decided.length > 0 ? (
        <details className="card decided" data-testid="decided">
          <summary>
            Decided and expired <span className="nav-count">{decided.length}</span>
          </summary>
          <ul aria-label="Decided and expired requests">
            {decided.map((a) => (
              <li key={a.id} className="decided-row" data-decided={a.id}>
                <span className="connection-name">{a.agent_name}</span>
                <Badge status={`approval-${a.status}`}>{STATUS_LABEL[a.status]}</Badge>
                <span className="muted small" title={fullDate(a.decided_at ?? a.expires_at)}>
                  {a.status === 'expired' ? `expired ${fromNow(a.expires_at) ?? ''}` : `${fromNow(a.decided_at) ?? ''}`}
                </span>
                <span className="muted small decided-scopes" title={a.granted ? 'Granted' : 'Requested'}>
                  {scopeStrings(a.granted ?? a.requested_grants).join(' ')}
                </span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}

function PendingApproval({
  api,
  approval: a,
  now,
  connections,
  providers,
  onDecided,
  notify,
}: {
  api: LatchkeyApi;
  approval: ApprovalView;
  now: number;
  connections: Connection[];
  providers: ProviderSummary[];
  onDecided: (approval: ApprovalView) => void;
  notify: Notify;
}) {
  const requested = a.requested_grants;
  // An agent that named no scope gets nothing by default: the person chooses.
  const mustChoose = requested.length === 0;
  const [editingChosen, setEditing] = useState(false);
  const editing = mustChoose || editingChosen;
  const [choices, setChoices] = useState<GrantChoices>(() => choicesFromGrants(requested));
  const [busy, setBusy] = useState<'approve' | 'deny' | null>(null);
  const [error, setError] = useState<Err>(null);
  const titleId = `approval-${a.id}-title`;

  async function decide(decision: 'approve' | 'deny') {
    setBusy(decision);
    setError(null);
    try {
      // Without edits the broker grants exactly what was requested.
      const updated = await api.decide(
        a.id,
        decision === 'deny' ? { decision } : editing ? { decision, grants: grantsFromChoices(choices) } : { decision },
      );
      notify('success', `${decision === 'approve' ? 'Approved' : 'Denied'} ${a.agent_name}.`);
      onDecided(updated);
    } catch (e) {
      setError({ ...describeError(e), details: e instanceof ApiError ? e.body : {} });
      setBusy(null);
    }
  }

  const incomplete = incompleteConnections(choices);
  const editedGrants = grantsFromChoices(choices);

  return (
    <li className="card approval" data-approval={a.id}>
      <header className="approval-head">
        <ProviderMark id={a.agent_id} name={a.agent_name} />
        <div className="approval-title">
          <h2 id={titleId}>
            <span className="connection-name">{a.agent_name}</span> asks for access
          </h2>
          <div className="muted small">
            asked <span title={fullDate(a.created_at)}>{fromNow(a.created_at, now)}</span>
            <span className="sep">·</span>
            <span title={fullDate(a.expires_at)}>expires in {countdown(a.expires_at, now)}</span>
          </div>
        </div>
      </header>
      <dl className="facts approval-facts">
        <div>
          <dt>Client ID</dt>
          <dd>
            <code>{a.client_id}</code>
          </dd>
        </div>
        <div>
          <dt>Sends you back to</dt>
          <dd title={a.redirect_uri} data-testid="redirect-host">
            {hostOf(a.redirect_uri)}
          </dd>
        </div>
        <div>
          <dt>Registered</dt>
          <dd data-testid="registered-via">
            {a.registration === 'dynamic' ? (
              <>
                <strong>Self-registered</strong> via dynamic client registration (any program on this computer can pick
                any name); answers go to {a.redirect_hosts.join(', ')}
              </>
            ) : a.registration === 'metadata_document' ? (
              <>
                <strong>Self-registered</strong> by its client metadata document at <code>{a.client_id}</code> (anyone
                can publish one under any name); answers go to {a.redirect_hosts.join(', ')}
              </>
            ) : (
              'Created in Latchkey'
            )}
          </dd>
        </div>
      </dl>
      <div className="field">
        <span className="label">Requested</span>
        {mustChoose ? (
          <p className="muted small">No particular scope: choose what to grant below.</p>
        ) : (
          <GrantList grants={requested} label={`Scopes ${a.agent_name} requests`} />
        )}
      </div>

      {editing ? (
        <div className="subsection">
          <GrantPicker
            legend="Grant instead"
            connections={connections}
            providers={providers}
            choices={choices}
            onChange={setChoices}
          />
        </div>
      ) : null}

      {error ? (
        <ErrorMessage code={error.code} description={error.description}>
          <GrantScopeProblem details={error.details} />
        </ErrorMessage>
      ) : null}

      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={busy !== null || (editing && (incomplete.length > 0 || editedGrants.length === 0))}
          onClick={() => void decide('approve')}
        >
          {busy === 'approve' ? <Spinner /> : null} {editing ? 'Approve with these grants' : 'Approve'}
        </button>
        {mustChoose ? null : (
          <button
            type="button"
            className="button"
            aria-expanded={editing}
            disabled={busy !== null}
            onClick={() => {
              if (editing) setChoices(choicesFromGrants(requested));
              setEditing(!editing);
            }}
          >
            {editing ? 'Use the requested scopes' : 'Edit grants…'}
          </button>
        )}
        <button
          type="button"
          className="button button-quiet-danger"
          disabled={busy !== null}
          onClick={() => void decide('deny')}
        >
          {busy === 'deny' ? <Spinner /> : null} Deny
        </button>
      </div>
    </li>
  );
}

const WINDOW_LABEL: Record<CallApprovalWindow, string> = {
  once: 'Allow once',
  '1h': 'Allow for 1 hour',
  always: 'Always allow',
};

/** A call held under an ask-first grant: what it does, and the person's answer (it waits until expires_at). */
function HeldCall({
  api,
  call: c,
  now,
  onDecided,
  notify,
}: {
  api: LatchkeyApi;
  call: CallApprovalView;
  now: number;
  onDecided: () => void;
  notify: Notify;
}) {
  const [busy, setBusy] = useState<CallApprovalWindow | 'deny' | null>(null);
  const [error, setError] = useState<Err>(null);
  const titleId = `call-${c.id}-title`;

  async function decide(answer: CallApprovalWindow | 'deny') {
    setBusy(answer);
    setError(null);
    try {
      await api.decideCall(c.id, answer === 'deny' ? { decision: 'deny' } : { decision: 'approve', for: answer });
      notify(
        'success',
        answer === 'deny'
          ? `Denied: ${c.agent_name} may not ${c.summary}.`
          : `${WINDOW_LABEL[answer]}: ${c.agent_name} may ${c.summary}.`,
      );
      onDecided();
    } catch (e) {
      setError({ ...describeError(e), details: e instanceof ApiError ? e.body : {} });
      setBusy(null);
    }
  }

  return (
    <li className="card approval held-call" data-call={c.id} aria-labelledby={titleId}>
      <header className="approval-head">
        <ProviderMark id={c.agent_id} name={c.agent_name} />
        <div className="approval-title">
          <h2 id={titleId}>
            <span className="connection-name">{c.agent_name}</span> wants to{' '}
            <span className="held-call-summary">{c.summary}</span>
          </h2>
          <div className="muted small">
            waiting since <span title={fullDate(c.created_at)}>{fromNow(c.created_at, now)}</span>
            <span className="sep">·</span>
            <span title={fullDate(c.expires_at)}>refused in {countdown(c.expires_at, now)} without an answer</span>
          </div>
        </div>
      </header>
      <dl className="facts approval-facts">
        <div>
          <dt>Connection</dt>
          <dd>{c.connection}</dd>
        </div>
        <div>
          <dt>Call</dt>
          <dd>
            <code>
              {c.method} {c.path}
            </code>
          </dd>
        </div>
        <div>
          <dt>Body</dt>
          <dd>{c.body_bytes === null ? 'size not announced' : c.body_bytes === 0 ? 'none' : byteSize(c.body_bytes)}</dd>
        </div>
        <div>
          <dt>Asks under</dt>
          <dd>{c.scopes.join(', ')}</dd>
        </div>
      </dl>
      {error ? <ErrorMessage code={error.code} description={error.description} /> : null}
      <div className="actions">
        {(['once', '1h', 'always'] as const).map((window) => (
          <button
            key={window}
            type="button"
            className={window === 'once' ? 'button button-primary' : 'button'}
            disabled={busy !== null}
            onClick={() => void decide(window)}
          >
            {busy === window ? <Spinner /> : null} {WINDOW_LABEL[window]}
          </button>
        ))}
        <button
          type="button"
          className="button button-quiet-danger"
          disabled={busy !== null}
          onClick={() => void decide('deny')}
        >
          {busy === 'deny' ? <Spinner /> : null} Deny
        </button>
      </div>
    </li>
  );
}
