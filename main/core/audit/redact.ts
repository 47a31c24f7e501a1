/** Longest path (with its redacted query) kept in an audit entry. */
export const MAX_AUDIT_PATH = 2048;

const TRUNCATED = '…';

/** C0 controls and DEL are percent-encoded so an entry can't forge lines in a log or CSV viewer. */
const encodeControls = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

/**
 * A request path fit for the audit log: parameter names are kept (they say what was
 * asked), every query value becomes "REDACTED" (values carry ids, search terms and, with
 * some APIs, keys), the fragment is dropped, and the result is capped in length.
 * Idempotent: redacting a redacted path changes nothing.
 */
export function redactPath(pathWithQuery: string): string {
  const withoutFragment = pathWithQuery.split('#', 1)[0] as string;
  const queryAt = withoutFragment.indexOf('?');
  let redacted = withoutFragment;
  if (queryAt !== -1) {
    const query = withoutFragment
      .slice(queryAt + 1)
      .split('&')
      .map((part) => {
        const eq = part.indexOf('=');
        return eq === -1 ? part : `${part.slice(0, eq)}=REDACTED`;
      });
    redacted = `${withoutFragment.slice(0, queryAt)}?${query.join('&')}`;
  }
  redacted = encodeControls(redacted);
  return redacted.length > MAX_AUDIT_PATH ? redacted.slice(0, MAX_AUDIT_PATH - TRUNCATED.length) + TRUNCATED : redacted;
}
