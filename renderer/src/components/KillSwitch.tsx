/**
 * The kill switch: one click refuses every agent request (403 `paused`) until resumed.
 * `paused` is null until the broker has told its state.
 */
export function KillSwitch({
  paused,
  busy,
  onChange,
}: {
  paused: boolean | null;
  busy: boolean;
  onChange: (paused: boolean) => void;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={paused === true}
      className={`kill-switch${paused ? ' kill-switch-on' : ''}`}
      disabled={paused === null || busy}
      onClick={() => onChange(!paused)}
      title={
        paused ? 'Agents are paused: click to let them through again' : 'Refuse every agent request until you resume'
      }
      data-testid="kill-switch"
    >
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      <span>Pause all agents</span>
    </button>
  );
}

export function PausedBanner({ busy, onResume }: { busy: boolean; onResume: () => void }) {
  return (
    <div className="paused-banner" role="alert" data-testid="paused-banner">
      <svg className="paused-icon" width="18" height="18" viewBox="0 0 18 18" aria-hidden="true" focusable="false">
        <rect x="4" y="3" width="3.5" height="12" rx="1" />
        <rect x="10.5" y="3" width="3.5" height="12" rx="1" />
      </svg>
      <div>
        <strong>All agent requests are refused.</strong>{' '}
        <span>
          Every agent gets 403 <code>paused</code> until you resume.
        </span>
      </div>
      <button type="button" className="button button-small" disabled={busy} onClick={onResume}>
        Resume agents
      </button>
    </div>
  );
}
