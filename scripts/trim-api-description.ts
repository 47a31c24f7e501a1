// Writes test/fixtures/api-descriptions/<provider>.json: a pinned, trimmed copy of a provider's
// own machine-readable API description (its operations' method, server, path template and, where
// the description names them, OAuth scopes; no bodies or schemas), which
// test/unit/api-descriptions.test.ts checks the catalog's rules against.
//
// (Figma publishes its description on npm, @figma/rest-api-spec: the test reads the installed
// package through the same trimming, test/fixtures/openapi-operations.ts.)
//
// To refresh one: clone (or fetch) the provider's repository named in SOURCES, then run
//   node --import tsx scripts/trim-api-description.ts <provider> <path to that repository's .git>
// The copy records the repository's HEAD commit and its date; review the test's failures
// (new operations to open or list in `api.not_exposed`, rules gone dead) and commit both.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import {
  type OpenApiDescription,
  schemeScopes,
  type TrimmedOperation,
  type TrimOptions,
  trimOpenApi,
} from '../test/fixtures/openapi-operations.js';

interface Source extends TrimOptions {
  repo: string;
  /** The description's files, or which of the repository's files they are; one copy of them all. */
  files: string[] | ((tree: string[]) => string[]);
  /** Reads one file of a description that is not OpenAPI (Dropbox's Stone); OpenAPI by default. */
  parse?: (text: string) => { server: string; operations: TrimmedOperation[] };
}

const SOURCES: Record<string, Source> = {
  // Slack writes ["none"] for methods that need no scope: kept as an empty list (named: none needed).
  slack: {
    repo: 'slackapi/slack-api-specs',
    files: ['web-api/slack_web_openapi_v2_without_examples.json'],
    scopes: (security) => schemeScopes('slackAuth')(security)?.filter((scope) => scope !== 'none'),
  },
  asana: { repo: 'Asana/openapi', files: ['defs/asana_oas.yaml'], scopes: schemeScopes('oauth2') },
  box: { repo: 'box/box-openapi', files: ['openapi.json'], scopes: schemeScopes('OAuth2Security') },
  // HubSpot publishes one description per API family and version: the copy holds the v3 families
  // the definition opens (its CRM objects and owners), so coverage is checked within those.
  hubspot: {
    repo: 'HubSpot/HubSpot-public-api-spec-collection',
    files: ['Contacts', 'Companies', 'Deals', 'Tickets']
      .map((family) => `PublicApiSpecs/CRM/${family}/Rollouts/424/v3/${family.toLowerCase()}.json`)
      .concat('PublicApiSpecs/CRM/Crm Owners/Rollouts/146888/v3/crmOwners.json'),
    scopes: schemeScopes('oauth2'),
    // The deals description names the object by its type id, which the API takes as well as the
    // name; the rules (and @hubspot/api-client) use the name.
    rewritePath: (path) => path.replace(/^\/crm\/v3\/objects\/0-3(?=\/|$)/, '/crm/v3/objects/deals'),
  },
  'discord-bot': { repo: 'discord/discord-api-spec', files: ['specs/openapi.json'], scopes: schemeScopes('OAuth2') },
  // Dropbox describes its API in Stone, not OpenAPI: every route is a POST to /2/<namespace>/<route>.
  dropbox: {
    repo: 'dropbox/dropbox-api-spec',
    files: (tree) => tree.filter((file) => /^\w+\.stone$/.test(file)),
    parse: (text) => stoneRoutes(text),
  },
  // The newest numbered API version (descriptions/0 is Intercom's Unstable version).
  intercom: {
    repo: 'intercom/Intercom-OpenAPI',
    files: ['descriptions/2.16/api.intercom.io.yaml'],
    scopes: schemeScopes(),
  },
  openai: { repo: 'openai/openai-openapi', files: ['openapi.json'], scopes: schemeScopes() },
  // The description's server is https://{region}.sentry.io; the definition calls sentry.io,
  // which serves the default (US) region.
  sentry: {
    repo: 'getsentry/sentry-api-schema',
    files: ['openapi-derefed.json'],
    scopes: schemeScopes('auth_token'),
    server: 'https://sentry.io',
  },
  // One description per API family, all on api.sendgrid.com.
  sendgrid: {
    repo: 'twilio/sendgrid-oai',
    files: (tree) => tree.filter((file) => /^spec\/json\/tsg_\w+_v3\.json$/.test(file)),
    scopes: schemeScopes(),
  },
  twilio: { repo: 'twilio/twilio-oai', files: ['spec/json/twilio_api_v2010.json'], scopes: schemeScopes() },
};

const STONE_HOSTS: Record<string, string> = {
  api: 'https://api.dropboxapi.com',
  content: 'https://content.dropboxapi.com',
  notify: 'https://notify.dropboxapi.com',
};

/**
 * The routes of one Stone namespace: `route name[:version] (…)` lines, each with an indented
 * `attrs` block (`host`, default "api"; `scope`). Version n > 1 is called as `name_vn`.
 */
function stoneRoutes(text: string): { server: string; operations: TrimmedOperation[] } {
  const namespace = /^namespace (\w+)/m.exec(text)?.[1];
  if (!namespace) throw new Error('a Stone file without a namespace');
  const operations: TrimmedOperation[] = [];
  // Each route runs from its `route` line to the next line that starts unindented.
  for (const block of text.split(/^(?=\S)/m)) {
    const route = /^route ([\w/]+)(?::(\d+))? \(/.exec(block);
    if (!route) continue;
    const [, name, version] = route;
    const attribute = (key: string) => new RegExp(`^\\s+${key} = "([^"]*)"`, 'm').exec(block)?.[1];
    const host = STONE_HOSTS[attribute('host') ?? 'api'];
    if (!host) throw new Error(`route ${name}: unknown host ${attribute('host')}`);
    const scope = attribute('scope');
    operations.push({
      method: 'POST',
      ...(host === STONE_HOSTS.api ? {} : { server: host }),
      path: `/2/${namespace}/${name}${version && version !== '1' ? `_v${version}` : ''}`,
      ...(scope ? { scopes: [scope] } : {}),
    });
  }
  return { server: STONE_HOSTS.api as string, operations };
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
  const files =
    typeof source.files === 'function'
      ? source.files(git('ls-tree', '-r', '--name-only', commit).split('\n').filter(Boolean))
      : source.files;
  let server: string | undefined;
  const operations: TrimmedOperation[] = [];
  for (const file of files) {
    const text = git('show', `${commit}:${file}`);
    const trimmed = source.parse
      ? source.parse(text)
      : trimOpenApi((file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as OpenApiDescription, source);
    server ??= trimmed.server;
    for (const operation of trimmed.operations)
      operations.push(
        operation.server || trimmed.server === server ? operation : { ...operation, server: trimmed.server },
      );
  }
  operations.sort((a, b) => a.path.localeCompare(b.path, 'en') || a.method.localeCompare(b.method, 'en'));
  const head = JSON.stringify({ provider, source: { repo: source.repo, commit, files, date }, server }, null, 2).slice(
    0,
    -2,
  );
  // One operation a line: small, and a refresh's diff reads as added and removed operations.
  const body = operations.map((operation) => `    ${JSON.stringify(operation)}`).join(',\n');
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'api-descriptions');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${provider}.json`), `${head},\n  "operations": [\n${body}\n  ]\n}\n`);
  console.log(`${provider}: ${operations.length} operations from ${source.repo}@${commit} ${files.join(' ')}`);
}

main();
