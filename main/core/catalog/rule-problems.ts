import { DEFAULT_BASE } from './bases.js';
import { isObject, isString, type DefinitionProblem, type Json } from './definition-problem.js';
import { compileRules } from './rules.js';
import type { EndpointRule } from './types.js';

/** A rule's `requires`: only a grant covering every scope the connection holds allows the call. */
export const ALL_CONNECTION_SCOPES = 'all_connection_scopes';

/**
 * A path segment naming a GraphQL or batch endpoint ("graphql", "$batch", "batches",
 * "delete_batch"…): one call there can do what many endpoints do, whatever scope a rule names.
 */
export const FULL_ACCESS_SEGMENT = /graphql|batch/i;

/** Methods a rule may name (besides "*", any method). */
export const HTTP_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function methodProblem(method: string): string | undefined {
  if (method === '*' || HTTP_METHODS.includes(method)) return undefined;
  const upper = method.toUpperCase();
  if (HTTP_METHODS.includes(upper)) return `must be upper case: "${upper}", not "${method}"`;
  return `"${method}" is not an HTTP method; use one of ${HTTP_METHODS.join(', ')} or "*" for any`;
}

/** A rule path: "/" then segments, each a literal, "*" (one segment), "prefix*" (one segment starting with prefix) or "**" (any number). */
export function rulePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `"${path}" must start with "/"`;
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '') {
      return i === segments.length - 1 ? `"${path}" must not end with "/"` : `"${path}" has an empty segment ("//")`;
    }
    if (segment === '*' || segment === '**') continue;
    if (segment.indexOf('*') !== segment.length - 1 && segment.includes('*')) {
      return `segment "${segment}" of "${path}" mixes "*" with other characters; a segment is a literal, "*" (exactly one segment), "prefix*" (one segment starting with prefix) or "**" (any number of segments)`;
    }
    if (segment === '.' || segment === '..')
      return `segment "${segment}" of "${path}" never occurs in a normalised path`;
    const bad = /[?#\s]/.exec(segment);
    if (bad) {
      return bad[0] === '?' || bad[0] === '#'
        ? `segment "${segment}" of "${path}" contains "${bad[0]}"; rule paths have no query string or fragment`
        : `segment "${segment}" of "${path}" contains whitespace`;
    }
  }
  return undefined;
}

/**
 * A rule that needs every connection scope names no narrower ones, and a GraphQL or batch
 * path needs such a rule: any scope listed there would open the whole API to a narrow grant.
 */
export function fullAccessProblem(rule: Json): DefinitionProblem | undefined {
  const scopes = Array.isArray(rule.scopes) ? rule.scopes : [];
  if (rule.requires === ALL_CONNECTION_SCOPES) {
    if (scopes.length > 0) {
      return {
        path: 'scopes',
        message: `must be [] when "requires" is "${ALL_CONNECTION_SCOPES}": the grant must cover every scope the connection holds, so naming narrower scopes here would mislead`,
      };
    }
    return undefined;
  }
  if (!isString(rule.path)) return undefined;
  const segment = rule.path.split('/').find((part) => part !== '*' && part !== '**' && FULL_ACCESS_SEGMENT.test(part));
  if (segment === undefined) return undefined;
  return {
    path: 'requires',
    message: `"${rule.path}" is a GraphQL or batch endpoint (segment "${segment}"): one call there can do more than any scope says, so the rule must say "requires": "${ALL_CONNECTION_SCOPES}" with "scopes": []`,
  };
}

/**
 * Rules only add permission, so a broader rule that also matches a full-access endpoint
 * (`POST /**` next to `POST /graphql`) would let its narrower scopes through: refused.
 * Only well-formed rules are compared; the others have their own problems.
 */
export function fullAccessOverlaps(rules: unknown[]): DefinitionProblem[] {
  const wellFormed = rules.filter(
    (rule): rule is EndpointRule =>
      isObject(rule) &&
      isString(rule.method) &&
      methodProblem(rule.method) === undefined &&
      isString(rule.path) &&
      rulePathProblem(rule.path) === undefined &&
      Array.isArray(rule.scopes),
  );
  const fullAccess = wellFormed.filter((rule) => rule.requires === ALL_CONNECTION_SCOPES);
  if (fullAccess.length === 0) return [];
  const problems: DefinitionProblem[] = [];
  for (const target of fullAccess) {
    // Rules of other bases address other hosts: they cannot reach this endpoint.
    const match = compileRules(
      wellFormed.filter(
        (rule) =>
          rule.requires !== ALL_CONNECTION_SCOPES && (rule.base ?? DEFAULT_BASE) === (target.base ?? DEFAULT_BASE),
      ),
    );
    // The endpoint as an agent would call it: each wildcard filled with one segment.
    const example = target.path
      .split('/')
      .map((segment) =>
        segment === '*' || segment === '**' ? 'x' : segment.endsWith('*') ? `${segment.slice(0, -1)}x` : segment,
      )
      .join('/');
    for (const method of target.method === '*' ? ['GET', 'POST'] : [target.method]) {
      for (const rule of match(method, example)) {
        problems.push({
          path: `/api/rules/${rules.indexOf(rule)}`,
          message: `also matches ${method} ${example}, which rule /api/rules/${rules.indexOf(target)} opens only to a grant of every connection scope; rules only add permission, so this one would let ${rule.scopes.length > 0 ? `"${rule.scopes.join('", "')}"` : 'any grant'} through: narrow its path or method`,
        });
      }
    }
  }
  return problems;
}
