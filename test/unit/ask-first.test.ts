/**
 * Ask-first grants, below the HTTP surface: which calls wait, what the person reads about
 * them, and how a held call ends (yes once / for an hour / always, no, no answer, agent gone).
 * The clock is injected: the hour passes without waiting.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Allowances } from '../../main/core/ask-first/allowances.js';
import { summarizeCall } from '../../main/core/ask-first/call-summary.js';
import { ALLOW_FOR_MS, HeldCalls, type HeldCallRequest } from '../../main/core/ask-first/held-calls.js';
import { scopesToAsk } from '../../main/core/ask-first/scopes-to-ask.js';
import type { AuditInput } from '../../main/core/audit/audit-log.js';
import type { EndpointRule } from '../../main/core/catalog/types.js';
import { createBrokerEvents, type BrokerEventMap } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { isLatchkeyError } from '../../main/core/errors.js';
import { validateGrants } from '../../main/core/authz/grants.js';

const rule = (method: string, path: string, ...scopes: string[]): EndpointRule => ({ method, path, scopes });

describe('summarizeCall: one line from the rule the call matched', () => {
  test('the verb, what is acted on, which one and where', () => {
    assert.equal(
      summarizeCall('POST', '/repos/person/repo/issues', rule('POST', '/repos/*/*/issues')),
      'create issues in person/repo',
    );
    assert.equal(
      summarizeCall('DELETE', '/repos/person/repo/issues/comments/42', rule('DELETE', '/repos/*/*/issues/comments/*')),
      'delete comments 42 in person/repo',
    );
    assert.equal(summarizeCall('PATCH', '/api/items/7', rule('*', '/api/items/**')), 'update items 7');
    assert.equal(summarizeCall('POST', '/api/items', rule('POST', '/api/items')), 'create items');
  });

  test('values are decoded for reading, control and bidirectional characters replaced, the line cut short', () => {
    assert.equal(summarizeCall('PUT', '/files/a%20b', rule('PUT', '/files/*')), 'replace files a b');
    assert.equal(summarizeCall('PUT', '/files/a%0Ab%E2%80%AEc', rule('PUT', '/files/*')), 'replace files a?b?c');
    assert.equal(summarizeCall('PUT', `/files/${'x'.repeat(500)}`, rule('PUT', '/files/*')).length, 200);
  });

  test('without a rule, or a rule of wildcards only: the method and path', () => {
    assert.equal(summarizeCall('POST', '/x/y', undefined), 'create /x/y');
    assert.equal(summarizeCall('POST', '/x/y', rule('POST', '/**')), 'create /x/y');
  });
});

describe('scopesToAsk: which calls wait', () => {
  const read = rule('GET', '/api/items/**', 'items:read');
  const write = rule('POST', '/api/items', 'items:write');
  const connectionScopes = ['items:read', 'items:write'];
  const base = { granted: connectionScopes, ask: new Set(['items:write']), connectionScopes, allowedNow: () => false };

  test('a call a non-ask scope allows goes through; one that needs the ask scope waits on it', () => {
    assert.deepEqual(scopesToAsk({ ...base, matches: [read] }).scopes, []);
    const asked = scopesToAsk({ ...base, matches: [write] });
    assert.deepEqual(asked.scopes, ['items:write']);
    assert.equal(asked.rule, write);
  });

  test('an allowed-for-now ask scope does not ask; a rule needing no scope never asks', () => {
    assert.deepEqual(scopesToAsk({ ...base, matches: [write], allowedNow: (s) => s === 'items:write' }).scopes, []);
    assert.deepEqual(scopesToAsk({ ...base, matches: [rule('POST', '/api/public')] }).scopes, []);
  });

  test('a rule needing every connection scope asks when any of them is an ask scope', () => {
    const graphql: EndpointRule = { method: 'POST', path: '/graphql', scopes: [], requires: 'all_connection_scopes' };
    assert.deepEqual(scopesToAsk({ ...base, matches: [graphql] }).scopes, ['items:write']);
    assert.deepEqual(scopesToAsk({ ...base, ask: new Set(), matches: [graphql] }).scopes, []);
  });
});

describe('Allowances: an hour on an injected clock', () => {
  test('allowed until the hour is over, per agent, connection and scope', () => {
    let now = 1_000_000;
    const allowances = new Allowances(() => now);
    allowances.allow('a1', 'c1', ['items:write'], ALLOW_FOR_MS);
    assert.equal(allowances.allows('a1', 'c1', 'items:write'), true);
    assert.equal(allowances.allows('a2', 'c1', 'items:write'), false, 'another agent');
    assert.equal(allowances.allows('a1', 'c2', 'items:write'), false, 'another connection');
    assert.equal(allowances.allows('a1', 'c1', 'items:delete'), false, 'another scope');
    now += ALLOW_FOR_MS - 1;
    assert.equal(allowances.allows('a1', 'c1', 'items:write'), true);
    now += 1;
    assert.equal(allowances.allows('a1', 'c1', 'items:write'), false);
  });

  test('forgetAgent drops what the agent was allowed', () => {
    const allowances = new Allowances(() => 0);
    allowances.allow('a1', 'c1', ['s'], ALLOW_FOR_MS);
    allowances.forgetAgent('a1');
    assert.equal(allowances.allows('a1', 'c1', 's'), false);
  });
});

function harness(options: { timeoutMs?: number; failAudit?: boolean } = {}) {
  let now = 5_000_000;
  const events = createBrokerEvents();
  const audit: AuditInput[] = [];
  const requested: BrokerEventMap['approval-requested'][0][] = [];
  const decided: BrokerEventMap['approval-decided'][0][] = [];
  events.on('approval-requested', (e) => requested.push(e));
  events.on('approval-decided', (e) => decided.push(e));
  const stopped: { agentId: string; connectionId: string; scopes: readonly string[] }[] = [];
  const allowances = new Allowances(() => now);
  const held = new HeldCalls({
    events,
    allowances,
    logger: silentLogger(),
    now: () => now,
    timeoutMs: options.timeoutMs ?? 60_000,
    audit: {
      append: async (input) => {
        if (options.failAudit) throw new Error('disk full');
        audit.push(input);
      },
    },
    stopAsking: async (agentId, connectionId, scopes) => void stopped.push({ agentId, connectionId, scopes }),
  });
  return { held, audit, requested, decided, stopped, allowances, advance: (ms: number) => (now += ms) };
}

const call = (over: Partial<HeldCallRequest> = {}): HeldCallRequest => ({
  agent: { agent_id: 'agent-1', agent_name: 'bot' },
  connection: { id: 'conn-1', name: 'acme' },
  method: 'POST',
  path: '/api/items',
  summary: 'create items',
  scopes: ['items:write'],
  body_bytes: 12,
  ...over,
});

const code = (error: unknown): string | undefined => (isLatchkeyError(error) ? error.code : undefined);

describe('HeldCalls', () => {
  test('a held call is listed and announced; approved once it goes on, leaves the list, and the decision is audited with the call', async () => {
    const h = harness();
    const waiting = h.held.hold(call());
    const [listed] = h.held.list();
    assert.ok(listed);
    assert.deepEqual(
      { ...listed, id: '', created_at: '', expires_at: '' },
      {
        kind: 'call',
        id: '',
        agent_id: 'agent-1',
        agent_name: 'bot',
        connection: 'acme',
        method: 'POST',
        path: '/api/items',
        summary: 'create items',
        scopes: ['items:write'],
        body_bytes: 12,
        status: 'pending',
        created_at: '',
        expires_at: '',
      },
    );
    assert.equal(Date.parse(listed.expires_at) - Date.parse(listed.created_at), 60_000);
    assert.deepEqual(h.requested, [
      { id: listed.id, agent_id: 'agent-1', agent_name: 'bot', kind: 'call', summary: 'create items' },
    ]);

    const answer = await h.held.decide(listed.id, 'approve');
    assert.equal(answer.status, 'approved');
    assert.deepEqual(await waiting, { approval_id: listed.id, for: 'once' });
    assert.deepEqual(h.held.list(), []);
    assert.deepEqual(h.decided, [{ id: listed.id, agent_id: 'agent-1', status: 'approved' }]);
    assert.deepEqual(h.audit, [
      {
        kind: 'approval',
        decision: 'allow',
        reason: `call approval ${listed.id} approved once: create items`,
        agent_id: 'agent-1',
        agent_name: 'bot',
        connection: 'acme',
        method: 'POST',
        path: '/api/items',
      },
    ]);
    assert.equal(h.allowances.allows('agent-1', 'conn-1', 'items:write'), false, 'once is once');
    await assert.rejects(h.held.decide(listed.id, 'approve'), (e) => code(e) === 'unknown_approval');
  });

  test('denied: call_denied, audited as a denial', async () => {
    const h = harness();
    const waiting = h.held.hold(call());
    const id = h.held.list()[0]!.id;
    await h.held.decide(id, 'deny');
    await assert.rejects(waiting, (e) => code(e) === 'call_denied' && (e as { status: number }).status === 403);
    assert.equal(h.audit[0]?.decision, 'deny');
    assert.match(String(h.audit[0]?.reason), new RegExp(`call approval ${id} denied`));
  });

  test('for 1 hour: allowed on the clock, and other calls waiting on the scope are let through too', async () => {
    const h = harness();
    const first = h.held.hold(call());
    const second = h.held.hold(call({ path: '/api/items?x=1' }));
    const other = h.held.hold(call({ agent: { agent_id: 'agent-2', agent_name: 'other' } }));
    const [a, b, c] = h.held.list();
    await h.held.decide(a!.id, 'approve', '1h');
    assert.deepEqual(await first, { approval_id: a!.id, for: '1h' });
    assert.deepEqual(await second, { approval_id: b!.id, for: '1h' });
    assert.deepEqual(
      h.held.list().map((x) => x.id),
      [c!.id],
      'another agent still waits',
    );
    assert.equal(h.audit.length, 2, 'each released call has its own decision entry');
    assert.match(String(h.audit[1]?.reason), new RegExp(`${b!.id} approved for 1 hour by the answer to ${a!.id}`));
    assert.equal(h.allowances.allows('agent-1', 'conn-1', 'items:write'), true);
    h.advance(ALLOW_FOR_MS);
    assert.equal(h.allowances.allows('agent-1', 'conn-1', 'items:write'), false);
    await h.held.decide(c!.id, 'deny');
    await assert.rejects(other);
  });

  test("always: the scope leaves the grant's ask (through the authority), then the call goes on", async () => {
    const h = harness();
    const waiting = h.held.hold(call());
    await h.held.decide(h.held.list()[0]!.id, 'approve', 'always');
    assert.equal((await waiting).for, 'always');
    assert.deepEqual(h.stopped, [{ agentId: 'agent-1', connectionId: 'conn-1', scopes: ['items:write'] }]);
  });

  test('no answer in time: approval_timeout with a retry hint, dropped from the list', async () => {
    const h = harness({ timeoutMs: 30 });
    const waiting = h.held.hold(call());
    const id = h.held.list()[0]!.id;
    await assert.rejects(
      waiting,
      (e) => code(e) === 'approval_timeout' && (e as { details: Record<string, unknown> }).details.retry_after === 1,
    );
    assert.deepEqual(h.held.list(), []);
    assert.deepEqual(h.decided, [{ id, agent_id: 'agent-1', status: 'expired' }]);
    assert.deepEqual(h.audit, [], 'nobody decided');
  });

  test('the agent goes away: the call is dropped from the list', async () => {
    const h = harness();
    const controller = new AbortController();
    const waiting = h.held.hold(call(), controller.signal);
    const kept = h.held.hold(call({ agent: { agent_id: 'agent-2', agent_name: 'other' } }));
    controller.abort();
    await assert.rejects(waiting, (e) => code(e) === 'client_closed_request');
    assert.deepEqual(
      h.held.list().map((x) => x.agent_id),
      ['agent-2'],
    );
    h.held.dropAgent('agent-2');
    await assert.rejects(kept, (e) => code(e) === 'client_closed_request');
    assert.deepEqual(h.held.list(), []);
  });

  test('a decision that cannot be audited is not taken: the call keeps waiting for one that is', async () => {
    const h = harness({ failAudit: true });
    const waiting = h.held.hold(call());
    const id = h.held.list()[0]!.id;
    await assert.rejects(h.held.decide(id, 'approve'), /disk full/);
    assert.equal(h.held.has(id), true);
    h.held.dropAgent('agent-1');
    await assert.rejects(waiting);
  });
});

describe("validateGrants: a grant's ask scopes", () => {
  const connections = {
    getByName: (name: string) =>
      name === 'acme'
        ? {
            id: 'c1',
            name,
            scopes: ['items:read', 'items:write', 'narrow'],
            ungrantable: new Map([['narrow', 'items:write']]),
          }
        : undefined,
    getById: () => undefined,
  };

  test('deduplicated and sorted; none means no ask at all', () => {
    assert.deepEqual(
      validateGrants(
        [{ connection: 'acme', scopes: ['items:read', 'items:write'], ask: ['items:write', 'items:write'] }],
        connections,
      ),
      [{ connection: 'acme', scopes: ['items:read', 'items:write'], ask: ['items:write'] }],
    );
    assert.deepEqual(validateGrants([{ connection: 'acme', scopes: ['items:read'], ask: [] }], connections), [
      { connection: 'acme', scopes: ['items:read'] },
    ]);
  });

  test('ask names only scopes the grant gives (with "*", ones the connection may grant): else 400 invalid_grant_scope', () => {
    assert.throws(
      () => validateGrants([{ connection: 'acme', scopes: ['items:read'], ask: ['items:write'] }], connections),
      (e) => code(e) === 'invalid_grant_scope',
    );
    assert.deepEqual(validateGrants([{ connection: 'acme', scopes: ['*'], ask: ['items:write'] }], connections), [
      { connection: 'acme', scopes: ['*'], ask: ['items:write'] },
    ]);
    assert.throws(
      () => validateGrants([{ connection: 'acme', scopes: ['*'], ask: ['narrow'] }], connections),
      (e) => code(e) === 'invalid_grant_scope',
    );
  });
});
