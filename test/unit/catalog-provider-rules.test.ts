/**
 * The rules of providers that publish no machine-readable API description on the npm registry,
 * checked against their documentation: per call (method, a concrete path as the docs show it),
 * the scopes the provider's docs name for it, as the broker would ask for them. `ALL` marks a
 * GraphQL or batch endpoint that needs a grant of every connection scope; `NONE` marks a call no
 * rule opens. Each row is also run through the decision: the expected scope allows the call,
 * every other declared scope together does not.
 *
 * GitHub's rules are checked against its own description instead (github-openapi.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../../main/core/catalog/catalog.js';
import { isCallAllowed, requiredScopes } from '../../main/core/catalog/rules.js';

const ALL = 'ALL';
const NONE = 'NONE';
type Row = [method: string, path: string, expected: string[] | typeof ALL | typeof NONE];

const TABLE: Record<string, Row[]> = {
  // https://developers.asana.com/docs/oauth-scopes
  asana: [
    ['GET', '/users/me', ['users:read']],
    ['GET', '/workspaces', ['workspaces:read']],
    ['GET', '/projects/1201/tasks', ['tasks:read']],
    ['GET', '/tasks/1202/stories', ['stories:read']],
    ['POST', '/tasks', ['tasks:write']],
    ['PUT', '/tasks/1202', ['tasks:write']],
    ['DELETE', '/tasks/1202', ['tasks:delete']],
    ['POST', '/batch', NONE],
  ],
  // ClickUp personal token split into broker scopes (https://developer.clickup.com/reference)
  clickup: [
    ['GET', '/team', ['read']],
    ['GET', '/list/901/task', ['read']],
    ['POST', '/list/901/task', ['write']],
    ['PUT', '/task/86abc', ['write']],
    ['POST', '/task/86abc/comment', ['write']],
    ['DELETE', '/task/86abc', ['delete']],
  ],
  // https://developer.monday.com/api-reference/docs/basics: one GraphQL endpoint (and its file upload variant)
  monday: [
    ['POST', '/v2', ALL],
    ['POST', '/v2/file', ALL],
    ['GET', '/v2', NONE],
    ['POST', '/v1', NONE],
    ['POST', '/v2/boards', NONE],
  ],
  // https://www.figma.com/developers/api
  figma: [
    ['GET', '/v1/me', ['read']],
    ['GET', '/v1/files/FiLeKeY', ['read']],
    ['GET', '/v1/images/FiLeKeY', ['read']],
    ['POST', '/v1/files/FiLeKeY/comments', ['comment']],
    ['DELETE', '/v1/files/FiLeKeY/comments/42', ['comment']],
    ['PUT', '/v1/files/FiLeKeY', NONE],
  ],
  // https://developers.zoom.us/docs/integrations/oauth-scopes-granular/
  zoom: [
    ['GET', '/users/me', ['user:read:user']],
    ['GET', '/users/me/meetings', ['meeting:read:list_meetings']],
    ['GET', '/meetings/85746065', ['meeting:read:meeting']],
    ['POST', '/users/me/meetings', ['meeting:write:meeting']],
    ['PATCH', '/meetings/85746065', ['meeting:update:meeting']],
    ['DELETE', '/meetings/85746065', ['meeting:delete:meeting']],
    ['GET', '/users/me/recordings', ['cloud_recording:read:list_user_recordings']],
  ],
  // https://developer.box.com/guides/api-calls/permissions-and-errors/scopes/
  box: [
    ['GET', '/folders/0/items', ['root_readonly', 'root_readwrite']],
    ['GET', '/search', ['root_readonly', 'root_readwrite']],
    ['POST', '/folders', ['root_readwrite']],
    ['PUT', '/files/12345', ['root_readwrite']],
    ['DELETE', '/files/12345', ['root_readwrite']],
    ['DELETE', '/folders/12345', NONE],
  ],
  // Intercom access token split into broker scopes (https://developers.intercom.com/docs/references/rest-api/api.intercom.io)
  intercom: [
    ['GET', '/contacts', ['read']],
    ['POST', '/contacts/search', ['read']],
    ['POST', '/contacts', ['write']],
    ['PUT', '/contacts/6329', ['write']],
    ['POST', '/conversations/1911/reply', ['write']],
    ['DELETE', '/contacts/6329', NONE],
  ],
  // https://developer.todoist.com/api/v1/
  todoist: [
    ['GET', '/tasks', ['read']],
    ['GET', '/projects/6Jf8VQXxpwv56VQ7', ['read']],
    ['POST', '/tasks', ['write']],
    ['POST', '/tasks/6X7rM8997g3RQmvh/close', ['write']],
    ['POST', '/comments', ['write']],
    ['DELETE', '/tasks/6X7rM8997g3RQmvh', ['delete']],
  ],
  // https://docs.sentry.io/api/permissions/ (same scope names as Sentry's tokens)
  sentry: [
    ['GET', '/organizations', ['org:read']],
    ['GET', '/organizations/acme/projects', ['project:read']],
    ['GET', '/projects/acme/web/issues', ['event:read']],
    ['GET', '/projects/acme/web/events/b2c5', ['event:read']],
    ['PUT', '/organizations/acme/issues/1234', ['event:write']],
    ['DELETE', '/organizations/acme/issues/1234', NONE],
  ],
  // https://vercel.com/docs/rest-api
  vercel: [
    ['GET', '/v9/projects', ['read']],
    ['GET', '/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ', ['read']],
    ['POST', '/v13/deployments', ['deploy']],
    ['DELETE', '/v13/deployments/dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ', ['write']],
    ['GET', '/v10/projects/prj_1/env', ['env:read']],
    ['POST', '/v10/projects/prj_1/env', ['env:write']],
  ],
  // https://developers.cloudflare.com/api/
  cloudflare: [
    ['GET', '/user/tokens/verify', ['read']],
    ['GET', '/zones', ['read']],
    ['POST', '/zones/023e105f/dns_records', ['dns']],
    ['DELETE', '/zones/023e105f/dns_records/372e6795', ['dns']],
    ['POST', '/zones/023e105f/purge_cache', ['cache']],
    ['PUT', '/accounts/acc1/workers/scripts/hello', ['workers']],
    ['POST', '/zones/023e105f/dns_records/batch', NONE],
  ],
  // https://docs.anthropic.com/en/api/messages, /models-list, /creating-message-batches
  anthropic: [
    ['POST', '/v1/messages', ['inference']],
    ['POST', '/v1/messages/count_tokens', ['inference']],
    ['GET', '/v1/models', ['read', 'inference']],
    ['POST', '/v1/messages/batches', ALL],
    ['GET', '/v1/messages/batches/msgbatch_1/results', ALL],
    ['POST', '/v1/complete', NONE],
  ],
  // https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions
  sendgrid: [
    ['POST', '/v3/mail/send', ['mail_send']],
    ['GET', '/v3/templates', ['read']],
    ['GET', '/v3/stats', ['read']],
    ['POST', '/v3/marketing/contacts/search', ['read']],
    ['PUT', '/v3/marketing/contacts', ['contacts_write']],
    ['POST', '/v3/mail/batch', NONE],
  ],
  // https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code#scopes
  x: [
    ['GET', '/users/me', ['users.read']],
    ['GET', '/tweets/search/recent', ['tweet.read']],
    ['POST', '/tweets', ['tweet.write']],
    ['DELETE', '/tweets/1460323737035677698', ['tweet.write']],
    ['POST', '/users/2244994945/likes', ['like.write']],
    ['GET', '/users/2244994945/bookmarks', ['bookmark.read']],
    ['GET', '/users/2244994945/following', ['follows.read']],
  ],
  // https://www.reddit.com/dev/api/ (each method lists its scope)
  reddit: [
    ['GET', '/api/v1/me', ['identity']],
    ['GET', '/r/rust/hot', ['read']],
    ['GET', '/r/rust/comments/abc123/title', ['read']],
    ['POST', '/api/submit', ['submit']],
    ['POST', '/api/vote', ['vote']],
    ['POST', '/api/del', ['edit']],
    ['GET', '/message/inbox', ['privatemessages']],
  ],
  // https://developers.strava.com/docs/reference/ (each operation lists its scope)
  strava: [
    ['GET', '/athlete', ['read', 'profile:read_all']],
    ['PUT', '/athlete', ['profile:write']],
    ['GET', '/athlete/activities', ['activity:read', 'activity:read_all']],
    ['POST', '/activities', ['activity:write']],
    ['PUT', '/activities/12345', ['activity:write']],
    ['DELETE', '/activities/12345', NONE],
  ],
  // Calendly personal token split into broker scopes (https://developer.calendly.com/api-docs)
  calendly: [
    ['GET', '/users/me', ['read']],
    ['GET', '/event_types', ['read']],
    ['GET', '/scheduled_events/AAAA/invitees', ['read']],
    ['POST', '/scheduling_links', ['write']],
    ['POST', '/scheduled_events/AAAA/cancellation', ['write']],
  ],
};

const { catalog, problems } = loadCatalog({ extraDirs: [] });
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

test('the catalog has at least 30 built-in providers, all valid', () => {
  assert.deepEqual(problems, []);
  assert.ok(catalog.list().length >= 30, `${catalog.list().length} providers`);
});

test('every built-in cites its sources: a "docs" object of at least two https links, an OAuth page for OAuth providers', () => {
  for (const provider of catalog.list()) {
    const docs = provider.docs ?? {};
    assert.ok(Object.keys(docs).length >= 2, `${provider.id}: docs`);
    for (const link of Object.values(docs)) assert.equal(new URL(link).protocol, 'https:', `${provider.id}: ${link}`);
    if (provider.auth.type === 'oauth2') assert.ok('oauth' in docs, `${provider.id}: docs.oauth`);
  }
});

describe('rules against the providers\' documentation', () => {
  for (const [id, rows] of Object.entries(TABLE)) {
    test(id, () => {
      const provider = catalog.require(id);
      const declared = Object.keys(provider.auth.scopes ?? {});
      const match = catalog.matcher(id);
      assert.ok(rows.length >= 5, `${id}: at least five rows`);
      assert.ok(rows.some(([method, , expected]) => WRITES.has(method) && expected !== NONE), `${id}: a write among the rows`);
      for (const [method, path, expected] of rows) {
        const name = `${id}: ${method} ${path}`;
        const matches = match(method, path);
        if (expected === NONE) {
          assert.deepEqual(matches, [], `${name} is opened by no rule`);
          continue;
        }
        assert.ok(matches.length > 0, `${name} is opened by a rule`);
        if (expected === ALL) {
          assert.deepEqual(requiredScopes(matches, declared), declared, name);
          assert.equal(isCallAllowed(matches, declared, declared), true, name);
          assert.equal(isCallAllowed(matches, declared.slice(1), declared), false, `${name}: a grant missing one scope`);
          continue;
        }
        assert.deepEqual(requiredScopes(matches, declared), expected, name);
        for (const scope of expected) assert.equal(isCallAllowed(matches, [scope], declared), true, `${name} with ${scope}`);
        assert.equal(isCallAllowed(matches, declared.filter((scope) => !expected.includes(scope)), declared), false, `${name} with every other scope`);
      }
    });
  }
});
