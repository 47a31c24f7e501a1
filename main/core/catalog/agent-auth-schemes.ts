import type { AgentAuthScheme, ProviderDefinition } from './types.js';

/** Every scheme some definition declares (`api.agent_auth`), each header and scheme once. */
export function declaredSchemes(providers: Iterable<ProviderDefinition>): AgentAuthScheme[] {
  const schemes = new Map<string, AgentAuthScheme>();
  for (const provider of providers) {
    for (const scheme of provider.api.agent_auth ?? [])
      schemes.set(`${scheme.header.toLowerCase()} ${scheme.scheme ?? 'bare'}`, scheme);
  }
  return [...schemes.values()];
}
