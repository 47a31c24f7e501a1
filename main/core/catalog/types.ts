import type { ClientSecretPolicy, VariableKind } from '../../common/admin-api.js';
import type { AGENT_AUTH_SCHEMES, ERROR_DIALECTS } from './definition-schema.js';

/** A provider definition, as written in `providers/*.json` (built in or the person's own). */
export interface ProviderDefinition {
  /** The JSON Schema an editor validates the file with; ignored by the broker. */
  $schema?: string;
  id: string;
  name: string;
  description?: string;
  docs_url?: string;
  /** The provider's own documentation this definition follows, by topic (e.g. oauth, scopes, api, redirect). */
  docs?: Record<string, string>;
  auth: OAuth2Auth | ApiKeyAuth;
  api: ApiDefinition;
}

export type ClientAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

export interface OAuth2Auth {
  type: 'oauth2';
  authorization_url: string;
  token_url: string;
  revocation_url?: string;
  /** RFC 8628 device authorization endpoint; its presence offers "connect with a device code". */
  device_authorization_url?: string;
  /** Expected `iss` of authorization responses (RFC 9207) and ID tokens, where the provider has one. */
  issuer?: string;
  pkce: boolean;
  client_auth: ClientAuthMethod;
  /** Whether the person's own OAuth app needs a client secret for this provider (default: "none" when client_auth is "none", else "required"). */
  client_secret: ClientSecretPolicy;
  /** Scope name → human description. */
  scopes: Record<string, string>;
  default_scopes: string[];
  unenforced_subsets?: UnenforcedSubsets;
  /** How scopes are joined in the authorization request (Slack uses ","). Default " ". */
  scope_separator?: string;
  /** Whether the scopes go to the provider at all (Notion has none: its scopes are the broker's own). Default true. */
  scopes_in_request?: boolean;
  /** Query parameter that carries the scopes (Slack user tokens: "user_scope"). Default "scope". */
  scope_param?: string;
  /** Extra authorization request parameters (Google: access_type=offline, prompt=consent). */
  authorization_params?: Record<string, string>;
  /** Default { host: "127.0.0.1", any_port: true } (defaults.ts). */
  redirect: RedirectPolicy;
  token_request?: {
    /** Body encoding of token requests (Notion and Atlassian take JSON). Default "form". */
    body?: 'form' | 'json';
  };
  token_response?: {
    /** Tokens live in this nested object of the response (Slack user tokens: "authed_user"). */
    nested_token?: string;
    /** The provider answers errors with HTTP 200 and an `error` member or `ok: false` (GitHub, Slack). */
    errors_with_200?: boolean;
    /** The provider may answer form-encoded instead of JSON (GitHub without Accept). */
    form_encoded?: boolean;
  };
  /** How to learn the account identity after connecting. */
  identity?: IdentitySource;
  /** Connecting with a personal access token is offered, sent as this header. */
  personal_token?: StaticCredentialFormat & { help_url?: string };
}

export interface RedirectPolicy {
  /** The loopback host the provider accepts in redirect URIs. */
  host: '127.0.0.1' | 'localhost' | '[::1]';
  /** The provider accepts any loopback port (RFC 8252 §7.3); otherwise the exact port must be registered. */
  any_port: boolean;
}

export interface IdentitySource {
  /** A userinfo-like endpoint called with the new access token; absent: read from the token response. */
  url?: string;
  method?: 'GET' | 'POST';
  /** Dotted paths tried in order; the first string found names the account (e.g. ["email", "login"]). */
  account: string[];
}

export interface StaticCredentialFormat {
  /** Header that carries the credential, e.g. "Authorization". */
  header: string;
  /**
   * Header value template; `{key}` is replaced by the secret, e.g. "Bearer {key}", and
   * `{key_base64}` by its base64 (HTTP Basic with a pasted "user:password", e.g. "Basic {key_base64}").
   */
  format: string;
}

export interface ApiKeyAuth extends StaticCredentialFormat {
  type: 'api_key';
  help_url?: string;
  /** Broker-enforced scopes for key-based providers (scope → description); a connection holds all of them. */
  scopes?: Record<string, string>;
  unenforced_subsets?: UnenforcedSubsets;
}

/**
 * Narrower scope → the broader scopes under which the provider stops enforcing it (GitHub:
 * `public_repo` → [`repo`]: the token reaches private repositories whatever the agent was
 * told). On a connection that holds one of the broader scopes the narrower one is not
 * grantable, and a grant of it is not honoured.
 */
export type UnenforcedSubsets = Record<string, string[]>;

export interface ApiDefinition {
  /** The API base URL of a single-host API; a multi-host API names `bases` instead. */
  base_url?: string;
  /**
   * Multi-host APIs: base name → base URL, `default` required (Google: www.googleapis.com,
   * sheets.googleapis.com…). A rule names its base; the proxy addresses base `x` as
   * `/proxy/<connection>:x/…`.
   */
  bases?: Record<string, string>;
  /**
   * Per-account hosts (Zendesk subdomain, Shopify shop, self-hosted GitLab): variables the
   * person fills in at connect time, used as `{name}` in the host of `base_url` or `bases`.
   */
  variables?: Record<string, TemplateVariable>;
  /** Headers every proxied call carries (Notion-Version, Stripe-Version…). */
  headers?: Record<string, string>;
  /** Environment variable that SDKs read for the base URL (`latchkey exec` sets it), e.g. GITHUB_API_URL. */
  base_url_env?: string;
  rules: EndpointRule[];
  /** Operations of the provider's API deliberately left without a rule, and why (checked against its API description). */
  not_exposed?: NotExposedOperation[];
  /** Extra places the provider's SDKs put the key, where agents may send their Latchkey token instead (Bearer, token and Basic always work). */
  agent_auth?: AgentAuthScheme[];
  /** Latchkey's own 4xx refusals on this provider's connections are shaped like the provider's errors, so its SDKs raise their usual error. */
  error_dialect?: ErrorDialect;
  /** Curated MCP tools: named calls with described inputs (see catalog/curated-tools.ts). */
  tools?: CuratedTool[];
}

/**
 * A curated tool: one call of the provider's API with a described input, offered over MCP
 * as `<connection>_<name>`. Data, not code: `{param}` placeholders of `path` are filled from
 * the input, `query` names the inputs sent as the query, `body` those sent as a JSON body
 * ("params": all inputs not used elsewhere). The filled path goes through the proxy's checks
 * and rules like any call.
 */
export interface CuratedTool {
  name: string;
  description: string;
  method: string;
  path: string;
  /** The base (of `api.bases`) the call goes to; default `default`. */
  base?: string;
  /** JSON Schema of the input: an object schema. */
  params: { type: 'object'; properties?: Record<string, unknown>; required?: string[]; [keyword: string]: unknown };
  query?: string[];
  body?: string[] | 'params';
}

export interface NotExposedOperation {
  /** HTTP method or "*", as in rules. */
  method: string;
  /** Path pattern, as in rules (`*` one segment, `**` any number). */
  path: string;
  reason: string;
}

/**
 * Where an SDK sends its key: `header` (e.g. "x-api-key"), its value the key itself
 * ("bare", the default, e.g. Linear's `Authorization: <key>`), `Bearer <key>`, or HTTP Basic
 * with the key as the password and any user name ("basic-password", Authorization only:
 * Twilio's SDK sends `AccountSid:AuthToken` and needs both), or `Bot <key>` ("bot":
 * Discord's REST client sends its bot token so).
 */
export interface AgentAuthScheme {
  header: string;
  scheme?: (typeof AGENT_AUTH_SCHEMES)[number];
}

/** Error shapes Latchkey can speak: each is the body a provider's own API gives and its SDKs parse. */
export type ErrorDialect = (typeof ERROR_DIALECTS)[number];

export interface EndpointRule {
  /** HTTP method in upper case, or "*" for any. */
  method: string;
  /** Path pattern: literal segments, `*` = exactly one segment, `**` = any number of segments (zero included). */
  path: string;
  /** Any one of these scopes allows the call; an empty list means no scope is needed. */
  scopes: string[];
  /**
   * `all_connection_scopes`: the endpoint can do more than any one scope says (GraphQL, batch
   * endpoints), so only a grant covering every scope the connection holds (or `*`) allows it.
   * `scopes` is then empty.
   */
  requires?: 'all_connection_scopes';
  /** The base (of `api.bases`) the rule applies to; default `default`. */
  base?: string;
}

/**
 * A per-account part of an API host. `label`: one DNS label (`{subdomain}.zendesk.com`);
 * `hostname`: a whole host name of labels (self-hosted instances). Never a URL, an IP
 * literal, a port or user info.
 */
export interface TemplateVariable {
  kind: VariableKind;
  /** What to fill in, shown on the connect form ("Your Zendesk subdomain: acme in acme.zendesk.com"). */
  description: string;
  /** Used when the person leaves it out (gitlab.com for GitLab). */
  default?: string;
}
