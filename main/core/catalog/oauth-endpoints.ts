import { resolveUrl } from './bases.js';
import type { OAuth2Auth, ProviderDefinition } from './types.js';

/**
 * The provider with the connection's variables filled into its OAuth endpoint URLs
 * (self-hosted GitLab's `https://{host}/oauth/token`, Salesforce's `{login_host}`), each
 * checked like a base URL: the value stays inside the host the definition names.
 */
export function withOAuthEndpoints<P extends ProviderDefinition & { auth: OAuth2Auth }>(
  provider: P,
  variables: Readonly<Record<string, string>>,
): P {
  const auth = provider.auth;
  const fill = (template: string): string => resolveUrl(provider, template, variables);
  const resolved: OAuth2Auth = {
    ...auth,
    authorization_url: fill(auth.authorization_url),
    token_url: fill(auth.token_url),
    ...(auth.revocation_url === undefined ? {} : { revocation_url: fill(auth.revocation_url) }),
    ...(auth.device_authorization_url === undefined
      ? {}
      : { device_authorization_url: fill(auth.device_authorization_url) }),
    ...(auth.issuer === undefined ? {} : { issuer: fill(auth.issuer) }),
    ...(auth.identity?.url === undefined ? {} : { identity: { ...auth.identity, url: fill(auth.identity.url) } }),
  };
  return { ...provider, auth: resolved };
}
