import { checkVariables } from '../catalog/bases.js';
import type { ProviderDefinition } from '../catalog/types.js';
import { LatchkeyError } from '../errors.js';
import type { Flow } from '../oauth/flows.js';
import type { OAuthProvider } from '../oauth/provider-client.js';
import type { ConnectionRecord } from '../store/connections.js';
import { completeBrowserConnect, startBrowserConnect, type BrowserStart } from './connect-browser.js';
import type { ConnectDeps } from './connect-deps.js';
import { startDeviceConnect, type DeviceStart } from './connect-device.js';
import { connectMethods, requestedScopes, type ConnectMethod } from './connect-methods.js';
import { connectWithSecret } from './connect-secret.js';
import { DevicePoller } from './device-poll.js';
import { disconnect, type DisconnectResult } from './disconnect.js';
import { connectionName } from './naming.js';
import { unknownConnection } from './unknown-connection.js';

export type { ConnectMethod } from './connect-methods.js';
export { declaredScopes } from './connect-methods.js';

export interface ConnectRequest {
  provider: string;
  method?: ConnectMethod | undefined;
  scopes?: string[] | undefined;
  name?: string | undefined;
  secret?: string | undefined;
  /** The provider's template variables (`{subdomain: "acme"}`); checked, never URLs. */
  variables?: Record<string, string> | undefined;
}

export type ConnectStart = BrowserStart | DeviceStart | { kind: 'connected'; connection: ConnectionRecord };

export type ConnectionServiceDeps = ConnectDeps;

/**
 * Connecting, listing, refreshing and disconnecting accounts: the person's side of the
 * broker, as the admin routes and the shell use it. Each job is a module of its own
 * (provider-apps, connect-*, device-poll, disconnect, naming); this puts them behind one face.
 */
export class ConnectionService {
  readonly #deps: ConnectDeps;
  readonly #poller: DevicePoller;

  constructor(deps: ConnectionServiceDeps) {
    this.#deps = deps;
    this.#poller = new DevicePoller({ flows: deps.flows, logger: deps.logger });
  }

  redirectUri(provider: ProviderDefinition): string | null {
    return this.#deps.apps.redirectUri(provider);
  }

  connectMethods(provider: ProviderDefinition): ConnectMethod[] {
    return connectMethods(provider);
  }

  setClient(providerId: string, clientId: string, clientSecret: string | undefined): Promise<void> {
    return this.#deps.apps.setClient(providerId, clientId, clientSecret);
  }

  async connect(request: ConnectRequest): Promise<ConnectStart> {
    const provider = this.#deps.catalog.require(request.provider);
    const method = request.method ?? (provider.auth.type === 'api_key' ? 'api_key' : 'browser');
    if (!connectMethods(provider).includes(method)) {
      throw new LatchkeyError('unsupported_method', `${provider.name} cannot be connected with "${method}"`, 400, {
        provider: provider.id,
        connect_methods: connectMethods(provider),
      });
    }
    const name = connectionName(this.#deps.connections, provider, request.name);
    const scopes = requestedScopes(provider, request.scopes, method);
    const variables = checkVariables(provider, request.variables);
    switch (method) {
      case 'browser':
        return startBrowserConnect(this.#deps, provider as OAuthProvider, name, scopes, variables);
      case 'device':
        return startDeviceConnect(
          { ...this.#deps, poller: this.#poller },
          provider as OAuthProvider,
          name,
          scopes,
          variables,
        );
      case 'personal_token':
      case 'api_key':
        return {
          kind: 'connected',
          connection: await connectWithSecret(this.#deps, provider, method, name, scopes, request.secret, variables),
        };
    }
  }

  /** The browser came back to /oauth/callback. */
  completeBrowser(params: URLSearchParams): Promise<ConnectionRecord> {
    return completeBrowserConnect(this.#deps, params);
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
    if (!record) throw unknownConnection(name, { available: this.#deps.connections.list().map((c) => c.name) });
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

  async disconnect(name: string): Promise<DisconnectResult> {
    return disconnect(this.#deps, this.get(name));
  }

  close(): void {
    this.#poller.close();
  }
}
