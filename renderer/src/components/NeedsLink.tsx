import { KeyIcon } from './KeyIcon';

/** The gate shown without an accepted admin token: where to find the dashboard link. */
export function NeedsLink({ rejected }: { rejected: boolean }) {
  return (
    <div className="gate">
      <div className="card gate-card" role="alert" data-testid="needs-link">
        <KeyIcon large />
        <h1>
          Open the dashboard link printed by <code>latchkey serve</code> (or from the tray)
        </h1>
        <p className="muted">
          {rejected
            ? 'The broker did not accept this page’s admin token — the link is probably from an earlier run of Latchkey.'
            : 'This page needs the admin token that comes in that link. It stays in this tab only and is removed from the address bar.'}
        </p>
        <ul className="muted small gate-list">
          <li>
            In a terminal: run <code>latchkey serve</code> and open the <code>http://127.0.0.1:…/#admin=…</code> link it
            prints.
          </li>
          <li>
            In the desktop app: choose <strong>Open Latchkey</strong> from the tray menu.
          </li>
        </ul>
      </div>
    </div>
  );
}
