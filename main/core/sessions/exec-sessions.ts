/*
 * Over 300 lines on purpose: one session's whole life (start, hold, reconnect after a restart,
 * ttl, revocation, end) is one state machine over the same maps; split, its invariants would
 * live in several files.
 */
import { basename } from 'node:path';
import type { ExecSessionView, HoldMessage, SessionEndReason } from '../../common/exec-session.js';
import type { AuditEntry } from '../../common/admin-api.js';
import type { AuditInput } from '../audit/audit-log.js';
import { randomId } from '../authz/secrets.js';
import { LatchkeyError } from '../errors.js';
import type { BrokerEvents } from '../events.js';
import type { Logger } from '../log.js';
import type { SessionRecord, SessionStore } from './store.js';

export const DEFAULT_SESSION_TTL_MS = 12 * 3600_000;
export const MAX_SESSION_TTL_MS = 7 * 24 * 3600_000;
export const MIN_SESSION_TTL_MS = 60_000;
/**
 * A session's token outlives the session by this much, so that ending the session (at its
 * ttl too) is answered with `token_revoked` from the revoked set, not a bare expiry.
 */
export const TOKEN_MARGIN_MS = 5 * 60_000;
/** How long a session may go unheld: between `exec` starting it and holding it, and after a broker restart. */
const DEFAULT_REATTACH_MS = 30_000;
/** Call counts are written to SQLite this often (and at the end), not once a call. */
const CALLS_FLUSH_MS = 5_000;

const DESCRIPTIONS: Record<SessionEndReason, string> = {
  exited: 'the command exited',
  exec_gone: 'latchkey exec ended (killed or crashed) without saying so',
  ended_by_person: 'ended in Latchkey',
  agent_revoked: 'the agent was revoked',
  agent_deleted: 'the agent was deleted',
  expired: 'its time to live ran out',
  not_reattached: 'latchkey exec did not hold it in time',
};

/** What sessions need of the agent authority (main/core/authz): tokens bound to a session, and their revocation. */
export interface SessionTokenAuthority {
  agentNamed(name: string): { id: string; name: string };
  getAgent(id: string): { id: string; name: string };
  /** An access token of the agent living until `expiresAt` (epoch ms) and naming the session (`sid`); 409 when the agent is not active, 403 when paused. */
  mintSessionToken(
    agentId: string,
    session: { id: string; expiresAt: number },
  ): Promise<{ access_token: string; jti: string; expires_at: number }>;
  /** The token's agent and jti; throws 401 when it is not valid. */
  verifyAccessToken(token: string): Promise<{ agent_id: string; jti: string }>;
  revokeAccessTokens(tokens: readonly { jti: string; expires_at: number }[]): void;
}

export interface ExecSessionsDeps {
  store: SessionStore;
  authority: SessionTokenAuthority;
  audit: { append(input: AuditInput): Promise<unknown> };
  events: BrokerEvents;
  logger: Logger;
  now?: () => number;
  reattachMs?: number;
}

/** The exec connected to a session: told when the session ends. */
export interface SessionHolder {
  send(message: HoldMessage): void;
  /** Closes the hold; the session goes on (the broker is stopping, exec will reconnect). */
  close(): void;
}

interface LiveSession {
  record: SessionRecord;
  agentName: string;
  holder: SessionHolder | undefined;
  /** The ttl, then (while unheld) the reattach deadline. */
  expiry: NodeJS.Timeout;
  unheld: NodeJS.Timeout | undefined;
}

export interface StartedSession {
  session: ExecSessionView;
  access_token: string;
}

/**
 * Exec sessions: `latchkey exec` runs a command with an access token that lives as long as
 * the session, not 15 minutes, because SDKs read their key once at start.
 *
 * A session is held by one open request of its exec over the control socket (the hold
 * stream), not by heartbeats: when exec ends in any way — its command exited, it was
 * killed, it crashed — the operating system closes that socket and the session ends at
 * once, with no timer to wait for and no traffic while it runs. It also ends when the agent
 * is revoked or deleted, at its ttl, or when the person ends it; then its token is revoked.
 *
 * Sessions are rows in SQLite (never the token), so a restarted broker takes them back:
 * each exec reconnects with its token as proof, and a session nobody holds within
 * `reattachMs` ends.
 */
export class ExecSessions {
  readonly #deps: ExecSessionsDeps;
  readonly #now: () => number;
  readonly #reattachMs: number;
  readonly #live = new Map<string, LiveSession>();
  readonly #callsChanged = new Set<string>();
  readonly #flush: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(deps: ExecSessionsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#reattachMs = deps.reattachMs ?? DEFAULT_REATTACH_MS;
    this.#flush = setInterval(() => this.#flushCalls(), CALLS_FLUSH_MS).unref();
    const onAgent = (change: { id: string; status: string }): void => {
      if (change.status === 'revoked' || change.status === 'deleted')
        this.#endAgent(change.id, change.status === 'revoked' ? 'agent_revoked' : 'agent_deleted');
    };
    const onAudit = (entry: AuditEntry & { session_id?: string | null }): void => {
      const live = entry.kind === 'proxy' && entry.session_id ? this.#live.get(entry.session_id) : undefined;
      if (!live) return;
      live.record.calls += 1;
      this.#callsChanged.add(live.record.id);
    };
    deps.events.on('agent-changed', onAgent);
    deps.events.on('audit-appended', onAudit);
    this.#unsubscribe = () => {
      deps.events.off('agent-changed', onAgent);
      deps.events.off('audit-appended', onAudit);
    };
  }

  /** Takes back the sessions of the last run: each waits `reattachMs` for its exec; those past their ttl end now. */
  async restore(): Promise<void> {
    for (const record of this.#deps.store.all()) {
      let agentName: string;
      try {
        agentName = this.#deps.authority.getAgent(record.agent_id).name;
      } catch {
        // The agent is gone (the row would have cascaded away with it): its session cannot be taken back.
        agentName = record.agent_id;
      }
      const live = this.#track(record, agentName);
      if (record.expires_at <= this.#now()) await this.end(record.id, 'expired');
      else live.unheld = this.#unheldTimer(record.id);
    }
  }

  /** Starts a session of agent `agentName` for `command` (a program path or name; only its name is kept). */
  async start(input: { agent: string; command: string; ttl_ms?: number }): Promise<StartedSession> {
    const ttl = input.ttl_ms ?? DEFAULT_SESSION_TTL_MS;
    if (!Number.isInteger(ttl) || ttl < MIN_SESSION_TTL_MS || ttl > MAX_SESSION_TTL_MS) {
      throw new LatchkeyError(
        'invalid_ttl',
        `A session lives from 1 minute to 7 days (ttl_ms ${MIN_SESSION_TTL_MS}–${MAX_SESSION_TTL_MS}), not ${input.ttl_ms} ms.`,
        400,
      );
    }
    const agent = this.#deps.authority.agentNamed(input.agent);
    const id = `ses_${randomId(12)}`;
    const now = this.#now();
    const expiresAt = now + ttl;
    const token = await this.#deps.authority.mintSessionToken(agent.id, { id, expiresAt: expiresAt + TOKEN_MARGIN_MS });
    const record: SessionRecord = {
      id,
      agent_id: agent.id,
      command: commandName(input.command),
      pid: null,
      jti: token.jti,
      token_expires_at: token.expires_at,
      started_at: now,
      expires_at: expiresAt,
      calls: 0,
    };
    this.#deps.store.insert(record);
    const live = this.#track(record, agent.name);
    live.unheld = this.#unheldTimer(id);
    await this.#audit(
      live,
      `exec session ${id} started for "${record.command}" until ${new Date(expiresAt).toISOString()}`,
    );
    return { session: this.#view(live), access_token: token.access_token };
  }

  /**
   * `holder` holds session `id` until it ends or the holder lets go (`release`). The token
   * is the proof: only the exec that started the session has it. 409 when it is held already.
   */
  async hold(id: string, token: string, pid: number | undefined, holder: SessionHolder): Promise<ExecSessionView> {
    // Holds let go while the broker stops; one coming back before the listener closes is sent away to retry, not told the session is gone.
    if (this.#closed)
      throw new LatchkeyError('broker_stopping', 'Latchkey is stopping; hold the session again once it is back.', 503);
    const live = await this.#proven(id, token);
    if (live.holder)
      throw new LatchkeyError('session_held', `Session ${id} is held by its latchkey exec already.`, 409);
    live.holder = holder;
    clearTimeout(live.unheld);
    live.unheld = undefined;
    if (pid !== undefined && pid !== live.record.pid) {
      live.record.pid = pid;
      this.#deps.store.setPid(id, pid);
    }
    return this.#view(live);
  }

  /** The hold of `holder` was lost: its exec is gone, unless the broker is stopping. */
  async released(id: string, holder: SessionHolder): Promise<void> {
    const live = this.#live.get(id);
    if (this.#closed || !live || live.holder !== holder) return;
    await this.end(id, 'exec_gone');
  }

  /** Exec says its command exited: the session ends now, before exec itself exits. */
  async finish(id: string, token: string): Promise<void> {
    await this.#proven(id, token);
    await this.end(id, 'exited');
  }

  /** Ends a session: its token is refused from now on, its exec is told, an audit entry says why. 404 when there is none. */
  async end(id: string, reason: SessionEndReason): Promise<void> {
    const live = this.#live.get(id);
    if (!live) throw notFound(id);
    this.#live.delete(id);
    clearTimeout(live.expiry);
    clearTimeout(live.unheld);
    this.#deps.authority.revokeAccessTokens([{ jti: live.record.jti, expires_at: live.record.token_expires_at }]);
    this.#deps.store.delete(id);
    this.#callsChanged.delete(id);
    live.holder?.send({ type: 'ended', reason, description: DESCRIPTIONS[reason] });
    live.holder?.close();
    await this.#audit(live, `exec session ${id} ended: ${DESCRIPTIONS[reason]} (${live.record.calls} calls)`);
  }

  list(): ExecSessionView[] {
    return [...this.#live.values()].map((live) => this.#view(live));
  }

  listForAgent(agentId: string): ExecSessionView[] {
    this.#deps.authority.getAgent(agentId); // 404 for an unknown agent
    return this.list().filter((session) => session.agent_id === agentId);
  }

  /** The broker stops: holds close without ending their sessions (their execs reconnect to the next run). */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#flush);
    this.#flushCalls();
    for (const live of this.#live.values()) {
      clearTimeout(live.expiry);
      clearTimeout(live.unheld);
      live.holder?.close();
    }
    this.#live.clear();
  }

  async #proven(id: string, token: string): Promise<LiveSession> {
    const live = this.#live.get(id);
    if (!live) throw notFound(id);
    const principal = await this.#deps.authority.verifyAccessToken(token);
    if (principal.jti !== live.record.jti)
      throw new LatchkeyError('invalid_token', `The token is not the one of session ${id}.`, 401);
    return live;
  }

  #track(record: SessionRecord, agentName: string): LiveSession {
    const live: LiveSession = {
      record,
      agentName,
      holder: undefined,
      unheld: undefined,
      expiry: longTimeout(() => this.#endInBackground(record.id, 'expired'), record.expires_at - this.#now()),
    };
    this.#live.set(record.id, live);
    return live;
  }

  #unheldTimer(id: string): NodeJS.Timeout {
    return setTimeout(() => this.#endInBackground(id, 'not_reattached'), this.#reattachMs).unref();
  }

  #endAgent(agentId: string, reason: SessionEndReason): void {
    for (const live of [...this.#live.values()])
      if (live.record.agent_id === agentId) this.#endInBackground(live.record.id, reason);
  }

  #endInBackground(id: string, reason: SessionEndReason): void {
    if (!this.#live.has(id)) return;
    this.end(id, reason).catch((error: unknown) =>
      this.#deps.logger.error({ err: error, session: id, reason }, 'exec session not ended'),
    );
  }

  #flushCalls(): void {
    for (const id of this.#callsChanged) {
      const live = this.#live.get(id);
      if (live) this.#deps.store.setCalls(id, live.record.calls);
    }
    this.#callsChanged.clear();
  }

  async #audit(live: LiveSession, reason: string): Promise<void> {
    await this.#deps.audit.append({
      kind: 'agent',
      decision: 'info',
      reason,
      agent_id: live.record.agent_id,
      agent_name: live.agentName,
      session_id: live.record.id,
    });
  }

  #view(live: LiveSession): ExecSessionView {
    const { record } = live;
    return {
      id: record.id,
      agent_id: record.agent_id,
      agent_name: live.agentName,
      command: record.command,
      pid: record.pid,
      started_at: new Date(record.started_at).toISOString(),
      expires_at: new Date(record.expires_at).toISOString(),
      calls: record.calls,
      held: live.holder !== undefined,
    };
  }
}

/** The program's name without its folder or arguments: arguments may hold secrets. */
function commandName(command: string): string {
  return basename(command.trim()).slice(0, 128) || 'command';
}

function notFound(id: string): LatchkeyError {
  return new LatchkeyError('unknown_session', `No live exec session ${id}; \`latchkey sessions\` lists them.`, 404);
}

/** setTimeout for up to 7 days (one call holds at most ~24.8 days, so this is a plain call; the guard keeps it honest). */
function longTimeout(callback: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(callback, Math.max(0, Math.min(ms, 2 ** 31 - 1))).unref();
}
