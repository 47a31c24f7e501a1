import { LatchkeyError } from '../../errors.js';
import { redirectUriMatches, validateRedirectUri } from '../redirect-uris.js';

const MAX_CLIENT_ID_LENGTH = 2048;
const MAX_REDIRECT_URIS = 10;

/** What Latchkey takes from a client's metadata document. */
export interface ClientMetadataDocument {
  client_id: string;
  client_name: string | undefined;
  redirect_uris: string[];
}

const invalidClient = (message: string): LatchkeyError => new LatchkeyError('invalid_client', message, 400);

/**
 * Whether a client_id names a metadata document rather than a registered client: an https
 * URL (CIMD §3). Registered client ids are random tokens, never URLs.
 */
export const isClientIdUrl = (clientId: string): boolean => /^https?:\/\//i.test(clientId);

/**
 * A client_id URL as CIMD §3 allows it: https, with a path, no fragment, no user
 * information, no dot segments. Returned parsed; anything else is refused with
 * invalid_client naming the rule.
 */
export function checkClientIdUrl(clientId: string): URL {
  if (clientId.length > MAX_CLIENT_ID_LENGTH)
    throw invalidClient(`A client_id URL is at most ${MAX_CLIENT_ID_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw invalidClient('The client_id is not a valid URL');
  }
  if (url.protocol !== 'https:') throw invalidClient('A client_id metadata document URL must use https');
  if (url.pathname === '/' || url.pathname === '')
    throw invalidClient(
      'A client_id metadata document URL must have a path (e.g. https://app.example/oauth/client.json)',
    );
  if (clientId.includes('#')) throw invalidClient('A client_id metadata document URL must not contain a fragment');
  if (url.username || url.password)
    throw invalidClient('A client_id metadata document URL must not contain user information');
  // URL parsing removes dot segments, so any left in the raw string would change which document is meant.
  if (/\/\.{1,2}(\/|$|\?)/.test(clientId.replace(/^https:\/\/[^/]*/i, '')))
    throw invalidClient('A client_id metadata document URL must not contain "." or ".." path segments');
  return url;
}

/**
 * Checks a fetched document against its URL (CIMD §4): a JSON object whose `client_id` is
 * exactly the URL it was fetched from, a public client (no shared secret: the document is
 * public, so `token_endpoint_auth_method` is "none"), with valid redirect URIs.
 */
export function checkClientMetadataDocument(clientId: string, body: Buffer): ClientMetadataDocument {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidClient('The client metadata document is not valid JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw invalidClient('The client metadata document is not a JSON object');
  const fields = document as Record<string, unknown>;
  if (fields.client_id !== clientId) {
    throw invalidClient(
      `The client metadata document's client_id (${JSON.stringify(fields.client_id)?.slice(0, 200)}) does not match the URL it was fetched from; they must be identical`,
    );
  }
  const method = fields.token_endpoint_auth_method ?? 'none';
  if (method !== 'none')
    throw invalidClient(
      `The client metadata document's token_endpoint_auth_method is ${JSON.stringify(method).slice(0, 100)}; Latchkey accepts only "none" (a public client using PKCE) for metadata documents`,
    );
  if ('client_secret' in fields || 'client_secret_expires_at' in fields)
    throw invalidClient('A client metadata document must not contain a client_secret: it is public');
  const uris = fields.redirect_uris;
  if (
    !Array.isArray(uris) ||
    uris.length === 0 ||
    uris.length > MAX_REDIRECT_URIS ||
    !uris.every((uri) => typeof uri === 'string')
  ) {
    throw invalidClient(`The client metadata document must list 1 to ${MAX_REDIRECT_URIS} redirect_uris (strings)`);
  }
  let redirectUris: string[];
  try {
    redirectUris = [...new Set((uris as string[]).map(validateRedirectUri))];
  } catch (error) {
    // Rethrown as the client's error: a bad redirect URI in its document makes the client unusable.
    throw invalidClient(`The client metadata document has an invalid redirect URI: ${(error as Error).message}`);
  }
  const name = fields.client_name;
  if (name !== undefined && typeof name !== 'string')
    throw invalidClient("The client metadata document's client_name must be a string");
  return { client_id: clientId, client_name: name, redirect_uris: redirectUris };
}

/** The request's redirect_uri must be one the document lists (exactly, or with another port on loopback: RFC 8252 §7.3). */
export function requireDocumentRedirectUri(document: ClientMetadataDocument, redirectUri: string): void {
  if (!redirectUriMatches(document.redirect_uris, redirectUri)) {
    throw invalidClient(
      `redirect_uri ${redirectUri.slice(0, 200)} is not among the redirect_uris of the client metadata document at ${document.client_id}`,
    );
  }
}
