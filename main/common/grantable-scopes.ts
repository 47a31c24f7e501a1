/**
 * Which scopes a connection holds but may not grant, shared by the broker (grant checks, the
 * proxy) and the dashboard (the grant picker). No imports, so either side may use it.
 */

/**
 * The held scopes that are NOT grantable, each with the broader scope that makes it
 * meaningless: a provider's `unenforced_subsets` (narrow → broad) whose broad scope the
 * connection also holds. GitHub's `public_repo` on a token that holds `repo` reaches private
 * repositories too, so granting it alone would promise a limit nobody enforces.
 */
export function ungrantableScopes(unenforcedSubsets: Readonly<Record<string, string>> | undefined, held: readonly string[]): Map<string, string> {
  const ungrantable = new Map<string, string>();
  if (!unenforcedSubsets) return ungrantable;
  const holds = new Set(held);
  for (const [narrow, broad] of Object.entries(unenforcedSubsets)) {
    if (holds.has(narrow) && holds.has(broad)) ungrantable.set(narrow, broad);
  }
  return ungrantable;
}
