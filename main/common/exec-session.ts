/** An exec session as the admin API shows it (`GET /admin/api/sessions`, `GET /admin/api/agents/{id}/sessions`). */
export interface ExecSessionView {
  id: string;
  agent_id: string;
  agent_name: string;
  /** The program exec runs (its name only, not its arguments). */
  command: string;
  /** The program's process id, once it runs. */
  pid: number | null;
  started_at: string;
  expires_at: string;
  /** Proxied calls made with the session's token. */
  calls: number;
  /** Whether its `latchkey exec` is connected right now (false for a moment after a broker restart). */
  held: boolean;
}

/** Why a session ended, as its audit entry and its exec say. */
export type SessionEndReason =
  | 'exited'
  | 'exec_gone'
  | 'ended_by_person'
  | 'agent_revoked'
  | 'agent_deleted'
  | 'expired'
  | 'not_reattached';

/** What the hold stream of `POST /admin/api/sessions/{id}/hold` sends, one JSON object a line. */
export type HoldMessage =
  | { type: 'held'; session: ExecSessionView }
  | { type: 'ended'; reason: SessionEndReason; description: string };
