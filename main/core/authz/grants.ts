import { unknownConnection } from '../connections/unknown-connection.js';
import { LatchkeyError } from '../errors.js';

/** What an agent may use: a connection (by name) and scopes it holds, or `["*"]` for all of them. */
import type { Grant } from '../../common/admin-api.js';

export type { Grant };

/** The scopes granted on one connection: a set of scopes, or '*' (everything the connection holds). Not a `Grant`, which names its connection. */
export type ScopeSet = ReadonlySet<string> | '*';

/** Grants by connection: a scope set each. */
export type ScopeMap = ReadonlyMap<string, ScopeSet>;

/** A connection as grants see it: its id is what a grant binds to, its name what people and agents use. */
export interface GrantableConnection {
  id: string;
  name: string;
  scopes: string[];
  /** Held scopes that may not be granted on it (scope → why), see main/common/grantable-scopes.ts. */
  ungrantable?: ReadonlyMap<string, string>;
}

export interface ConnectionLookup {
  getByName(name: string): GrantableConnection | undefined;
  getById(id: string): GrantableConnection | undefined;
}

/**
 * A grant as stored: bound to the connection's id, so that disconnecting a connection and
 * connecting another under the same name never hands the new one to the old grant.
 */
export interface StoredGrant {
  connection_id: string;
  scopes: string[];
  /** Ask-first scopes (see Grant.ask); absent when none. Stored in the grants JSON, so no migration. */
  ask?: string[];
}

/** RFC 6749 §3.3 scope-token characters: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_SCOPE_LENGTH = 8192;

/**
 * A grant list checked against the connections: every connection exists (else 404
 * unknown_connection), is listed once, and its scopes are ones it holds (else 400
 * invalid_grant_scope naming the unknown ones). Returns the grants normalised
 * (scopes deduplicated and sorted, connections sorted).
 */
export function validateGrants(grants: readonly Grant[], connections: ConnectionLookup): Grant[] {
  const seen = new Set<string>();
  const normalised: Grant[] = [];
  for (const grant of grants) {
    if (seen.has(grant.connection)) {
      throw new LatchkeyError(
        'invalid_request',
        `Connection "${grant.connection}" is granted twice; list it once with all its scopes`,
        400,
        { connection: grant.connection },
      );
    }
    seen.add(grant.connection);
    const connection = connections.getByName(grant.connection);
    if (!connection) throw unknownConnection(grant.connection);
    const scopes = [...new Set(grant.scopes)].sort();
    if (scopes.length === 0)
      throw new LatchkeyError(
        'invalid_grant_scope',
        `The grant on "${grant.connection}" lists no scopes; use ["*"] for all of them`,
        400,
        { connection: grant.connection, unknown_scopes: [], available_scopes: connection.scopes },
      );
    if (scopes.includes('*')) {
      if (scopes.length > 1)
        throw new LatchkeyError(
          'invalid_grant_scope',
          `"*" already means every scope of "${grant.connection}"; list it alone`,
          400,
          {
            connection: grant.connection,
            unknown_scopes: scopes.filter((s) => s !== '*'),
            available_scopes: connection.scopes,
          },
        );
      normalised.push({
        connection: grant.connection,
        scopes: ['*'],
        ...checkAsk(
          grant,
          connection.scopes.filter((scope) => !connection.ungrantable?.has(scope)),
        ),
      });
      continue;
    }
    const held = new Set(connection.scopes);
    const unknown = scopes.filter((scope) => !held.has(scope));
    if (unknown.length > 0) {
      throw new LatchkeyError(
        'invalid_grant_scope',
        `"${grant.connection}" does not hold ${unknown.map((s) => `"${s}"`).join(', ')}`,
        400,
        {
          connection: grant.connection,
          unknown_scopes: unknown,
          available_scopes: connection.scopes,
        },
      );
    }
    const refused = scopes.filter((scope) => connection.ungrantable?.has(scope));
    if (refused.length > 0) {
      const reasons = refused.map(
        (scope) =>
          `"${scope}" is not enforced by the provider on a connection that holds "${connection.ungrantable!.get(scope)}"`,
      );
      throw new LatchkeyError(
        'invalid_grant_scope',
        `${reasons.join('; ')}: on "${grant.connection}" grant "${connection.ungrantable!.get(refused[0]!)}" or "*" instead`,
        400,
        {
          connection: grant.connection,
          unknown_scopes: [],
          ungrantable_scopes: refused,
          available_scopes: connection.scopes.filter((scope) => !connection.ungrantable?.has(scope)),
        },
      );
    }
    normalised.push({ connection: grant.connection, scopes, ...checkAsk(grant, scopes) });
  }
  return normalised.sort((a, b) => (a.connection < b.connection ? -1 : a.connection > b.connection ? 1 : 0));
}

/**
 * A grant's ask-first scopes, deduplicated and sorted: each must be one the grant gives
 * (with "*", one the connection may grant), else 400 invalid_grant_scope. None: no `ask`.
 */
function checkAsk(grant: Grant, covered: readonly string[]): { ask?: string[] } {
  const ask = [...new Set(grant.ask ?? [])].sort();
  if (ask.length === 0) return {};
  const outside = ask.filter((scope) => !covered.includes(scope));
  if (outside.length > 0) {
    throw new LatchkeyError(
      'invalid_grant_scope',
      `"ask" on "${grant.connection}" names ${outside.map((s) => `"${s}"`).join(', ')}, which the grant does not give; ask only about scopes it grants`,
      400,
      {
        connection: grant.connection,
        unknown_scopes: outside,
        available_scopes: [...covered],
      },
    );
  }
  return { ask };
}

/** A grant's `ask`, carried over only when it names a scope. */
const askOf = (grant: { ask?: string[] }): { ask?: string[] } =>
  grant.ask && grant.ask.length > 0 ? { ask: grant.ask } : {};

/** Grants by name (already validated) bound to the ids of the connections they name now. */
export function bindGrants(grants: readonly Grant[], connections: ConnectionLookup): StoredGrant[] {
  return grants.map((grant) => {
    const connection = connections.getByName(grant.connection);
    if (!connection) throw unknownConnection(grant.connection);
    return { connection_id: connection.id, scopes: grant.scopes, ...askOf(grant) };
  });
}

/** Stored grants under the current names of their connections; grants of connections that are gone are left out. */
export function nameGrants(grants: readonly StoredGrant[], connections: ConnectionLookup): Grant[] {
  const named: Grant[] = [];
  for (const grant of grants) {
    const connection = connections.getById(grant.connection_id);
    if (connection) named.push({ connection: connection.name, scopes: grant.scopes, ...askOf(grant) });
  }
  return named.sort((a, b) => (a.connection < b.connection ? -1 : a.connection > b.connection ? 1 : 0));
}

export function grantsToScopeMap(grants: readonly Grant[]): ScopeMap {
  return new Map(grants.map((g) => [g.connection, g.scopes.includes('*') ? '*' : new Set(g.scopes)] as const));
}

export function scopeMapToGrants(map: ScopeMap): Grant[] {
  return [...map]
    .map(([connection, scopes]) => ({ connection, scopes: scopes === '*' ? ['*'] : [...scopes].sort() }))
    .sort((a, b) => (a.connection < b.connection ? -1 : a.connection > b.connection ? 1 : 0));
}

/**
 * Parses an OAuth `scope` value of `connection:scope` items (space-separated; the
 * connection name never contains ':', so the item splits on its FIRST ':' and the scope
 * may itself contain ':', e.g. a Google scope URL). `connection:*` asks for everything.
 * Throws 400 invalid_scope on anything else.
 */
export function parseScope(text: string): ScopeMap {
  if (text.length > MAX_SCOPE_LENGTH) throw new LatchkeyError('invalid_scope', 'scope is too long', 400);
  const map = new Map<string, Set<string> | '*'>();
  for (const item of text.split(' ')) {
    if (item === '') continue; // tolerate repeated spaces
    const colon = item.indexOf(':');
    const connection = item.slice(0, colon);
    const scope = item.slice(colon + 1);
    if (colon <= 0 || scope === '' || !SCOPE_TOKEN.test(item)) {
      throw new LatchkeyError(
        'invalid_scope',
        `Scope "${item.slice(0, 200)}" is not of the form connection:scope (or connection:*)`,
        400,
      );
    }
    const current = map.get(connection);
    if (scope === '*' || current === '*') map.set(connection, '*');
    else if (current) current.add(scope);
    else map.set(connection, new Set([scope]));
  }
  return map;
}

/** The canonical `scope` string: sorted, `connection:*` for a wildcard. */
export function formatScope(map: ScopeMap): string {
  return scopeMapToGrants(map)
    .flatMap((g) => g.scopes.map((s) => `${g.connection}:${s}`))
    .join(' ');
}

/**
 * What both `a` and `b` allow, per connection: '*' ∩ S = S, S ∩ T = their common scopes.
 * Connections left with nothing are dropped.
 */
export function intersectScopes(a: ScopeMap, b: ScopeMap): ScopeMap {
  const result = new Map<string, ScopeSet>();
  for (const [connection, left] of a) {
    const right = b.get(connection);
    if (right === undefined) continue;
    if (left === '*') result.set(connection, right);
    else if (right === '*') result.set(connection, left);
    else {
      const common = new Set([...left].filter((s) => right.has(s)));
      if (common.size > 0) result.set(connection, common);
    }
  }
  return result;
}

/** The items of `requested` that `granted` does not cover (`c:*` is covered only by a '*' grant). */
export function uncoveredScopes(granted: ScopeMap, requested: ScopeMap): string[] {
  const missing: string[] = [];
  for (const [connection, wanted] of requested) {
    const has = granted.get(connection);
    if (has === '*') continue;
    if (wanted === '*') missing.push(`${connection}:*`);
    else for (const scope of wanted) if (!has?.has(scope)) missing.push(`${connection}:${scope}`);
  }
  return missing.sort();
}

/** How the audit log words a set of grants. */
export function describeGrants(grants: readonly Grant[]): string {
  if (grants.length === 0) return 'no grants';
  const asked = grants.flatMap((g) => (g.ask ?? []).map((scope) => `${g.connection}:${scope}`));
  return `grants ${formatScope(grantsToScopeMap(grants))}${asked.length > 0 ? ` (asks first: ${asked.join(' ')})` : ''}`;
}
