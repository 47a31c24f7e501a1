import { LatchkeyError } from '../../errors.js';
import { cacheLifetimeMs, DocumentCache } from './cache.js';
import { checkClientIdUrl, checkClientMetadataDocument, type ClientMetadataDocument } from './document.js';
import { fetchGuarded, GuardedFetchError } from './fetch-guarded.js';

/** A metadata document is a few hundred bytes; 5 KiB leaves room and bounds what a client can make Latchkey read. */
export const MAX_DOCUMENT_BYTES = 5 * 1024;
export const FETCH_TIMEOUT_MS = 5_000;

/**
 * Exceptions to the fetch guard, for tests only: passed in process to startBroker, never
 * read from the environment, the command line or a request.
 */
export interface ClientMetadataTestOptions {
  /** PEM of the CA that signed the test's https server: the only one trusted when set. */
  trustedCa?: string;
  /** Addresses (e.g. 127.0.0.1) the guard lets through although the address policy refuses them. */
  allowAddresses?: string[];
}

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a client_id
 * that is an https URL is fetched through the SSRF guard, checked against that URL, and
 * kept as long as its Cache-Control allows (within bounds). Every failure is an
 * invalid_client error saying what failed.
 */
export class ClientMetadataDocuments {
  readonly #cache: DocumentCache<ClientMetadataDocument>;
  readonly #options: ClientMetadataTestOptions;

  constructor(now: () => number, options: ClientMetadataTestOptions = {}) {
    this.#cache = new DocumentCache(now);
    this.#options = options;
  }

  async resolve(clientId: string): Promise<ClientMetadataDocument> {
    const url = checkClientIdUrl(clientId);
    const cached = this.#cache.get(clientId);
    if (cached !== undefined) return cached;
    let response;
    try {
      response = await fetchGuarded(url, {
        maxBytes: MAX_DOCUMENT_BYTES,
        timeoutMs: FETCH_TIMEOUT_MS,
        trustedCa: this.#options.trustedCa,
        allowAddresses: this.#options.allowAddresses,
      });
    } catch (error) {
      if (error instanceof GuardedFetchError)
        throw new LatchkeyError(
          'invalid_client',
          `The client metadata document at ${clientId} was not fetched: ${error.message}`,
          400,
          { reason: error.reason },
        );
      throw error;
    }
    if (response.status !== 200)
      throw new LatchkeyError(
        'invalid_client',
        `The client metadata document at ${clientId} answered HTTP ${response.status}; it must answer 200 with the document`,
        400,
      );
    const document = checkClientMetadataDocument(clientId, response.body);
    this.#cache.set(clientId, document, cacheLifetimeMs(response.headers['cache-control']));
    return document;
  }
}
