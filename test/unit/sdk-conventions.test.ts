import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { providerDefinitionProblems } from '../../main/core/catalog/validate-definition.js';
import { ERROR_DIALECTS } from '../../main/core/catalog/definition-schema.js';
import type { ProviderDefinition } from '../../main/core/catalog/types.js';
import type { LatchkeyError } from '../../main/core/errors.js';
import { declaredSchemes } from '../../main/core/catalog/agent-auth-schemes.js';
import { acceptsScheme, presentedToken } from '../../main/core/proxy/agent-auth.js';
import { dialectAnswer } from '../../main/core/proxy/error-dialects.js';
import { insufficientScope, paused, rateLimitExceeded, upstreamTimeout } from '../../main/core/proxy/errors.js';
import { upstreamRequestHeaders } from '../../main/core/proxy/headers.js';

const definition = (api: Partial<ProviderDefinition['api']> = {}): ProviderDefinition => ({
  id: 'acme',
  name: 'Acme',
  auth: { type: 'api_key', header: 'x-api-key', format: '{key}' },
  api: { base_url: 'https://api.acme.example', rules: [{ method: 'GET', path: '/items', scopes: [] }], ...api },
});

describe('api.agent_auth and api.error_dialect in definitions', () => {
  test('declared schemes and a known dialect are valid', () => {
    assert.deepEqual(
      providerDefinitionProblems(
        definition({
          agent_auth: [
            { header: 'Authorization', scheme: 'bare' },
            { header: 'x-api-key' },
            { header: 'api-key', scheme: 'bearer' },
          ],
          error_dialect: 'graphql',
        }),
      ),
      [],
    );
  });

  test('unknown dialects and schemes, transport fields, Authorization other than bare and repeats are refused', () => {
    const problems = (api: Record<string, unknown>) =>
      providerDefinitionProblems(definition(api as Partial<ProviderDefinition['api']>)).map(
        (p) => `${p.path}: ${p.message}`,
      );
    assert.match(
      problems({ error_dialect: 'soap' }).join('\n'),
      /\/api\/error_dialect: must be one of "slack", "openai", "github", "stripe", "notion", "graphql"/,
    );
    assert.match(
      problems({ agent_auth: [{ header: 'x-key', scheme: 'digest' }] }).join('\n'),
      /\/api\/agent_auth\/0\/scheme: must be one of "bare", "bearer"/,
    );
    assert.match(
      problems({ agent_auth: [{ header: 'Cookie' }] }).join('\n'),
      /\/api\/agent_auth\/0\/header: "Cookie" cannot carry an agent token/,
    );
    assert.match(
      problems({ agent_auth: [{ header: 'authorization' }] }).join('\n'),
      /\/api\/agent_auth\/0\/scheme: "Authorization" is always read as Bearer, token or Basic/,
    );
    assert.deepEqual(problems({ agent_auth: [{ header: 'Authorization', scheme: 'basic-password' }] }), []);
    assert.match(
      problems({ agent_auth: [{ header: 'x-key', scheme: 'basic-password' }] }).join('\n'),
      /\/api\/agent_auth\/0\/scheme: "basic-password" is HTTP Basic, which only "Authorization" carries/,
    );
    assert.match(
      problems({ agent_auth: [{ header: 'x-key' }, { header: 'X-Key', scheme: 'bearer' }] }).join('\n'),
      /\/api\/agent_auth\/1\/header: "X-Key" is listed twice \(first at \/api\/agent_auth\/0\)/,
    );
    assert.match(
      problems({ agent_auth: [{ header: 'bad header' }] }).join('\n'),
      /\/api\/agent_auth\/0\/header: "bad header" is not a valid HTTP header name/,
    );
  });
});

describe("agent tokens in the SDK's own scheme", () => {
  const linear = definition({ agent_auth: [{ header: 'Authorization', scheme: 'bare' }] });
  const keyed = definition({ agent_auth: [{ header: 'x-api-key' }, { header: 'api-key', scheme: 'bearer' }] });
  const plain = definition();
  const declared = declaredSchemes([linear, keyed, plain]);

  test('the standard schemes come first and need no declaration', () => {
    assert.deepEqual(presentedToken({ authorization: 'Bearer t1', 'x-api-key': 't2' }, declared), { token: 't1' });
    assert.equal(acceptsScheme(plain, undefined), true);
  });

  test('a declared header carries the token, bare or as Bearer, and names how it came', () => {
    assert.deepEqual(presentedToken({ authorization: 'a.b.c' }, declared), {
      token: 'a.b.c',
      via: { header: 'Authorization', scheme: 'bare' },
    });
    assert.deepEqual(presentedToken({ 'x-api-key': 'a.b.c' }, declared), {
      token: 'a.b.c',
      via: { header: 'x-api-key' },
    });
    assert.deepEqual(presentedToken({ 'api-key': 'Bearer a.b.c' }, declared), {
      token: 'a.b.c',
      via: { header: 'api-key', scheme: 'bearer' },
    });
    for (const headers of [{ 'api-key': 'a.b.c' }, { 'x-api-key': 'two words' }, { authorization: 'Digest x' }, {}]) {
      assert.equal(presentedToken(headers, declared), undefined, JSON.stringify(headers));
    }
    assert.equal(
      presentedToken({ authorization: 'a.b.c' }, []),
      undefined,
      'no bare Authorization unless some definition declares it',
    );
  });

  test('Basic with the token as the password, under any user name, where a definition declares it', () => {
    const twilio = definition({ agent_auth: [{ header: 'Authorization', scheme: 'basic-password' }] });
    const schemes = declaredSchemes([twilio, linear]);
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    assert.deepEqual(presentedToken({ authorization: basic('AC123', 'a.b.c') }, schemes), {
      token: 'a.b.c',
      via: { header: 'Authorization', scheme: 'basic-password' },
    });
    assert.deepEqual(
      presentedToken({ authorization: basic('a.b.c', '') }, schemes),
      { token: 'a.b.c' },
      'the token as user name stays the standard scheme',
    );
    for (const authorization of [
      basic('', 'a.b.c'),
      'Basic !!',
      `Bearer ${Buffer.from('AC1:t').toString('base64')} x`,
    ]) {
      assert.equal(presentedToken({ authorization }, schemes), undefined, authorization);
    }
    assert.equal(
      presentedToken({ authorization: basic('AC123', 'a.b.c') }, declared),
      undefined,
      'not unless some definition declares it',
    );
    const via = presentedToken({ authorization: basic('AC123', 'a.b.c') }, schemes)!.via;
    assert.equal(acceptsScheme(twilio, via), true);
    assert.equal(acceptsScheme(linear, via), false);
  });

  test("Bot <token> (Discord's REST client), only where a definition declares it", () => {
    const discord = definition({ agent_auth: [{ header: 'Authorization', scheme: 'bot' }] });
    assert.deepEqual(providerDefinitionProblems(discord), []);
    const schemes = declaredSchemes([discord, linear]);
    assert.deepEqual(presentedToken({ authorization: 'Bot a.b.c' }, schemes), {
      token: 'a.b.c',
      via: { header: 'Authorization', scheme: 'bot' },
    });
    assert.equal(presentedToken({ authorization: 'Bot a.b.c' }, declared), undefined, 'not unless declared');
    for (const authorization of ['Bot', 'Bot a b', 'Robot a.b.c'])
      assert.notEqual(presentedToken({ authorization }, schemes)?.via?.scheme, 'bot', authorization);
    const via = presentedToken({ authorization: 'Bot a.b.c' }, schemes)!.via;
    assert.equal(acceptsScheme(discord, via), true);
    assert.equal(acceptsScheme(linear, via), false);
  });

  test('only the provider that declares a scheme accepts tokens sent that way', () => {
    const bare = presentedToken({ authorization: 'a.b.c' }, declared)!.via;
    assert.equal(acceptsScheme(linear, bare), true);
    assert.equal(acceptsScheme(keyed, bare), false);
    assert.equal(acceptsScheme(plain, bare), false);
    assert.equal(acceptsScheme(undefined, bare), false, 'nor a connection the agent holds no grant on');
    assert.equal(acceptsScheme(keyed, presentedToken({ 'x-api-key': 't' }, declared)!.via), true);
  });

  test('a declared header is stripped from the upstream request; the credential is injected', () => {
    const headers = upstreamRequestHeaders(
      { 'x-api-key': 'agent-token', 'api-key': 'Bearer agent-token', accept: 'application/json' },
      definition({ agent_auth: [{ header: 'api-key', scheme: 'bearer' }] }),
      ['x-api-key', 'provider-key'],
    );
    assert.deepEqual(headers, { accept: 'application/json', 'x-api-key': 'provider-key' });
  });
});

describe("refusals in the provider's dialect", () => {
  const denial = insufficientScope({
    connection: 'c',
    method: 'POST',
    path: '/x',
    required: ['write'],
    granted: ['read'],
    noRule: false,
    allConnectionScopes: false,
  });
  const refusal = (error: LatchkeyError) => ({
    error,
    json: error.toJSON(),
    docsUrl: 'http://127.0.0.1:7317/llms.txt',
  });
  const description = 'POST /x on "c" needs one of the scopes write; ask the person to grant one';

  test("each dialect is the provider's error shape, with Latchkey's body and code alongside", () => {
    const latchkey = denial.toJSON();
    assert.deepEqual(dialectAnswer('slack', refusal(denial))?.body, {
      ok: false,
      error: 'missing_scope',
      needed: 'write',
      provided: 'read',
      response_metadata: { messages: [`[ERROR] ${description}`] },
      latchkey,
    });
    assert.equal(dialectAnswer('slack', refusal(denial))?.status, 200);
    assert.deepEqual(dialectAnswer('openai', refusal(denial))?.body, {
      error: { message: description, type: 'invalid_request_error', param: null, code: 'insufficient_scope' },
      latchkey,
    });
    assert.deepEqual(dialectAnswer('github', refusal(denial))?.body, {
      message: description,
      documentation_url: 'http://127.0.0.1:7317/llms.txt',
      status: '403',
      latchkey,
    });
    assert.deepEqual(dialectAnswer('stripe', refusal(denial))?.body, {
      error: {
        type: 'invalid_request_error',
        code: 'insufficient_scope',
        message: description,
        doc_url: 'http://127.0.0.1:7317/llms.txt',
      },
      latchkey,
    });
    assert.deepEqual(dialectAnswer('notion', refusal(denial))?.body, {
      object: 'error',
      status: 403,
      code: 'restricted_resource',
      message: description,
      latchkey,
    });
    assert.deepEqual(dialectAnswer('anthropic', refusal(denial))?.body, {
      type: 'error',
      error: { type: 'permission_error', message: description },
      latchkey,
    });
    assert.deepEqual(dialectAnswer('problem', refusal(denial))?.body, {
      type: 'http://127.0.0.1:7317/llms.txt',
      title: 'insufficient_scope',
      status: 403,
      detail: description,
      latchkey,
    });
    assert.deepEqual(dialectAnswer('error_list', refusal(denial))?.body, {
      errors: [
        { code: 'insufficient_scope', message: description, field: null, help: 'http://127.0.0.1:7317/llms.txt' },
      ],
      latchkey,
    });
    assert.deepEqual(dialectAnswer('graphql', refusal(denial))?.body, {
      errors: [
        {
          message: description,
          extensions: { code: 'FORBIDDEN', type: 'forbidden', latchkey_error: 'insufficient_scope' },
        },
      ],
      extensions: { latchkey },
    });
    // Every dialect but Slack's (whose denials are 200 with ok:false, checked above).
    for (const dialect of ERROR_DIALECTS.filter((d) => d !== 'slack')) {
      const answer = dialectAnswer(dialect, refusal(denial))!;
      assert.equal(answer.status, 403, dialect);
      assert.deepEqual(
        answer.headers,
        { 'x-latchkey-error': 'insufficient_scope', 'x-should-retry': 'false', 'stripe-should-retry': 'false' },
        dialect,
      );
    }
  });

  test("a rate limit stays 429 (Slack's ratelimited) and may be retried; paused keeps its code", () => {
    const limited = dialectAnswer('slack', refusal(rateLimitExceeded(60, 3)))!;
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error, 'ratelimited');
    assert.equal(limited.headers['x-should-retry'], 'true');
    assert.equal(dialectAnswer('slack', refusal(paused()))?.body.error, 'paused');
    assert.equal(dialectAnswer('notion', refusal(rateLimitExceeded(60, 3)))?.body.code, 'rate_limited');
    assert.deepEqual(dialectAnswer('anthropic', refusal(rateLimitExceeded(60, 3)))?.body.error, {
      type: 'rate_limit_error',
      message: rateLimitExceeded(60, 3).message,
    });
  });

  test('5xx are not shaped: SDKs rightly retry those', () => {
    assert.equal(dialectAnswer('slack', refusal(upstreamTimeout(30_000))), undefined);
  });
});
