import { LatchkeyError } from '../errors.js';
import { DEFAULT_BASE } from './bases.js';
import { compileRules } from './rules.js';
import type { CuratedTool, EndpointRule } from './types.js';

/** A curated tool's name; the MCP tool is `<connection>_<name>`. */
export const TOOL_NAME_PATTERN = '^[a-z][a-z0-9_]{0,40}$';

/** `{name}` fills one path segment; `{name+}` may hold "/" and fills several (a file path). */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}/g;
const INPUT_NAME = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 64 } as const;

/** JSON Schema (draft-07) of one entry of `api.tools`; the semantic checks are `curatedToolProblems`. */
export const curatedToolSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'method', 'path', 'params'],
  properties: {
    name: { type: 'string', pattern: TOOL_NAME_PATTERN },
    description: { type: 'string', minLength: 1, maxLength: 1000 },
    method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
    path: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^/' },
    base: { type: 'string', minLength: 1, maxLength: 32 },
    params: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { const: 'object' },
        properties: {
          type: 'object',
          maxProperties: 50,
          propertyNames: INPUT_NAME,
          additionalProperties: { type: 'object' },
        },
        required: { type: 'array', maxItems: 50, uniqueItems: true, items: INPUT_NAME },
      },
    },
    query: { type: 'array', maxItems: 50, uniqueItems: true, items: INPUT_NAME },
    body: { oneOf: [{ const: 'params' }, { type: 'array', maxItems: 50, uniqueItems: true, items: INPUT_NAME }] },
  },
} as const;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The placeholders of a path template, in order. */
function placeholdersOf(path: string): { name: string; multi: boolean }[] {
  return [...path.matchAll(PLACEHOLDER)].map((match) => ({ name: match[1] as string, multi: match[2] === '+' }));
}

/** The template as a path the rules can judge: each placeholder one sample segment. */
export function samplePath(path: string): string {
  return path.replace(PLACEHOLDER, 'x');
}

/**
 * What is wrong with `api.tools` beyond its shape: names unique; every placeholder a
 * required string input; query and body inputs declared and not also in the path; the
 * base known; and the call matching some rule of its base, so that a curated tool can
 * never reach an endpoint that no rule opens.
 */
export function curatedToolProblems(
  tools: unknown[],
  rules: unknown,
  baseNames: Set<string> | undefined,
  add: (path: string, message: string) => void,
): void {
  const wellFormedRules = Array.isArray(rules)
    ? rules.filter(
        (rule): rule is EndpointRule =>
          isObject(rule) &&
          typeof rule.method === 'string' &&
          typeof rule.path === 'string' &&
          Array.isArray(rule.scopes),
      )
    : [];
  const seen = new Set<string>();
  tools.forEach((tool, i) => {
    if (!isObject(tool)) return;
    const at = `/api/tools/${i}`;
    if (typeof tool.name === 'string') {
      if (tool.name === 'request')
        add(`${at}/name`, '"request" is reserved: every connection has a <connection>_request tool');
      if (seen.has(tool.name))
        add(`${at}/name`, `"${tool.name}" is the name of an earlier tool; tool names are unique per provider`);
      seen.add(tool.name);
    }
    const params = isObject(tool.params) ? tool.params : {};
    const properties = isObject(params.properties) ? params.properties : {};
    const required = new Set(Array.isArray(params.required) ? params.required : []);
    const inPath = new Set<string>();
    if (typeof tool.path === 'string') {
      for (const { name } of placeholdersOf(tool.path)) {
        inPath.add(name);
        const schema = properties[name];
        if (!isObject(schema) || schema.type !== 'string' || !required.has(name)) {
          add(
            `${at}/path`,
            `placeholder "{${name}}" needs a required string input: declare /params/properties/${name} with "type": "string" and list it in /params/required`,
          );
        }
      }
      const rest = tool.path.replace(PLACEHOLDER, '');
      if (/[{}?#]/.test(rest))
        add(
          `${at}/path`,
          `"${tool.path}" has a "{" or "}" outside a {name} placeholder, or a query: list query inputs in "query"`,
        );
    }
    for (const key of ['query', 'body'] as const) {
      const names = tool[key];
      if (!Array.isArray(names)) continue;
      names.forEach((name, j) => {
        if (typeof name !== 'string') return;
        if (!Object.hasOwn(properties, name))
          add(`${at}/${key}/${j}`, `"${name}" is not an input: declare it in /params/properties`);
        else if (inPath.has(name)) add(`${at}/${key}/${j}`, `"${name}" already fills the path`);
      });
    }
    const base = typeof tool.base === 'string' ? tool.base : DEFAULT_BASE;
    if (typeof tool.base === 'string' && baseNames && !baseNames.has(tool.base)) {
      add(`${at}/base`, `unknown base "${tool.base}": not named in /api/bases (named: ${[...baseNames].join(', ')})`);
    }
    if (typeof tool.method === 'string' && typeof tool.path === 'string') {
      const match = compileRules(wellFormedRules.filter((rule) => (rule.base ?? DEFAULT_BASE) === base));
      if (match(tool.method, samplePath(tool.path)).length === 0) {
        add(
          `${at}/path`,
          `${tool.method} ${tool.path} matches no rule of base "${base}" in /api/rules: a curated tool only calls endpoints a rule opens`,
        );
      }
    }
  });
}

/** A curated tool's call, filled from a validated input. */
export interface CuratedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  base?: string;
}

const badInput = (tool: string, message: string): LatchkeyError =>
  new LatchkeyError('invalid_tool_input', `Tool ${tool}: ${message}`, 400, { tool });

/**
 * The call a curated tool makes for an input (already checked against its params schema):
 * each placeholder percent-encoded as one path segment (`{name+}`: each "/"-separated part
 * as one), never empty, "." or ".."; `query` inputs as query parameters (arrays joined with
 * ","); `body` inputs as a JSON object. The proxy then checks the path and rules as for any call.
 */
export function curatedCall(tool: CuratedTool, input: Record<string, unknown>): CuratedCall {
  const used = new Set<string>();
  const path = tool.path.replace(PLACEHOLDER, (_whole, name: string, plus: string) => {
    used.add(name);
    const value = input[name];
    if (typeof value !== 'string') throw badInput(tool.name, `"${name}" must be a string`);
    const parts = plus === '+' ? value.replace(/^\/+/, '').split('/') : [value];
    if (plus !== '+' && value.includes('/'))
      throw badInput(tool.name, `"${name}" is one path segment and cannot contain "/"`);
    for (const part of parts) {
      if (part === '' || part === '.' || part === '..')
        throw badInput(tool.name, `"${name}" has an empty, "." or ".." segment ("${value}")`);
    }
    return parts.map(encodeURIComponent).join('/');
  });
  const query: Record<string, string> = {};
  for (const name of tool.query ?? []) {
    used.add(name);
    const value = input[name];
    if (value === undefined || value === null) continue;
    query[name] = Array.isArray(value)
      ? value.map(String).join(',')
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  }
  const call: CuratedCall = {
    method: tool.method,
    path,
    query,
    ...(tool.base === undefined ? {} : { base: tool.base }),
  };
  if (tool.body !== undefined) {
    const names = tool.body === 'params' ? Object.keys(input).filter((name) => !used.has(name)) : tool.body;
    call.body = Object.fromEntries(
      names.filter((name) => input[name] !== undefined).map((name) => [name, input[name]]),
    );
  }
  return call;
}
