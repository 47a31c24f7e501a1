/**
 * The broker's HTTP surface against a hostile local caller (a web page making the browser
 * call 127.0.0.1, a paste gone wrong, an agent trying to change its method): the whole
 * broker (file secret store), a tiny upstream that echoes what it received, and raw
 * requests on a socket where no HTTP client would send them as written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as oauth from 'oauth4webapi';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { raw, type RawAnswer } from '../fixtures/raw-http.js';
import { createLogger } from '../../main/core/log.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const FOREIGN = 'https://evil.example';
const SANDBOX_CSP = "sandbox; default-src 'none'";

const values = (answer: RawAnswer, name: string): string[] =>
  answer.fields.filter(([n]) => n === name).map(([, v]) => v);

/** A provider's API stand-in: answers every request with what it received; /page is HTML with a permissive CSP of its own. */
async function startEchoUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/page') {
      res.writeHead(200, {
        'content-type': 'text/html',
        'content-security-policy': 'default-src *',
        'x-content-type-options': 'sniff-away',
      });
      res.end('<script>parent.postMessage(document.cookie, "*")</script>');
      return;
    }
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); // not chunked: raw() reads bodies as they come
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the HTTP surface against hostile local callers', () => {
  let broker: TestBroker;
  let upstream: { url: string; close(): Promise<void> };
  let agentToken: string;
  const logLines: string[] = [];
  const host = (): [string, string] => ['host', `127.0.0.1:${broker.port}`];
  const admin = (): [string, string] => ['authorization', `Bearer ${broker.adminToken}`];
  const agent = (): [string, string] => ['authorization', `Bearer ${agentToken}`];

  /** The proxy's audit entries (of one connection, if given), oldest first. */
  async function auditOf(connection?: string): Promise<any[]> {
    const answer = await broker.admin(`/audit?kind=proxy&limit=500${connection ? `&connection=${connection}` : ''}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return [...answer.body.entries].reverse();
  }

  before(async () => {
    upstream = await startEchoUpstream();
    broker = await startTestBroker({
      secretStore: 'file',
      passphrase: 'a long test passphrase',
      logger: createLogger({ destination: { write: (line: string) => void logLines.push(line.trimEnd()) } }),
    });
    const added = await broker.admin('/providers', {
      body: {
        id: 'echo',
        name: 'Echo',
        auth: { type: 'api_key', header: 'X-Api-Key', format: '{key}', scopes: { read: 'Read', write: 'Write' } },
        api: {
          base_url: upstream.url,
          rules: [
            { method: 'GET', path: '/**', scopes: ['read'] },
            { method: 'DELETE', path: '/**', scopes: ['write'] },
          ],
        },
      },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    for (const name of ['echo', 'broken']) {
      const connected = await broker.admin('/connections', { body: { provider: 'echo', name, secret: 'echo-key-1' } });
      assert.equal(connected.status, 201, JSON.stringify(connected.body));
    }
    const created = await broker.admin('/agents', {
      body: {
        name: 'reader',
        grants: [
          { connection: 'echo', scopes: ['read'] },
          { connection: 'broken', scopes: ['read'] },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const as = await oauth.processDiscoveryResponse(
      new URL(broker.url),
      await oauth.discoveryRequest(new URL(broker.url), { algorithm: 'oauth2', ...insecure }),
    );
    const client = { client_id: created.body.client_id as string };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(created.body.client_secret as string),
      new URLSearchParams(),
      insecure,
    );
    agentToken = (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
  });

  after(async () => {
    await broker.dispose();
    await upstream.close();
  });

  describe('Origin is checked whatever the spelling of the URL (item 9)', () => {
    test('a percent-encoded admin path with a foreign Origin is refused, as the plain one is', async () => {
      const plain = await raw(broker.port, 'GET', '/admin/api/status', [host(), admin(), ['origin', FOREIGN]]);
      assert.equal(plain.status, 403);
      const encoded = await raw(broker.port, 'GET', '/%61dmin/api/status', [host(), admin(), ['origin', FOREIGN]]);
      assert.equal(encoded.status, 403, encoded.body);
      assert.equal(encoded.json.error, 'forbidden_origin');
      const own = await raw(broker.port, 'GET', '/%61dmin/api/status', [host(), admin(), ['origin', broker.url]]);
      assert.equal(own.status, 200, 'the spelling routes to the admin API: only the Origin is refused');
    });

    test('an absolute-form target with a foreign Origin is refused', async () => {
      const foreign = await raw(broker.port, 'GET', 'http://evil.com/admin/api/status', [
        host(),
        admin(),
        ['origin', FOREIGN],
      ]);
      assert.equal(foreign.status, 403, foreign.body);
      assert.equal(foreign.json.error, 'forbidden_origin');
      const crossSite = await raw(broker.port, 'GET', 'http://evil.com/admin/api/status', [
        host(),
        admin(),
        ['sec-fetch-site', 'cross-site'],
      ]);
      assert.equal(crossSite.status, 403, crossSite.body);
      const own = await raw(broker.port, 'GET', 'http://evil.com/admin/api/status', [host(), admin()]);
      assert.equal(own.status, 200, 'without an Origin the same target is answered');
    });

    test('the public OpenAPI description is refused to foreign pages too', async () => {
      const foreign = await raw(broker.port, 'GET', '/%61dmin/openapi.json', [host(), ['origin', FOREIGN]]);
      assert.equal(foreign.status, 403);
      const own = await raw(broker.port, 'GET', '/%61dmin/openapi.json', [host()]);
      assert.equal(own.status, 200);
    });

    test('an Origin hidden behind more header fields than the limit gets 431, not a pass', async () => {
      const padding = (n: number): [string, string][] =>
        Array.from({ length: n }, (_, i) => [`x-pad-${i}`, 'p'] as [string, string]);
      // connection, host, authorization and 97 more: 100 fields, the limit.
      const atLimit = await raw(broker.port, 'GET', '/admin/api/status', [host(), admin(), ...padding(97)]);
      assert.equal(atLimit.status, 200, atLimit.body);
      const hidden = await raw(broker.port, 'GET', '/admin/api/status', [
        host(),
        admin(),
        ...padding(100),
        ['origin', FOREIGN],
      ]);
      assert.equal(hidden.status, 431, hidden.body);
      assert.equal(hidden.json.error, 'too_many_headers');
    });

    test('a foreign Origin on the proxy is refused and audited like any other denial', async () => {
      const before = (await auditOf()).length;
      const foreign = await raw(broker.port, 'GET', '/proxy/echo/items', [host(), agent(), ['origin', FOREIGN]]);
      assert.equal(foreign.status, 403, foreign.body);
      assert.equal(foreign.json.error, 'forbidden_origin');
      const absolute = await raw(broker.port, 'GET', 'http://evil.com/proxy/echo/items', [
        host(),
        agent(),
        ['origin', FOREIGN],
      ]);
      assert.equal(absolute.status, 403, absolute.body);
      const entries = (await auditOf()).slice(before);
      assert.deepEqual(
        entries.map((e) => [e.decision, e.status, e.reason, e.method]),
        [
          ['deny', 403, 'forbidden_origin', 'GET'],
          ['deny', 403, 'forbidden_origin', 'GET'],
        ],
      );
      assert.equal(entries[0].connection, 'echo');
    });
  });

  describe('pasted secrets are header values; internal errors are told (item 12)', () => {
    test('a pasted key with a line break is refused with 400 invalid_secret and nothing is stored', async () => {
      const pasted = await broker.admin('/connections', {
        body: { provider: 'echo', name: 'pasted', secret: 'echo-key-1\r\nX-Injected: yes' },
      });
      assert.equal(pasted.status, 400, JSON.stringify(pasted.body));
      assert.equal(pasted.body.error, 'invalid_secret');
      assert.match(pasted.body.error_description, /API key .*cannot be sent in an HTTP header.*paste it again/);
      assert.ok(!JSON.stringify(pasted.body).includes('echo-key-1'), 'the answer does not repeat the secret');
      const list = await broker.admin('/connections');
      assert.deepEqual(list.body.connections.map((c: { name: string }) => c.name).sort(), ['broken', 'echo']);
      for (const secret of ['key\u0000tail', 'key\ttail', 'key\u007ftail']) {
        const refused = await broker.admin('/connections', { body: { provider: 'echo', name: 'pasted', secret } });
        assert.equal(refused.body.error, 'invalid_secret', JSON.stringify(secret));
      }
      const trailingNewline = await broker.admin('/connections', {
        body: { provider: 'echo', name: 'pasted', secret: 'echo-key-1\r\n' },
      });
      assert.equal(trailingNewline.status, 201, 'a line break at the end of a paste is trimmed, not refused');
      assert.equal((await broker.admin('/connections/pasted', { method: 'DELETE' })).status, 200);
    });

    test('an OAuth app client secret with a line break is refused and not stored', async () => {
      const refused = await broker.admin('/providers/github/client', {
        method: 'PUT',
        body: { client_id: 'Iv1.abc', client_secret: 'secret\nmore' },
      });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error, 'invalid_secret');
      assert.equal(refused.body.client_secret, undefined);
      const providers = await broker.admin('/providers');
      assert.equal(providers.body.providers.find((p: { id: string }) => p.id === 'github').client, null);
    });

    test('a stored key that fails at send time: 500 in JSON, audited, logged with the request id and never the key', async () => {
      // What an older Latchkey let through: the key is written straight to the vault.
      const record = broker.core.service.get('broken');
      await broker.core.tokens.save(record, {
        access_token: 'broken-key\r\nX-Injected: yes',
        expires_at: null,
        obtained_at: Date.now(),
      });
      const before = (await auditOf('broken')).length;
      const logged = logLines.length;
      const answer = await raw(broker.port, 'GET', '/proxy/broken/items', [host(), agent()]);
      assert.equal(answer.status, 500, answer.body);
      assert.equal(answer.json.error, 'internal_error');
      assert.equal(values(answer, 'content-type')[0], 'application/json; charset=utf-8');
      const entries = (await auditOf('broken')).slice(before);
      assert.deepEqual(
        entries.map((e) => [e.kind, e.status, e.reason, e.agent_name]),
        [['proxy', 500, 'internal_error', 'reader']],
      );
      const lines = logLines.slice(logged);
      const failure = lines
        .map((line) => JSON.parse(line))
        .find((line) => line.msg === 'proxy: request failed inside Latchkey');
      assert.ok(failure, `a log line tells of the failure: ${lines.join('\n')}`);
      assert.match(failure.reqId, /\S/);
      assert.equal(failure.connection, 'broken');
      assert.equal(failure.error.code, 'ERR_INVALID_CHAR');
      for (const line of lines) {
        assert.ok(
          !line.includes('broken-key') && !line.includes('X-Injected') && !line.includes(agentToken),
          `no secret in the log: ${line}`,
        );
      }
    });
  });

  test('method-override fields are not forwarded: the call is decided and sent as the method it has (item 14)', async () => {
    const before = (await auditOf('echo')).length;
    const answer = await raw(broker.port, 'GET', '/proxy/echo/items/1', [
      host(),
      agent(),
      ['x-http-method-override', 'DELETE'],
      ['x-http-method', 'DELETE'],
      ['x-method-override', 'DELETE'],
      ['x-kept', 'yes'],
    ]);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.json.method, 'GET');
    assert.equal(answer.json.headers['x-kept'], 'yes');
    for (const name of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
      assert.equal(answer.json.headers[name], undefined, `${name} is not forwarded`);
    }
    const entries = (await auditOf('echo')).slice(before);
    assert.deepEqual(
      entries.map((e) => [e.decision, e.method, e.status]),
      [['allow', 'GET', 200]],
    );
    const deleting = await raw(broker.port, 'DELETE', '/proxy/echo/items/1', [host(), agent()]);
    assert.equal(deleting.status, 403, 'the reader may not DELETE: what the override asked for');
  });

  test("proxied answers, the provider's and Latchkey's own, are sandboxed and never sniffed (item 15)", async () => {
    const page = await raw(broker.port, 'GET', '/proxy/echo/page', [host(), agent()]);
    assert.equal(page.status, 200, page.body);
    assert.deepEqual(values(page, 'content-security-policy'), [SANDBOX_CSP], "the provider's CSP is replaced");
    assert.deepEqual(values(page, 'x-content-type-options'), ['nosniff']);
    const refusals = [
      await raw(broker.port, 'DELETE', '/proxy/echo/items/1', [host(), agent()]),
      await raw(broker.port, 'GET', '/proxy/echo/items', [host()]),
      await raw(broker.port, 'GET', '/proxy/nowhere/items', [host(), agent()]),
    ];
    assert.deepEqual(
      refusals.map((r) => r.status),
      [403, 401, 404],
    );
    for (const refusal of refusals) {
      assert.deepEqual(values(refusal, 'content-security-policy'), [SANDBOX_CSP]);
      assert.deepEqual(values(refusal, 'x-content-type-options'), ['nosniff']);
    }
  });
});
