import type { ErrorObject } from 'ajv';
import { pointerToken, type DefinitionProblem } from './definition-problem.js';

/** Ajv's errors as precise, human problems (JSON pointer + what is wrong there). */
export function schemaProblems(errors: ErrorObject[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const error of errors) {
    // propertyNames reports once per failing inner keyword (with propertyName) and once overall.
    if (error.keyword === 'propertyNames') continue;
    problems.push(describe(error));
  }
  return problems;
}

function describe(error: ErrorObject): DefinitionProblem {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  const data: unknown = error.data;
  if (error.propertyName !== undefined) {
    // A key of a map (scope name, header name, parameter name) is malformed.
    return {
      path: `${at}/${pointerToken(error.propertyName)}`,
      message: `key "${error.propertyName}" ${keyProblem(error)}`,
    };
  }
  switch (error.keyword) {
    case 'required':
      return { path: `${at}/${pointerToken(String(params.missingProperty))}`, message: 'is required' };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        path: `${at}/${pointerToken(name)}`,
        message: `unknown property "${name}"${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
      };
    }
    case 'type':
      return { path: at, message: `must be ${article(String(params.type))} (got ${kind(data)})` };
    case 'enum':
      return {
        path: at,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${show(data)})`,
      };
    case 'const':
      return { path: at, message: `must be ${JSON.stringify(params.allowedValue)} (got ${show(data)})` };
    case 'discriminator': {
      const tag = (data as Record<string, unknown> | undefined)?.type;
      return {
        path: `${at}/type`,
        message:
          tag === undefined
            ? 'is required ("oauth2" or "api_key")'
            : `must be "oauth2" or "api_key" (got ${show(tag)})`,
      };
    }
    case 'minLength':
      return {
        path: at,
        message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`,
      };
    case 'maxLength':
      return {
        path: at,
        message: `must be at most ${String(params.limit)} characters (got ${typeof data === 'string' ? data.length : '?'})`,
      };
    case 'minItems':
      return { path: at, message: `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { path: at, message: `must have at most ${String(params.limit)} items` };
    case 'maxProperties':
      return { path: at, message: `must have at most ${String(params.limit)} entries` };
    case 'uniqueItems': {
      const [first, second] = [Number(params.i), Number(params.j)].sort((a, b) => a - b) as [number, number];
      return {
        path: `${at}/${second}`,
        message: `${show(Array.isArray(data) ? data[second] : undefined)} is listed twice (first at ${at}/${first})`,
      };
    }
    case 'pattern':
      if (at === '/id') return { path: at, message: idMessage(data) };
      return { path: at, message: `${show(data)} ${patternHint(at)}` };
    default:
      return { path: at, message: error.message ?? `fails ${error.keyword}` };
  }
}

function keyProblem(error: ErrorObject): string {
  switch (error.keyword) {
    case 'pattern':
      if (error.instancePath.endsWith('/scopes')) return 'is not a valid scope name (no spaces, quotes or backslashes)';
      if (error.instancePath.endsWith('/headers')) return 'is not a valid HTTP header name';
      if (error.instancePath === '/docs')
        return 'is not a valid link name (lower-case letters, digits and "_", e.g. "oauth", "scopes", "api")';
      if (error.instancePath === '/api/bases')
        return 'is not a base name (lower-case letters, digits or "-", starting with a letter, at most 32)';
      if (error.instancePath === '/api/variables')
        return 'is not a variable name (lower-case letters, digits or "_", starting with a letter, at most 32)';
      return 'is not a valid parameter name (letters, digits, "_", "." or "-")';
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `is longer than ${String((error.params as { limit: number }).limit)} characters`;
    default:
      return error.message ?? 'is not allowed';
  }
}

function patternHint(path: string): string {
  if (/\/scopes(\/\d+)?$/.test(path) || path.endsWith('/default_scopes') || /\/default_scopes\/\d+$/.test(path)) {
    return 'is not a valid scope name (no spaces, quotes or backslashes)';
  }
  if (path.endsWith('/header')) return 'is not a valid HTTP header name';
  if (path.endsWith('/format') || path.startsWith('/api/headers/'))
    return 'contains a control character (line breaks are not allowed in header values)';
  if (path === '/api/base_url_env') return 'is not an environment variable name (upper-case letters, digits, "_")';
  if (path.startsWith('/auth/identity/account/')) return 'is not a dotted member path like "user.email"';
  return 'has an invalid format';
}

function idMessage(value: unknown): string {
  return `must be 1–63 lower-case letters, digits or "-", starting with a letter or digit (got ${show(value)})`;
}

// --- Semantic checks -------------------------------------------------------------------------

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return article(typeof value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
