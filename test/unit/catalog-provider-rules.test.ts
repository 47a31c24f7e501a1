/**
 * The providers' rules (GitHub's and Linear's aside, see below) checked against their
 * documentation: per call (method, a concrete path as the docs show it), the scopes the
 * provider's docs name for it, as the broker would ask for them. `ALL` marks a
 * GraphQL or batch endpoint that needs a grant of every connection scope; `NONE` marks a call no
 * rule opens. Each row is also run through the decision: the expected scope allows the call,
 * every other declared scope together does not.
 *
 * A path starting with ":<base>" is on that named base of a multi-host provider (Google's
 * `:gmail/…`), as agents address it at /proxy/<connection>:<base>/….
 *
 * Providers that publish a machine-readable API description are also checked against it, every
 * rule and every operation: GitHub against @octokit/openapi (github-openapi.test.ts, so it has no
 * rows here), and Asana, Box, Discord, Dropbox, Figma, HubSpot, Intercom, OpenAI, SendGrid,
 * Sentry, Slack and Twilio against pinned copies of their own descriptions
 * (api-descriptions.test.ts), which also compares the rules' scopes with the description's
 * where it names them. Linear's single GraphQL rule is pinned in catalog-rules-safety.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { isCallAllowed, requiredScopes } from '../../main/core/catalog/rules.js';

const ALL = 'ALL';
const NONE = 'NONE';
type Row = [method: string, path: string, expected: string[] | typeof ALL | typeof NONE];

const G = 'https://www.googleapis.com/auth/';

const TABLE: Record<string, Row[]> = {
  // https://developers.google.com/identity/protocols/oauth2/scopes (Calendar, Drive, Gmail, Sheets)
  google: [
    ['GET', '/calendar/v3/calendars/primary/events', [`${G}calendar.readonly`, `${G}calendar.events`]],
    ['POST', '/calendar/v3/calendars/primary/events', [`${G}calendar.events`]],
    ['GET', '/drive/v3/files', [`${G}drive.readonly`, `${G}drive.file`, `${G}drive`]],
    ['GET', ':gmail/gmail/v1/users/me/messages', [`${G}gmail.readonly`, `${G}gmail.modify`]],
    ['POST', ':gmail/gmail/v1/users/me/messages/send', [`${G}gmail.send`, `${G}gmail.modify`]],
    ['PUT', ':sheets/v4/spreadsheets/1AbC/values/A1', [`${G}spreadsheets`, `${G}drive.file`, `${G}drive`]],
    // Gmail lives on its own host: the default base opens none of it.
    ['GET', '/gmail/v1/users/me/messages', NONE],
  ],
  // https://developers.notion.com/reference/capabilities (the SDK appends /v1 to its base)
  notion: [
    ['GET', '/v1/pages/59833787', ['read_content']],
    ['POST', '/v1/search', ['read_content']],
    ['POST', '/v1/pages', ['insert_content']],
    ['PATCH', '/v1/pages/59833787', ['update_content']],
    ['POST', '/v1/comments', ['insert_comments']],
    ['DELETE', '/v1/pages/59833787', NONE],
  ],
  // https://developer.zendesk.com/api-reference/ticketing/introduction/ (token scopes split by Latchkey)
  zendesk: [
    ['GET', '/api/v2/tickets.json', ['tickets:read', 'tickets:write']],
    ['POST', '/api/v2/tickets.json', ['tickets:write']],
    ['PUT', '/api/v2/tickets/42', ['tickets:write']],
    ['GET', '/api/v2/users/7', ['users:read', 'users:write']],
    ['GET', '/api/v2/help_center/articles', ['help_center:read']],
    ['DELETE', '/api/v2/users/7', NONE],
  ],
  // https://shopify.dev/docs/api/usage/access-scopes
  shopify: [
    ['GET', '/products.json', ['read_products', 'write_products']],
    ['POST', '/products.json', ['write_products']],
    ['GET', '/orders/450.json', ['read_orders', 'write_orders']],
    ['POST', '/orders/450/cancel.json', ['write_orders']],
    ['PUT', '/customers/7', ['write_customers']],
    ['POST', '/graphql.json', ALL],
    ['DELETE', '/orders/450', NONE],
  ],
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
  // https://www.figma.com/developers/api#authentication-scopes (all of Figma's rules are also checked against its own description)
  figma: [
    ['GET', '/v1/me', ['current_user:read']],
    ['GET', '/v1/files/FiLeKeY', ['file_content:read']],
    ['GET', '/v1/images/FiLeKeY', ['file_content:read']],
    ['POST', '/v1/files/FiLeKeY/comments', ['file_comments:write']],
    ['DELETE', '/v1/files/FiLeKeY/comments/42', ['file_comments:write']],
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
  // https://developer.box.com/guides/api-calls/permissions-and-errors/scopes/ (the SDK appends /2.0 to its base)
  box: [
    ['GET', '/2.0/folders/0/items', ['root_readonly', 'root_readwrite']],
    ['GET', '/2.0/search', ['root_readonly', 'root_readwrite']],
    ['POST', '/2.0/folders', ['root_readwrite']],
    ['PUT', '/2.0/files/12345', ['root_readwrite']],
    ['DELETE', '/2.0/files/12345', ['root_readwrite']],
    ['DELETE', '/2.0/folders/12345', NONE],
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
  // https://developer.todoist.com/api/v1/ (the SDK appends /api/v1 to its base)
  todoist: [
    ['GET', '/api/v1/tasks', ['read']],
    ['GET', '/api/v1/projects/6Jf8VQXxpwv56VQ7', ['read']],
    ['POST', '/api/v1/tasks', ['write']],
    ['POST', '/api/v1/tasks/6X7rM8997g3RQmvh/close', ['write']],
    ['POST', '/api/v1/comments', ['write']],
    ['DELETE', '/api/v1/tasks/6X7rM8997g3RQmvh', ['delete']],
  ],
  // https://docs.sentry.io/api/permissions/ (same scope names as Sentry's tokens)
  sentry: [
    ['GET', '/organizations', ['org:read']],
    ['GET', '/organizations/acme/projects', ['org:read']],
    ['GET', '/projects/acme/web/issues', ['event:read']],
    ['GET', '/projects/acme/web/events/b2c5', ['project:read']],
    ['PUT', '/organizations/acme/issues/1234', ['event:write']],
    ['DELETE', '/organizations/acme/issues/1234', NONE],
  ],
  // https://vercel.com/docs/rest-api
  vercel: [
    ['GET', '/v9/projects', ['read']],
    ['GET', '/v10/projects', ['read']],
    ['GET', '/v7/deployments', ['read']],
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
    ['GET', '/2/users/me', ['users.read']],
    ['GET', '/2/tweets/search/recent', ['tweet.read']],
    ['POST', '/2/tweets', ['tweet.write']],
    ['DELETE', '/2/tweets/1460323737035677698', ['tweet.write']],
    ['POST', '/2/users/2244994945/likes', ['like.write']],
    ['GET', '/2/users/2244994945/bookmarks', ['bookmark.read']],
    ['GET', '/2/users/2244994945/following', ['follows.read']],
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
  // Twilio key split into broker scopes (https://www.twilio.com/docs/messaging/api/message-resource, /voice/api/call-resource)
  twilio: [
    ['GET', '/2010-04-01/Accounts/AC0123/Messages.json', ['read']],
    ['GET', '/2010-04-01/Accounts/AC0123/Messages/SM0123.json', ['read']],
    ['POST', '/2010-04-01/Accounts/AC0123/Messages.json', ['messages']],
    ['DELETE', '/2010-04-01/Accounts/AC0123/Messages/SM0123.json', ['messages']],
    ['POST', '/2010-04-01/Accounts/AC0123/Calls.json', ['calls']],
    ['POST', '/2010-04-01/Accounts/AC0123/IncomingPhoneNumbers.json', NONE],
  ],
  // Calendly personal token split into broker scopes (https://developer.calendly.com/api-docs)
  calendly: [
    ['GET', '/users/me', ['read']],
    ['GET', '/event_types', ['read']],
    ['GET', '/scheduled_events/AAAA/invitees', ['read']],
    ['POST', '/scheduling_links', ['write']],
    ['POST', '/scheduled_events/AAAA/cancellation', ['write']],
  ],
  // https://developer.atlassian.com/cloud/trello/rest/ (token scopes read/write split by Latchkey into read, write, delete)
  trello: [
    ['GET', '/members/me/boards', ['read']],
    ['GET', '/boards/5abbe4b7ddc1b351ef961414/cards', ['read']],
    ['POST', '/cards', ['write']],
    ['PUT', '/cards/5abbe4b7ddc1b351ef961414', ['write']],
    ['POST', '/cards/5abbe4b7ddc1b351ef961414/actions/comments', ['write']],
    ['DELETE', '/cards/5abbe4b7ddc1b351ef961414', ['delete']],
    ['DELETE', '/boards/5abbe4b7ddc1b351ef961414', NONE],
  ],
  // https://mailchimp.com/developer/marketing/api/ (an API key reaches everything: Latchkey's own scopes)
  mailchimp: [
    ['GET', '/lists/57afe96172/members', ['read']],
    ['POST', '/lists/57afe96172/members', ['audience:write']],
    ['PATCH', '/lists/57afe96172/members/62eeb292278cc15f5817cb78f7790b08', ['audience:write']],
    ['POST', '/campaigns', ['campaigns:write']],
    ['POST', '/campaigns/42694e9e57/actions/send', ['campaigns:send']],
    ['POST', '/batches', ALL],
    ['POST', '/lists/57afe96172/members/62eeb292278cc15f5817cb78f7790b08/actions/delete-permanent', NONE],
    ['DELETE', '/lists/57afe96172', NONE],
  ],
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_list.htm (OAuth scope "api" covers the REST API)
  salesforce: [
    ['GET', '/services/data/v62.0/query', ['api']],
    ['GET', '/services/data/v62.0/sobjects/Account/001xx000003DGb2AAG', ['api']],
    ['POST', '/services/data/v62.0/sobjects/Account', ['api']],
    ['PATCH', '/services/data/v62.0/sobjects/Account/001xx000003DGb2AAG', ['api']],
    ['POST', '/services/data/v62.0/composite/batch', ALL],
    ['GET', '/services/oauth2/userinfo', ['openid', 'id']],
    ['POST', '/services/data/v62.0/chatter/feed-elements', ['chatter_api']],
    ['POST', '/services/apexrest/Orders', NONE],
  ],
  // https://airtable.com/developers/web/api/scopes (each endpoint's page names its scope); base IDs start with "app"
  airtable: [
    ['GET', '/v0/appAbc123/Tasks', ['data.records:read', 'data.records:write']],
    ['GET', '/v0/appAbc123/Tasks/recXyz789', ['data.records:read', 'data.records:write']],
    ['POST', '/v0/appAbc123/Tasks', ['data.records:write']],
    ['PATCH', '/v0/appAbc123/Tasks/recXyz789', ['data.records:write']],
    ['POST', '/v0/appAbc123/Tasks/recXyz789/comments', ['data.recordComments:write']],
    ['GET', '/v0/meta/bases', ['schema.bases:read', 'schema.bases:write']],
    ['POST', '/v0/meta/bases', ['schema.bases:write']],
    ['POST', '/v0/meta/bases/appAbc123/tables', ['schema.bases:write']],
    ['POST', '/v0/bases/appAbc123/webhooks', ['webhook:manage']],
    // The records scopes never reach the schema endpoints: "meta" is no base ID.
    ['PATCH', '/v0/meta/bases', NONE],
    ['DELETE', '/v0/meta/bases/appAbc123', NONE],
  ],
  // --- Providers built in before issue 11 (see the note at the top for the three left out) ---
  // https://developer.atlassian.com/cloud/jira/platform/scopes-for-oauth-2-3LO-and-forge-apps/ and the Confluence equivalent
  atlassian: [
    ['GET', '/ex/jira/11223344-a1b2-3b33-c444-def123456789/rest/api/3/issue/PROJ-1', ['read:jira-work']],
    ['POST', '/ex/jira/11223344-a1b2-3b33-c444-def123456789/rest/api/3/search/jql', ['read:jira-work']],
    ['POST', '/ex/jira/11223344-a1b2-3b33-c444-def123456789/rest/api/3/issue', ['write:jira-work']],
    ['POST', '/ex/jira/11223344-a1b2-3b33-c444-def123456789/rest/api/3/issue/PROJ-1/transitions', ['write:jira-work']],
    [
      'GET',
      '/ex/confluence/11223344-a1b2-3b33-c444-def123456789/wiki/rest/api/content/98765',
      ['read:confluence-content.all'],
    ],
    ['POST', '/ex/confluence/11223344-a1b2-3b33-c444-def123456789/wiki/rest/api/content', ['write:confluence-content']],
    ['DELETE', '/ex/jira/11223344-a1b2-3b33-c444-def123456789/rest/api/3/issue/PROJ-1', NONE],
  ],
  // https://learn.microsoft.com/en-us/graph/permissions-reference (least to most privileged, per API page)
  microsoft: [
    ['GET', '/v1.0/me', ['User.Read']],
    ['GET', '/v1.0/me/messages/AAMkAG', ['Mail.Read', 'Mail.ReadWrite']],
    ['POST', '/v1.0/me/sendMail', ['Mail.Send']],
    ['POST', '/v1.0/me/events', ['Calendars.ReadWrite']],
    ['GET', '/v1.0/me/drive/root/children', ['Files.Read', 'Files.ReadWrite', 'Files.Read.All']],
    ['PUT', '/v1.0/me/drive/root:/notes.txt:/content', ['Files.ReadWrite']],
  ],
  // https://docs.gitlab.com/user/profile/personal_access_tokens/#personal-access-token-scopes
  gitlab: [
    ['GET', '/api/v4/user', ['read_user', 'read_api', 'api']],
    ['GET', '/api/v4/projects/42/issues', ['read_api', 'api']],
    ['POST', '/api/v4/projects/42/issues', ['api']],
    ['PUT', '/api/v4/projects/42/merge_requests/7/merge', ['api']],
    ['POST', '/api/v4/projects/42/pipeline', ['api']],
    ['DELETE', '/api/v4/projects/42', NONE],
  ],
  // https://developers.hubspot.com/docs/api/scopes
  hubspot: [
    ['GET', '/crm/v3/objects/contacts/51', ['crm.objects.contacts.read']],
    ['POST', '/crm/v3/objects/contacts', ['crm.objects.contacts.write']],
    ['PATCH', '/crm/v3/objects/deals/77', ['crm.objects.deals.write']],
    ['POST', '/crm/v3/objects/tickets', ['tickets']],
    ['GET', '/crm/v3/owners/', ['crm.objects.owners.read']],
    ['POST', '/crm/v3/objects/contacts/batch/create', NONE],
  ],
  // https://developers.dropbox.com/oauth-guide#dropbox-api-permissions (each endpoint lists its scope)
  dropbox: [
    ['POST', '/2/users/get_current_account', ['account_info.read']],
    ['POST', '/2/files/list_folder', ['files.metadata.read']],
    ['POST', '/2/files/get_temporary_link', ['files.content.read']],
    ['POST', '/2/files/delete_v2', ['files.content.write']],
    ['POST', '/2/sharing/create_shared_link_with_settings', ['sharing.write']],
    ['POST', '/2/files/delete_batch', NONE],
  ],
  // https://developer.spotify.com/documentation/web-api/concepts/scopes
  spotify: [
    ['GET', '/me/playlists', ['playlist-read-private']],
    ['POST', '/playlists/3cEYpjA9oz9GiPac4AsH4n/tracks', ['playlist-modify-private', 'playlist-modify-public']],
    ['PUT', '/me/tracks', ['user-library-modify']],
    ['PUT', '/me/player/pause', ['user-modify-playback-state']],
    ['GET', '/me/player/recently-played', ['user-read-playback-state', 'user-read-recently-played']],
  ],
  // https://docs.slack.dev/reference/methods (each method lists its user-token scopes)
  slack: [
    ['POST', '/conversations.history', ['channels:history', 'groups:history', 'im:history', 'mpim:history']],
    ['POST', '/chat.postMessage', ['chat:write']],
    ['POST', '/reactions.add', ['reactions:write']],
    ['GET', '/users.lookupByEmail', ['users:read.email']],
    ['POST', '/files.completeUploadExternal', ['files:write']],
    ['GET', '/chat.postMessage', NONE],
  ],
  // Discord bot token split into broker scopes (https://discord.com/developers/docs/resources/message)
  'discord-bot': [
    ['GET', '/v10/channels/81384788765712384/messages', ['read']],
    ['POST', '/v10/channels/81384788765712384/messages', ['write']],
    ['PUT', '/v10/channels/81384788765712384/messages/1/reactions/%F0%9F%91%8D/%40me', ['write']],
    ['DELETE', '/v10/channels/81384788765712384/messages/1/reactions/%F0%9F%91%8D/80351110224678912', ['moderate']],
    ['PUT', '/v10/guilds/81384788765712384/bans/80351110224678912', ['moderate']],
  ],
  // Stripe key split into read (GET) and write (POST, DELETE) (https://docs.stripe.com/api)
  stripe: [
    ['GET', '/v1/customers', ['read']],
    ['GET', '/v1/charges/ch_1', ['read']],
    ['POST', '/v1/customers', ['write']],
    ['POST', '/v1/refunds', ['write']],
    ['DELETE', '/v1/customers/cus_1', ['write']],
    ['GET', '/v2/core/events', NONE],
  ],
  // https://platform.openai.com/docs/api-reference
  openai: [
    ['GET', '/models', ['read', 'inference']],
    ['POST', '/chat/completions', ['inference']],
    ['POST', '/responses', ['inference']],
    ['POST', '/files', ['write']],
    ['POST', '/batches', ALL],
    ['DELETE', '/models/ft-1', NONE],
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

describe("rules against the providers' documentation", () => {
  for (const [id, rows] of Object.entries(TABLE)) {
    test(id, () => {
      const provider = catalog.require(id);
      const declared = Object.keys(provider.auth.scopes ?? {});
      const matchOn = (base: string) => catalog.matcher(id, base);
      assert.ok(rows.length >= 5, `${id}: at least five rows`);
      assert.ok(
        rows.some(([method, , expected]) => WRITES.has(method) && expected !== NONE),
        `${id}: a write among the rows`,
      );
      for (const [method, addressed, expected] of rows) {
        const name = `${id}: ${method} ${addressed}`;
        const [, base = 'default', path = addressed] = /^:([a-z][a-z0-9-]*)(\/.*)$/.exec(addressed) ?? [];
        const matches = matchOn(base)(method, path);
        if (expected === NONE) {
          assert.deepEqual(matches, [], `${name} is opened by no rule`);
          continue;
        }
        assert.ok(matches.length > 0, `${name} is opened by a rule`);
        if (expected === ALL) {
          assert.deepEqual(requiredScopes(matches, declared), declared, name);
          assert.equal(isCallAllowed(matches, declared, declared), true, name);
          assert.equal(
            isCallAllowed(matches, declared.slice(1), declared),
            false,
            `${name}: a grant missing one scope`,
          );
          continue;
        }
        assert.deepEqual(requiredScopes(matches, declared), expected, name);
        for (const scope of expected)
          assert.equal(isCallAllowed(matches, [scope], declared), true, `${name} with ${scope}`);
        assert.equal(
          isCallAllowed(
            matches,
            declared.filter((scope) => !expected.includes(scope)),
            declared,
          ),
          false,
          `${name} with every other scope`,
        );
      }
    });
  }
});
