import type { OAuth2Auth } from '../catalog/types.js';

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Adapts one provider's token endpoint to RFC 6749 at the transport layer, driven by
 * the definition's named options, so oauth4webapi sees a conforming exchange and the
 * flow code has no per-provider branches:
 * - `token_request.body: "json"` re-encodes the form body as JSON (Notion, Atlassian);
 * - `token_response.form_encoded` turns a form-encoded answer into JSON (GitHub);
 * - `token_response.errors_with_200` turns `200 {error}` / `200 {ok:false}` into a 400 error (GitHub, Slack);
 * - `token_response.nested_token` lifts the token members out of a nested object (Slack `authed_user`).
 * Requests to other endpoints (revocation, userinfo) pass through untouched.
 */
export function tokenEndpointAdapter(auth: OAuth2Auth, fetchImpl: Fetch): Fetch | undefined {
  const jsonBody = auth.token_request?.body === 'json';
  const quirks = auth.token_response ?? {};
  if (!jsonBody && !quirks.form_encoded && !quirks.errors_with_200 && !quirks.nested_token) return undefined;

  const tokenUrl = new URL(auth.token_url).href;
  return async (url, init) => {
    if (url !== tokenUrl) return fetchImpl(url, init);
    const request = jsonBody ? toJsonRequest(init) : init;
    const response = await fetchImpl(url, request);
    return normaliseTokenResponse(response, quirks);
  };
}

function toJsonRequest(init: RequestInit): RequestInit {
  const form = new URLSearchParams(String(init.body ?? ''));
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return { ...init, headers, body: JSON.stringify(Object.fromEntries(form)) };
}

async function normaliseTokenResponse(
  response: Response,
  quirks: NonNullable<OAuth2Auth['token_response']>,
): Promise<Response> {
  const text = await response.text();
  let body = parseBody(text, response.headers.get('content-type'), quirks.form_encoded === true);
  if (body === undefined) return rebuild(response, response.status, text, response.headers.get('content-type'));

  let status = response.status;
  if (quirks.errors_with_200 && status === 200 && (typeof body.error === 'string' || body.ok === false)) {
    status = 400;
    body = { ...body, error: typeof body.error === 'string' ? body.error : 'invalid_request' };
  }
  if (status === 200 && quirks.nested_token) {
    const nested = body[quirks.nested_token];
    if (nested && typeof nested === 'object' && typeof (nested as Record<string, unknown>).access_token === 'string') {
      // The nested token is the person's own (Slack user token); its type label is not an RFC 6750 one.
      body = { ...body, ...(nested as Record<string, unknown>), token_type: 'bearer' };
    }
  }
  if (status === 200 && typeof body.access_token === 'string' && typeof body.token_type !== 'string') {
    body = { ...body, token_type: 'bearer' };
  }
  return rebuild(response, status, JSON.stringify(body), 'application/json');
}

function parseBody(
  text: string,
  contentType: string | null,
  formEncoded: boolean,
): Record<string, unknown> | undefined {
  if (formEncoded && contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // not JSON: the response is passed on as the provider sent it
  }
}

function rebuild(original: Response, status: number, body: string, contentType: string | null): Response {
  const headers = new Headers(original.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  if (contentType) headers.set('content-type', contentType);
  return new Response(body, { status, statusText: original.statusText, headers });
}
