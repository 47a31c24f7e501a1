export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** CSP for the server-rendered pages: no script at all, inline style only, never framed. */
export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const STYLE = `body{font:16px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f6f7f9;color:#1d2330}
main{max-width:30rem;padding:2rem 2.5rem;background:#fff;border-radius:14px;box-shadow:0 2px 18px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin:0 0 .5rem}.ok{color:#1a7f37}.bad{color:#c0342b}code{background:#eef0f4;padding:.1rem .35rem;border-radius:5px}
@media (prefers-color-scheme:dark){body{background:#16181d;color:#e6e8ee}main{background:#1f232b}code{background:#2a2f39}}`;

/** A tiny standalone page (the OAuth callback answer); every value is escaped. */
export function resultPage(input: { ok: boolean; title: string; lines: string[] }): string {
  const body = input.lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(input.title)} · Latchkey</title><style>${STYLE}</style></head>
<body><main><h1 class="${input.ok ? 'ok' : 'bad'}">${escapeHtml(input.title)}</h1>${body}</main></body></html>`;
}
