import type { EventEmitter } from 'node:events';
import type { AuditInput } from '../audit/audit-log.js';

export interface ConnectionChange {
  /** The connection's id (a removed one's too, so listeners can drop what was bound to it). */
  id: string;
  name: string;
  provider: string;
  /** The connection's new status, or `removed`. */
  status: string;
}

/** Where a change is recorded: `append` resolves once the entry is committed. */
export interface ConnectionChangeDeps {
  audit: { append(input: AuditInput): Promise<unknown> };
  events: EventEmitter;
}

/**
 * Records a connection change: the audit entry is committed first (awaited, so whoever
 * changed the connection answers only once it is on record, as the proxy does), then
 * `connection-changed` tells listeners (the tray menu). A failed append rejects: the
 * caller answers 500 rather than report an unrecorded change as done.
 */
export async function recordConnectionChange(deps: ConnectionChangeDeps, change: ConnectionChange): Promise<void> {
  await deps.audit.append({ kind: 'connection', decision: 'info', connection: change.name, reason: `${change.provider}: ${change.status}` });
  deps.events.emit('connection-changed', change);
}
