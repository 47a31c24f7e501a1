/**
 * The broker's events: what changed, for listeners in the same process (the audit log, the
 * desktop tray). Typed so that emitters and listeners agree on every payload.
 */
import { EventEmitter } from 'node:events';
import type { StreamedEventPayloads } from '../common/admin-api.js';

/** Every payload's shape is defined once, in main/common/api/events.ts: the admin event stream sends them as they are. */
export interface BrokerEventMap {
  'connection-changed': [StreamedEventPayloads['connection-changed']];
  'flow-finished': [StreamedEventPayloads['flow-finished']];
  'agent-changed': [StreamedEventPayloads['agent-changed']];
  'approval-requested': [StreamedEventPayloads['approval-requested']];
  'approval-decided': [StreamedEventPayloads['approval-decided']];
  'paused-changed': [StreamedEventPayloads['paused-changed']];
  /** An audit entry was committed (emitted after its transaction, in id order). */
  'audit-appended': [StreamedEventPayloads['audit-appended']];
}

export type BrokerEvents = EventEmitter<BrokerEventMap>;

export function createBrokerEvents(): BrokerEvents {
  return new EventEmitter<BrokerEventMap>();
}
