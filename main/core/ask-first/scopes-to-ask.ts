import { isCallAllowed, needsAllConnectionScopes, requiredScopes } from '../catalog/rules.js';
import type { EndpointRule } from '../catalog/types.js';

export interface AskQuestion {
  /** The ask scopes a yes would use (the call waits on these); empty: it goes through now. */
  scopes: string[];
  /** The matching rule the question is about (for its summary). */
  rule: EndpointRule | undefined;
}

/**
 * Which ask scopes an (already authorized) call waits on. None when some matching rule
 * lets it through on what the agent holds without asking: its granted scopes minus the ask
 * scopes not currently allowed (`allowedNow`, an "allow for 1 hour" answer). Otherwise the
 * pending ask scopes among those the matching rules name.
 */
export function scopesToAsk(input: {
  matches: readonly EndpointRule[];
  granted: readonly string[];
  ask: ReadonlySet<string>;
  connectionScopes: readonly string[];
  allowedNow: (scope: string) => boolean;
}): AskQuestion {
  const pending = new Set([...input.ask].filter((scope) => !input.allowedNow(scope)));
  if (pending.size === 0) return { scopes: [], rule: undefined };
  const free = input.granted.filter((scope) => !pending.has(scope));
  if (isCallAllowed(input.matches, free, input.connectionScopes)) return { scopes: [], rule: undefined };
  const scopes = requiredScopes(input.matches, input.connectionScopes).filter((scope) => pending.has(scope));
  const rule = input.matches.find(
    (candidate) => needsAllConnectionScopes(candidate) || candidate.scopes.some((scope) => pending.has(scope)),
  );
  return { scopes, rule };
}
