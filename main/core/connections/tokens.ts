import type { BrokerEvents } from '../events.js';
import { LatchkeyError } from '../errors.js';
import type { Logger } from '../log.js';
import type { TokenSet } from '../oauth/provider-client.js';
import type { ConnectionRecord, ConnectionStatus, ConnectionStore } from '../store/connections.js';
import type { Vault } from '../vault/vault.js';
import { recordConnectionChange, type ConnectionChangeDeps } from './changes.js';
import type { ProviderApps } from './provider-apps.js';
import { unknownConnection } from './unknown-connection.js';

/** What the vault holds for one connection: an OAuth token pair, or a static key as `access_token`. */
export interface StoredCredential {
  access_token: string;
  refresh_token?: string | undefined;
  expires_at: number | null;
  obtained_at: number;
}

export const credentialKey = (connectionId: string): string => `connection/${connectionId}`;

/**
 * How long before expiry a token counts as "about to expire": a tenth of its lifetime,
 * at most five minutes, so a 5-second token is refreshed half a second early rather
 * than looking expired for its whole life.
 */
export function refreshMargin(credential: Pick<StoredCredential, 'expires_at' | 'obtained_at'>): number {
  if (credential.expires_at === null) return 0;
  const lifetime = Math.max(0, credential.expires_at - credential.obtained_at);
  return Math.min(5 * 60_000, lifetime / 10);
}

export interface TokenManagerDeps {
  vault: Vault;
  connections: ConnectionStore;
  /** The person's OAuth apps: a refresh needs the client of the connection's provider. */
  apps: Pick<ProviderApps, 'clientFor'>;
  events: BrokerEvents;
  /** Status changes are committed here before the refresh that caused them resolves. */
  audit: ConnectionChangeDeps['audit'];
  /** Where proactive refresh failures are reported (nobody awaits them). */
  logger: Logger;
  now?: () => number;
}

const RETRY_AFTER_FAILURE_MS = 30_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps each connection's credential valid: proactive refresh on a timer before expiry,
 * on-demand refresh when a caller finds it stale, both single-flight per connection
 * (any number of concurrent callers cause one token request), rotation honoured, and
 * `invalid_grant` turned into `needs_reauth` without touching the rest of the connection.
 */
export class TokenManager {
  readonly #deps: TokenManagerDeps;
  readonly #now: () => number;
  readonly #inflight = new Map<string, Promise<StoredCredential>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(deps: TokenManagerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  async load(connectionId: string): Promise<StoredCredential | undefined> {
    const raw = await this.#deps.vault.get(credentialKey(connectionId));
    return raw === undefined ? undefined : (JSON.parse(raw) as StoredCredential);
  }

  async save(record: ConnectionRecord, credential: StoredCredential): Promise<void> {
    await this.#deps.vault.set(credentialKey(record.id), JSON.stringify(credential));
    this.schedule(record, credential);
  }

  async forget(connectionId: string): Promise<void> {
    this.#clearTimer(connectionId);
    await this.#deps.vault.delete(credentialKey(connectionId));
  }

  static fromTokenSet(tokens: TokenSet): StoredCredential {
    return {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_at: tokens.expires_at,
      obtained_at: tokens.obtained_at,
    };
  }

  /** A credential valid now, refreshed first when it is about to expire. */
  async current(record: ConnectionRecord): Promise<StoredCredential> {
    const credential = await this.load(record.id);
    if (!credential || record.status === 'needs_reauth') throw reauthorizationRequired(record);
    if (credential.expires_at === null || this.#now() < credential.expires_at - refreshMargin(credential))
      return credential;
    if (!credential.refresh_token) {
      if (this.#now() < credential.expires_at) return credential;
      this.#deps.connections.update(record.id, { status: 'expired' });
      throw reauthorizationRequired(record);
    }
    return this.refresh(record, credential.access_token);
  }

  /**
   * Refreshes once for everyone asking at the same time. `staleAccessToken` is the token
   * the caller found wanting (an upstream 401): if the vault already holds another one,
   * someone refreshed meanwhile and that one is returned without a new request.
   */
  refresh(record: ConnectionRecord, staleAccessToken?: string): Promise<StoredCredential> {
    const running = this.#inflight.get(record.id);
    if (running) return running;
    const attempt = this.#refreshNow(record, staleAccessToken).finally(() => this.#inflight.delete(record.id));
    this.#inflight.set(record.id, attempt);
    return attempt;
  }

  /** Arms the proactive refresh of one connection. */
  schedule(record: ConnectionRecord, credential: StoredCredential, delayOverride?: number): void {
    this.#clearTimer(record.id);
    if (!credential.refresh_token || credential.expires_at === null) return;
    const due = credential.expires_at - refreshMargin(credential) - this.#now();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, delayOverride ?? due));
    const timer = setTimeout(() => {
      this.#timers.delete(record.id);
      const latest = this.#deps.connections.getById(record.id);
      if (!latest || latest.status === 'needs_reauth') return;
      this.refresh(latest).catch((error: unknown) => {
        // Background work: the log is where its failure is seen (the connection's name, never a token).
        this.#deps.logger.error(
          { err: error, connection: latest.name, provider: latest.provider },
          'proactive token refresh failed',
        );
        // Transient failure (network, provider down): try again later; needs_reauth stops the loop.
        if (error instanceof LatchkeyError && error.code === 'reauthorization_required') return;
        const current = this.#deps.connections.getById(record.id);
        if (current) this.schedule(current, credential, RETRY_AFTER_FAILURE_MS);
      });
    }, delay);
    timer.unref();
    this.#timers.set(record.id, timer);
  }

  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  async #refreshNow(record: ConnectionRecord, staleAccessToken: string | undefined): Promise<StoredCredential> {
    // Callers may hold a record read before an earlier refresh learned the grant is gone.
    if (this.#deps.connections.getById(record.id)?.status === 'needs_reauth') throw reauthorizationRequired(record);
    const credential = await this.load(record.id);
    if (!credential) throw reauthorizationRequired(record);
    if (staleAccessToken !== undefined && credential.access_token !== staleAccessToken && !this.#isDue(credential))
      return credential;
    if (!credential.refresh_token) {
      this.#deps.connections.update(record.id, { status: 'expired' });
      await this.#changed(record, 'expired');
      throw reauthorizationRequired(record);
    }
    const client = await this.#deps.apps.clientFor(record.provider, record.auth_method, record.variables);
    let tokens: TokenSet;
    try {
      tokens = await client.refresh(credential.refresh_token);
    } catch (error) {
      if (error instanceof LatchkeyError && error.details.provider_error === 'invalid_grant') {
        this.#deps.connections.update(record.id, { status: 'needs_reauth', last_error: error.message });
        await this.#changed(record, 'needs_reauth');
        throw reauthorizationRequired(record);
      }
      if (error instanceof LatchkeyError) this.#deps.connections.update(record.id, { last_error: error.message });
      throw error;
    }
    const next = TokenManager.fromTokenSet(tokens);
    // Disconnected while the request was out: do not resurrect the vault entry.
    const latest = this.#deps.connections.getById(record.id);
    if (!latest)
      throw unknownConnection(record.name, { nextStep: 'it was disconnected while its token was being refreshed' });
    await this.#deps.vault.set(credentialKey(record.id), JSON.stringify(next));
    const updated = this.#deps.connections.update(record.id, {
      status: 'connected',
      expires_at: next.expires_at,
      refreshable: next.refresh_token !== undefined,
      last_error: null,
      ...(tokens.scopes ? { scopes: tokens.scopes } : {}),
    });
    this.schedule(updated, next);
    await this.#changed(updated, 'connected');
    return next;
  }

  #isDue(credential: StoredCredential): boolean {
    return credential.expires_at !== null && this.#now() >= credential.expires_at - refreshMargin(credential);
  }

  #clearTimer(connectionId: string): void {
    const timer = this.#timers.get(connectionId);
    if (timer) clearTimeout(timer);
    this.#timers.delete(connectionId);
  }

  #changed(record: ConnectionRecord, status: ConnectionStatus): Promise<void> {
    return recordConnectionChange(this.#deps, { id: record.id, name: record.name, provider: record.provider, status });
  }
}

export function reauthorizationRequired(record: Pick<ConnectionRecord, 'name' | 'provider'>): LatchkeyError {
  return new LatchkeyError(
    'reauthorization_required',
    `The connection "${record.name}" must be authorized again by the person (open Latchkey and reconnect ${record.provider}).`,
    412,
    { connection: record.name, provider: record.provider },
  );
}
