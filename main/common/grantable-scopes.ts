/**
 * Which scopes a connection holds but may not grant, shared by the broker (grant checks, the
 * proxy) and the dashboard (the grant picker). No imports, so either side may use it.
 */

/**
 * The held scopes that are NOT grantable, each with the broader scope that makes it
 * meaningless: a provider's `unenforced_subsets` (narrow → broader ones) where the connection
 * also holds one of the broader scopes. GitHub's `public_repo` on a token that holds `repo`
 * reaches private repositories too, so granting it alone would promise a limit nobody enforces.
 */
export function ungrantableScopes(
  unenforcedSubsets: Readonly<Record<string, readonly string[]>> | undefined,
  held: readonly string[],
): Map<string, string> {
  const ungrantable = new Map<string, string>();
  if (!unenforcedSubsets) return ungrantable;
  const holds = new Set(held);
  for (const [narrow, broader] of Object.entries(unenforcedSubsets)) {
    const broad = broader.find((scope) => holds.has(scope));
    if (holds.has(narrow) && broad !== undefined) ungrantable.set(narrow, broad);
  }
  return ungrantable;
}
