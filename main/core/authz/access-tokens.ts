import { SignJWT, errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { LatchkeyError } from '../errors.js';
import { loopbackAliases } from '../net.js';
import { formatScope, parseScope, type ScopeMap } from './grants.js';
import { SIGNING_ALG, type SigningKeys } from './keys.js';
import { randomId } from './secrets.js';
import type { AgentStore, RevokedJti } from './store.js';

/** RFC 9068 JWT access tokens carry this `typ`, so no other JWT can pass for one. */
const TOKEN_TYPE = 'at+jwt';
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'client_id', 'scope', 'connection_ids'];
/** Far above any token we sign (ES256 tokens with long scopes stay under 2 KiB). */
const MAX_TOKEN_LENGTH = 8192;
/** Verified tokens remembered, so an agent's repeated calls skip the ECDSA check (~0.2 ms each). */
const VERIFIED_CACHE_SIZE = 1024;

/** What a token may be spent at (RFC 8707 audience), as a path of the broker: the proxy (the default) or the MCP endpoint. */
export type TokenResource = '/proxy' | '/mcp';

export interface IssuedAccessToken {
  token: string;
  jti: string;
  /** epoch ms */
  expires_at: number;
  expires_in: number;
  scope: string;
}

/** The verified claims of one of our access tokens. */
export interface AccessClaims {
  sub: string;
  client_id: string;
  jti: string;
  /** epoch seconds */
  iat: number;
  exp: number;
  scope: ScopeMap;
  /** The id of each connection the scope names, as it was when the token was issued. */
  connection_ids: ReadonlyMap<string, string>;
  /** The audience it was minted for. */
  aud: string;
  /** The exec session it belongs to (main/core/sessions), if any. */
  sid?: string;
}

/** A token of an exec session: it lives until `expiresAt` (epoch ms) rather than the TTL, and names the session. */
export interface SessionBinding {
  id: string;
  expiresAt: number;
}

export interface AccessTokensDeps {
  keys: SigningKeys;
  store: AgentStore;
  issuer: () => string;
  now: () => number;
  ttlSeconds: number;
}

/**
 * Signing and verification of access tokens (ES256 JWTs, RFC 9068 profile), and the set
 * of access tokens revoked before their expiry. Verification touches neither SQLite nor
 * the vault: keys and revoked ids are in memory.
 */
export class AccessTokens {
  readonly #deps: AccessTokensDeps;
  /** jti → expiry (epoch ms); persisted so a restart does not revive a revoked token. */
  readonly #revoked = new Map<string, number>();
  /** token → its claims, for tokens whose signature and claims already verified (oldest first). */
  readonly #verified = new Map<string, AccessClaims>();
  /** issuer + resource → the audiences accepted there (see #audiences). */
  readonly #audienceCache = new Map<string, string[]>();

  constructor(deps: AccessTokensDeps) {
    this.#deps = deps;
    const now = deps.now();
    deps.store.pruneRevokedJtis(now);
    for (const { jti, expires_at } of deps.store.revokedJtis(now)) this.#revoked.set(jti, expires_at);
  }

  /** The audience tokens for `resource` are minted with: the resource as the broker's canonical origin spells it. */
  audience(resource: TokenResource = '/proxy'): string {
    return `${this.#deps.issuer()}${resource}`;
  }

  tokenEndpoint(): string {
    return `${this.#deps.issuer()}/oauth/token`;
  }

  /**
   * `connectionIds` binds each connection of `scope` to its id (a later connection of the same name is another one);
   * `audience` is the resource URL the client named (any loopback spelling of ours), the proxy by default.
   */
  async issue(
    subject: { id: string; client_id: string },
    scope: ScopeMap,
    connectionIds: ReadonlyMap<string, string>,
    audience = this.audience(),
    session?: SessionBinding,
  ): Promise<IssuedAccessToken> {
    const iat = Math.floor(this.#deps.now() / 1000);
    const exp = session ? Math.ceil(session.expiresAt / 1000) : iat + this.#deps.ttlSeconds;
    const jti = randomId();
    const scopeText = formatScope(scope);
    const { kid, privateKey } = this.#deps.keys.current;
    const boundIds = Object.fromEntries([...scope.keys()].map((name) => [name, connectionIds.get(name)]));
    const token = await new SignJWT({
      client_id: subject.client_id,
      scope: scopeText,
      connection_ids: boundIds,
      ...(session ? { sid: session.id } : {}),
    })
      .setProtectedHeader({ alg: SIGNING_ALG, typ: TOKEN_TYPE, kid })
      .setIssuer(this.#deps.issuer())
      .setAudience(audience)
      .setSubject(subject.id)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(privateKey);
    return { token, jti, expires_at: exp * 1000, expires_in: exp - iat, scope: scopeText };
  }

  /**
   * Verifies signature (ES256 only, by `kid`), `typ`, `iss`, `aud` (`resource` under any
   * loopback spelling: a token minted for another resource is refused), lifetime and claim
   * types, then the revoked set. Throws 401 invalid_token, token_expired or token_revoked.
   */
  async verify(token: string, resource: TokenResource = '/proxy'): Promise<AccessClaims> {
    const audiences = this.#audiences(resource);
    const known = this.#verified.get(token);
    if (known) {
      if (!audiences.includes(known.aud))
        throw this.error('invalid_token', 'The access token was issued for another resource.');
      // Same rules as jose: expired once the current second reaches `exp`.
      if (Math.floor(this.#deps.now() / 1000) >= known.exp) {
        this.#verified.delete(token);
        throw this.error('token_expired', 'The access token has expired; get a new one from the token endpoint.');
      }
      if (this.isRevoked(known.jti)) throw this.error('token_revoked', 'This access token was revoked.');
      return known;
    }
    if (token.length > MAX_TOKEN_LENGTH)
      throw this.error('invalid_token', 'The access token is too long to be one of ours.');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, (header: JWTHeaderParameters) => this.#key(header), {
        algorithms: [SIGNING_ALG],
        typ: TOKEN_TYPE,
        issuer: this.#deps.issuer(),
        audience: audiences,
        requiredClaims: REQUIRED_CLAIMS,
        currentDate: new Date(this.#deps.now()),
      }));
    } catch (error) {
      if (error instanceof LatchkeyError) throw error;
      if (error instanceof joseErrors.JWTExpired)
        throw this.error('token_expired', 'The access token has expired; get a new one from the token endpoint.');
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud')
        throw this.error('invalid_token', 'The access token was issued for another resource.');
      const reason = error instanceof joseErrors.JOSEError ? `: ${error.message}` : '';
      throw this.error('invalid_token', `The access token is not valid${reason}.`);
    }
    const { sub, client_id, jti, iat, exp, scope, aud, sid, connection_ids: ids } = payload;
    if (
      typeof aud !== 'string' ||
      typeof sub !== 'string' ||
      typeof client_id !== 'string' ||
      typeof jti !== 'string' ||
      typeof scope !== 'string' ||
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      (sid !== undefined && typeof sid !== 'string')
    ) {
      throw this.error('invalid_token', 'The access token has malformed claims.');
    }
    let scopes: ScopeMap;
    try {
      scopes = parseScope(scope);
    } catch {
      throw this.error('invalid_token', 'The access token has a malformed scope.');
    }
    const connectionIds = new Map<string, string>();
    for (const name of scopes.keys()) {
      const id: unknown =
        typeof ids === 'object' && ids !== null && Object.hasOwn(ids, name)
          ? (ids as Record<string, unknown>)[name]
          : undefined;
      if (typeof id !== 'string') throw this.error('invalid_token', 'The access token has malformed claims.');
      connectionIds.set(name, id);
    }
    if (this.isRevoked(jti)) throw this.error('token_revoked', 'This access token was revoked.');
    const claims: AccessClaims = {
      sub,
      client_id,
      jti,
      iat,
      exp,
      scope: scopes,
      connection_ids: connectionIds,
      aud,
      ...(typeof sid === 'string' ? { sid } : {}),
    };
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value as string);
    this.#verified.set(token, claims);
    return claims;
  }

  /** The audiences a token for `resource` may name: every loopback spelling of the issuer, built once per issuer (it changes when the port is known). */
  #audiences(resource: TokenResource): string[] {
    const issuer = this.#deps.issuer();
    const key = `${issuer}${resource}`;
    let audiences = this.#audienceCache.get(key);
    if (audiences === undefined) {
      audiences = loopbackAliases(issuer).map((origin) => `${origin}${resource}`);
      if (this.#audienceCache.size >= 8) this.#audienceCache.clear();
      this.#audienceCache.set(key, audiences);
    }
    return audiences;
  }

  isRevoked(jti: string): boolean {
    const expiresAt = this.#revoked.get(jti);
    return expiresAt !== undefined && expiresAt > this.#deps.now();
  }

  /** Revokes access tokens until they expire (already expired ones need nothing). */
  revoke(jtis: readonly RevokedJti[]): void {
    const now = this.#deps.now();
    const live = jtis.filter((j) => j.expires_at > now);
    this.#deps.store.insertRevokedJtis(live);
    this.#deps.store.pruneRevokedJtis(now);
    for (const { jti, expires_at } of live) this.#revoked.set(jti, expires_at);
    for (const [jti, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(jti);
  }

  /** A 401 for the proxy's callers, telling them where to get a new token. */
  error(code: 'invalid_token' | 'token_expired' | 'token_revoked', message: string): LatchkeyError {
    return new LatchkeyError(code, message, 401, { token_endpoint: this.tokenEndpoint() });
  }

  #key(header: JWTHeaderParameters) {
    const key = typeof header.kid === 'string' ? this.#deps.keys.verificationKey(header.kid) : undefined;
    if (!key) throw this.error('invalid_token', 'The access token was not signed by a current Latchkey key.');
    return key;
  }
}
