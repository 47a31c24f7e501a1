import type { ProviderDefinition } from './types.js';

/**
 * The scopes a connection holds that are NOT grantable on it, each with the broader scope that
 * makes it meaningless: the definition's `unenforced_subsets` whose broader scope the
 * connection holds (GitHub's `public_repo` on a token that holds `repo` reaches private
 * repositories too). Granting such a scope alone would promise a limit nobody enforces.
 */
export function ungrantableScopes(definition: Pick<ProviderDefinition, 'auth'> | undefined, connectionScopes: readonly string[]): Map<string, string> {
  const ungrantable = new Map<string, string>();
  const subsets = definition?.auth.unenforced_subsets;
  if (!subsets) return ungrantable;
  const held = new Set(connectionScopes);
  for (const [narrow, broad] of Object.entries(subsets)) {
    if (held.has(narrow) && held.has(broad)) ungrantable.set(narrow, broad);
  }
  return ungrantable;
}
