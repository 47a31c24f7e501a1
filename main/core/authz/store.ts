/*
 * Over 300 lines on purpose: the SQL of the agents, grants, approvals and codes tables, one
 * prepared statement per query and nothing else; splitting it by table would split transactions
 * that span them.
 */
import type Database from 'better-sqlite3';
import { LatchkeyError } from '../errors.js';
import type { Grant, StoredGrant } from './grants.js';

import type { AgentStatus, ApprovalStatus, RegisteredVia } from '../../common/admin-api.js';
import type { ClientAuthMethod } from '../catalog/types.js';

export type { AgentStatus, ApprovalStatus, RegisteredVia };
export type { ClientAuthMethod };

/** An agent as stored. Times are epoch ms; `client_secret_hash` is null for public clients. */
export interface AgentRecord {
  id: string;
  name: string;
  client_id: string;
  client_secret_hash: string | null;
  token_endpoint_auth_method: ClientAuthMethod;
  redirect_uris: string[];
  status: AgentStatus;
  grants: StoredGrant[];
  rate_limit_per_minute: number | null;
  tokens_valid_after: number;
  registered_via: RegisteredVia;
  created_at: number;
  updated_at: number;
}

export interface RefreshTokenRecord {
  token_hash: string;
  agent_id: string;
  family_id: string;
  scope: string;
  access_jti: string;
  access_expires_at: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

export interface ApprovalRecord {
  id: string;
  agent_id: string;
  scope: string;
  redirect_uri: string;
  state: string | null;
  code_challenge: string;
  status: ApprovalStatus;
  created_at: number;
  decided_at: number | null;
  granted: Grant[] | null;
  code_issued_at: number | null;
}

/** An access token to treat as revoked until it expires. */
export interface RevokedJti {
  jti: string;
  expires_at: number;
}

type AgentRow = Omit<AgentRecord, 'redirect_uris' | 'grants'> & { redirect_uris: string; grants: string };
type ApprovalRow = Omit<ApprovalRecord, 'granted'> & { granted: string | null };

const AGENT_COLUMNS =
  'id, name, client_id, client_secret_hash, token_endpoint_auth_method, redirect_uris, status, grants, rate_limit_per_minute, tokens_valid_after, registered_via, created_at, updated_at';
const REFRESH_COLUMNS =
  'token_hash, agent_id, family_id, scope, access_jti, access_expires_at, created_at, expires_at, used_at, revoked_at';
const APPROVAL_COLUMNS =
  'id, agent_id, scope, redirect_uri, state, code_challenge, status, created_at, decided_at, granted, code_issued_at';

/** The kill switch lives in the shared meta table, so a restart does not lift it. */
const PAUSED_KEY = 'agents_paused';

const toAgent = (row: AgentRow): AgentRecord => ({
  ...row,
  redirect_uris: JSON.parse(row.redirect_uris) as string[],
  grants: JSON.parse(row.grants) as StoredGrant[],
});
const toApproval = (row: ApprovalRow): ApprovalRecord => ({
  ...row,
  granted: row.granted === null ? null : (JSON.parse(row.granted) as Grant[]),
});

const isUniqueName = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
  String((error as Error).message).includes('agents.name');

const agentExists = (name: string): LatchkeyError =>
  new LatchkeyError('agent_exists', `An agent named "${name}" already exists`, 409, { name });

/** SQLite access for agents, refresh tokens, approvals and revoked access tokens: prepared statements, no policy. */
export class AgentStore {
  readonly #db: Database.Database;
  readonly #s;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      agents: db.prepare<[], AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents ORDER BY name`),
      agentById: db.prepare<[string], AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = ?`),
      agentByClientId: db.prepare<[string], AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE client_id = ?`),
      insertAgent: db.prepare<[AgentRow]>(
        `INSERT INTO agents (${AGENT_COLUMNS}) VALUES (@id, @name, @client_id, @client_secret_hash, @token_endpoint_auth_method, @redirect_uris, @status, @grants, @rate_limit_per_minute, @tokens_valid_after, @registered_via, @created_at, @updated_at)`,
      ),
      updateAgent: db.prepare<
        [
          Pick<
            AgentRow,
            'id' | 'name' | 'status' | 'grants' | 'rate_limit_per_minute' | 'tokens_valid_after' | 'updated_at'
          >,
        ],
        AgentRow
      >(
        `UPDATE agents SET name = @name, status = @status, grants = @grants, rate_limit_per_minute = @rate_limit_per_minute,
           tokens_valid_after = @tokens_valid_after, updated_at = @updated_at WHERE id = @id RETURNING ${AGENT_COLUMNS}`,
      ),
      deleteAgent: db.prepare<[string]>('DELETE FROM agents WHERE id = ?'),
      countPendingDcr: db
        .prepare<[], number>("SELECT count(*) FROM agents WHERE registered_via = 'dcr' AND status = 'pending'")
        .pluck(),
      deleteStaleDcr: db
        .prepare<[number], string>(
          "DELETE FROM agents WHERE registered_via = 'dcr' AND status = 'pending' AND created_at < ? RETURNING id",
        )
        .pluck(),

      insertRefresh: db.prepare<[RefreshTokenRecord]>(
        `INSERT INTO refresh_tokens (${REFRESH_COLUMNS}) VALUES (@token_hash, @agent_id, @family_id, @scope, @access_jti, @access_expires_at, @created_at, @expires_at, @used_at, @revoked_at)`,
      ),
      refreshByHash: db.prepare<[string], RefreshTokenRecord>(
        `SELECT ${REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = ?`,
      ),
      markUsed: db.prepare<[number, string]>(
        'UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL',
      ),
      revokeFamily: db.prepare<[number, string]>(
        'UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL',
      ),
      revokeAgentRefresh: db.prepare<[number, string]>(
        'UPDATE refresh_tokens SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL',
      ),
      familyJtis: db.prepare<[string], RevokedJti>(
        'SELECT access_jti AS jti, access_expires_at AS expires_at FROM refresh_tokens WHERE family_id = ?',
      ),
      pruneRefresh: db.prepare<[number]>('DELETE FROM refresh_tokens WHERE expires_at <= ?'),

      insertApproval: db.prepare<[ApprovalRow]>(
        `INSERT INTO approvals (${APPROVAL_COLUMNS}) VALUES (@id, @agent_id, @scope, @redirect_uri, @state, @code_challenge, @status, @created_at, @decided_at, @granted, @code_issued_at)`,
      ),
      approvalById: db.prepare<[string], ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = ?`),
      approvals: db.prepare<[], ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals ORDER BY created_at DESC`),
      deletePendingOf: db.prepare<[string]>("DELETE FROM approvals WHERE agent_id = ? AND status = 'pending'"),
      decide: db.prepare<
        [{ id: string; status: ApprovalStatus; decided_at: number; granted: string | null }],
        ApprovalRow
      >(
        `UPDATE approvals SET status = @status, decided_at = @decided_at, granted = @granted WHERE id = @id AND status = 'pending' RETURNING ${APPROVAL_COLUMNS}`,
      ),
      markCodeIssued: db.prepare<[number, string]>(
        "UPDATE approvals SET code_issued_at = ? WHERE id = ? AND status = 'approved' AND code_issued_at IS NULL",
      ),

      paused: db.prepare<[], string>(`SELECT value FROM meta WHERE key = '${PAUSED_KEY}'`).pluck(),
      setPaused: db.prepare<[string]>(
        `INSERT INTO meta (key, value) VALUES ('${PAUSED_KEY}', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),

      insertRevokedJti: db.prepare<[RevokedJti]>(
        'INSERT OR IGNORE INTO revoked_access_tokens (jti, expires_at) VALUES (@jti, @expires_at)',
      ),
      revokedJtis: db.prepare<[number], RevokedJti>(
        'SELECT jti, expires_at FROM revoked_access_tokens WHERE expires_at > ?',
      ),
      pruneRevokedJtis: db.prepare<[number]>('DELETE FROM revoked_access_tokens WHERE expires_at <= ?'),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  // Agents

  listAgents(): AgentRecord[] {
    return this.#s.agents.all().map(toAgent);
  }

  agentById(id: string): AgentRecord | undefined {
    const row = this.#s.agentById.get(id);
    return row && toAgent(row);
  }

  agentByClientId(clientId: string): AgentRecord | undefined {
    const row = this.#s.agentByClientId.get(clientId);
    return row && toAgent(row);
  }

  insertAgent(agent: AgentRecord): AgentRecord {
    try {
      this.#s.insertAgent.run({
        ...agent,
        redirect_uris: JSON.stringify(agent.redirect_uris),
        grants: JSON.stringify(agent.grants),
      });
    } catch (error) {
      if (isUniqueName(error)) throw agentExists(agent.name);
      throw error;
    }
    return agent;
  }

  /** Writes the mutable fields of `agent`; undefined when it no longer exists. */
  updateAgent(agent: AgentRecord): AgentRecord | undefined {
    try {
      const row = this.#s.updateAgent.get({
        id: agent.id,
        name: agent.name,
        status: agent.status,
        grants: JSON.stringify(agent.grants),
        rate_limit_per_minute: agent.rate_limit_per_minute,
        tokens_valid_after: agent.tokens_valid_after,
        updated_at: agent.updated_at,
      });
      return row && toAgent(row);
    } catch (error) {
      if (isUniqueName(error)) throw agentExists(agent.name);
      throw error;
    }
  }

  deleteAgent(id: string): boolean {
    return this.#s.deleteAgent.run(id).changes > 0;
  }

  countPendingRegistrations(): number {
    return this.#s.countPendingDcr.get() as number;
  }

  /** Forgets self-registered agents nobody approved since `before`; returns their ids. */
  deleteStaleRegistrations(before: number): string[] {
    return this.#s.deleteStaleDcr.all(before);
  }

  // Refresh tokens

  insertRefreshToken(record: RefreshTokenRecord): void {
    this.#s.insertRefresh.run(record);
  }

  refreshToken(tokenHash: string): RefreshTokenRecord | undefined {
    return this.#s.refreshByHash.get(tokenHash);
  }

  /** Spends a refresh token: false when it was already used or revoked (a concurrent use lost the race). */
  markRefreshTokenUsed(tokenHash: string, at: number): boolean {
    return this.#s.markUsed.run(at, tokenHash).changes === 1;
  }

  /** Revokes every refresh token of a family; returns the access tokens they were issued with. */
  revokeFamily(familyId: string, at: number): RevokedJti[] {
    this.#s.revokeFamily.run(at, familyId);
    return this.#s.familyJtis.all(familyId);
  }

  revokeAgentRefreshTokens(agentId: string, at: number): void {
    this.#s.revokeAgentRefresh.run(at, agentId);
  }

  pruneRefreshTokens(now: number): void {
    this.#s.pruneRefresh.run(now);
  }

  // Approvals

  insertApproval(approval: ApprovalRecord): void {
    this.#s.insertApproval.run({
      ...approval,
      granted: approval.granted === null ? null : JSON.stringify(approval.granted),
    });
  }

  approval(id: string): ApprovalRecord | undefined {
    const row = this.#s.approvalById.get(id);
    return row && toApproval(row);
  }

  /** Newest first. */
  listApprovals(): ApprovalRecord[] {
    return this.#s.approvals.all().map(toApproval);
  }

  /** An agent's undecided requests are replaced by its newest one: never more than one each. */
  deletePendingApprovals(agentId: string): void {
    this.#s.deletePendingOf.run(agentId);
  }

  /** Records a decision on a pending approval; undefined when it was not pending. */
  decideApproval(
    id: string,
    status: 'approved' | 'denied',
    at: number,
    granted: Grant[] | null,
  ): ApprovalRecord | undefined {
    const row = this.#s.decide.get({
      id,
      status,
      decided_at: at,
      granted: granted === null ? null : JSON.stringify(granted),
    });
    return row && toApproval(row);
  }

  /** Claims the one authorization code an approval yields: false if it was already issued. */
  claimApprovalCode(id: string, at: number): boolean {
    return this.#s.markCodeIssued.run(at, id).changes === 1;
  }

  paused(): boolean {
    return this.#s.paused.get() === 'true';
  }

  setPaused(paused: boolean): void {
    this.#s.setPaused.run(String(paused));
  }

  // Revoked access tokens

  insertRevokedJtis(jtis: readonly RevokedJti[]): void {
    for (const jti of jtis) this.#s.insertRevokedJti.run(jti);
  }

  revokedJtis(now: number): RevokedJti[] {
    return this.#s.revokedJtis.all(now);
  }

  pruneRevokedJtis(now: number): void {
    this.#s.pruneRevokedJtis.run(now);
  }
}
