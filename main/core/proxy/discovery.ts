import type { AgentConnection } from '../../common/admin-api.js';
import { DEFAULT_BASE, resolveBases } from '../catalog/bases.js';
import type { Catalog } from '../catalog/catalog.js';
import { isLatchkeyError } from '../errors.js';
import type { ConnectionRecord } from '../store/connections.js';
import { grantedScopes } from './access.js';
import type { AgentPrincipal } from './types.js';

/** `GET /v1/connections`: the connections this agent holds a grant on, and how to call them. */
export function agentConnections(
  agent: AgentPrincipal,
  records: readonly ConnectionRecord[],
  catalog: Catalog,
  broker: string,
): AgentConnection[] {
  const views: AgentConnection[] = [];
  for (const record of records) {
    const grant = agent.connection_ids.get(record.name) === record.id ? agent.grants.get(record.name) : undefined;
    const provider = catalog.get(record.provider);
    if (grant === undefined || !provider) continue;
    let upstream: Record<string, string>;
    try {
      upstream = resolveBases(provider, record.variables);
    } catch (error) {
      // Variables the definition no longer accepts: every call would be refused, so it is not offered.
      if (isLatchkeyError(error) && error.code === 'invalid_variable') continue;
      throw error;
    }
    const bases = Object.fromEntries(
      Object.entries(upstream).map(([base, url]) => [
        base,
        {
          base_url: `${broker}/proxy/${record.name}${base === DEFAULT_BASE ? '' : `:${base}`}`,
          upstream_base_url: url,
        },
      ]),
    );
    views.push({
      name: record.name,
      provider: provider.id,
      provider_name: provider.name,
      status: record.status,
      scopes: grantedScopes(grant, record, provider),
      base_url: `${broker}/proxy/${record.name}`,
      upstream_base_url: upstream[DEFAULT_BASE] as string,
      ...(provider.api.base_url_env ? { base_url_env: provider.api.base_url_env } : {}),
      bases,
    });
  }
  return views;
}

/** `GET /llms.txt`: everything an agent (or the model driving it) needs to use Latchkey, in plain text. */
export function llmsText(broker: string, tokenEndpoint: string): string {
  return `# Latchkey

> A local credential broker. The person connected their accounts (GitHub, Slack, Google, …)
> to Latchkey and granted you some of them. You never see their tokens or keys: you call the
> provider's API through Latchkey with your own short-lived Latchkey token, and Latchkey adds
> the real credential. Every call is recorded in an audit log the person reads.

Broker: ${broker}

## 1. Get a token

If you were started with \`latchkey exec --agent NAME -- CMD\`, your environment already holds
LATCHKEY_URL, a fresh LATCHKEY_TOKEN and one base-URL variable per connection (for example
GITHUB_API_URL), plus LATCHKEY_<CONNECTION>_<BASE>_URL for each other base of an API on
several hosts (LATCHKEY_GOOGLE_SHEETS_URL): use them.

Otherwise Latchkey is an OAuth 2.1 authorization server. Its metadata (RFC 8414):
${broker}/.well-known/oauth-authorization-server

Headless agents use the client credentials grant with the client id and secret the person
gave you:

    curl -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials ${tokenEndpoint}

Interactive agents register (RFC 7591, at the metadata's registration_endpoint) and use the
authorization code grant with PKCE S256; the person approves the request in Latchkey.
Access tokens live at most 15 minutes: get a new one when a call answers token_expired.

## 2. See what you may use

    curl -H "Authorization: Bearer $LATCHKEY_TOKEN" ${broker}/v1/connections

lists your connections: name, provider, the scopes you hold, and base_url, the URL to use in
place of the provider's API base URL. An API on several hosts (Google: www.googleapis.com,
sheets.googleapis.com…) lists each under bases: base "sheets" is called as
${broker}/proxy/<connection>:sheets/<path>.

## 3. Call the provider's API

    curl -H "Authorization: Bearer $LATCHKEY_TOKEN" ${broker}/proxy/<connection>/<path>

is the provider's <api base URL>/<path> with the same method, query, headers and body.
Official SDKs work once pointed at ${broker}/proxy/<connection> with your Latchkey token
as their token ("Authorization: Bearer", Octokit's "token" and HTTP Basic with the token as
user name are accepted; some providers also take it where their SDK puts its key, such as
Linear's bare "Authorization: <key>"). Redirects from the provider are passed back, not followed.

Every proxied response carries X-RateLimit-Limit, X-RateLimit-Remaining and
X-RateLimit-Reset (seconds) for your own Latchkey limit; the provider's own rate-limit
headers arrive as X-Upstream-RateLimit-*.

## Errors

Latchkey's own errors are JSON: {"error": "<code>", "error_description": "…", …}. On the
connections of providers with an official SDK (GitHub, OpenAI, Stripe, Slack, Notion, Linear)
a refusal is shaped like the provider's own errors so the SDK raises its usual error (Slack:
HTTP 200 with {"ok": false, "error": "missing_scope", "needed", "provided"}); the code is then in
the X-Latchkey-Error header and the JSON above under "latchkey" (GraphQL: extensions.latchkey).

- 401 missing_token: send "Authorization: Bearer <token>".
- 401 invalid_token: the token is not one Latchkey issued to you; get a new one (token_endpoint is in the body).
- 401 token_expired: get a new token and retry.
- 401 token_revoked: the person revoked you; stop and tell them.
- 403 insufficient_scope: this call needs one of required_scopes, you hold granted_scopes; ask the person to extend your grant. Do not retry.
  With "requires": "all_connection_scopes" (GraphQL and batch endpoints) it needs ALL of required_scopes: every scope the connection holds.
- 403 paused: the person paused all agents; stop and tell them.
- Slow answers: a call under a scope the person asked to approve waits (up to a minute) until they answer; keep waiting, do not resend it.
- 403 call_denied: the person said no to this call; do not retry it unless they ask you to.
- 403 approval_timeout: nobody answered in time; retry after Retry-After seconds and it waits for them again.
- 403 forbidden_origin: Latchkey is not callable from web pages.
- 400 invalid_path: the path has dot segments, encoded slashes, backslashes, "@" or control characters; send a plain path.
- 404 unknown_connection: you have no connection of that name; see available or /v1/connections.
- 404 unknown_base: the connection's API has no base of that name; see bases in /v1/connections.
- 412 reauthorization_required: the person must reconnect the account in Latchkey; tell them, do not retry.
- 429 rate_limit_exceeded: wait Retry-After seconds.
- 502 upstream_unreachable: the provider cannot be reached; retry later.
- 504 upstream_timeout: the provider did not answer in time; retry later, or ask for less.
- Any other status comes from the provider itself.
`;
}
