import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh 256-bit random value, base64url: client secrets, refresh tokens, codes. */
export const randomToken = (): string => randomBytes(32).toString('base64url');

/**
 * A random identifier (not a credential): agent, approval, family and token ids. People type
 * some of them as arguments (`latchkey approve ID`), so none starts with '-', which a command
 * line would read as an option.
 */
export const randomId = (bytes = 16): string => randomBytes(bytes).toString('base64url').replace(/^-/, '_');

/**
 * How a credential is stored: sha256, hex. The values are 256-bit random, so a plain
 * hash is already infeasible to invert; no salt or slow KDF is needed (unlike passwords).
 */
export const hashSecret = (value: string): string => createHash('sha256').update(value).digest('hex');

/** Constant-time check of a presented value against a stored hashSecret(). */
export function secretMatches(presented: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = createHash('sha256').update(presented).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export const s256 = (verifier: string): string => createHash('sha256').update(verifier, 'ascii').digest('base64url');

/** Constant-time equality of two strings (PKCE challenge comparison). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
