import type { AuditInput } from '../audit/audit-log.js';
import type { BrokerEventMap, BrokerEvents } from '../events.js';

/** A connection change, with the connection's id (a removed one's too, so listeners can drop what was bound to it). */
export type ConnectionChange = BrokerEventMap['connection-changed'][0] & { id: string };

/** Where a change is recorded: `append` resolves once the entry is committed. */
export interface ConnectionChangeDeps {
  audit: { append(input: AuditInput): Promise<unknown> };
  events: BrokerEvents;
}

/**
 * Records a connection change: the audit entry is committed first (awaited, so whoever
 * changed the connection answers only once it is on record, as the proxy does), then
 * `connection-changed` tells listeners (the tray menu). A failed append rejects: the
 * caller answers 500 rather than report an unrecorded change as done.
 */
export async function recordConnectionChange(deps: ConnectionChangeDeps, change: ConnectionChange): Promise<void> {
  await deps.audit.append({
    kind: 'connection',
    decision: 'info',
    connection: change.name,
    reason: `${change.provider}: ${change.status}`,
  });
  deps.events.emit('connection-changed', change);
}
