/**
 * Every error code Latchkey answers with: its usual HTTP status and what it means. A
 * `LatchkeyError` takes only a code listed here (checked at compile time) and defaults to its
 * status; the README's error table is generated from this list (scripts/write-error-table.ts).
 * Codes of the OAuth endpoints are the ones RFC 6749, 6750, 7009 and 7591 fix.
 */
export const ERROR_CODES = {
  // The request itself
  invalid_request: {
    status: 400,
    meaning: 'A parameter or body field is missing, repeated or malformed; the description names it.',
  },
  invalid_option: {
    status: 400,
    meaning: 'A command-line option, environment variable or broker setting has an invalid value.',
  },
  invalid_name: { status: 400, meaning: 'The name is empty, too long, invisible or bidirectional text; pick another.' },
  invalid_cursor: { status: 400, meaning: 'The audit page cursor is not a next_cursor the broker gave.' },
  invalid_config_file: {
    status: 400,
    meaning: 'An MCP client configuration file is not valid JSON or TOML; fix or move it.',
  },
  invalid_tool_input: { status: 400, meaning: 'An MCP tool was called with arguments its schema refuses.' },
  not_found: { status: 404, meaning: 'No route has this method and path.' },
  too_many_headers: { status: 431, meaning: 'The request carries more header fields than Latchkey reads.' },
  invalid_host: {
    status: 421,
    meaning: "The Host header is not Latchkey's loopback address and port (DNS rebinding).",
  },
  forbidden_origin: {
    status: 403,
    meaning:
      'A web page of another origin sent the request; only the dashboard and agents calling directly are served.',
  },
  // The admin API and CLI
  admin_token_required: { status: 401, meaning: 'The admin route needs `Authorization: Bearer <admin token>`.' },
  broker_not_running: {
    status: 503,
    meaning: 'No broker is running for this data dir; start `latchkey serve` or the desktop app.',
  },
  command_not_found: { status: 127, meaning: '`latchkey exec` could not find the command to run.' },
  request_failed: {
    status: 502,
    meaning: 'The broker answered without its JSON error shape; the status says what happened.',
  },
  discovery_failed: { status: 502, meaning: "`latchkey exec` could not read the broker's agent discovery document." },
  // Connections and providers
  unknown_provider: {
    status: 404,
    meaning: 'No provider with this id in the catalog; the answer lists the ids there are.',
  },
  invalid_provider: {
    status: 400,
    meaning: 'A custom provider definition breaks the schema; `problems` lists each path and what is wrong.',
  },
  provider_exists: { status: 409, meaning: 'A provider with this id is already in the catalog.' },
  unknown_connection: {
    status: 404,
    meaning: 'No connection of this name (for an agent: none it may use); the answer lists the ones there are.',
  },
  connection_exists: {
    status: 409,
    meaning: 'A connection of this name exists; choose another name or disconnect it first.',
  },
  unknown_base: {
    status: 404,
    meaning: "The connection's provider has no API base of this name; the answer lists its bases.",
  },
  invalid_variable: {
    status: 400,
    meaning: 'A template variable (subdomain, shop) is not a DNS label or host name as the provider asks.',
  },
  unsupported_method: {
    status: 400,
    meaning: 'The provider cannot be connected this way (browser, device, personal token or API key).',
  },
  secret_required: { status: 400, meaning: 'Connecting with a key or personal token needs the key in `secret`.' },
  invalid_secret: { status: 400, meaning: 'The pasted key holds characters that cannot travel in an HTTP header.' },
  not_oauth_provider: { status: 400, meaning: 'The provider is connected with an API key, so it takes no OAuth app.' },
  client_not_configured: {
    status: 400,
    meaning: 'The provider needs your own OAuth app first: set its client_id (PUT /providers/:id/client).',
  },
  client_secret_required: { status: 400, meaning: "The provider's OAuth app needs a client secret too." },
  not_refreshable: { status: 400, meaning: 'The connection holds a static key; there is nothing to refresh.' },
  reauthorization_required: {
    status: 412,
    meaning: 'The connection lost its authorization at the provider; the person must reconnect it.',
  },
  unknown_flow: { status: 404, meaning: 'No connect flow with this id (flows are kept 20 minutes).' },
  unknown_state: { status: 400, meaning: 'The OAuth callback belongs to no connect flow started here.' },
  flow_already_used: {
    status: 400,
    meaning: 'The OAuth callback of this flow was already used; start connecting again.',
  },
  flow_expired: { status: 400, meaning: 'The connect flow expired before it was completed; start connecting again.' },
  too_many_flows: { status: 429, meaning: 'Too many connect flows are waiting; finish or let them expire first.' },
  invalid_callback: { status: 400, meaning: "The provider's authorization response is invalid." },
  authorization_failed: { status: 400, meaning: 'The provider refused the authorization (`provider_error` says why).' },
  connect_failed: { status: 500, meaning: 'The connection could not be completed; the description says why.' },
  token_request_failed: {
    status: 502,
    meaning: 'The provider refused the token request (`provider_error` is its code).',
  },
  device_authorization_failed: { status: 502, meaning: 'The provider refused the device authorization request.' },
  revocation_failed: { status: 502, meaning: 'The provider refused to revoke the token.' },
  provider_unreachable: { status: 502, meaning: "The provider's OAuth server cannot be reached." },
  provider_timeout: { status: 504, meaning: "The provider's OAuth server did not answer in time." },
  // Agents and approvals
  unknown_agent: {
    status: 404,
    meaning: 'No agent with this id or name; by name, the answer lists the agents there are.',
  },
  agent_exists: { status: 409, meaning: 'An agent of this name (or a name that looks like it) exists.' },
  agent_not_active: { status: 409, meaning: 'The agent is pending or revoked, so no token can be minted for it.' },
  agent_revoked: { status: 409, meaning: 'The agent was revoked; it cannot be changed, only deleted.' },
  invalid_grant_scope: {
    status: 400,
    meaning:
      'A grant names a scope the connection does not hold or may not grant; the answer lists the available ones.',
  },
  grants_required: { status: 400, meaning: 'The request named no scope, so approving it needs the grants chosen.' },
  unknown_approval: { status: 404, meaning: 'No authorization request with this id (or a newer one replaced it).' },
  approval_decided: { status: 409, meaning: 'The authorization request was already approved or denied.' },
  approval_expired: { status: 409, meaning: 'The authorization request expired before a decision.' },
  unknown_session: { status: 404, meaning: 'No live exec session with this id; `latchkey sessions` lists them.' },
  session_held: { status: 409, meaning: 'Another `latchkey exec` already holds this exec session.' },
  invalid_ttl: { status: 400, meaning: 'An exec session lasts from 1 minute to 7 days (`--ttl`).' },
  broker_stopping: {
    status: 503,
    meaning: 'The broker is stopping; a running `latchkey exec` reconnects when it is back.',
  },
  // Agent-facing (proxy, MCP, token use)
  missing_token: {
    status: 401,
    meaning: 'Send `Authorization: Bearer <token>`; get an agent token from the token endpoint.',
  },
  invalid_token: {
    status: 401,
    meaning: 'The token is malformed, not signed by a current key, or for another resource.',
  },
  token_expired: { status: 401, meaning: 'The access token expired; get a new one from `token_endpoint`.' },
  token_revoked: { status: 401, meaning: 'The access token was revoked (its agent revoked or its grant narrowed).' },
  insufficient_scope: {
    status: 403,
    meaning: 'The grant does not cover this endpoint; `required_scopes` says what would.',
  },
  call_denied: {
    status: 403,
    meaning: 'The person denied this call (an ask-first scope); ask them, or call without that scope.',
  },
  approval_timeout: {
    status: 403,
    meaning: 'Nobody answered this held call in time; retry after `Retry-After` seconds, when the person is around.',
  },
  paused: { status: 403, meaning: 'The kill switch is on: every agent request is refused until the person resumes.' },
  invalid_path: { status: 400, meaning: 'The proxy path is refused (dot segments, encoded slashes, a foreign host).' },
  rate_limit_exceeded: {
    status: 429,
    meaning: 'The agent went over its requests a minute; retry after `retry_after` seconds.',
  },
  upstream_unreachable: { status: 502, meaning: "The provider's API cannot be reached." },
  upstream_timeout: { status: 504, meaning: "The provider's API did not answer in time." },
  client_closed_request: {
    status: 499,
    meaning: 'The agent went away during its upload (recorded in the audit log, never sent).',
  },
  // OAuth endpoints (RFC 6749 §5.2, RFC 7009, RFC 7591, RFC 8707)
  invalid_client: { status: 401, meaning: 'Client authentication failed, or the client_id is unknown or revoked.' },
  invalid_grant: {
    status: 400,
    meaning: 'The authorization code or refresh token is unknown, expired, used or bound to another client.',
  },
  unauthorized_client: { status: 400, meaning: 'The client may not use this grant type.' },
  unsupported_response_type: {
    status: 400,
    meaning: 'The authorization request asked for another response_type than code.',
  },
  unsupported_grant_type: { status: 400, meaning: 'The grant_type is not one Latchkey supports.' },
  invalid_scope: { status: 400, meaning: 'The scope is malformed or more than the agent was granted.' },
  invalid_target: {
    status: 400,
    meaning: "The resource is not one of Latchkey's, or differs from the authorization request.",
  },
  access_denied: { status: 400, meaning: 'The person denied the authorization request (sent to the redirect URI).' },
  invalid_redirect_uri: {
    status: 400,
    meaning: 'A redirect URI is not a loopback http URL or an https URL without fragment.',
  },
  invalid_client_metadata: { status: 400, meaning: 'A registration field is invalid (RFC 7591).' },
  temporarily_unavailable: {
    status: 503,
    meaning: 'Too many registered agents are waiting for approval; try again later.',
  },
  server_error: {
    status: 500,
    meaning: "The OAuth endpoints' internal_error (RFC 6749 fixes the name); the broker's log says more.",
  },
  // The broker itself
  internal_error: { status: 500, meaning: 'Latchkey failed to handle the request; its log says why.' },
  port_in_use: {
    status: 500,
    meaning: 'The port is taken on the loopback interface; use --port N, or --port 0 for any free port.',
  },
  port_denied: { status: 500, meaning: 'Not allowed to listen on the port; use one above 1023.' },
  listen_failed: { status: 500, meaning: 'The broker could not listen on its loopback address.' },
  data_dir_in_use: { status: 409, meaning: 'Another broker holds this data dir.' },
  data_dir_unwritable: { status: 500, meaning: 'The data dir cannot be written.' },
  data_dir_insecure: { status: 500, meaning: 'The data dir is readable or writable by other users.' },
  data_dir_not_owned: { status: 500, meaning: 'The data dir belongs to another user.' },
  database_corrupt: { status: 500, meaning: "The broker's SQLite database is damaged." },
  database_too_new: { status: 500, meaning: 'The database was written by a newer Latchkey.' },
  audit_write_failed: { status: 500, meaning: 'An audit entry could not be written, so the request was not served.' },
  audit_closed: { status: 503, meaning: 'The audit log is closed (the broker is shutting down).' },
  invalid_audit_entry: { status: 500, meaning: 'An audit entry with an unknown kind or decision was refused.' },
  signing_keys_corrupt: { status: 500, meaning: 'The access-token signing keys in the vault are unreadable.' },
  keychain_unavailable: {
    status: 500,
    meaning: 'The OS keychain cannot be reached; the description says what to set up.',
  },
  vault_error: { status: 500, meaning: 'The secret store failed to read or write a secret.' },
  vault_corrupt: { status: 500, meaning: 'The encrypted secret file is damaged.' },
  vault_too_new: { status: 500, meaning: 'The encrypted secret file was written by a newer Latchkey.' },
  passphrase_required: { status: 400, meaning: 'The file secret store needs its passphrase (LATCHKEY_PASSPHRASE).' },
  wrong_passphrase: { status: 401, meaning: 'The passphrase does not open the encrypted secret file.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
