import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProviderDefinition } from '../../main/core/catalog/types.js';
import { compileRules } from '../../main/core/catalog/rules.js';
import { LatchkeyError } from '../../main/core/errors.js';
import { authorizeCall, grantedScopes } from '../../main/core/proxy/access.js';
import { agentToken } from '../../main/core/proxy/agent-auth.js';
import { bearerChallenge, insufficientScope } from '../../main/core/proxy/errors.js';
import { agentResponseHeaders, credentialHeader, upstreamRequestHeaders } from '../../main/core/proxy/headers.js';
import { checkProxyPath, splitProxyUrl, upstreamTarget } from '../../main/core/proxy/path.js';
import { RateLimiter, rateLimitHeaders } from '../../main/core/proxy/rate-limit.js';

const isCode =
  (code: string) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof LatchkeyError, String(error));
    assert.equal(error.code, code);
    return true;
  };

describe('proxy paths', () => {
  test('the request URL is cut into connection, path and query, all as sent', () => {
    assert.deepEqual(splitProxyUrl('/proxy/github/repos/a/b?per_page=5&q=%20'), {
      connection: 'github',
      base: undefined,
      path: '/repos/a/b',
      query: 'per_page=5&q=%20',
      audited: '/repos/a/b?per_page=5&q=%20',
    });
    assert.deepEqual(splitProxyUrl('/proxy/github/'), {
      connection: 'github',
      base: undefined,
      path: '/',
      query: '',
      audited: '/',
    });
    assert.deepEqual(splitProxyUrl('/proxy/github'), {
      connection: 'github',
      base: undefined,
      path: undefined,
      query: '',
      audited: '',
    });
    assert.equal(splitProxyUrl('/proxy/gi%74hub/x').connection, 'github');
    assert.equal(splitProxyUrl('/proxy/%zz/x').connection, '%zz');
  });

  test('a base after ":" names one of a multi-host API\'s hosts; the audit keeps it with the path', () => {
    assert.deepEqual(splitProxyUrl('/proxy/google:sheets/v4/spreadsheets/ID?x=1'), {
      connection: 'google',
      base: 'sheets',
      path: '/v4/spreadsheets/ID',
      query: 'x=1',
      audited: ':sheets/v4/spreadsheets/ID?x=1',
    });
    assert.deepEqual(splitProxyUrl('/proxy/google:sheets'), {
      connection: 'google',
      base: 'sheets',
      path: undefined,
      query: '',
      audited: ':sheets',
    });
    assert.equal(splitProxyUrl('/proxy/google%3Agmail/x').base, 'gmail');
    assert.equal(
      splitProxyUrl('/proxy/google:/x').base,
      '',
      'an empty base is named, not the default: it is refused as unknown',
    );
  });

  test('plain paths pass and come back decoded once for rule matching', () => {
    assert.equal(checkProxyPath('/'), '/');
    assert.equal(checkProxyPath('/repos/o/r/issues'), '/repos/o/r/issues');
    assert.equal(checkProxyPath('/a%20b/c%40d/'), '/a b/c@d/');
    assert.equal(
      checkProxyPath('/files/report.v2..final'),
      '/files/report.v2..final',
      'dots inside a segment are fine',
    );
    assert.equal(checkProxyPath('/v1/projects/p:run'), '/v1/projects/p:run', 'a colon after the first segment is fine');
  });

  test('anything that could leave the base URL is refused as invalid_path', () => {
    const hostile = [
      undefined,
      '/..',
      '/../x',
      '/a/./b',
      '/%2e%2e/x',
      '/%2E%2E',
      '/.%2e/x',
      '/%2e',
      '/..;/x',
      '/.;x/y',
      '/a%2fb',
      '/a%2Fb',
      '/a%5cb',
      '/a\\b',
      '//evil',
      '/a//b',
      '/@evil',
      '/http:evil',
      '/HTTPS:x',
      '/http%3a%2f%2fevil',
      '/javascript:alert',
      '/x%0d%0ay',
      '/x%0A',
      '/x%00',
      '/x%7f',
      '/a b',
      '/caf\u00e9',
      '/x\u0000',
      '/%zz',
      '/%c0%ae',
      '/%252e%252e',
      '/%252f',
      '/%ef%bc%8e%ef%bc%8e/x',
      '/a#b',
    ];
    for (const path of hostile) assert.throws(() => checkProxyPath(path), isCode('invalid_path'), JSON.stringify(path));
  });

  test('the upstream target joins strings and stays on the base URL', () => {
    assert.deepEqual(
      upstreamTarget('https://slack.com/api', '/chat.postMessage', 'x=1').requestPath,
      '/api/chat.postMessage?x=1',
    );
    assert.deepEqual(upstreamTarget('https://slack.com/api/', '/a', '').requestPath, '/api/a');
    const root = upstreamTarget('https://api.github.com', '/repos/a%20b', 'q=%2F..%2F');
    assert.equal(root.requestPath, '/repos/a%20b?q=%2F..%2F', 'sent as the agent wrote it');
    assert.equal(root.url.origin, 'https://api.github.com');
    assert.equal(upstreamTarget('http://127.0.0.1:9/base', '/', '').requestPath, '/base/');
    // The last line of defence, should a path ever get past checkProxyPath.
    assert.throws(() => upstreamTarget('https://api.example.com/v1', '/../admin', ''), isCode('invalid_path'));
    assert.throws(() => upstreamTarget('https://api.example.com', '@evil.example/x', ''), isCode('invalid_path'));
  });
});

describe('agent tokens in the Authorization header', () => {
  test("Bearer, Octokit's token and Stripe's Basic carry the token; nothing else does", () => {
    assert.equal(agentToken('Bearer abc.def'), 'abc.def');
    assert.equal(agentToken('bearer abc'), 'abc');
    assert.equal(agentToken('token abc'), 'abc');
    assert.equal(agentToken(`Basic ${Buffer.from('abc:').toString('base64')}`), 'abc');
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Digest abc',
      'Bot abc',
      `Basic ${Buffer.from('abc:pw').toString('base64')}`,
      `Basic ${Buffer.from(':abc').toString('base64')}`,
      `Basic ${Buffer.from('abc').toString('base64')}`,
    ]) {
      assert.equal(agentToken(header), undefined, JSON.stringify(header));
    }
  });
});

describe('headers', () => {
  const apiKey = {
    id: 'k',
    name: 'K',
    auth: { type: 'api_key', header: 'X-Api-Key', format: 'Key {key}' },
    api: { base_url: 'https://api.example.com', headers: { 'Api-Version': '2' }, rules: [] },
  } as unknown as ProviderDefinition;
  const oauth = {
    id: 'o',
    name: 'O',
    auth: { type: 'oauth2', personal_token: { header: 'Authorization', format: 'token {key}' } },
    api: { base_url: 'https://api.example.com', rules: [] },
  } as unknown as ProviderDefinition;

  test('the credential goes where the definition says, literally', () => {
    assert.deepEqual(credentialHeader(apiKey, { auth_method: 'api_key' }, 's$&1'), ['X-Api-Key', 'Key s$&1']);
    assert.deepEqual(credentialHeader(oauth, { auth_method: 'oauth' }, 't'), ['authorization', 'Bearer t']);
    assert.deepEqual(credentialHeader(oauth, { auth_method: 'personal_token' }, 't'), ['Authorization', 'token t']);
  });

  test("the upstream request drops the caller's credentials, hop-by-hop and local fields", () => {
    const headers = upstreamRequestHeaders(
      {
        authorization: 'Bearer agent',
        'x-api-key': 'planted',
        cookie: 'a=b',
        host: '127.0.0.1:7317',
        origin: 'http://127.0.0.1:7317',
        referer: 'http://127.0.0.1:7317/',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': '1',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'x',
        te: 'trailers',
        trailer: 'x',
        upgrade: 'h2c',
        'transfer-encoding': 'chunked',
        'x-forwarded-for': '1.2.3.4',
        forwarded: 'for=x',
        expect: '100-continue',
        'content-type': 'application/json',
        'api-version': '3',
        accept: '*/*',
      },
      apiKey,
      ['X-Api-Key', 'Key secret'],
    );
    assert.deepEqual(headers, {
      'content-type': 'application/json',
      'api-version': '3',
      accept: '*/*',
      'transfer-encoding': 'chunked',
      'x-api-key': 'Key secret',
    });
    assert.equal(upstreamRequestHeaders({}, apiKey, ['X-Api-Key', 'k'])['api-version'], '2', 'fixed headers fill in');
  });

  test('the agent gets the response minus hop-by-hop fields and cookies, repeated fields kept, sandboxed', () => {
    const out = agentResponseHeaders([
      'Content-Type',
      'application/json',
      'Connection',
      'keep-alive, X-Hop',
      'X-Hop',
      '1',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'Set-Cookie',
      'a=b',
      'Set-Cookie',
      'c=d',
      'Link',
      '<a>; rel="next"',
      'Link',
      '<b>; rel="last"',
      'Location',
      'https://elsewhere.example/x',
      'X-RateLimit-Remaining',
      '4999',
      'Proxy-Authenticate',
      'Basic',
    ]);
    assert.deepEqual(out, [
      'Content-Type',
      'application/json',
      'Link',
      '<a>; rel="next"',
      'Link',
      '<b>; rel="last"',
      'Location',
      'https://elsewhere.example/x',
      'x-upstream-ratelimit-remaining',
      '4999',
      'content-security-policy',
      "sandbox; default-src 'none'",
      'x-content-type-options',
      'nosniff',
    ]);
  });
});

describe('scope checks', () => {
  const matcher = compileRules([
    { method: 'GET', path: '/items/**', scopes: ['read'] },
    { method: 'POST', path: '/items', scopes: ['write', 'admin'] },
    { method: 'GET', path: '/health', scopes: [] },
  ]);
  const check = (method: string, path: string, granted: string[]) => () =>
    authorizeCall({ matcher, method, path, connection: 'c', connectionScopes: ['read', 'write', 'admin'], granted });

  test('a matching rule with a held scope, or with no scope, allows the call', () => {
    assert.doesNotThrow(check('GET', '/items/1', ['read']));
    assert.doesNotThrow(check('HEAD', '/items', ['read']));
    assert.doesNotThrow(check('GET', '/health', []));
    assert.doesNotThrow(check('POST', '/items', ['admin']));
  });

  test('otherwise 403 insufficient_scope names what would have allowed it', () => {
    assert.throws(check('POST', '/items', ['read']), (error: unknown) => {
      assert.ok(error instanceof LatchkeyError);
      assert.deepEqual(error.toJSON(), {
        error: 'insufficient_scope',
        error_description: error.message,
        required_scopes: ['write', 'admin'],
        granted_scopes: ['read'],
        connection: 'c',
      });
      return true;
    });
    assert.throws(check('DELETE', '/items', ['read', 'write', 'admin']), (error: unknown) => {
      assert.ok(error instanceof LatchkeyError && /no rule for this endpoint/.test(error.message));
      assert.deepEqual(error.details.required_scopes, []);
      return true;
    });
  });

  test('"*" is everything the connection holds', () => {
    assert.deepEqual(grantedScopes('*', { scopes: ['read', 'write'] }, undefined), ['read', 'write']);
    assert.deepEqual(grantedScopes(new Set(['read']), { scopes: ['read', 'write'] }, undefined), ['read']);
  });

  test('challenges follow RFC 6750', () => {
    const scope = (s: string) => `c:${s}`;
    assert.equal(bearerChallenge(new LatchkeyError('missing_token', 'x', 401), scope), 'Bearer realm="latchkey"');
    assert.equal(
      bearerChallenge(new LatchkeyError('token_revoked', 'Said "no" \\ ü', 401), scope),
      'Bearer realm="latchkey", error="invalid_token", error_description="Said \'no\' \' ?"',
    );
    const forbidden = insufficientScope({
      connection: 'c',
      method: 'POST',
      path: '/x',
      required: ['a', 'b'],
      granted: [],
      noRule: false,
      allConnectionScopes: false,
    });
    assert.match(
      bearerChallenge(forbidden, scope) ?? '',
      /^Bearer realm="latchkey", error="insufficient_scope", error_description="[^"]+", scope="c:a c:b"$/,
    );
    assert.equal(bearerChallenge(new LatchkeyError('paused', 'x', 403), scope), undefined);
  });
});

describe('rate limiter', () => {
  test('a bucket of `limit` requests a minute, refilled continuously', () => {
    let now = 0;
    const limiter = new RateLimiter({ now: () => now });
    const seen = Array.from({ length: 4 }, () => limiter.take('a', 3));
    assert.deepEqual(
      seen.map((s) => [s.allowed, s.remaining]),
      [
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    );
    assert.equal(seen[3]!.retryAfter, 20, 'one request comes back every 20 s at 3 a minute');
    assert.equal(seen[2]!.reset, 60);
    assert.deepEqual(rateLimitHeaders(seen[3]!), {
      'x-ratelimit-limit': '3',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '60',
      'retry-after': '20',
    });
    assert.equal(rateLimitHeaders(seen[0]!)['retry-after'], undefined);
    now = 20_000;
    assert.equal(limiter.take('a', 3).allowed, true);
    assert.equal(limiter.take('a', 3).allowed, false);
    assert.equal(limiter.take('b', 3).remaining, 2, 'each agent has its own bucket');
    assert.equal(limiter.take('a', 1).remaining, 0, 'a lowered limit applies at once');
    assert.equal(limiter.take('z', 0).allowed, false);
  });

  test('memory stays bounded: idle agents are forgotten, and never more than maxAgents', () => {
    let now = 0;
    const limiter = new RateLimiter({ now: () => now, maxAgents: 100 });
    for (let i = 0; i < 1000; i++) limiter.take(`agent-${i}`, 10);
    assert.equal(limiter.size, 100);
    now = 61_000;
    limiter.take('late', 10);
    assert.equal(limiter.size, 1, 'a minute idle means a full bucket: nothing is lost by forgetting it');
  });
});
