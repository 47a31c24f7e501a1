import type { TokenResponse } from '../../common/admin-api.js';
import type { ErrorCode } from '../error-codes.js';
import { LatchkeyError } from '../errors.js';
import type { ClientAuthMethod } from './store.js';

/** RFC 9068 recommends short-lived access tokens; ours live at most 15 minutes. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;
/**
 * Except the token of an exec session, which lives as long as its session (at most 7 days,
 * plus a few minutes so its end is a revocation) and is revoked when its `latchkey exec` ends.
 */
export const MAX_SESSION_TOKEN_LIFETIME_MS = (7 * 24 * 60 + 10) * 60_000;
export const CODE_TTL_MS = 60_000;
export const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];
export const GRANT_TYPES = ['authorization_code', 'client_credentials', 'refresh_token'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
export const isGrantType = (value: string | undefined): value is GrantType =>
  (GRANT_TYPES as readonly (string | undefined)[]).includes(value);

export const PAUSED = 'Latchkey is paused: agents can do nothing until the person resumes it.';
export const oauthError = (code: ErrorCode, message: string, status = 400): LatchkeyError =>
  new LatchkeyError(code, message, status);
export const pausedError = (): LatchkeyError => new LatchkeyError('paused', PAUSED, 403);

/** A request at the token or revocation endpoint: the form parameters and the Authorization header. */
export interface ClientRequest {
  params: Readonly<Record<string, string>>;
  authorization: string | undefined;
}

export type { TokenResponse };

export function required(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw oauthError('invalid_request', `${name} is required`);
  return value;
}

/** Appends parameters to a redirect URI, keeping its own query exactly as registered. */
export function withParams(uri: string, params: Record<string, string | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null && value !== undefined) query.set(key, value);
  return `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
}
