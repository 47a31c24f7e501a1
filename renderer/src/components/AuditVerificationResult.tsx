import type { AuditVerification } from '../api';

/** What verifying the hash chain found, dismissable. */
export function VerificationResult({ result, onDismiss }: { result: AuditVerification; onDismiss: () => void }) {
  const checked = result.checked.toLocaleString();
  return (
    <div
      className={`message ${result.ok ? 'message-success' : 'message-error'} verify-result`}
      role={result.ok ? 'status' : 'alert'}
      data-testid="verify-result"
      data-ok={result.ok}
    >
      <div>
        {result.ok ? (
          <>
            <strong>The chain is intact.</strong> {checked} {result.checked === 1 ? 'entry' : 'entries'} checked; none
            was edited or deleted.
          </>
        ) : (
          <>
            <strong>
              The chain is broken{result.first_bad !== undefined ? ` at entry #${result.first_bad}` : ''}.
            </strong>{' '}
            {result.reason ?? 'That entry or the one before it was edited or deleted after it was written.'} ({checked}{' '}
            checked)
          </>
        )}
      </div>
      <button type="button" className="button button-small button-quiet" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
