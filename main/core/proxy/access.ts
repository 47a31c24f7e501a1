import { isCallAllowed, requiredScopes, type RuleMatcher } from '../catalog/rules.js';
import type { ConnectionRecord } from '../store/connections.js';
import { insufficientScope } from './errors.js';

export type Grant = ReadonlySet<string> | '*';

/** The scopes an agent holds on a connection: its grant, with '*' read as everything the connection holds. */
export function grantedScopes(grant: Grant, record: Pick<ConnectionRecord, 'scopes'>): string[] {
  return grant === '*' ? [...record.scopes] : [...grant];
}

/**
 * The rules' decision contract (catalog/rules.ts) applied to an agent: the call must match
 * some rule of the provider (its API is closed by default, for '*' too), and some matching
 * rule must need no scope or one the agent holds. Otherwise 403 `insufficient_scope`.
 */
export function authorizeCall(input: { matcher: RuleMatcher; method: string; path: string; connection: string; granted: readonly string[] }): void {
  const matches = input.matcher(input.method, input.path);
  if (matches.length > 0 && isCallAllowed(matches, input.granted)) return;
  throw insufficientScope({
    connection: input.connection,
    method: input.method,
    path: input.path,
    required: requiredScopes(matches),
    granted: [...input.granted],
    noRule: matches.length === 0,
  });
}
