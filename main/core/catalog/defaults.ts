import type { OAuth2Auth, ProviderDefinition, RedirectPolicy } from './types.js';

/** Where the callback goes when a definition does not say: RFC 8252 §7.3 loopback, any port. */
export const DEFAULT_REDIRECT: RedirectPolicy = { host: '127.0.0.1', any_port: true };

/**
 * A valid definition with its optional OAuth fields filled in, so the rest of the broker
 * reads one shape: `client_secret` follows `client_auth` (no client authentication → no
 * secret; otherwise the secret is required), `redirect` is DEFAULT_REDIRECT. Fields the
 * definition states are kept as they are.
 */
export function withDefinitionDefaults(definition: ProviderDefinition): ProviderDefinition {
  if (definition.auth.type !== 'oauth2') return definition;
  const stated: Partial<OAuth2Auth> = definition.auth;
  if (stated.client_secret !== undefined && stated.redirect !== undefined) return definition;
  const auth: OAuth2Auth = {
    ...definition.auth,
    client_secret: stated.client_secret ?? (definition.auth.client_auth === 'none' ? 'none' : 'required'),
    redirect: stated.redirect ?? { ...DEFAULT_REDIRECT },
  };
  return { ...definition, auth };
}
