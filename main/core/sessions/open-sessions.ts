import type Database from 'better-sqlite3';
import type { AuditInput } from '../audit/audit-log.js';
import type { Authz } from '../authz/open-authz.js';
import type { BrokerEvents } from '../events.js';
import type { Logger } from '../log.js';
import { ExecSessions } from './exec-sessions.js';
import { SessionStore } from './store.js';

export interface ExecSessionsOptions {
  db: Database.Database;
  authz: Pick<Authz, 'agents' | 'execTokens' | 'verification'>;
  audit: { append(input: AuditInput): Promise<unknown> };
  events: BrokerEvents;
  logger: Logger;
  /** How long a session may go unheld (after its start, after a restart); default 30 s. */
  reattachMs?: number | undefined;
}

/** The broker's exec sessions, with the sessions of its last run taken back (each waits for its exec to hold it again). */
export async function openExecSessions(options: ExecSessionsOptions): Promise<ExecSessions> {
  const { authz } = options;
  const sessions = new ExecSessions({
    store: new SessionStore(options.db),
    authority: {
      agentNamed: (name) => authz.agents.named(name),
      getAgent: (id) => authz.agents.get(id),
      mintSessionToken: (agentId, session) => authz.execTokens.mintForSession(agentId, session),
      verifyAccessToken: (token) => authz.verification.verifyAccessToken(token),
      revokeAccessTokens: (tokens) => authz.execTokens.revoke(tokens),
    },
    audit: options.audit,
    events: options.events,
    logger: options.logger,
    ...(options.reattachMs === undefined ? {} : { reattachMs: options.reattachMs }),
  });
  await sessions.restore();
  return sessions;
}
