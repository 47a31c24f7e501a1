/**
 * The dashboard's Content-Security-Policy, in one place: the broker sends it with the built
 * dashboard, the desktop shell adds it to every broker response in its window, and the
 * renderer's build writes it into index.html as a meta tag (minus frame-ancestors, which
 * browsers ignore there).
 */
export const DASHBOARD_CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
] as const;

export const DASHBOARD_CSP: string = DASHBOARD_CSP_DIRECTIVES.join('; ');

/** The same policy as a `<meta http-equiv>` may carry it: frame-ancestors is header-only. */
export const DASHBOARD_META_CSP: string = DASHBOARD_CSP_DIRECTIVES.filter(
  (directive) => !directive.startsWith('frame-ancestors'),
).join('; ');
