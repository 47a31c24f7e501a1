import { InvalidArgumentError, Option } from 'commander';
import type { Grant } from '../common/admin-api.js';
import { defaultDataDir } from '../core/paths.js';
import { durationMs } from './duration.js';

/** Every command finds the running broker from its data dir, as `serve` and `exec` do. */
export const dataDirOption = (): Option =>
  new Option('--data-dir <dir>', `data folder of the running broker (default: ${defaultDataDir()})`);

export const jsonOption = (): Option => new Option('--json', 'print JSON instead of a table');

export const dataDirOf = (options: { dataDir?: string }): string => options.dataDir ?? defaultDataDir();

/**
 * Collects repeated `--grant CONNECTION:SCOPE` into grants, one a connection. The scope is
 * everything after the first colon (scopes may hold colons themselves: `acme:items:read`);
 * `*` means every scope the connection holds.
 */
export function collectGrant(value: string, previous: Grant[] = []): Grant[] {
  const colon = value.indexOf(':');
  const connection = colon === -1 ? '' : value.slice(0, colon);
  const scope = colon === -1 ? '' : value.slice(colon + 1);
  if (!connection || !scope || /\s/.test(value)) {
    throw new InvalidArgumentError(
      `"${value}" is not CONNECTION:SCOPE (e.g. github:repo, or github:* for everything the connection holds).`,
    );
  }
  const grants = previous.map((grant) => ({ ...grant, scopes: [...grant.scopes] }));
  const existing = grants.find((grant) => grant.connection === connection);
  if (!existing) grants.push({ connection, scopes: [scope] });
  else if (!existing.scopes.includes(scope)) existing.scopes.push(scope);
  return grants;
}

/**
 * Marks the `--ask CONNECTION:SCOPE` scopes of the grants as ask-first (each call under them
 * waits for the person). Every one must be granted by a `--grant` of the same command.
 */
export function withAsk(grants: Grant[], ask: Grant[] = []): Grant[] {
  return grants.map((grant) => {
    const asked = ask.find((a) => a.connection === grant.connection)?.scopes;
    return asked ? { ...grant, ask: asked } : grant;
  });
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--since`: a duration back from now (`90s`, `15m`, `1h`, `7d`) or a date-time; as ISO 8601. */
export function parseSince(value: string, now = Date.now()): string {
  const back = durationMs(value);
  if (back !== undefined) return new Date(now - back).toISOString();
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError(
      `"${value}" is neither a duration (30m, 1h, 7d) nor a date-time (2026-11-30T09:00:00Z).`,
    );
  return new Date(ms).toISOString();
}

export function parsePositiveInteger(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}, not "${value}".`);
    return n;
  };
}
