import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HoldMessage } from '../../main/common/exec-session.js';
import type { AuditInput } from '../../main/core/audit/audit-log.js';
import { LatchkeyError } from '../../main/core/errors.js';
import { createBrokerEvents } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { ExecSessions, TOKEN_MARGIN_MS, type SessionTokenAuthority } from '../../main/core/sessions/exec-sessions.js';
import { SessionStore } from '../../main/core/sessions/store.js';
import { openDatabase } from '../fixtures/database.js';

/** The agent authority as sessions use it: tokens are `token-<jti>`, revocations are recorded. */
function authorityDouble(): SessionTokenAuthority & {
  revoked: string[];
  minted: { jti: string; expiresAt: number }[];
} {
  const agent = { id: 'ag_1', name: 'bot' };
  let next = 0;
  const revoked: string[] = [];
  const minted: { jti: string; expiresAt: number }[] = [];
  return {
    revoked,
    minted,
    agentNamed: (name) => {
      if (name !== agent.name) throw new LatchkeyError('unknown_agent', `No agent named "${name}"`, 404);
      return agent;
    },
    getAgent: () => agent,
    mintSessionToken: async (_agentId, session) => {
      const jti = `jti${(next += 1)}`;
      minted.push({ jti, expiresAt: session.expiresAt });
      return { access_token: `token-${jti}`, jti, expires_at: session.expiresAt };
    },
    verifyAccessToken: async (token) => {
      const jti = token.replace(/^token-/, '');
      if (revoked.includes(jti)) throw new LatchkeyError('token_revoked', 'revoked', 401);
      return { agent_id: agent.id, jti };
    },
    revokeAccessTokens: (tokens) => void revoked.push(...tokens.map((t) => t.jti)),
  };
}

function world() {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-sessions-'));
  const db = openDatabase(join(dir, 'latchkey.db'));
  db.prepare(
    "INSERT INTO agents (id, name, client_id, client_secret_hash, token_endpoint_auth_method, status, registered_via, created_at, updated_at) VALUES ('ag_1', 'bot', 'c1', 'h', 'client_secret_basic', 'active', 'admin', 0, 0)",
  ).run();
  const audit: AuditInput[] = [];
  const authority = authorityDouble();
  const events = createBrokerEvents();
  let now = 1_900_000_000_000;
  const open = (reattachMs = 60_000) =>
    new ExecSessions({
      store: new SessionStore(db),
      authority,
      events,
      logger: silentLogger(),
      now: () => now,
      reattachMs,
      audit: { append: async (input) => void audit.push(input) },
    });
  return {
    db,
    audit,
    authority,
    events,
    open,
    advance: (ms: number) => void (now += ms),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const holder = () => {
  const messages: HoldMessage[] = [];
  return {
    messages,
    closed: 0,
    send: (m: HoldMessage) => void messages.push(m),
    close() {
      this.closed += 1;
    },
  };
};

test("a session token lives until the session's ttl plus the margin; ending it revokes the token, deletes the row and tells the holder", async () => {
  const w = world();
  try {
    const sessions = w.open();
    const started = await sessions.start({ agent: 'bot', command: '/usr/bin/python3', ttl_ms: 3_600_000 });
    assert.equal(started.session.command, 'python3', "the program's name only");
    assert.equal(w.authority.minted[0]?.expiresAt, Date.parse(started.session.expires_at) + TOKEN_MARGIN_MS);
    const h = holder();
    const held = await sessions.hold(started.session.id, started.access_token, 4242, h);
    assert.deepEqual([held.pid, held.held], [4242, true]);
    await assert.rejects(
      sessions.hold(started.session.id, started.access_token, 4242, holder()),
      /session_held|held by its latchkey exec/,
    );

    await sessions.end(started.session.id, 'ended_by_person');
    assert.deepEqual(w.authority.revoked, ['jti1']);
    assert.deepEqual(h.messages, [{ type: 'ended', reason: 'ended_by_person', description: 'ended in Latchkey' }]);
    assert.equal(w.db.prepare('SELECT COUNT(*) FROM exec_sessions').pluck().get(), 0);
    assert.match(w.audit.at(-1)?.reason ?? '', /ended: ended in Latchkey/);
    assert.equal(w.audit.at(-1)?.session_id, started.session.id);
    sessions.close();
  } finally {
    w.close();
  }
});

test('a token of another session is no proof; a ttl out of 1 minute–7 days is refused', async () => {
  const w = world();
  try {
    const sessions = w.open();
    const one = await sessions.start({ agent: 'bot', command: 'a' });
    const two = await sessions.start({ agent: 'bot', command: 'b' });
    await assert.rejects(
      sessions.hold(one.session.id, two.access_token, undefined, holder()),
      (error: LatchkeyError) => error.code === 'invalid_token',
    );
    await assert.rejects(
      sessions.start({ agent: 'bot', command: 'c', ttl_ms: 8 * 24 * 3600_000 }),
      (error: LatchkeyError) => error.code === 'invalid_ttl',
    );
    await assert.rejects(
      sessions.start({ agent: 'bot', command: 'c', ttl_ms: 59_000 }),
      (error: LatchkeyError) => error.code === 'invalid_ttl',
    );
    sessions.close();
  } finally {
    w.close();
  }
});

test('after a restart: a session past its ttl ends as expired, one nobody holds in time ends as not reattached, a held one goes on', async () => {
  const w = world();
  try {
    const first = w.open();
    const short = await first.start({ agent: 'bot', command: 'short', ttl_ms: 60_000 });
    const lost = await first.start({ agent: 'bot', command: 'lost' });
    const kept = await first.start({ agent: 'bot', command: 'kept' });
    first.close(); // the broker stops: sessions stay in SQLite
    assert.deepEqual(w.authority.revoked, []);

    w.advance(61_000);
    const second = w.open(50);
    await second.restore();
    assert.deepEqual(w.authority.revoked, ['jti1'], `${short.session.id} ended at once`);
    assert.ok(w.audit.some((e) => e.session_id === short.session.id && /time to live ran out/.test(e.reason ?? '')));
    await second.hold(kept.session.id, kept.access_token, 1, holder());
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      second.list().map((s) => s.id),
      [kept.session.id],
    );
    assert.deepEqual(w.authority.revoked, ['jti1', 'jti2'], `${lost.session.id} ended`);
    assert.ok(w.audit.some((e) => e.session_id === lost.session.id && /did not hold it in time/.test(e.reason ?? '')));
    second.close();
  } finally {
    w.close();
  }
});

test('revoking or deleting the agent ends its sessions; proxied calls naming a session are counted', async () => {
  const w = world();
  try {
    const sessions = w.open();
    const started = await sessions.start({ agent: 'bot', command: 'counted' });
    const entry = {
      id: 1,
      at: '',
      kind: 'proxy',
      decision: 'allow',
      session_id: started.session.id,
    } as unknown as Parameters<typeof w.events.emit<'audit-appended'>>[1];
    w.events.emit('audit-appended', entry);
    w.events.emit('audit-appended', entry);
    assert.equal(sessions.list()[0]?.calls, 2);
    w.events.emit('agent-changed', { id: 'ag_1', name: 'bot', status: 'revoked' });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sessions.list(), []);
    assert.deepEqual(w.authority.revoked, ['jti1']);
    assert.match(w.audit.at(-1)?.reason ?? '', /the agent was revoked \(2 calls\)/);
    sessions.close();
  } finally {
    w.close();
  }
});
