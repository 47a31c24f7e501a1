import { countdown, hostOf } from '../format';
import { useNow } from '../hooks';
import { openExternal, type FlowState } from '../useConnectFlow';
import { CopyButton, ErrorMessage, Spinner } from './common';

/** Progress of one connect attempt: waiting for the browser, a device code, the result. */
export function FlowPanel({
  state,
  providerName,
  onCancel,
  onDismiss,
}: {
  state: FlowState;
  providerName: string;
  onCancel: () => void;
  onDismiss: () => void;
}) {
  const pending = state.phase === 'browser' || state.phase === 'device';
  const now = useNow(pending);

  switch (state.phase) {
    case 'idle':
      return null;
    case 'starting':
      return (
        <div className="flow" aria-live="polite">
          <Spinner /> Starting…
        </div>
      );
    case 'browser':
      return (
        <div className="flow flow-pending" aria-live="polite" data-flow="pending">
          <div className="flow-row">
            <Spinner label="Waiting" />
            <div>
              <strong>Waiting for you to approve access in your browser…</strong>
              <div className="muted small">
                The sign-in page of {hostOf(state.authorizeUrl)} opened in a new window. This page updates by itself (
                {countdown(state.expiresAt, now)} left).
              </div>
            </div>
          </div>
          <div className="actions">
            <button type="button" className="button button-small" onClick={() => openExternal(state.authorizeUrl)}>
              Open the sign-in page again
            </button>
            <button type="button" className="button button-small button-quiet" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </div>
      );
    case 'device': {
      const target = state.verificationUriComplete ?? state.verificationUri;
      return (
        <div className="flow flow-pending" aria-live="polite" data-flow="pending">
          <div className="muted small">
            Go to{' '}
            <a href={target} target="_blank" rel="noopener noreferrer">
              {state.verificationUri}
            </a>{' '}
            and enter this code:
          </div>
          <div className="device-code-row">
            <code className="device-code" data-testid="user-code">
              {state.userCode}
            </code>
            <CopyButton text={state.userCode} label="Copy code" />
          </div>
          <div className="flow-row">
            <Spinner label="Waiting" />
            <span className="muted small">
              Waiting for {providerName} to confirm… ({countdown(state.expiresAt, now)} left)
            </span>
          </div>
          <div className="actions">
            <button type="button" className="button button-small button-primary" onClick={() => openExternal(target)}>
              Open {hostOf(state.verificationUri)}
            </button>
            <button type="button" className="button button-small button-quiet" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </div>
      );
    }
    case 'connected': {
      const c = state.connection;
      return (
        <div className="message message-success" role="status" data-flow="connected">
          <div>
            Connected to {providerName}
            {c ? (
              <>
                {' '}
                as <strong>{c.account ?? c.name}</strong> (connection <code>{c.name}</code>)
              </>
            ) : null}
            .
          </div>
          <button type="button" className="button button-small button-quiet" onClick={onDismiss}>
            Done
          </button>
        </div>
      );
    }
    case 'failed':
      return (
        <div data-flow="failed">
          <ErrorMessage code={state.code} description={state.description}>
            <button type="button" className="button button-small button-quiet" onClick={onDismiss}>
              Dismiss
            </button>
          </ErrorMessage>
        </div>
      );
  }
}
