import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { refusedAddressReason } from '../../main/core/authz/client-metadata/address-policy.js';
import {
  cacheLifetimeMs,
  DocumentCache,
  MAX_CACHE_MS,
  MIN_CACHE_MS,
} from '../../main/core/authz/client-metadata/cache.js';
import {
  checkClientIdUrl,
  checkClientMetadataDocument,
  requireDocumentRedirectUri,
} from '../../main/core/authz/client-metadata/document.js';
import { ClientMetadataDocuments } from '../../main/core/authz/client-metadata/documents.js';
import { fetchGuarded, GuardedFetchError } from '../../main/core/authz/client-metadata/fetch-guarded.js';
import { LatchkeyError } from '../../main/core/errors.js';
import { startHttpsDocuments, type HttpsDocuments } from '../fixtures/https-documents.js';

const invalidClient =
  (pattern: RegExp) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof LatchkeyError, String(error));
    assert.equal(error.code, 'invalid_client');
    assert.match(error.message, pattern);
    return true;
  };

describe('address policy of the metadata document fetch', () => {
  const refused: [string, RegExp][] = [
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['10.0.0.1', /private/],
    ['10.255.255.255', /private/],
    ['100.64.0.1', /shared/],
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['169.254.169.254', /link-local/],
    ['172.16.0.1', /private/],
    ['172.31.255.254', /private/],
    ['192.0.0.8', /reserved/],
    ['192.0.2.1', /documentation/],
    ['192.168.1.1', /private/],
    ['198.18.0.1', /benchmarking/],
    ['198.51.100.7', /documentation/],
    ['203.0.113.9', /documentation/],
    ['224.0.0.251', /multicast/],
    ['239.255.255.250', /multicast/],
    ['240.0.0.1', /reserved/],
    ['255.255.255.255', /reserved/],
    ['::', /unspecified/],
    ['::1', /loopback/],
    ['0:0:0:0:0:0:0:1', /loopback/],
    ['::7f00:1', /IPv4-compatible/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['febf:ffff::1', /link-local/],
    ['fc00::1', /unique-local/],
    ['fd12:3456:789a::1', /unique-local/],
    ['fec0::1', /site-local/],
    ['ff02::1', /multicast/],
    ['ff0e::101', /multicast/],
    ['2001:db8::1', /documentation/],
    ['100::1', /discard/],
    ['::ffff:127.0.0.1', /IPv4-mapped loopback/],
    ['::ffff:7f00:1', /IPv4-mapped loopback/],
    ['::ffff:10.1.2.3', /IPv4-mapped private/],
    ['::ffff:a9fe:a9fe', /IPv4-mapped link-local/],
    ['::ffff:0.0.0.0', /IPv4-mapped unspecified/],
    ['::ffff:224.0.0.1', /IPv4-mapped multicast/],
    ['0:0:0:0:0:ffff:192.168.0.1', /IPv4-mapped private/],
    ['64:ff9b::127.0.0.1', /NAT64\) loopback/],
    ['64:ff9b::a00:1', /NAT64\) private/],
    ['not-an-address', /not an IP address/],
  ];
  for (const [address, reason] of refused) {
    test(`refuses ${address}`, () => {
      assert.match(refusedAddressReason(address) ?? 'allowed', reason);
    });
  }

  test('allows public unicast addresses of both families, also IPv4-mapped', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '93.184.216.34',
      '100.128.0.1',
      '172.32.0.1',
      '192.169.0.1',
      '11.0.0.1',
      '223.255.255.254',
      '2606:4700:4700::1111',
      '2001:4860:4860::8888',
      '2a00:1450:4001::200e',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
      'fbff::1',
      'fe00::1',
    ]) {
      assert.equal(refusedAddressReason(address), undefined, address);
    }
  });
});

describe('client_id URLs and their documents', () => {
  const ID = 'https://app.example/oauth/client.json';
  const doc = (fields: Record<string, unknown>): Buffer =>
    Buffer.from(JSON.stringify({ client_id: ID, redirect_uris: ['http://127.0.0.1:3000/callback'], ...fields }));

  test('a client_id URL is https with a path, no fragment, no user information, no dot segments', () => {
    assert.equal(checkClientIdUrl(ID).hostname, 'app.example');
    assert.throws(() => checkClientIdUrl('http://app.example/client.json'), invalidClient(/must use https/));
    assert.throws(() => checkClientIdUrl('https://app.example/'), invalidClient(/must have a path/));
    assert.throws(() => checkClientIdUrl('https://app.example'), invalidClient(/must have a path/));
    assert.throws(() => checkClientIdUrl('https://app.example/client.json#x'), invalidClient(/fragment/));
    assert.throws(() => checkClientIdUrl('https://me:pw@app.example/client.json'), invalidClient(/user information/));
    assert.throws(() => checkClientIdUrl('https://app.example/a/../client.json'), invalidClient(/path segments/));
    assert.throws(() => checkClientIdUrl('https://app.example/./client.json'), invalidClient(/path segments/));
    assert.throws(() => checkClientIdUrl(`https://app.example/${'a'.repeat(2100)}`), invalidClient(/at most/));
  });

  test('a document names exactly its own URL, is a public client, and lists valid redirect URIs', () => {
    assert.deepEqual(checkClientMetadataDocument(ID, doc({ client_name: 'App', token_endpoint_auth_method: 'none' })), {
      client_id: ID,
      client_name: 'App',
      redirect_uris: ['http://127.0.0.1:3000/callback'],
    });
    assert.throws(() => checkClientMetadataDocument(ID, Buffer.from('{')), invalidClient(/not valid JSON/));
    assert.throws(() => checkClientMetadataDocument(ID, Buffer.from('[]')), invalidClient(/not a JSON object/));
    assert.throws(
      () => checkClientMetadataDocument(ID, doc({ client_id: `${ID}?x=1` })),
      invalidClient(/does not match the URL/),
    );
    assert.throws(
      () => checkClientMetadataDocument(ID, doc({ client_id: 'https://APP.example/oauth/client.json' })),
      invalidClient(/does not match the URL/),
    );
    assert.throws(
      () => checkClientMetadataDocument(ID, doc({ client_id: undefined })),
      invalidClient(/does not match the URL/),
    );
    assert.throws(
      () => checkClientMetadataDocument(ID, doc({ token_endpoint_auth_method: 'client_secret_basic' })),
      invalidClient(/accepts only "none"/),
    );
    assert.throws(
      () => checkClientMetadataDocument(ID, doc({ token_endpoint_auth_method: 'private_key_jwt' })),
      invalidClient(/accepts only "none"/),
    );
    assert.throws(
      () => checkClientMetadataDocument(ID, doc({ client_secret: 'shh' })),
      invalidClient(/must not contain a client_secret/),
    );
    assert.throws(() => checkClientMetadataDocument(ID, doc({ redirect_uris: [] })), invalidClient(/redirect_uris/));
    assert.throws(
      () => checkClientMetadataDocument(ID, doc({ redirect_uris: 'http://127.0.0.1/cb' })),
      invalidClient(/redirect_uris/),
    );
    assert.throws(
      () => checkClientMetadataDocument(ID, doc({ redirect_uris: ['http://app.example/cb'] })),
      invalidClient(/invalid redirect URI.*https/),
    );
    assert.throws(() => checkClientMetadataDocument(ID, doc({ client_name: 7 })), invalidClient(/client_name/));
  });

  test("the request's redirect_uri must be in the document: exactly, or with another port on loopback (RFC 8252)", () => {
    const document = checkClientMetadataDocument(
      ID,
      doc({ redirect_uris: ['http://127.0.0.1:3000/callback', 'https://app.example/cb'] }),
    );
    requireDocumentRedirectUri(document, 'http://127.0.0.1:3000/callback');
    requireDocumentRedirectUri(document, 'http://127.0.0.1:49152/callback');
    requireDocumentRedirectUri(document, 'https://app.example/cb');
    assert.throws(
      () => requireDocumentRedirectUri(document, 'https://app.example:8443/cb'),
      invalidClient(/not among the redirect_uris/),
    );
    assert.throws(
      () => requireDocumentRedirectUri(document, 'http://127.0.0.1:3000/other'),
      invalidClient(/not among the redirect_uris/),
    );
    assert.throws(
      () => requireDocumentRedirectUri(document, 'http://localhost:3000/callback'),
      invalidClient(/not among the redirect_uris/),
    );
  });

  test('caching follows Cache-Control within a floor and a ceiling', () => {
    assert.equal(cacheLifetimeMs(undefined), MIN_CACHE_MS);
    assert.equal(cacheLifetimeMs('no-store'), 0);
    assert.equal(cacheLifetimeMs('public, no-cache'), 0);
    assert.equal(cacheLifetimeMs('max-age=600'), 600_000);
    assert.equal(cacheLifetimeMs('public, MAX-AGE=0'), MIN_CACHE_MS);
    assert.equal(cacheLifetimeMs('max-age=99999999'), MAX_CACHE_MS);
    let now = 0;
    const cache = new DocumentCache<string>(() => now);
    cache.set('a', 'A', 1000);
    cache.set('b', 'B', 0);
    assert.equal(cache.get('a'), 'A');
    assert.equal(cache.get('b'), undefined);
    now = 1000;
    assert.equal(cache.get('a'), undefined);
  });
});

describe('the guarded fetch, against an https server on loopback', () => {
  let server: HttpsDocuments;
  before(async () => {
    server = await startHttpsDocuments();
  });
  after(async () => {
    await server?.close();
  });
  const limits = { maxBytes: 5 * 1024, timeoutMs: 2_000 };
  const reasonOf = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof GuardedFetchError, String(error));
      return `${error.reason}: ${error.message}`;
    }
    return 'fetched';
  };

  test('refuses http, and loopback unless the test lets that address through', async () => {
    server.handle = (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    assert.match(await reasonOf(fetchGuarded(new URL(`http://127.0.0.1:${server.port}/doc`), limits)), /^not_https/);
    assert.match(
      await reasonOf(fetchGuarded(new URL(`${server.url}/doc`), { ...limits, trustedCa: server.ca })),
      /^private_address: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address/,
    );
    const fetched = await fetchGuarded(new URL(`${server.url}/doc`), {
      ...limits,
      trustedCa: server.ca,
      allowAddresses: ['127.0.0.1'],
    });
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.toString(), '{}');
    // Without the test's CA, its certificate is not trusted.
    assert.match(
      await reasonOf(fetchGuarded(new URL(`${server.url}/doc`), { ...limits, allowAddresses: ['127.0.0.1'] })),
      /^unreachable: .*certificate/,
    );
  });

  test("resolves once, refuses a name with any inside address, and connects to the vetted address with the name's certificate check", async () => {
    server.handle = (request, response) => response.writeHead(200).end(request.headers.host);
    const mixed = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    assert.match(
      await reasonOf(fetchGuarded(new URL(`https://docs.test:${server.port}/doc`), { ...limits, resolve: mixed })),
      /^private_address: docs\.test resolves to 10\.0\.0\.5, a private address/,
    );
    let lookups = 0;
    // docs.test exists in no DNS: the answer can only come through the one resolution the guard made.
    const resolve = async () => {
      lookups += 1;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const fetched = await fetchGuarded(new URL(`https://docs.test:${server.port}/doc`), {
      ...limits,
      resolve,
      trustedCa: server.ca,
      allowAddresses: ['127.0.0.1'],
    });
    assert.equal(fetched.body.toString(), `docs.test:${server.port}`);
    assert.equal(lookups, 1);
    // The certificate is checked against the URL's name, not the address connected to.
    assert.match(
      await reasonOf(
        fetchGuarded(new URL(`https://other.test:${server.port}/doc`), {
          ...limits,
          resolve,
          trustedCa: server.ca,
          allowAddresses: ['127.0.0.1'],
        }),
      ),
      /^unreachable: .*(altnames|other\.test)/,
    );
  });

  test('follows no redirect, and bounds size and time', async () => {
    const allowed = { ...limits, trustedCa: server.ca, allowAddresses: ['127.0.0.1'] };
    server.handle = (_request, response) => response.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    assert.match(await reasonOf(fetchGuarded(new URL(`${server.url}/doc`), allowed)), /^redirect: .*HTTP 302/);
    server.handle = (_request, response) =>
      response.writeHead(200, { 'content-length': String(6 * 1024) }).end('x'.repeat(6 * 1024));
    assert.match(await reasonOf(fetchGuarded(new URL(`${server.url}/doc`), allowed)), /^too_large: .*5120 bytes/);
    // Chunked, so no length announces it: the count of bytes read stops it.
    server.handle = (_request, response) => {
      response.writeHead(200);
      for (let i = 0; i < 12; i += 1) response.write('x'.repeat(512));
      response.end();
    };
    assert.match(await reasonOf(fetchGuarded(new URL(`${server.url}/doc`), allowed)), /^too_large/);
    // Headers sent, the body never finished: the deadline ends it.
    server.handle = (_request, response) => {
      response.writeHead(200);
      response.write('{');
    };
    assert.match(
      await reasonOf(fetchGuarded(new URL(`${server.url}/doc`), { ...allowed, timeoutMs: 300 })),
      /^timeout: no complete answer within 0\.3 s/,
    );
  });

  test('documents are checked, cached as their Cache-Control says, and every failure is invalid_client', async () => {
    let now = 0;
    const documents = new ClientMetadataDocuments(() => now, { trustedCa: server.ca, allowAddresses: ['127.0.0.1'] });
    const id = `${server.url}/cached.json`;
    let cacheControl = 'max-age=120';
    server.handle = (_request, response) =>
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheControl })
        .end(JSON.stringify({ client_id: id, client_name: 'Cached', redirect_uris: ['http://127.0.0.1/cb'] }));
    assert.equal((await documents.resolve(id)).client_name, 'Cached');
    assert.equal((await documents.resolve(id)).client_name, 'Cached');
    assert.equal(server.hits.get('/cached.json'), 1);
    now = 120_000;
    await documents.resolve(id);
    assert.equal(server.hits.get('/cached.json'), 2);
    cacheControl = 'no-store';
    now = 300_000;
    await documents.resolve(id);
    await documents.resolve(id);
    assert.equal(server.hits.get('/cached.json'), 4);

    server.handle = (_request, response) => response.writeHead(404).end();
    await assert.rejects(documents.resolve(`${server.url}/missing.json`), invalidClient(/answered HTTP 404/));
    await assert.rejects(
      new ClientMetadataDocuments(() => now).resolve(`${server.url}/cached.json`),
      invalidClient(/was not fetched: .*loopback address/),
    );
  });
});
