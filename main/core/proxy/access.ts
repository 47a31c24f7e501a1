import { ungrantableScopes } from '../../common/grantable-scopes.js';
import type { ScopeSet } from '../authz/grants.js';
import { isCallAllowed, needsAllConnectionScopes, requiredScopes, type RuleMatcher } from '../catalog/rules.js';
import type { ProviderDefinition } from '../catalog/types.js';
import type { ConnectionRecord } from '../store/connections.js';
import { insufficientScope } from './errors.js';

/**
 * The scopes an agent holds on a connection: its grant, with '*' read as everything the
 * connection holds. A scope the provider does not enforce on this connection (catalog
 * `unenforced_subsets`) is not honoured, even in a grant made before the connection held
 * the broader scope.
 */
export function grantedScopes(
  grant: ScopeSet,
  record: Pick<ConnectionRecord, 'scopes'>,
  provider: Pick<ProviderDefinition, 'auth'> | undefined,
): string[] {
  if (grant === '*') return [...record.scopes];
  const ungrantable = ungrantableScopes(provider?.auth.unenforced_subsets, record.scopes);
  return [...grant].filter((scope) => !ungrantable.has(scope));
}

/** The scopes an agent can be granted on the connection: what a full-access rule asks a grant to cover. */
export function grantableConnectionScopes(
  record: Pick<ConnectionRecord, 'scopes'>,
  provider: Pick<ProviderDefinition, 'auth'> | undefined,
): string[] {
  const ungrantable = ungrantableScopes(provider?.auth.unenforced_subsets, record.scopes);
  return record.scopes.filter((scope) => !ungrantable.has(scope));
}

/**
 * The rules' decision contract (catalog/rules.ts) applied to an agent: the call must match
 * some rule of the provider (its API is closed by default, for '*' too), and some matching
 * rule must need no scope, one the agent holds, or (GraphQL, batch) every scope the
 * connection holds and the agent holds them all. Otherwise 403 `insufficient_scope`.
 */
export function authorizeCall(input: {
  matcher: RuleMatcher;
  method: string;
  path: string;
  connection: string;
  connectionScopes: readonly string[];
  granted: readonly string[];
}): void {
  const matches = input.matcher(input.method, input.path);
  if (matches.length > 0 && isCallAllowed(matches, input.granted, input.connectionScopes)) return;
  throw insufficientScope({
    connection: input.connection,
    method: input.method,
    path: input.path,
    required: requiredScopes(matches, input.connectionScopes),
    granted: [...input.granted],
    noRule: matches.length === 0,
    allConnectionScopes: matches.some(needsAllConnectionScopes),
  });
}
