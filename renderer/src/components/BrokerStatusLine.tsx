import type { BrokerStatus } from '../api';
import { fromNow, fullDate, secretPlace } from '../format';
import type { LiveState } from '../live';

type Err = { code: string; description: string } | null;

/** The header's line about the broker: reachable or not, live or reconnecting, version, secret store, uptime. */
export function BrokerStatusLine({
  status,
  error,
  live,
}: {
  status: BrokerStatus | null;
  error: Err;
  live: LiveState;
}) {
  if (error) {
    return (
      <div className="broker-status broker-status-down" role="status" title={`${error.description} (${error.code})`}>
        <span className="status-dot" aria-hidden="true" /> Broker unreachable
      </div>
    );
  }
  if (!status) return <div className="broker-status muted">Connecting…</div>;
  return (
    <div className="broker-status" role="status" data-testid="broker-status">
      <span className="status-dot" aria-hidden="true" />
      <span>Running</span>
      <span className="sep">·</span>
      <span
        data-testid="live-state"
        data-live={live}
        title={live === 'live' ? 'Every view updates as things happen' : 'Reconnecting to the broker’s live events…'}
      >
        {live === 'live' ? 'Live' : 'Reconnecting…'}
      </span>
      <span className="sep">·</span>
      <span>v{status.version}</span>
      <span className="sep">·</span>
      <span title={`Secrets are kept in ${secretPlace(status.secret_store)}`}>
        {status.secret_store === 'keychain' ? 'Keychain' : 'Encrypted file'}
      </span>
      <span className="sep hide-narrow">·</span>
      <span className="hide-narrow" title={`Started ${fullDate(status.started_at) ?? ''} · data in ${status.data_dir}`}>
        started {fromNow(status.started_at)}
      </span>
    </div>
  );
}
