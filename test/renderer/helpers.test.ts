/** The dashboard's pure helpers (renderer/src), run in Node: formatting, grants, the session fragment, routes, SSE parsing, live audit rows, chart series. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { byteSize, countdown, fromNow, hostOf, isPast, secretPlace } from '../../renderer/src/format.js';
import {
  choicesFromGrants,
  grantsFromChoices,
  incompleteConnections,
  scopeStrings,
} from '../../renderer/src/grants.js';
import { preselectedAsk } from '../../main/common/ask-scopes.js';
import { parseRoute, routeHash } from '../../renderer/src/route.js';
import { EventStreamParser } from '../../renderer/src/sse.js';
import { matchesAuditFilters, prependEntries } from '../../renderer/src/audit-match.js';
import { activitySeries, agentSparkline } from '../../renderer/src/activity.js';
import type { ActivityReport, AuditEntry } from '../../renderer/src/api.js';

describe('format', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  test('relative times, countdowns and past checks', () => {
    assert.equal(fromNow(new Date(now - 10_000).toISOString(), now), 'just now');
    assert.match(fromNow(new Date(now - 3 * 3600_000).toISOString(), now) ?? '', /3 hours ago/);
    assert.match(fromNow(new Date(now + 42 * 60_000).toISOString(), now) ?? '', /in 42 minutes/);
    assert.equal(fromNow('not a date', now), null);
    assert.equal(countdown(new Date(now + 299_000).toISOString(), now), '4:59');
    assert.equal(countdown(new Date(now - 5000).toISOString(), now), '0:00');
    assert.equal(isPast(new Date(now).toISOString(), now), true);
    assert.equal(isPast(null, now), false);
  });
  test('sizes, hosts and where secrets are kept', () => {
    assert.equal(byteSize(812), '812 B');
    assert.equal(byteSize(4200), '4.2 kB');
    assert.equal(byteSize(1_300_000), '1.3 MB');
    assert.equal(byteSize(250_000), '250 kB');
    assert.equal(hostOf('https://example.com:8443/cb?x=1'), 'example.com:8443');
    assert.equal(hostOf('not a url'), 'not a url');
    assert.equal(secretPlace('file'), 'an encrypted file');
    assert.equal(secretPlace(null), null);
  });
});

describe('grants', () => {
  test('choices and grants convert both ways; "*" is everything', () => {
    const grants = [
      { connection: 'github', scopes: ['repo', 'read:org'] },
      { connection: 'stripe', scopes: ['*'] },
    ];
    const choices = choicesFromGrants(grants);
    assert.deepEqual(grantsFromChoices(choices), grants);
    assert.deepEqual(grantsFromChoices({ ...choices, slack: { mode: 'none' } }), grants);
    assert.deepEqual(choices, { github: { mode: 'some', scopes: ['repo', 'read:org'] }, stripe: { mode: 'all' } });
    assert.deepEqual(incompleteConnections({ a: { mode: 'some', scopes: [] }, b: { mode: 'all' } }), ['a']);
    assert.deepEqual(scopeStrings(grants), ['github:repo', 'github:read:org', 'stripe:*']);
  });

  test('ask-first scopes travel with their grant; an ask scope no longer granted is dropped', () => {
    const grants = [
      { connection: 'acme', scopes: ['items:read', 'items:write'], ask: ['items:write'] },
      { connection: 'stripe', scopes: ['*'], ask: ['write'] },
    ];
    const choices = choicesFromGrants(grants);
    assert.deepEqual(choices, {
      acme: { mode: 'some', scopes: ['items:read', 'items:write'], ask: ['items:write'] },
      stripe: { mode: 'all', ask: ['write'] },
    });
    assert.deepEqual(grantsFromChoices(choices), grants);
    assert.deepEqual(grantsFromChoices({ acme: { mode: 'some', scopes: ['items:read'], ask: ['items:write'] } }), [
      { connection: 'acme', scopes: ['items:read'] },
    ]);
  });

  test('a new agent is preselected to ask before scopes that write, delete or send', () => {
    assert.deepEqual(
      preselectedAsk([
        'items:read',
        'items:write',
        'repo',
        'delete_repo',
        'chat:write',
        'https://www.googleapis.com/auth/gmail.send',
        'read',
        'writers:read',
      ]),
      ['items:write', 'delete_repo', 'chat:write', 'https://www.googleapis.com/auth/gmail.send'],
    );
  });
});

describe('routes', () => {
  test('a view and its params round-trip; the token and unknown views are no route', () => {
    assert.deepEqual(parseRoute(routeHash('audit', { agent: 'ag 1', decision: 'deny', kind: undefined })), {
      view: 'audit',
      params: { agent: 'ag 1', decision: 'deny' },
    });
    assert.deepEqual(parseRoute('#/activity'), { view: 'activity', params: {} });
    assert.equal(routeHash('agents'), '#/agents');
    assert.equal(parseRoute('#admin=secret&view=agents'), null);
    assert.equal(parseRoute('#/nowhere'), null);
    assert.deepEqual(
      parseRoute('#/audit?admin=secret&agent=a'),
      { view: 'audit', params: { agent: 'a' } },
      'a token is never taken from a route',
    );
  });
});

describe('session', () => {
  /** A window with a location, history and sessionStorage, as session.ts uses them. */
  function fakeWindow(hash: string) {
    const stored = new Map<string, string>();
    const location = { hash, pathname: '/', search: '' };
    const replaced: string[] = [];
    (globalThis as { window?: unknown }).window = {
      location,
      history: {
        state: null,
        replaceState: (_s: unknown, _t: string, url: string) => {
          replaced.push(url);
          location.hash = '';
        },
      },
      sessionStorage: {
        getItem: (k: string) => stored.get(k) ?? null,
        setItem: (k: string, v: string) => stored.set(k, v),
        removeItem: (k: string) => stored.delete(k),
      },
    };
    return { stored, replaced };
  }

  test('the token is read from the fragment once, stored for the tab and removed from the address', async () => {
    const { consumeFragment, forgetToken } = await import('../../renderer/src/session.js');
    const { replaced } = fakeWindow('#admin=tok123&view=approvals&provider=slack');
    assert.deepEqual(consumeFragment(), { token: 'tok123', launch: { view: 'approvals', provider: 'slack' } });
    assert.deepEqual(replaced, ['/']);
    // A route is left alone, and the stored token still answers.
    const route = fakeWindow('#/audit?agent=x');
    (
      globalThis as { window: { sessionStorage: { setItem(k: string, v: string): void } } }
    ).window.sessionStorage.setItem('latchkey.admin_token', 'tok123');
    assert.deepEqual(consumeFragment(), { token: 'tok123', launch: {} });
    assert.deepEqual(route.replaced, []);
    forgetToken();
    assert.equal(consumeFragment().token, null);
  });
});

describe('event stream parser', () => {
  test('events split across chunks, comments and retry skipped, multi-line data joined', () => {
    const parser = new EventStreamParser();
    assert.deepEqual(parser.push('retry: 1000\n\n: heartbeat\n\nid: r.1\nevent: paused-'), []);
    assert.deepEqual(parser.push('changed\ndata: {"paused":true}\n\nid: r.2\r\ndata: a\r\ndata: b\r\n\r\n'), [
      { type: 'paused-changed', data: '{"paused":true}', id: 'r.1' },
      { type: 'message', data: 'a\nb', id: 'r.2' },
    ]);
  });
});

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  id: 1,
  at: '2030-01-01T12:00:00.000Z',
  kind: 'proxy',
  decision: 'allow',
  reason: null,
  agent_id: 'ag1',
  agent_name: 'cursor',
  connection: 'github',
  method: 'GET',
  path: '/user',
  status: 200,
  latency_ms: 5,
  bytes_in: 0,
  bytes_out: 10,
  session_id: null,
  prev_hash: '0'.repeat(64),
  hash: 'f'.repeat(64),
  ...over,
});

describe('live audit rows', () => {
  test('a new entry matches the filters as the broker applies them', () => {
    const e = entry({});
    assert.equal(matchesAuditFilters({}, e), true);
    assert.equal(
      matchesAuditFilters({ agent: 'ag1', connection: 'github', decision: 'allow', kind: 'proxy' }, e),
      true,
    );
    assert.equal(matchesAuditFilters({ agent: 'ag2' }, e), false);
    assert.equal(matchesAuditFilters({ decision: 'deny' }, e), false);
    assert.equal(
      matchesAuditFilters({ since: '2030-01-01T12:00:00.000Z', until: '2030-01-01T12:00:00.000Z' }, e),
      true,
      'inclusive',
    );
    assert.equal(matchesAuditFilters({ until: '2030-01-01T11:59:59.999Z' }, e), false);
  });
  test('arrivals go on top, newest first, each once', () => {
    const list = [entry({ id: 5 }), entry({ id: 4 })];
    assert.deepEqual(
      prependEntries(list, [entry({ id: 6 }), entry({ id: 7 }), entry({ id: 5 }), entry({ id: 7 })]).map((e) => e.id),
      [7, 6, 5, 4],
    );
  });
});

describe('activity series', () => {
  const report: ActivityReport = {
    range: 'hour',
    since: '2030-01-01T11:01:00.000Z',
    until: '2030-01-01T12:00:30.000Z',
    bucket_ms: 60_000,
    buckets: [
      { at: '2030-01-01T11:01:00.000Z', agent_id: 'a', agent_name: 'cursor', calls: 3, denied: 1, errors: 0 },
      { at: '2030-01-01T12:00:00.000Z', agent_id: 'a', agent_name: 'cursor', calls: 1, denied: 0, errors: 1 },
      { at: '2030-01-01T12:00:00.000Z', agent_id: 'b', agent_name: null, calls: 2, denied: 0, errors: 0 },
    ],
    connections: [],
    agents: [
      {
        agent_id: 'a',
        agent_name: 'cursor',
        calls: 4,
        denied: 1,
        errors: 1,
        last_at: '2030-01-01T12:00:10.000Z',
        last_connection: 'github',
        last_method: 'GET',
        last_path: '/user',
        last_status: 502,
        last_decision: 'allow',
      },
      {
        agent_id: 'b',
        agent_name: null,
        calls: 2,
        denied: 0,
        errors: 0,
        last_at: '2030-01-01T12:00:20.000Z',
        last_connection: 'github',
        last_method: 'GET',
        last_path: '/',
        last_status: 200,
        last_decision: 'allow',
      },
    ],
  };
  test('every bucket of the range, empty ones at zero, calls per agent and the bucket totals', () => {
    const series = activitySeries(report);
    assert.equal(series.points.length, 60);
    assert.deepEqual(series.agents, [
      { id: 'a', name: 'cursor' },
      { id: 'b', name: 'b' },
    ]);
    assert.deepEqual(series.points[0], {
      at: Date.parse('2030-01-01T11:01:00.000Z'),
      denied: 1,
      errors: 0,
      a: 3,
      b: 0,
    });
    assert.deepEqual(series.points[30], {
      at: Date.parse('2030-01-01T11:31:00.000Z'),
      denied: 0,
      errors: 0,
      a: 0,
      b: 0,
    });
    assert.deepEqual(series.points[59], {
      at: Date.parse('2030-01-01T12:00:00.000Z'),
      denied: 0,
      errors: 1,
      a: 1,
      b: 2,
    });
    const spark = agentSparkline(series, 'b');
    assert.equal(spark.length, 60);
    assert.deepEqual(
      spark.filter((p) => p.calls > 0),
      [{ at: Date.parse('2030-01-01T12:00:00.000Z'), calls: 2 }],
    );
  });
});
