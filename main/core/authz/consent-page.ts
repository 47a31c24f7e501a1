/**
 * The consent page an interactive agent's browser lands on. It only shows who asks for
 * what and waits: the decision is taken in Latchkey (the admin API), never here, so the
 * page has nothing to click and an agent fetching it gains nothing.
 */
import type { ApprovalStatus, RegistrationKind } from '../../common/admin-api.js';
import { escapeHtml } from '../http/pages.js';

/** Scripts only from our origin (consent.js), no framing, no forms. */
export const CONSENT_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface ConsentDetails {
  id: string;
  agent_name: string;
  client_id: string;
  registration: RegistrationKind;
  redirect_host: string;
  scopes: string[];
  status: ApprovalStatus;
}

const STATUS_TEXT: Record<ConsentDetails['status'], string> = {
  pending: 'Waiting for approval in Latchkey…',
  approved: 'Approved. You can close this tab.',
  denied: 'Denied. You can close this tab.',
  expired: 'This request expired. Start again from the application.',
};

const STYLE = `body{font:16px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f6f7f9;color:#1d2330}
main{max-width:32rem;padding:2rem 2.5rem;background:#fff;border-radius:14px;box-shadow:0 2px 18px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin:0 0 .5rem}code{background:#eef0f4;padding:.1rem .35rem;border-radius:5px;word-break:break-all}
#status{font-weight:600}.muted{color:#5b6475;font-size:.9rem}
@media (prefers-color-scheme:dark){body{background:#16181d;color:#e6e8ee}main{background:#1f232b}code{background:#2a2f39}.muted{color:#9aa3b5}}`;

/** How the client registered, and what that says about trusting its name. */
const ORIGIN_TEXT: Record<RegistrationKind, string> = {
  admin: '',
  dynamic:
    '<p id="origin"><strong>Self-registered</strong> via dynamic client registration: any program on this computer can register under any name, so judge it by where the answer goes.</p>',
  metadata_document:
    '<p id="origin"><strong>Self-registered</strong> by its client metadata document (its client ID is that document\'s web address): anyone can publish such a document under any name, so judge it by the address and where the answer goes.</p>',
};

export function consentPage(details: ConsentDetails): string {
  const scopes =
    details.scopes.length > 0
      ? `<ul>${details.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>`
      : '<p>No particular access: you choose what to grant in Latchkey.</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Approve in Latchkey</title><style>${STYLE}</style></head>
<body><main data-status-url="/consent/${encodeURIComponent(details.id)}/status">
<h1>An agent asks for access</h1>
<p><strong>${escapeHtml(details.agent_name)}</strong> <span class="muted">(client <code>${escapeHtml(details.client_id)}</code>)</span> asks to use:</p>
${scopes}
${ORIGIN_TEXT[details.registration]}
<p class="muted">The answer goes back to <code>${escapeHtml(details.redirect_host)}</code>.</p>
<p id="status" role="status">${STATUS_TEXT[details.status]}</p>
<p class="muted">Approve or deny this request in the Latchkey app or dashboard. Nothing on this page can approve it.</p>
</main><script src="/consent/consent.js"></script></body></html>`;
}

/** Polls the status once a second (bounded: longer than a request can stay pending) and follows the decision. */
export const CONSENT_SCRIPT = `(() => {
  'use strict';
  const main = document.querySelector('main[data-status-url]');
  const status = document.getElementById('status');
  if (!main || !status) return;
  const url = main.getAttribute('data-status-url');
  const text = ${JSON.stringify(STATUS_TEXT)};
  let polls = 0;
  const poll = async () => {
    try {
      const response = await fetch(url, { cache: 'no-store', credentials: 'omit' });
      if (response.status === 404) { status.textContent = 'This request no longer exists. Start again from the application.'; return; }
      const body = await response.json();
      if (text[body.status]) status.textContent = text[body.status];
      if (typeof body.redirect_to === 'string') {
        status.textContent = 'Returning to the application…';
        window.location.replace(body.redirect_to);
        return;
      }
      if (body.status !== 'pending') return;
    } catch (_) { /* transient: try again */ }
    if (++polls < 900) setTimeout(poll, 1000);
  };
  poll();
})();
`;
