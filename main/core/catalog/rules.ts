import type { EndpointRule } from './types.js';

/**
 * Endpoint rules: which scopes allow which calls of a provider's API.
 *
 * Decision contract (applied by the proxy to every call):
 * - find ALL rules whose method and path pattern match the call;
 * - no matching rule: the call is refused (a provider's API is closed by default);
 * - the call is allowed when SOME matching rule allows it (see `isCallAllowed`): a rule
 *   with `requires: "all_connection_scopes"` when the caller holds every scope the
 *   connection holds; any other rule when its scope list is empty (no scope needed) or
 *   names a scope the caller holds;
 * - otherwise it is refused, and `requiredScopes(matches, connectionScopes)` tells the
 *   caller which scopes would have allowed it.
 * Rules therefore only ever add permission: a more specific rule cannot narrow a
 * broader one that also matches.
 *
 * Patterns: paths are relative to the base the rule names (`base`, default `default`: the
 * provider's `api.base_url`); each base has its own rules; literal segments
 * compare exactly (case-sensitive); `*` matches exactly one non-empty segment; `prefix*`
 * matches one segment that starts with `prefix` and goes on (Airtable's `app…` base IDs,
 * which keep `/v0/{base}` apart from `/v0/meta`); `**` matches zero or more segments. Method `*` matches any method, and a HEAD call
 * matches GET rules too.
 */
export type RuleMatcher = (method: string, path: string) => EndpointRule[];

interface CompiledRule {
  rule: EndpointRule;
  /** Upper-case method, or undefined for "*". */
  method: string | undefined;
  /** Exact path for patterns without wildcards; otherwise undefined and `regex` is used. */
  literal: string | undefined;
  regex: RegExp | undefined;
}

const ONE_SEGMENT = '/[^/]+';
const ANY_SEGMENTS = '(?:/[^/]+)*';

/** Compiles the rules once; the returned matcher answers every matching rule, in definition order. */
export function compileRules(rules: readonly EndpointRule[]): RuleMatcher {
  const compiled = rules.map(compileRule);
  return (method, path) => {
    const verb = method.toUpperCase();
    const target = normalisePath(path);
    const matches: EndpointRule[] = [];
    for (const entry of compiled) {
      if (entry.method !== undefined && entry.method !== verb && !(verb === 'HEAD' && entry.method === 'GET')) continue;
      if (entry.literal !== undefined ? entry.literal === target : entry.regex!.test(target)) matches.push(entry.rule);
    }
    return matches;
  };
}

/** Whether the rule allows a call only to a grant covering every scope the connection holds. */
export function needsAllConnectionScopes(rule: EndpointRule): boolean {
  return rule.requires === 'all_connection_scopes';
}

/**
 * The union of the matching rules' scopes, in order, without duplicates (empty when no scope
 * is named); a rule that needs every connection scope adds all of `connectionScopes`.
 */
export function requiredScopes(matches: readonly EndpointRule[], connectionScopes: readonly string[]): string[] {
  const scopes = new Set<string>();
  for (const rule of matches)
    for (const scope of needsAllConnectionScopes(rule) ? connectionScopes : rule.scopes) scopes.add(scope);
  return [...scopes];
}

/**
 * The decision contract above: some matching rule needs no scope, names one the caller
 * holds, or needs every scope of the connection (`connectionScopes`) and the caller holds them all.
 */
export function isCallAllowed(
  matches: readonly EndpointRule[],
  held: Iterable<string>,
  connectionScopes: readonly string[],
): boolean {
  const granted = held instanceof Set ? (held as Set<string>) : new Set(held);
  return matches.some((rule) =>
    needsAllConnectionScopes(rule)
      ? connectionScopes.every((scope) => granted.has(scope))
      : rule.scopes.length === 0 || rule.scopes.some((scope) => granted.has(scope)),
  );
}

function compileRule(rule: EndpointRule): CompiledRule {
  const method = rule.method === '*' ? undefined : rule.method.toUpperCase();
  const segments = splitPath(rule.path);
  if (!segments.some((segment) => segment.endsWith('*'))) {
    return { rule, method, literal: segments.map((segment) => `/${segment}`).join(''), regex: undefined };
  }
  let source = '';
  for (const segment of segments) {
    if (segment === '**') source += ANY_SEGMENTS;
    else if (segment === '*') source += ONE_SEGMENT;
    else if (segment.endsWith('*')) source += `/${escapeRegExp(segment.slice(0, -1))}[^/]+`;
    else source += `/${escapeRegExp(segment)}`;
  }
  return { rule, method, literal: undefined, regex: new RegExp(`^${source}$`) };
}

/** Pattern segments; the root "/" has none. A trailing "/" is ignored. */
function splitPath(path: string): string[] {
  const trimmed = normalisePath(path);
  return trimmed === '' ? [] : trimmed.slice(1).split('/');
}

/** "/" becomes "" (zero segments) and one trailing slash is dropped, so "/a/" is "/a". */
function normalisePath(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
