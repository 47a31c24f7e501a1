import { hashSecret, randomToken } from './secrets.js';

/** What an authorization code was issued for; the token endpoint checks every field. */
export interface CodeBinding {
  agent_id: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  /** The granted scope, canonical form. */
  scope: string;
  /** The RFC 8707 resource the authorization request named, the token's audience. */
  resource?: string | undefined;
}

/** What a code's redemption produced, so that a replay can revoke it (RFC 6749 §4.1.2). */
export interface CodeRedemption {
  family_id: string;
  jti: string;
  access_expires_at: number;
}

interface Entry {
  binding: CodeBinding;
  expires_at: number;
  redeemed?: CodeRedemption | 'in_progress';
  /** A second use arrived while the first redemption was still being processed. */
  replayed?: boolean;
}

export type Redeemed =
  | { kind: 'fresh'; binding: CodeBinding }
  | { kind: 'replayed'; binding: CodeBinding; redemption: CodeRedemption | undefined };

/**
 * Authorization codes: in memory only (a restart simply voids them), 60 seconds, single
 * use. Entries are keyed by the code's hash, and a redeemed code is remembered until it
 * would have expired so that a second use is recognised as a replay.
 */
export class AuthorizationCodes {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(now: () => number, ttlMs = 60_000) {
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  issue(binding: CodeBinding): string {
    this.#prune();
    const code = randomToken();
    this.#entries.set(hashSecret(code), { binding, expires_at: this.#now() + this.#ttlMs });
    return code;
  }

  /**
   * Undefined for an unknown or expired code. The first use spends the code, whether its
   * checks then pass or not (a thief without the PKCE verifier burns it); later uses are replays.
   */
  redeem(code: string): Redeemed | undefined {
    const entry = this.#entries.get(hashSecret(code));
    if (!entry || entry.expires_at <= this.#now()) return undefined;
    if (entry.redeemed === 'in_progress') {
      entry.replayed = true;
      return { kind: 'replayed', binding: entry.binding, redemption: undefined };
    }
    if (entry.redeemed) return { kind: 'replayed', binding: entry.binding, redemption: entry.redeemed };
    entry.redeemed = 'in_progress';
    return { kind: 'fresh', binding: entry.binding };
  }

  /**
   * Records what the (fresh) redemption of `code` issued. False when the code was
   * replayed meanwhile: then what was issued must be revoked too.
   */
  recordRedemption(code: string, redemption: CodeRedemption): boolean {
    const entry = this.#entries.get(hashSecret(code));
    if (!entry) return true;
    entry.redeemed = redemption;
    return !entry.replayed;
  }

  #prune(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expires_at <= now) this.#entries.delete(key);
  }
}
