// Writes test/fixtures/api-descriptions/<provider>.json: a pinned, trimmed copy of a provider's
// own machine-readable API description (its operations' method, server, path template and, where
// the description names them, OAuth scopes; no bodies or schemas), which
// test/unit/api-descriptions.test.ts checks the catalog's rules against.
//
// To refresh one: clone (or fetch) the provider's repository named in SOURCES, then run
//   node --import tsx scripts/trim-api-description.ts <provider> <path to that repository's .git>
// The copy records the repository's HEAD commit and its date; review the test's failures
// (new operations to open or list in `api.not_exposed`, rules gone dead) and commit both.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

interface Source {
  repo: string;
  file: string;
  /** Reads the scopes an operation's `security` names; undefined when it names none. */
  scopes: (security: unknown) => string[] | undefined;
}

/** The OAuth scopes of the first requirement on `scheme` that lists some. */
const schemeScopes =
  (scheme: string) =>
  (security: unknown): string[] | undefined => {
    if (!Array.isArray(security)) return undefined;
    for (const requirement of security as Record<string, unknown>[]) {
      const scopes = requirement[scheme];
      if (Array.isArray(scopes) && scopes.length > 0) return scopes.map(String);
    }
    return undefined;
  };

export const SOURCES: Record<string, Source> = {
  // Slack writes ["none"] for methods that need no scope: kept as an empty list (named: none needed).
  slack: {
    repo: 'slackapi/slack-api-specs',
    file: 'web-api/slack_web_openapi_v2_without_examples.json',
    scopes: (security) => schemeScopes('slackAuth')(security)?.filter((scope) => scope !== 'none'),
  },
  asana: { repo: 'Asana/openapi', file: 'defs/asana_oas.yaml', scopes: schemeScopes('oauth2') },
  box: { repo: 'box/box-openapi', file: 'openapi.json', scopes: schemeScopes('OAuth2Security') },
  figma: { repo: 'figma/rest-api-spec', file: 'openapi/openapi.yaml', scopes: schemeScopes('OAuth2') },
  twilio: { repo: 'twilio/twilio-oai', file: 'spec/json/twilio_api_v2010.json', scopes: () => undefined },
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

interface ServerObject {
  url: string;
  variables?: Record<string, { default: string }>;
}
interface OperationObject {
  security?: unknown;
  servers?: ServerObject[];
}
interface Description {
  swagger?: string;
  host?: string;
  basePath?: string;
  schemes?: string[];
  servers?: ServerObject[];
  security?: unknown;
  /** Path items: operations by method, and `servers` (or `parameters`, …) beside them. */
  paths: Record<string, Record<string, OperationObject | undefined> & { servers?: ServerObject[] }>;
}

export interface TrimmedOperation {
  method: string;
  /** The server the operation is on, when it is not the description's own. */
  server?: string;
  path: string;
  /** The OAuth scopes the description names for it ([] = it says none is needed); absent when it names none. */
  scopes?: string[];
}

/** A server URL with its variables at their defaults (Box's upload host). */
function serverUrl(server: ServerObject): string {
  return server.url.replace(/\{([^}]+)\}/g, (_, name: string) => server.variables?.[name]?.default ?? `{${name}}`);
}

function trim(description: Description, source: Source): { server: string; operations: TrimmedOperation[] } {
  // Swagger 2 (Slack) names one host and base path; OpenAPI 3 a list of servers, per operation too.
  const server = description.swagger
    ? `${description.schemes?.[0] ?? 'https'}://${description.host}${description.basePath ?? ''}`
    : serverUrl(description.servers?.[0] ?? { url: '' });
  const operations: TrimmedOperation[] = [];
  const seen = new Set<string>();
  for (const [documented, item] of Object.entries(description.paths)) {
    // Box documents variants of one endpoint as `path#variant`: the call goes to the path.
    const path = documented.split('#')[0] ?? documented;
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method) || !operation || Array.isArray(operation) || seen.has(`${method} ${path}`)) continue;
      seen.add(`${method} ${path}`);
      const own = operation.servers?.[0] ?? item.servers?.[0];
      const scopes = source.scopes(operation.security ?? description.security);
      operations.push({
        method: method.toUpperCase(),
        ...(own && serverUrl(own) !== server ? { server: serverUrl(own) } : {}),
        path,
        ...(scopes ? { scopes } : {}),
      });
    }
  }
  operations.sort((a, b) => a.path.localeCompare(b.path, 'en') || a.method.localeCompare(b.method, 'en'));
  return { server, operations };
}

function main(): void {
  const [provider, gitDir] = process.argv.slice(2);
  const source = provider ? SOURCES[provider] : undefined;
  if (!source || !gitDir) {
    console.error(`usage: trim-api-description.ts <${Object.keys(SOURCES).join('|')}> <git dir of its repository>`);
    process.exit(2);
  }
  const git = (...args: string[]) =>
    execFileSync('git', [`--git-dir=${gitDir}`, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const commit = git('rev-parse', 'HEAD').trim();
  const date = git('log', '-1', '--format=%cs', commit).trim();
  const text = git('show', `${commit}:${source.file}`);
  const description = (source.file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Description;
  const { server, operations } = trim(description, source);
  const head = JSON.stringify(
    { provider, source: { repo: source.repo, commit, file: source.file, date }, server },
    null,
    2,
  ).slice(0, -2);
  // One operation a line: small, and a refresh's diff reads as added and removed operations.
  const body = operations.map((operation) => `    ${JSON.stringify(operation)}`).join(',\n');
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'api-descriptions');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${provider}.json`), `${head},\n  "operations": [\n${body}\n  ]\n}\n`);
  console.log(`${provider}: ${operations.length} operations from ${source.repo}@${commit} ${source.file}`);
}

main();
