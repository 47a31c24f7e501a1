import { LatchkeyError } from '../errors.js';

/** Anything but printable ASCII and the space: line breaks, NUL, tabs and other controls, DEL, non-ASCII. */
const NOT_IN_A_HEADER = /[^\x20-\x7e]/;

/**
 * A pasted key, token or client secret, trimmed, checked before it is stored: it is sent
 * as (part of) an HTTP header value, where a line break or another control character
 * would make every later call on it fail (or, unchecked, smuggle a header). 400
 * `invalid_secret` says where the bad character is, never the secret itself.
 */
export function pastedSecret(value: string, what: string, field: string): string {
  const secret = value.trim();
  const bad = NOT_IN_A_HEADER.exec(secret);
  if (bad) {
    const code = bad[0].codePointAt(0) as number;
    throw new LatchkeyError(
      'invalid_secret',
      `The ${what} has a character that cannot be sent in an HTTP header (U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${bad.index + 1}): paste it again as one line of printable characters, without line breaks.`,
      400,
      { field },
    );
  }
  return secret;
}
