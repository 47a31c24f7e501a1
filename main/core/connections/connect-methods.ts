import type { ConnectMethod } from '../../common/admin-api.js';
import type { OAuth2Auth, ProviderDefinition } from '../catalog/types.js';
import { LatchkeyError } from '../errors.js';

export type { ConnectMethod };

/** The ways a provider can be connected, the default first. */
export function connectMethods(provider: ProviderDefinition): ConnectMethod[] {
  if (provider.auth.type === 'api_key') return ['api_key'];
  const methods: ConnectMethod[] = ['browser'];
  if (provider.auth.device_authorization_url) methods.push('device');
  if (provider.auth.personal_token) methods.push('personal_token');
  return methods;
}

export function declaredScopes(provider: ProviderDefinition): string[] {
  return Object.keys(provider.auth.scopes ?? {});
}

/** The scopes a connect asks for: the requested ones when the provider declares them all, else its defaults. */
export function requestedScopes(
  provider: ProviderDefinition,
  requested: string[] | undefined,
  method: ConnectMethod,
): string[] {
  const declared = declaredScopes(provider);
  if (requested === undefined) {
    // A pasted key or token carries whatever it carries: the person narrows it with `scopes`.
    if (method === 'api_key' || method === 'personal_token') return declared;
    return [...(provider.auth as OAuth2Auth).default_scopes];
  }
  const unknown = requested.filter((scope) => !declared.includes(scope));
  if (unknown.length > 0) {
    throw new LatchkeyError(
      'invalid_scope',
      `${provider.name} has no scope ${unknown.map((s) => `"${s}"`).join(', ')}`,
      400,
      {
        unknown_scopes: unknown,
        available_scopes: declared,
      },
    );
  }
  return [...new Set(requested)];
}
