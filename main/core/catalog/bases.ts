import { LatchkeyError } from '../errors.js';
import { isLocalhostName } from '../net.js';
import type { ApiDefinition, ProviderDefinition, TemplateVariable } from './types.js';

/**
 * API bases and their template variables. A definition has one `api.base_url` or several
 * `api.bases`; either may put `{variable}` in its host for a per-account host (Zendesk
 * subdomain, Shopify shop, self-hosted GitLab). The person fills the variables in at
 * connect time; they are checked here, never taken as URLs, so a call can only ever reach
 * a host the definition names with a value that is a plain DNS label or host name.
 */

/** The base `/proxy/<connection>/…` reaches, and the one a rule without `base` applies to. */
export const DEFAULT_BASE = 'default';
/** A base name: it appears in proxy URLs (`google:sheets`) and in environment variable names. */
export const BASE_NAME_PATTERN = '^[a-z][a-z0-9-]{0,31}$';
/** A variable name, as written `{name}` in a base URL. */
export const VARIABLE_NAME_PATTERN = '^[a-z][a-z0-9_]{0,31}$';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_HOSTNAME = 253;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** The base name → base URL (still templated) of an API; a single `base_url` is the default base. */
export function declaredBases(api: Pick<ApiDefinition, 'base_url' | 'bases'>): Record<string, string> {
  if (api.bases) return { ...api.bases };
  return api.base_url === undefined ? {} : { [DEFAULT_BASE]: api.base_url };
}

/** The `{name}` placeholders of a templated URL, in order. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

/** What a variable of this kind may be, for error descriptions and the connect form. */
export function variableRule(kind: TemplateVariable['kind']): string {
  return kind === 'label'
    ? 'one DNS label: 1–63 lower-case letters, digits or "-", not starting or ending with "-" (no dots, no URL)'
    : 'a host name: dot-separated DNS labels of lower-case letters, digits or "-", at most 253 characters (no scheme, port, path, user name or IP address)';
}

/** Why a value is not allowed for a variable of this kind; undefined when it is. */
export function variableValueProblem(kind: TemplateVariable['kind'], value: string): string | undefined {
  if (value === '') return 'is empty';
  if (kind === 'label') return LABEL.test(value) ? undefined : `is not ${variableRule(kind)}`;
  if (value.length > MAX_HOSTNAME) return `is longer than ${MAX_HOSTNAME} characters`;
  const labels = value.split('.');
  if (!labels.every((label) => LABEL.test(label))) return `is not ${variableRule(kind)}`;
  // A last label that is a number (decimal or 0x hex) makes URL parsers read the whole host
  // as an IPv4 address ("127.1", "0x7f000001"): never a host name.
  if (/^(0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1] ?? '')) return 'is an IP address, not a host name';
  return undefined;
}

/**
 * Checks the variables a person gave at connect time against the definition: every declared
 * one present (or defaulted) and valid, no unknown ones. Returns the values to store.
 * Throws LatchkeyError `invalid_variable` (400) naming the variable and what is allowed.
 */
export function checkVariables(
  provider: ProviderDefinition,
  given: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const declared = provider.api.variables ?? {};
  const values: Record<string, string> = {};
  for (const name of Object.keys(given ?? {})) {
    if (!Object.hasOwn(declared, name)) {
      const known = Object.keys(declared);
      throw invalidVariable(
        provider,
        name,
        `${provider.name} has no variable "${name}" (${known.length === 0 ? 'it takes none' : `it takes: ${known.join(', ')}`})`,
      );
    }
  }
  for (const [name, variable] of Object.entries(declared)) {
    const value = given?.[name] ?? variable.default;
    if (value === undefined)
      throw invalidVariable(provider, name, `${provider.name} needs "${name}": ${variable.description}`, variable);
    const problem = variableValueProblem(variable.kind, value);
    if (problem) throw invalidVariable(provider, name, `"${name}" ${problem}`, variable);
    values[name] = value;
  }
  // The values are safe by construction; the resulting URLs are checked once more all the same.
  resolveBases(provider, values);
  for (const template of oauthUrlTemplates(provider)) resolveUrl(provider, template, values);
  return values;
}

/**
 * The provider's bases with the connection's variables filled in: base name → URL. Each
 * result must keep the template's scheme, port and fixed host suffix, or it is refused.
 */
export function resolveBases(
  provider: ProviderDefinition,
  variables: Readonly<Record<string, string>>,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, template] of Object.entries(declaredBases(provider.api))) {
    resolved[name] = resolveUrl(provider, template, variables);
  }
  return resolved;
}

/** The OAuth endpoint URLs of a definition (still templated), for the connect-time check. */
function oauthUrlTemplates(provider: ProviderDefinition): string[] {
  const auth = provider.auth;
  if (auth.type !== 'oauth2') return [];
  return [
    auth.authorization_url,
    auth.token_url,
    auth.revocation_url,
    auth.device_authorization_url,
    auth.issuer,
    auth.identity?.url,
  ].filter((url): url is string => url !== undefined);
}

/**
 * One templated URL (a base or an OAuth endpoint) with the connection's variables filled in;
 * a variable the connection lacks takes its declared default (connections made before the
 * definition used it). The result must keep the template's scheme, port and fixed host suffix.
 */
export function resolveUrl(
  provider: ProviderDefinition,
  template: string,
  variables: Readonly<Record<string, string>>,
): string {
  const names = placeholders(template);
  if (names.length === 0) return template;
  const declared = provider.api.variables ?? {};
  for (const name of names) {
    const variable = declared[name];
    const value = variables[name] ?? variable?.default;
    const problem =
      variable === undefined
        ? 'is not declared'
        : value === undefined
          ? 'is not set on this connection'
          : variableValueProblem(variable.kind, value);
    if (problem)
      throw invalidVariable(provider, name, `"${name}" ${problem}; reconnect the account with a valid value`, variable);
  }
  const valueFor = (_: string, name: string) => (variables[name] ?? declared[name]?.default) as string;
  const url = template.replace(PLACEHOLDER, valueFor);
  const parsed = new URL(url);
  const fixed = new URL(template.replace(PLACEHOLDER, 'x'));
  // The variable stays inside the host: same scheme and port, and the host keeps the template's fixed suffix.
  const suffix = hostSuffix(template);
  const expectedHost = hostOf(template).replace(PLACEHOLDER, valueFor);
  if (
    parsed.protocol !== fixed.protocol ||
    parsed.port !== fixed.port ||
    parsed.hostname !== expectedHost ||
    !parsed.hostname.endsWith(suffix) ||
    (parsed.protocol !== 'https:' && !isLocalhostName(parsed.hostname))
  ) {
    throw invalidVariable(
      provider,
      names[0] as string,
      `the variables make "${url}", which is not a host this provider allows`,
    );
  }
  return url;
}

/** What follows the last placeholder in a templated URL's host (".zendesk.com"); "" when the variable is the whole host. */
export function hostSuffix(template: string): string {
  const host = hostOf(template);
  return host.slice(host.lastIndexOf('}') + 1);
}

/** The host of a (templated) URL as written: after the scheme, before any port, path, query or fragment. */
export function hostOf(template: string): string {
  const authority = template.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0] ?? '';
  return authority.replace(/:[^:\]]*$/, '');
}

function invalidVariable(
  provider: ProviderDefinition,
  name: string,
  description: string,
  variable?: TemplateVariable,
): LatchkeyError {
  return new LatchkeyError(
    'invalid_variable',
    variable ? `${description}. Allowed: ${variableRule(variable.kind)}.` : description,
    400,
    {
      provider: provider.id,
      variable: name,
      ...(variable ? { kind: variable.kind, allowed: variableRule(variable.kind) } : {}),
    },
  );
}
