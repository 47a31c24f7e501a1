/*
 * Over 300 lines on purpose: one provider's OAuth client on oauth4webapi, each flow step
 * (authorize URL, code exchange, refresh, revocation, device grant, identity) a few lines around
 * the library call, sharing the client and error mapping set up here.
 */
import * as oauth from 'oauth4webapi';
import type { OAuth2Auth, ProviderDefinition } from '../catalog/types.js';
import type { ErrorCode } from '../error-codes.js';
import { LatchkeyError } from '../errors.js';
import { tokenEndpointAdapter } from './quirks.js';
import { isLoopbackUrl } from '../net.js';

export type OAuthProvider = ProviderDefinition & { auth: OAuth2Auth };

/** The person's own OAuth app for one provider (Latchkey ships no client secrets). */
export interface ClientCredentials {
  client_id: string;
  client_secret?: string | undefined;
}

/** What the broker keeps of a token response. */
export interface TokenSet {
  access_token: string;
  refresh_token?: string | undefined;
  /** Epoch ms, or null when the provider gives no lifetime. */
  expires_at: number | null;
  obtained_at: number;
  /** Scopes the provider says it granted, or null when it does not say (then: what was asked). */
  scopes: string[] | null;
  /** The response members besides the tokens, for identity lookup (never stored). */
  extra: Record<string, unknown>;
}

export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string | undefined;
  expires_in: number;
  interval: number;
}

export type DevicePoll = { status: 'granted'; tokens: TokenSet } | { status: 'pending' } | { status: 'slow_down' };

const REQUEST_TIMEOUT_MS = 15_000;
const USER_AGENT = 'Latchkey (+https://github.com/latchkey)';

/**
 * One provider's OAuth 2.x client side, on top of oauth4webapi: authorization URL,
 * code exchange (PKCE), refresh, RFC 7009 revocation, RFC 8628 device grant and the
 * identity lookup. Provider quirks come from the definition (see quirks.ts).
 */
export class ProviderClient {
  readonly #as: oauth.AuthorizationServer;
  readonly #client: oauth.Client;
  readonly #clientAuth: oauth.ClientAuth;
  readonly #options: oauth.TokenEndpointRequestOptions;

  constructor(
    readonly provider: OAuthProvider,
    credentials: ClientCredentials,
    fetchImpl: typeof fetch = fetch,
  ) {
    const auth = provider.auth;
    this.#as = {
      issuer: auth.issuer ?? new URL(auth.authorization_url).origin,
      authorization_endpoint: auth.authorization_url,
      token_endpoint: auth.token_url,
      ...(auth.revocation_url ? { revocation_endpoint: auth.revocation_url } : {}),
      ...(auth.device_authorization_url ? { device_authorization_endpoint: auth.device_authorization_url } : {}),
    };
    this.#client = { client_id: credentials.client_id };
    this.#clientAuth = clientAuthentication(auth, credentials);
    const adapted = tokenEndpointAdapter(auth, (url, init) => fetchImpl(url, init));
    this.#options = {
      signal: () => AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      headers: { 'user-agent': USER_AGENT },
      ...(adapted ? { [oauth.customFetch]: adapted } : fetchImpl !== fetch ? { [oauth.customFetch]: fetchImpl } : {}),
      // The catalog admits plain http only for loopback hosts (local test providers).
      ...(isLoopbackUrl(auth.token_url) ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }

  get auth(): OAuth2Auth {
    return this.provider.auth;
  }

  authorizationUrl(input: { redirectUri: string; state: string; codeChallenge?: string; scopes: string[] }): string {
    const auth = this.auth;
    const url = new URL(auth.authorization_url);
    const params = url.searchParams;
    params.set('response_type', 'code');
    params.set('client_id', this.#client.client_id);
    params.set('redirect_uri', input.redirectUri);
    params.set('state', input.state);
    if (input.scopes.length > 0 && auth.scopes_in_request !== false) {
      params.set(auth.scope_param ?? 'scope', input.scopes.join(auth.scope_separator ?? ' '));
    }
    if (input.codeChallenge) {
      params.set('code_challenge', input.codeChallenge);
      params.set('code_challenge_method', 'S256');
    }
    for (const [key, value] of Object.entries(auth.authorization_params ?? {})) params.set(key, value);
    return url.href;
  }

  /** Validates the callback (state, `iss`, provider error) and redeems the code. */
  async exchangeCode(
    callback: URLSearchParams,
    input: { state: string; redirectUri: string; codeVerifier: string | undefined },
  ): Promise<TokenSet> {
    const params = new URLSearchParams(callback);
    // Without a known issuer there is nothing to compare `iss` with; state binds the flow.
    if (!this.auth.issuer) params.delete('iss');
    let validated: URLSearchParams;
    try {
      validated = oauth.validateAuthResponse(this.#as, this.#client, params, input.state);
    } catch (error) {
      throw callbackError(error);
    }
    return this.#tokenCall(async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        this.#as,
        this.#client,
        this.#clientAuth,
        validated,
        input.redirectUri,
        input.codeVerifier ?? oauth.nopkce,
        this.#options,
      );
      return oauth.processAuthorizationCodeResponse(this.#as, this.#client, response, {
        expectedNonce: oauth.expectNoNonce,
        requireIdToken: false,
      });
    });
  }

  async refresh(refreshToken: string): Promise<TokenSet> {
    const tokens = await this.#tokenCall(async () => {
      const response = await oauth.refreshTokenGrantRequest(
        this.#as,
        this.#client,
        this.#clientAuth,
        refreshToken,
        this.#options,
      );
      return oauth.processRefreshTokenResponse(this.#as, this.#client, response);
    });
    // Providers that do not rotate keep the old refresh token valid.
    return { ...tokens, refresh_token: tokens.refresh_token ?? refreshToken };
  }

  /** RFC 7009. Returns false when the provider has no revocation endpoint. */
  async revoke(token: string, hint: 'access_token' | 'refresh_token'): Promise<boolean> {
    if (!this.auth.revocation_url) return false;
    try {
      const response = await oauth.revocationRequest(this.#as, this.#client, this.#clientAuth, token, {
        ...this.#options,
        additionalParameters: { token_type_hint: hint },
      });
      await oauth.processRevocationResponse(response);
      return true;
    } catch (error) {
      throw providerError('revocation_failed', 'The provider refused to revoke the token', error);
    }
  }

  async startDevice(scopes: string[]): Promise<DeviceAuthorization> {
    if (!this.auth.device_authorization_url) {
      throw new LatchkeyError(
        'unsupported_method',
        `${this.provider.name} does not offer the device authorization grant`,
        400,
      );
    }
    try {
      const parameters: Record<string, string> = {};
      if (scopes.length > 0 && this.auth.scopes_in_request !== false)
        parameters.scope = scopes.join(this.auth.scope_separator ?? ' ');
      const response = await oauth.deviceAuthorizationRequest(
        this.#as,
        this.#client,
        this.#clientAuth,
        parameters,
        this.#options,
      );
      const result = await oauth.processDeviceAuthorizationResponse(this.#as, this.#client, response);
      return {
        device_code: result.device_code,
        user_code: result.user_code,
        verification_uri: result.verification_uri,
        verification_uri_complete: result.verification_uri_complete,
        expires_in: result.expires_in,
        interval: result.interval ?? 5,
      };
    } catch (error) {
      throw providerError(
        'device_authorization_failed',
        'The provider refused the device authorization request',
        error,
      );
    }
  }

  async pollDevice(deviceCode: string): Promise<DevicePoll> {
    try {
      const tokens = await this.#tokenCall(async () => {
        const response = await oauth.deviceCodeGrantRequest(
          this.#as,
          this.#client,
          this.#clientAuth,
          deviceCode,
          this.#options,
        );
        return oauth.processDeviceCodeResponse(this.#as, this.#client, response);
      });
      return { status: 'granted', tokens };
    } catch (error) {
      const code = error instanceof LatchkeyError ? error.details.provider_error : undefined;
      if (code === 'authorization_pending') return { status: 'pending' };
      if (code === 'slow_down') return { status: 'slow_down' };
      throw error;
    }
  }

  /** The account label, from the identity endpoint or the token response; null when unknown. */
  async identity(tokens: TokenSet, fetchImpl: typeof fetch = fetch): Promise<string | null> {
    const source = this.auth.identity;
    if (!source) return null;
    let document: unknown = tokens.extra;
    if (source.url) {
      // The account label is a nicety: an unreachable identity endpoint leaves it unknown (null), the connection stands.
      const response = await fetchImpl(source.url, {
        method: source.method ?? 'GET',
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          accept: 'application/json',
          'user-agent': USER_AGENT,
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }).catch(() => undefined);
      if (!response?.ok) return null;
      document = await response.json().catch(() => undefined); // not JSON: no label found in it, as above
    }
    for (const path of source.account) {
      const value = readPath(document, path);
      if (typeof value === 'string' && value.length > 0) return value;
      if (typeof value === 'number') return String(value);
    }
    return null;
  }

  async #tokenCall(call: () => Promise<oauth.TokenEndpointResponse>): Promise<TokenSet> {
    let result: oauth.TokenEndpointResponse;
    try {
      result = await call();
    } catch (error) {
      throw providerError('token_request_failed', 'The provider refused the token request', error);
    }
    const { access_token, refresh_token, expires_in, scope, ...extra } = result;
    const obtainedAt = Date.now();
    return {
      access_token,
      refresh_token,
      expires_at: typeof expires_in === 'number' && expires_in > 0 ? obtainedAt + expires_in * 1000 : null,
      obtained_at: obtainedAt,
      scopes: typeof scope === 'string' ? splitScopes(scope) : null,
      extra: stripSecrets(extra),
    };
  }
}

export function splitScopes(scope: string): string[] {
  return [...new Set(scope.split(/[\s,]+/).filter(Boolean))];
}

function clientAuthentication(auth: OAuth2Auth, credentials: ClientCredentials): oauth.ClientAuth {
  if (auth.client_auth === 'none' || !credentials.client_secret) return oauth.None();
  return auth.client_auth === 'client_secret_basic'
    ? oauth.ClientSecretBasic(credentials.client_secret)
    : oauth.ClientSecretPost(credentials.client_secret);
}

/** Drops every member that is or may carry a credential, keeping identity data (team, workspace, owner…). */
function stripSecrets(extra: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) {
    if (/token|secret|code/i.test(key)) continue;
    kept[key] =
      value && typeof value === 'object' && !Array.isArray(value)
        ? stripSecrets(value as Record<string, unknown>)
        : value;
  }
  return kept;
}

function readPath(document: unknown, path: string): unknown {
  let value: unknown = document;
  for (const key of path.split('.')) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The authorization response itself is bad or carries the provider's error. */
function callbackError(error: unknown): LatchkeyError {
  if (error instanceof oauth.AuthorizationResponseError) {
    return new LatchkeyError(
      'authorization_failed',
      error.error_description ?? `The provider answered "${error.error}"`,
      400,
      {
        provider_error: error.error,
        ...(error.error_description ? { provider_error_description: error.error_description } : {}),
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LatchkeyError('invalid_callback', `The authorization response is invalid: ${message}`, 400);
}

/** Maps oauth4webapi and network failures to stable codes, carrying the provider's own error code. */
export function providerError(code: ErrorCode, message: string, error: unknown): LatchkeyError {
  if (error instanceof LatchkeyError) return error;
  if (error instanceof oauth.ResponseBodyError) {
    return new LatchkeyError(
      code,
      error.error_description ? `${message}: ${error.error_description}` : `${message} (${error.error})`,
      502,
      {
        provider_error: error.error,
        provider_status: error.status,
        ...(error.error_description ? { provider_error_description: error.error_description } : {}),
      },
      { cause: error },
    );
  }
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new LatchkeyError(
      'provider_timeout',
      `${message}: the provider did not answer in time`,
      504,
      {},
      { cause: error },
    );
  }
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) {
    return new LatchkeyError(
      'provider_unreachable',
      `${message}: the provider cannot be reached`,
      502,
      {},
      { cause: error },
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new LatchkeyError(code, `${message}: ${detail}`, 502, {}, { cause: error });
}
