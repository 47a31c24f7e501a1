import { DEFAULT_BASE, hostOf, hostSuffix, placeholders, variableValueProblem } from './bases.js';
import { curatedToolProblems } from './curated-tools.js';
import { isObject, isString, pointerToken, type DefinitionProblem, type Json } from './definition-problem.js';
import { fullAccessOverlaps, fullAccessProblem, methodProblem, rulePathProblem } from './rule-problems.js';
import { urlProblem } from './url-problem.js';
import { AGENT_AUTH_SCHEMES } from './definition-schema.js';

/** The schemes an `Authorization` entry of `api.agent_auth` may name, as the refusal lists them. */
const AUTHORIZATION_ONLY_SCHEMES = AGENT_AUTH_SCHEMES.filter((scheme) => scheme !== 'bearer')
  .map((scheme) => `"${scheme}"`)
  .join(', ');

/** Fields an agent token must never be read from: the transport's, or ones a browser sets by itself. */
const NOT_AGENT_AUTH_HEADERS = new Set([
  'cookie',
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'origin',
  'referer',
  'proxy-authorization',
]);

/**
 * What JSON Schema cannot say: URL schemes and hosts, that named scopes are declared,
 * rule methods and path patterns, `{key}` in credential templates, consistent client auth.
 * Defensive about shape, so it runs alongside the schema and reports in the same pass.
 */
export function semanticProblems(value: unknown): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (!isObject(value)) return problems;
  const add = (path: string, message: string) => problems.push({ path, message });

  const checkUrl = (path: string, candidate: unknown, endpoint: boolean) => {
    if (!isString(candidate) || candidate === '') return;
    const message = urlProblem(candidate, endpoint);
    if (message) add(path, message);
  };

  checkUrl('/docs_url', value.docs_url, false);
  if (isObject(value.docs)) {
    for (const [name, link] of Object.entries(value.docs)) checkUrl(`/docs/${pointerToken(name)}`, link, false);
  }

  const auth = value.auth;
  let declared: Set<string> | undefined;
  const declaredWhere = '/auth/scopes';
  const credentialHeaders: string[] = [];
  // Variables written in OAuth endpoint URLs (self-hosted GitLab's `https://{host}/oauth/token`).
  const usedInAuth = new Set<string>();
  const apiVariables = isObject(value.api) && isObject(value.api.variables) ? value.api.variables : {};
  const checkOAuthUrl = (path: string, candidate: unknown) => {
    if (!isString(candidate) || candidate === '') return;
    const names = placeholders(candidate);
    if (names.length === 0) return checkUrl(path, candidate, true);
    for (const name of names) usedInAuth.add(name);
    const message = templatedUrlProblem(candidate, names, apiVariables, true);
    if (message) add(path, message);
  };
  if (isObject(auth)) {
    if (auth.type === 'oauth2') {
      for (const key of [
        'authorization_url',
        'token_url',
        'revocation_url',
        'device_authorization_url',
        'issuer',
      ] as const) {
        checkOAuthUrl(`/auth/${key}`, auth[key]);
      }
      if (isString(auth.issuer) && auth.issuer.includes('?'))
        add('/auth/issuer', `must not have a query string (got "${auth.issuer}")`);
      declared = isObject(auth.scopes) ? new Set(Object.keys(auth.scopes)) : undefined;
      if (Array.isArray(auth.default_scopes) && declared) {
        auth.default_scopes.forEach((scope, i) => {
          if (isString(scope) && !declared!.has(scope))
            add(`/auth/default_scopes/${i}`, unknownScope(scope, declared!, declaredWhere));
        });
      }
      if (auth.client_auth === 'none' && auth.client_secret === 'required') {
        add(
          '/auth/client_auth',
          'is "none", which sends no client secret, but /auth/client_secret is "required"; use "client_secret_post" or "client_secret_basic"',
        );
      }
      if (isString(auth.scope_separator) && declared) {
        for (const scope of declared) {
          if (scope.includes(auth.scope_separator)) {
            add(
              `/auth/scopes/${pointerToken(scope)}`,
              `scope "${scope}" contains the scope separator ${JSON.stringify(auth.scope_separator)}`,
            );
          }
        }
      }
      if (isObject(auth.identity)) checkOAuthUrl('/auth/identity/url', auth.identity.url);
      if (isObject(auth.personal_token)) {
        checkTemplate('/auth/personal_token/format', auth.personal_token.format, add);
        checkUrl('/auth/personal_token/help_url', auth.personal_token.help_url, false);
        if (isString(auth.personal_token.header)) credentialHeaders.push(auth.personal_token.header);
      }
    } else if (auth.type === 'api_key') {
      checkTemplate('/auth/format', auth.format, add);
      checkUrl('/auth/help_url', auth.help_url, false);
      if (isString(auth.header)) credentialHeaders.push(auth.header);
      declared = isObject(auth.scopes) ? new Set(Object.keys(auth.scopes)) : new Set();
    }
    if (isObject(auth.unenforced_subsets) && declared) {
      for (const [narrow, broader] of Object.entries(auth.unenforced_subsets)) {
        const at = `/auth/unenforced_subsets/${pointerToken(narrow)}`;
        if (!declared.has(narrow)) add(at, unknownScope(narrow, declared, declaredWhere));
        if (!Array.isArray(broader)) continue;
        broader.forEach((broad, i) => {
          if (!isString(broad)) return;
          if (!declared!.has(broad)) add(`${at}/${i}`, unknownScope(broad, declared!, declaredWhere));
          if (broad === narrow) add(`${at}/${i}`, `"${narrow}" cannot be a subset of itself`);
        });
      }
    }
  }

  const api = value.api;
  if (isObject(api)) {
    const baseNames = basesProblems(api, usedInAuth, add);
    if (isObject(api.headers)) {
      const reserved = new Set([
        'authorization',
        'proxy-authorization',
        'cookie',
        'host',
        'content-length',
        'transfer-encoding',
        'connection',
        ...credentialHeaders.map((h) => h.toLowerCase()),
      ]);
      for (const name of Object.keys(api.headers)) {
        if (reserved.has(name.toLowerCase())) {
          add(
            `/api/headers/${pointerToken(name)}`,
            `header "${name}" cannot be set here: the broker sets credentials and transport headers itself`,
          );
        }
      }
    }
    if (Array.isArray(api.agent_auth))
      for (const problem of agentAuthProblems(api.agent_auth)) add(problem.path, problem.message);
    if (Array.isArray(api.rules)) {
      api.rules.forEach((rule: unknown, i) => {
        if (!isObject(rule)) return;
        const at = `/api/rules/${i}`;
        if (isString(rule.method) && rule.method !== '') {
          const message = methodProblem(rule.method);
          if (message) add(`${at}/method`, message);
        }
        if (isString(rule.path) && rule.path !== '') {
          const message = rulePathProblem(rule.path);
          if (message) add(`${at}/path`, message);
        }
        if (Array.isArray(rule.scopes) && declared) {
          rule.scopes.forEach((scope, j) => {
            if (isString(scope) && !declared!.has(scope))
              add(`${at}/scopes/${j}`, unknownScope(scope, declared!, declaredWhere));
          });
        }
        if (isString(rule.base) && baseNames && !baseNames.has(rule.base)) {
          add(
            `${at}/base`,
            `unknown base "${rule.base}": not named in /api/bases (named: ${[...baseNames].join(', ')})`,
          );
        }
        const fullAccess = fullAccessProblem(rule);
        if (fullAccess) add(`${at}/${fullAccess.path}`, fullAccess.message);
      });
      for (const problem of fullAccessOverlaps(api.rules)) add(problem.path, problem.message);
    }
    if (Array.isArray(api.not_exposed)) {
      api.not_exposed.forEach((entry: unknown, i) => {
        if (!isObject(entry)) return;
        const at = `/api/not_exposed/${i}`;
        if (isString(entry.method) && entry.method !== '') {
          const message = methodProblem(entry.method);
          if (message) add(`${at}/method`, message);
        }
        if (isString(entry.path) && entry.path !== '') {
          const message = rulePathProblem(entry.path);
          if (message) add(`${at}/path`, message);
        }
      });
    }
    // Curated MCP tools: each must call an endpoint some rule opens (curated-tools.ts).
    if (Array.isArray(api.tools)) curatedToolProblems(api.tools, api.rules, baseNames, add);
  }
  return problems;
}

/**
 * `base_url` or `bases` (one of them, `bases` with a `default`), each an http(s) URL with
 * no query or fragment; `{variable}` placeholders only in the host, declared in
 * `api.variables`, a `label` one as the host's first label before a fixed suffix, a
 * `hostname` one as the whole host. Returns the base names, for the rules' `base`.
 */
function basesProblems(
  api: Json,
  usedInAuth: ReadonlySet<string>,
  add: (path: string, message: string) => void,
): Set<string> | undefined {
  const hasBases = isObject(api.bases);
  if (api.base_url !== undefined && api.bases !== undefined)
    add('/api/bases', 'give either /api/base_url (one host) or /api/bases (several), not both');
  if (api.base_url === undefined && api.bases === undefined)
    add('/api/base_url', 'is required (or /api/bases for an API on several hosts)');
  if (hasBases && !Object.hasOwn(api.bases as Json, DEFAULT_BASE))
    add('/api/bases', `must name a "${DEFAULT_BASE}" base: the one /proxy/<connection>/… reaches`);
  const variables = isObject(api.variables) ? api.variables : {};
  const used = new Set<string>(usedInAuth);
  const bases: [string, unknown][] = hasBases
    ? Object.entries(api.bases as Json).map(([name, value]) => [`/api/bases/${pointerToken(name)}`, value])
    : [['/api/base_url', api.base_url]];
  for (const [at, candidate] of bases) {
    if (!isString(candidate) || candidate === '') continue;
    const names = placeholders(candidate);
    for (const name of names) used.add(name);
    const message = templatedUrlProblem(candidate, names, variables);
    if (message) add(at, message);
  }
  for (const [name, variable] of Object.entries(variables)) {
    const at = `/api/variables/${pointerToken(name)}`;
    if (!used.has(name)) add(at, `variable "${name}" is used in no base or OAuth URL (write "{${name}}" in the host)`);
    if (
      isObject(variable) &&
      isString(variable.default) &&
      (variable.kind === 'label' || variable.kind === 'hostname')
    ) {
      const problem = variableValueProblem(variable.kind, variable.default);
      if (problem) add(`${at}/default`, `"${variable.default}" ${problem}`);
    }
  }
  if (hasBases) return new Set(Object.keys(api.bases as Json));
  return isString(api.base_url) ? new Set([DEFAULT_BASE]) : undefined;
}

/** A URL with `{variable}` placeholders (`bases`, or the OAuth endpoints when `oauth`): each declared, in the host only. */
function templatedUrlProblem(candidate: string, names: string[], variables: Json, oauth = false): string | undefined {
  if (/[?#]/.test(candidate)) return `must not have a query string or fragment (got "${candidate}")`;
  if (names.length === 0) return urlProblem(candidate, true);
  if (names.length > 1)
    return `"${candidate}" has ${names.length} variables; ${oauth ? 'an OAuth' : 'a base'} URL takes at most one`;
  const name = names[0] as string;
  const variable = variables[name];
  if (!isObject(variable))
    return `"{${name}}" is not declared in /api/variables${oauth ? ': declare it there (kind "hostname" or "label") so the person enters it when connecting' : ''}`;
  const host = hostOf(candidate);
  const suffix = hostSuffix(candidate);
  if (!host.includes(`{${name}}`))
    return `"{${name}}" must be in the host of "${candidate}", never in its port or path`;
  if (variable.kind === 'label' && !(host === `{${name}}${suffix}` && /^\.[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(suffix))) {
    return `a "label" variable is the host's first label before a fixed domain, like "https://{${name}}.zendesk.com" (got "${candidate}")`;
  }
  if (variable.kind === 'hostname' && host !== `{${name}}`) {
    return `a "hostname" variable is the whole host, like "https://{${name}}/api/v4" (got "${candidate}")`;
  }
  // A whole-host variable over plain http is admitted for loopback values only; resolveUrl refuses any other at connect time.
  const standIn = variable.kind === 'label' ? 'example' : candidate.startsWith('http://') ? 'localhost' : 'example.com';
  return urlProblem(candidate.replace(`{${name}}`, standIn), true);
}

/**
 * Each agent_auth entry names a distinct header that may carry a token: not a transport
 * field, and `Authorization` only bare (Bearer, token and Basic are always read there).
 */
function agentAuthProblems(entries: unknown[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (!isObject(entry) || !isString(entry.header)) return;
    const at = `/api/agent_auth/${i}`;
    const name = entry.header.toLowerCase();
    if (NOT_AGENT_AUTH_HEADERS.has(name))
      problems.push({
        path: `${at}/header`,
        message: `"${entry.header}" cannot carry an agent token: it is a transport or browser field`,
      });
    // Bearer is read for every provider already; any other Authorization scheme is declared by name, bare included.
    if (name === 'authorization' && (entry.scheme === undefined || entry.scheme === 'bearer'))
      problems.push({
        path: `${at}/scheme`,
        message: `"Authorization" is always read as Bearer, token or Basic with the token as user name; declare it here only with "scheme": ${AUTHORIZATION_ONLY_SCHEMES}`,
      });
    if (name !== 'authorization' && entry.scheme === 'basic-password')
      problems.push({
        path: `${at}/scheme`,
        message: '"basic-password" is HTTP Basic, which only "Authorization" carries',
      });
    const first = seen.get(name);
    if (first !== undefined)
      problems.push({
        path: `${at}/header`,
        message: `"${entry.header}" is listed twice (first at /api/agent_auth/${first})`,
      });
    else seen.set(name, i);
  });
  return problems;
}

function checkTemplate(path: string, template: unknown, add: (path: string, message: string) => void): void {
  if (isString(template) && template !== '' && !template.includes('{key}') && !template.includes('{key_base64}')) {
    add(
      path,
      `must contain "{key}" where the secret goes, e.g. "Bearer {key}", or "{key_base64}" for HTTP Basic, e.g. "Basic {key_base64}" (got "${template}")`,
    );
  }
}

function unknownScope(scope: string, declared: Set<string>, where: string): string {
  const known = [...declared];
  const list =
    known.length === 0 ? 'none' : known.length > 12 ? `${known.slice(0, 12).join(', ')}, …` : known.join(', ');
  return `unknown scope "${scope}": not declared in ${where} (declared: ${list})`;
}
