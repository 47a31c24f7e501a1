import type { Catalog } from '../catalog/catalog.js';
import { withOAuthEndpoints } from '../catalog/oauth-endpoints.js';
import type { ProviderDefinition } from '../catalog/types.js';
import { LatchkeyError } from '../errors.js';
import { ProviderClient, type OAuthProvider } from '../oauth/provider-client.js';
import type { AuthMethod } from '../store/connections.js';
import type { ProviderClientStore } from '../store/provider-clients.js';
import type { Vault } from '../vault/vault.js';
import { pastedSecret } from './pasted-secret.js';

export interface ProviderAppsDeps {
  catalog: Catalog;
  vault: Vault;
  clients: ProviderClientStore;
  /** The port the broker listens on, known once it is bound. */
  port: () => number;
}

const clientSecretKey = (provider: string): string => `client/${provider}`;

/**
 * The person's own OAuth app for each provider (client ID in SQLite, secret in the vault)
 * and the protocol client built from it: what connecting, refreshing and revoking all need.
 */
export class ProviderApps {
  readonly #deps: ProviderAppsDeps;

  constructor(deps: ProviderAppsDeps) {
    this.#deps = deps;
  }

  redirectUri(provider: ProviderDefinition): string | null {
    if (provider.auth.type !== 'oauth2') return null;
    return `http://${provider.auth.redirect.host}:${this.#deps.port()}/oauth/callback`;
  }

  async setClient(providerId: string, clientId: string, clientSecret: string | undefined): Promise<void> {
    const provider = oauthProvider(this.#deps.catalog, providerId);
    if (clientSecret !== undefined && clientSecret !== '') {
      await this.#deps.vault.set(
        clientSecretKey(provider.id),
        pastedSecret(clientSecret, `${provider.name} client secret`, 'client_secret'),
      );
    } else if (clientSecret === '') {
      await this.#deps.vault.delete(clientSecretKey(provider.id));
    }
    const hasSecret =
      clientSecret === undefined ? (this.#deps.clients.get(provider.id)?.has_secret ?? false) : clientSecret !== '';
    this.#deps.clients.upsert(provider.id, clientId, hasSecret);
  }

  /**
   * The OAuth client for a provider, with the person's app credentials. The device grant
   * needs no client secret (GitHub), so `method: 'device'` does not insist on one.
   * `variables` are the connection's (or the starting flow's): they fill templated OAuth URLs.
   */
  async clientFor(
    providerId: string,
    method: AuthMethod,
    variables: Readonly<Record<string, string>>,
  ): Promise<ProviderClient> {
    const provider = oauthProvider(this.#deps.catalog, providerId);
    const app = this.#deps.clients.get(provider.id);
    if (!app) {
      throw new LatchkeyError(
        'client_not_configured',
        `Set up your own ${provider.name} OAuth app first: register the redirect URI and enter its client ID.`,
        400,
        {
          provider: provider.id,
          redirect_uri: this.redirectUri(provider),
          configure: `PUT /admin/api/providers/${provider.id}/client`,
        },
      );
    }
    const secret = app.has_secret ? await this.#deps.vault.get(clientSecretKey(provider.id)) : undefined;
    if (provider.auth.client_secret === 'required' && !secret && method !== 'device') {
      throw new LatchkeyError(
        'client_secret_required',
        `${provider.name} requires your OAuth app's client secret; enter it with the client ID.`,
        400,
        {
          provider: provider.id,
          configure: `PUT /admin/api/providers/${provider.id}/client`,
        },
      );
    }
    return new ProviderClient(withOAuthEndpoints(provider, variables), {
      client_id: app.client_id,
      client_secret: secret,
    });
  }
}

function oauthProvider(catalog: Catalog, providerId: string): OAuthProvider {
  const provider = catalog.require(providerId);
  if (provider.auth.type !== 'oauth2') {
    throw new LatchkeyError(
      'not_oauth_provider',
      `${provider.name} is connected with an API key, not an OAuth app`,
      400,
    );
  }
  return provider as OAuthProvider;
}
