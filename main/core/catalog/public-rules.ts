import type { EndpointRule, ProviderDefinition } from './types.js';

/** A rule that needs no scope, with its JSON pointer in the definition. */
export interface PublicRule {
  path: string;
  rule: EndpointRule;
}

/**
 * The rules any grant on the connection reaches, whatever its scopes: `"scopes": []` without
 * `requires`. Each must read only public data (or the account's own identity); listing them
 * lets a reviewer (and the built-in tests, which pin the list) see every one.
 */
export function publicRules(definition: Pick<ProviderDefinition, 'api'>): PublicRule[] {
  return definition.api.rules
    .map((rule, i) => ({ path: `/api/rules/${i}`, rule }))
    .filter(({ rule }) => rule.scopes.length === 0 && rule.requires === undefined);
}
