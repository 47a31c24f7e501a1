import type { BrokerEvents } from '../events.js';
import * as oauth from 'oauth4webapi';
import { checkVariables } from '../catalog/bases.js';
import type { Catalog } from '../catalog/catalog.js';
import type { OAuth2Auth, ProviderDefinition } from '../catalog/types.js';
import { LatchkeyError } from '../errors.js';
import type { BrowserFlow, DeviceFlow, Flow, FlowRegistry } from '../oauth/flows.js';
import { ProviderClient, type OAuthProvider, type TokenSet } from '../oauth/provider-client.js';
import type { AuthMethod, ConnectionRecord, ConnectionStore } from '../store/connections.js';
import type { ProviderClientStore } from '../store/provider-clients.js';
import type { Vault } from '../vault/vault.js';
import { pastedSecret } from './pasted-secret.js';
import { recordConnectionChange, type ConnectionChangeDeps } from './changes.js';
import { TokenManager, type StoredCredential } from './tokens.js';

export type ConnectMethod = 'browser' | 'device' | 'personal_token' | 'api_key';

export interface ConnectRequest {
  provider: string;
  method?: ConnectMethod | undefined;
  scopes?: string[] | undefined;
  name?: string | undefined;
  secret?: string | undefined;
  /** The provider's template variables (`{subdomain: "acme"}`); checked, never URLs. */
  variables?: Record<string, string> | undefined;
}

export type ConnectStart =
  | { kind: 'browser'; flow_id: string; authorize_url: string; redirect_uri: string; expires_at: number }
  | { kind: 'device'; flow_id: string; user_code: string; verification_uri: string; verification_uri_complete?: string | undefined; expires_at: number }
  | { kind: 'connected'; connection: ConnectionRecord };

export interface ConnectionServiceDeps {
  catalog: Catalog;
  dataDir: string;
  vault: Vault;
  connections: ConnectionStore;
  clients: ProviderClientStore;
  flows: FlowRegistry;
  tokens: TokenManager;
  events: BrokerEvents;
  /** Connection changes are committed here before the caller is answered. */
  audit: ConnectionChangeDeps['audit'];
  /** The port the broker listens on, known once it is bound. */
  port: () => number;
}

const clientSecretKey = (provider: string): string => `client/${provider}`;
const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Connecting, listing, refreshing and disconnecting accounts: the person's side of the
 * broker. Provider protocol work is in ProviderClient, token upkeep in TokenManager.
 */
export class ConnectionService {
  readonly #deps: ConnectionServiceDeps;
  readonly #devicePolls = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(deps: ConnectionServiceDeps) {
    this.#deps = deps;
  }

  redirectUri(provider: ProviderDefinition): string | null {
    if (provider.auth.type !== 'oauth2') return null;
    return `http://${provider.auth.redirect.host}:${this.#deps.port()}/oauth/callback`;
  }

  connectMethods(provider: ProviderDefinition): ConnectMethod[] {
    if (provider.auth.type === 'api_key') return ['api_key'];
    const methods: ConnectMethod[] = ['browser'];
    if (provider.auth.device_authorization_url) methods.push('device');
    if (provider.auth.personal_token) methods.push('personal_token');
    return methods;
  }

  async setClient(providerId: string, clientId: string, clientSecret: string | undefined): Promise<void> {
    const provider = this.#oauthProvider(providerId);
    if (clientSecret !== undefined && clientSecret !== '') {
      await this.#deps.vault.set(clientSecretKey(provider.id), pastedSecret(clientSecret, `${provider.name} client secret`, 'client_secret'));
    } else if (clientSecret === '') {
      await this.#deps.vault.delete(clientSecretKey(provider.id));
    }
    const hasSecret = clientSecret === undefined ? this.#deps.clients.get(provider.id)?.has_secret ?? false : clientSecret !== '';
    this.#deps.clients.upsert(provider.id, clientId, hasSecret);
  }

  /**
   * The OAuth client for a provider, with the person's app credentials. The device grant
   * needs no client secret (GitHub), so `method: 'device'` does not insist on one.
   */
  async clientFor(providerId: string, method: AuthMethod = 'oauth'): Promise<ProviderClient> {
    const provider = this.#oauthProvider(providerId);
    const app = this.#deps.clients.get(provider.id);
    if (!app) {
      throw new LatchkeyError('client_not_configured', `Set up your own ${provider.name} OAuth app first: register the redirect URI and enter its client ID.`, 400, {
        provider: provider.id,
        redirect_uri: this.redirectUri(provider),
        configure: `PUT /admin/api/providers/${provider.id}/client`,
      });
    }
    const secret = app.has_secret ? await this.#deps.vault.get(clientSecretKey(provider.id)) : undefined;
    if (provider.auth.client_secret === 'required' && !secret && method !== 'device') {
      throw new LatchkeyError('client_secret_required', `${provider.name} requires your OAuth app's client secret; enter it with the client ID.`, 400, {
        provider: provider.id,
        configure: `PUT /admin/api/providers/${provider.id}/client`,
      });
    }
    return new ProviderClient(provider, { client_id: app.client_id, client_secret: secret });
  }

  async connect(request: ConnectRequest): Promise<ConnectStart> {
    const provider = this.#deps.catalog.require(request.provider);
    const method = request.method ?? (provider.auth.type === 'api_key' ? 'api_key' : 'browser');
    if (!this.connectMethods(provider).includes(method)) {
      throw new LatchkeyError('unsupported_method', `${provider.name} cannot be connected with "${method}"`, 400, {
        provider: provider.id,
        connect_methods: this.connectMethods(provider),
      });
    }
    const name = this.#connectionName(provider, request.name);
    const scopes = this.#requestedScopes(provider, request.scopes, method);
    const variables = checkVariables(provider, request.variables);
    switch (method) {
      case 'browser':
        return this.#startBrowser(provider as OAuthProvider, name, scopes, variables);
      case 'device':
        return this.#startDevice(provider as OAuthProvider, name, scopes, variables);
      case 'personal_token':
      case 'api_key':
        return { kind: 'connected', connection: await this.#connectWithSecret(provider, method, name, scopes, request.secret, variables) };
    }
  }

  /** The browser came back to /oauth/callback. */
  async completeBrowser(params: URLSearchParams): Promise<ConnectionRecord> {
    const flow = this.#deps.flows.claimByState(params.get('state'));
    try {
      const client = await this.clientFor(flow.provider);
      const tokens = await client.exchangeCode(params, { state: flow.state, redirectUri: flow.redirect_uri, codeVerifier: flow.code_verifier });
      return await this.#finish(flow, client, 'oauth', tokens);
    } catch (error) {
      throw this.#failFlow(flow, error);
    }
  }

  flow(id: string): Flow {
    const flow = this.#deps.flows.get(id);
    if (!flow) throw new LatchkeyError('unknown_flow', `No connect flow "${id}" (flows are kept 20 minutes)`, 404);
    return flow;
  }

  list(): ConnectionRecord[] {
    return this.#deps.connections.list();
  }

  get(name: string): ConnectionRecord {
    const record = this.#deps.connections.getByName(name);
    if (!record) {
      throw new LatchkeyError('unknown_connection', `No connection named "${name}"`, 404, {
        available: this.#deps.connections.list().map((c) => c.name),
      });
    }
    return record;
  }

  async refresh(name: string): Promise<ConnectionRecord> {
    const record = this.get(name);
    if (record.auth_method === 'api_key' || record.auth_method === 'personal_token') {
      throw new LatchkeyError('not_refreshable', `"${name}" uses a static key; there is nothing to refresh`, 400);
    }
    await this.#deps.tokens.refresh(record);
    return this.get(name);
  }

  /** Revokes at the provider where it can (RFC 7009), then forgets the credential and the row. */
  async disconnect(name: string): Promise<{ revoked_at_provider: boolean; revocation_error?: string }> {
    const record = this.get(name);
    const credential = await this.#deps.tokens.load(record.id);
    let revoked = false;
    let revocationError: string | undefined;
    const provider = this.#deps.catalog.get(record.provider);
    if (credential && provider?.auth.type === 'oauth2' && provider.auth.revocation_url && record.auth_method !== 'personal_token') {
      try {
        const client = await this.clientFor(provider.id, record.auth_method);
        // Revoking the refresh token ends the grant at most providers; the access token too, for the rest.
        if (credential.refresh_token) await client.revoke(credential.refresh_token, 'refresh_token');
        await client.revoke(credential.access_token, 'access_token');
        revoked = true;
      } catch (error) {
        revocationError = error instanceof Error ? error.message : String(error);
      }
    }
    await this.#deps.tokens.forget(record.id);
    this.#deps.connections.delete(record.id);
    await recordConnectionChange(this.#deps, { id: record.id, name: record.name, provider: record.provider, status: 'removed' });
    return revocationError ? { revoked_at_provider: revoked, revocation_error: revocationError } : { revoked_at_provider: revoked };
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#devicePolls) clearTimeout(timer);
    this.#devicePolls.clear();
  }

  async #startBrowser(provider: OAuthProvider, name: string, scopes: string[], variables: Record<string, string>): Promise<ConnectStart> {
    const client = await this.clientFor(provider.id);
    const redirectUri = this.redirectUri(provider) as string;
    const verifier = provider.auth.pkce ? oauth.generateRandomCodeVerifier() : undefined;
    const flow = this.#deps.flows.createBrowser({ provider: provider.id, name, scopes, variables, code_verifier: verifier, redirect_uri: redirectUri });
    const authorizeUrl = client.authorizationUrl({
      redirectUri,
      state: flow.state,
      scopes,
      ...(verifier ? { codeChallenge: await oauth.calculatePKCECodeChallenge(verifier) } : {}),
    });
    return { kind: 'browser', flow_id: flow.id, authorize_url: authorizeUrl, redirect_uri: redirectUri, expires_at: flow.expires_at };
  }

  async #startDevice(provider: OAuthProvider, name: string, scopes: string[], variables: Record<string, string>): Promise<ConnectStart> {
    const client = await this.clientFor(provider.id, 'device');
    const device = await client.startDevice(scopes);
    const flow = this.#deps.flows.createDevice({ provider: provider.id, name, scopes, variables }, device.expires_in * 1000);
    let interval = device.interval * 1000;
    const poll = (): void => {
      // A poll answered after close() must not schedule another: the store and vault are gone.
      if (this.#closed) return;
      const timer = setTimeout(() => {
        this.#devicePolls.delete(timer);
        if (!this.#deps.flows.isPending(flow)) return;
        client.pollDevice(device.device_code).then(
          async (result) => {
            if (result.status === 'granted') return void (await this.#finish(flow, client, 'device', result.tokens));
            if (result.status === 'slow_down') interval += 5000;
            poll();
          },
          (error: unknown) => void this.#failFlow(flow, error),
        ).catch((error: unknown) => void this.#failFlow(flow, error));
      }, interval);
      timer.unref();
      this.#devicePolls.add(timer);
    };
    poll();
    return {
      kind: 'device',
      flow_id: flow.id,
      user_code: device.user_code,
      verification_uri: device.verification_uri,
      verification_uri_complete: device.verification_uri_complete,
      expires_at: flow.expires_at,
    };
  }

  async #finish(flow: BrowserFlow | DeviceFlow, client: ProviderClient, method: AuthMethod, tokens: TokenSet): Promise<ConnectionRecord> {
    const account = await client.identity(tokens);
    const credential = TokenManager.fromTokenSet(tokens);
    const record = this.#upsert(flow.name, flow.provider, method, {
      account,
      scopes: tokens.scopes ?? flow.scopes,
      expires_at: credential.expires_at,
      refreshable: credential.refresh_token !== undefined,
      variables: flow.variables ?? {},
    });
    await this.#deps.tokens.save(record, credential);
    // On record before the flow reports success: a browser or poller waiting on it may act at once.
    await recordConnectionChange(this.#deps, { id: record.id, name: record.name, provider: record.provider, status: record.status });
    this.#deps.flows.succeed(flow, record.name);
    this.#deps.events.emit('flow-finished', { flow_id: flow.id, status: 'connected', provider: flow.provider, connection: record.name });
    return record;
  }

  async #connectWithSecret(provider: ProviderDefinition, method: 'personal_token' | 'api_key', name: string, scopes: string[], secret: string | undefined, variables: Record<string, string>): Promise<ConnectionRecord> {
    const label = `${provider.name} ${method === 'api_key' ? 'API key' : 'personal access token'}`;
    if (typeof secret !== 'string' || secret.trim() === '') {
      throw new LatchkeyError('secret_required', `Paste the ${label} as "secret"`, 400);
    }
    const credential: StoredCredential = { access_token: pastedSecret(secret, label, 'secret'), expires_at: null, obtained_at: Date.now() };
    const record = this.#upsert(name, provider.id, method, { account: null, scopes, expires_at: null, refreshable: false, variables });
    await this.#deps.tokens.save(record, credential);
    await recordConnectionChange(this.#deps, { id: record.id, name: record.name, provider: record.provider, status: record.status });
    return record;
  }

  /** Inserts a new connection, or re-authorizes the existing one of the same name and provider. */
  #upsert(name: string, provider: string, method: AuthMethod, fields: Pick<ConnectionRecord, 'account' | 'scopes' | 'expires_at' | 'refreshable' | 'variables'>): ConnectionRecord {
    const existing = this.#deps.connections.getByName(name);
    if (existing && existing.provider === provider) {
      return this.#deps.connections.update(existing.id, { ...fields, status: 'connected', last_error: null });
    }
    return this.#deps.connections.insert({ id: crypto.randomUUID(), name, provider, auth_method: method, status: 'connected', last_error: null, ...fields });
  }

  #failFlow(flow: Flow, error: unknown): LatchkeyError {
    const failure = error instanceof LatchkeyError
      ? error
      : new LatchkeyError('connect_failed', error instanceof Error ? error.message : String(error), 500);
    this.#deps.flows.fail(flow, failure);
    this.#deps.events.emit('flow-finished', { flow_id: flow.id, status: 'failed', provider: flow.provider, error: failure.message });
    return failure;
  }

  #oauthProvider(providerId: string): OAuthProvider {
    const provider = this.#deps.catalog.require(providerId);
    if (provider.auth.type !== 'oauth2') {
      throw new LatchkeyError('not_oauth_provider', `${provider.name} is connected with an API key, not an OAuth app`, 400);
    }
    return provider as OAuthProvider;
  }

  /** The given name, else the provider id, else the first free `<id>-N`: several accounts per provider are fine. */
  #connectionName(provider: ProviderDefinition, requested: string | undefined): string {
    if (requested !== undefined) {
      if (!NAME_PATTERN.test(requested)) {
        throw new LatchkeyError('invalid_name', 'A connection name is 1–64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit', 400, { name: requested });
      }
      const existing = this.#deps.connections.getByName(requested);
      if (existing && existing.provider !== provider.id) {
        throw new LatchkeyError('connection_exists', `A connection named "${requested}" already exists for ${existing.provider}`, 409, { name: requested });
      }
      return requested;
    }
    for (let n = 1; n < 1000; n += 1) {
      const candidate = n === 1 ? provider.id : `${provider.id}-${n}`;
      if (!this.#deps.connections.getByName(candidate)) return candidate;
    }
    throw new LatchkeyError('invalid_name', 'Choose a name for this connection', 400);
  }

  #requestedScopes(provider: ProviderDefinition, requested: string[] | undefined, method: ConnectMethod): string[] {
    const declared = declaredScopes(provider);
    if (requested === undefined) {
      // A pasted key or token carries whatever it carries: the person narrows it with `scopes`.
      if (method === 'api_key' || method === 'personal_token') return declared;
      return [...(provider.auth as OAuth2Auth).default_scopes];
    }
    const unknown = requested.filter((scope) => !declared.includes(scope));
    if (unknown.length > 0) {
      throw new LatchkeyError('invalid_scope', `${provider.name} has no scope ${unknown.map((s) => `"${s}"`).join(', ')}`, 400, {
        unknown_scopes: unknown,
        available_scopes: declared,
      });
    }
    return [...new Set(requested)];
  }
}

export function declaredScopes(provider: ProviderDefinition): string[] {
  return Object.keys(provider.auth.scopes ?? {});
}
