/**
 * The broker's events: what changed, for listeners in the same process (the audit log, the
 * desktop tray). Typed so that emitters and listeners agree on every payload.
 */
import { EventEmitter } from 'node:events';
import type { AgentStatus, ApprovalStatus, AuditEntry } from '../common/admin-api.js';

export interface BrokerEventMap {
  /** A connection was made, re-authorized, refreshed, marked for re-auth or removed (then with its id: grants bind to it). */
  'connection-changed': [{ name: string; provider: string; status: 'connected' | 'expired' | 'needs_reauth' | 'removed'; id?: string }];
  /** A browser or device connect flow ended. */
  'flow-finished': [{ flow_id: string; status: 'connected' | 'failed'; provider: string; connection?: string; error?: string }];
  'agent-changed': [{ id: string; name: string; status: AgentStatus | 'deleted' }];
  /** An interactive agent, or (kind 'call', with what it does) an agent's held call, waits for the person's decision. */
  'approval-requested': [{ id: string; agent_id: string; agent_name: string; kind?: 'call'; summary?: string }];
  'approval-decided': [{ id: string; agent_id: string; status: ApprovalStatus }];
  'paused-changed': [{ paused: boolean }];
  /** An audit entry was committed (emitted after its transaction, in id order). */
  'audit-appended': [AuditEntry];
}

export type BrokerEvents = EventEmitter<BrokerEventMap>;

export function createBrokerEvents(): BrokerEvents {
  return new EventEmitter<BrokerEventMap>();
}
