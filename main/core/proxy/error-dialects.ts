import type { ErrorDialect } from '../catalog/types.js';
import type { LatchkeyError } from '../errors.js';

/** A refusal as the agent's SDK will read it. */
export interface DialectAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** What a dialect needs of a refusal: Latchkey's JSON body (`error`, `error_description`, details) and where the error codes are explained. */
export interface Refusal {
  error: LatchkeyError;
  json: Record<string, unknown>;
  docsUrl: string;
}

const scopes = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];

/** The provider's code for a refusal's status, from a small per-dialect table (`default` for any other status). */
function codeFor(table: Record<number | 'default', string>, status: number): string {
  return table[status] ?? table.default;
}

/**
 * One formatter per dialect: the body shape of the provider's own errors, so the SDK raises
 * its usual typed error with Latchkey's description as the message. Latchkey's own JSON
 * rides along as `latchkey` (GraphQL: in the response's `extensions`).
 */
const FORMATTERS: Record<ErrorDialect, (refusal: Refusal) => { status?: number; body: Record<string, unknown> }> = {
  // Slack answers API errors with 200 and {ok: false}; the WebClient throws a platform
  // error at once (a 403 would be retried for half an hour) and logs "[ERROR]" messages.
  slack: ({ error, json }) => {
    if (error.code === 'rate_limit_exceeded')
      return { status: 429, body: { ok: false, error: 'ratelimited', latchkey: json } };
    const missing = error.code === 'insufficient_scope';
    return {
      status: 200,
      body: {
        ok: false,
        error: codeFor(
          { 401: 'not_authed', 403: missing ? 'missing_scope' : error.code, default: error.code },
          error.status,
        ),
        ...(missing
          ? { needed: scopes(json.required_scopes).join(','), provided: scopes(json.granted_scopes).join(',') }
          : {}),
        response_metadata: { messages: [`[ERROR] ${error.message}`] },
        latchkey: json,
      },
    };
  },
  openai: ({ error, json }) => ({
    body: {
      error: {
        message: error.message,
        type: error.status === 429 ? 'requests' : 'invalid_request_error',
        param: null,
        code: error.code,
      },
      latchkey: json,
    },
  }),
  // Octokit's message is `${message} - ${documentation_url}`.
  github: ({ error, json, docsUrl }) => ({
    body: { message: error.message, documentation_url: docsUrl, status: String(error.status), latchkey: json },
  }),
  stripe: ({ error, json, docsUrl }) => ({
    body: {
      error: { type: 'invalid_request_error', code: error.code, message: error.message, doc_url: docsUrl },
      latchkey: json,
    },
  }),
  // The Notion client recognises only its own codes; an unknown one becomes an untyped HTTP error.
  notion: ({ error, json }) => ({
    body: {
      object: 'error',
      status: error.status,
      code: codeFor(
        {
          401: 'unauthorized',
          403: 'restricted_resource',
          404: 'object_not_found',
          412: 'unauthorized',
          429: 'rate_limited',
          default: 'invalid_request',
        },
        error.status,
      ),
      message: error.message,
      latchkey: json,
    },
  }),
  // Anthropic's {type: "error", error: {type, message}}: its SDK types the error by status and
  // keeps `error.type` and the message (`apiMessage`); the printed message is the whole body.
  anthropic: ({ error, json }) => ({
    body: {
      type: 'error',
      error: {
        type: codeFor(
          {
            401: 'authentication_error',
            403: 'permission_error',
            404: 'not_found_error',
            412: 'authentication_error',
            429: 'rate_limit_error',
            default: 'invalid_request_error',
          },
          error.status,
        ),
        message: error.message,
      },
      latchkey: json,
    },
  }),
  // RFC 9457 problem details (Mailchimp): the sentence is `detail`, where those APIs explain an error.
  problem: ({ error, json, docsUrl }) => ({
    body: { type: docsUrl, title: error.code, status: error.status, detail: error.message, latchkey: json },
  }),
  // {errors: [{message, …}]} (SendGrid, Asana, Cloudflare, Intercom): SendGrid's ResponseError
  // prints each message with its field and help, Cloudflare's APIError keeps them as `errors`.
  error_list: ({ error, json, docsUrl }) => ({
    body: { errors: [{ code: error.code, message: error.message, field: null, help: docsUrl }], latchkey: json },
  }),
  // `extensions.type` is what Linear's SDK types its errors by; `code` is the common GraphQL convention.
  graphql: ({ error, json }) => ({
    body: {
      errors: [
        {
          message: error.message,
          extensions: {
            code: codeFor(
              {
                401: 'UNAUTHENTICATED',
                403: 'FORBIDDEN',
                404: 'NOT_FOUND',
                412: 'UNAUTHENTICATED',
                429: 'RATELIMITED',
                default: 'BAD_REQUEST',
              },
              error.status,
            ),
            type: codeFor(
              {
                401: 'authentication error',
                403: 'forbidden',
                404: 'invalid input',
                412: 'authentication error',
                429: 'ratelimited',
                default: 'invalid input',
              },
              error.status,
            ),
            latchkey_error: error.code,
          },
        },
      ],
      extensions: { latchkey: json },
    },
  }),
};

/**
 * A refusal of the client's (4xx) in the provider's dialect. Every answer keeps Latchkey's
 * code in `X-Latchkey-Error`, and tells the SDKs that retry on their provider's hint not
 * to (OpenAI's `x-should-retry`, Stripe's `stripe-should-retry`) unless waiting helps (429).
 * 5xx refusals are not shaped: SDKs rightly retry those.
 */
export function dialectAnswer(dialect: ErrorDialect, refusal: Refusal): DialectAnswer | undefined {
  const { error } = refusal;
  if (error.status < 400 || error.status >= 500) return undefined;
  const shaped = FORMATTERS[dialect](refusal);
  const retry = String(error.status === 429);
  return {
    status: shaped.status ?? error.status,
    body: shaped.body,
    headers: { 'x-latchkey-error': error.code, 'x-should-retry': retry, 'stripe-should-retry': retry },
  };
}
