import type { RegistrationKind } from '../../common/admin-api.js';
import { isClientIdUrl } from './client-metadata/document.js';
import type { AgentRecord } from './store.js';

/**
 * How an agent came to be, as the person is shown it. Both kinds of self-registered client
 * are stored alike (registered_via "dcr": pending until approved, forgotten if never);
 * one whose client_id is a URL registered by its metadata document, since RFC 7591 client
 * ids are random tokens.
 */
export function registrationOf(agent: Pick<AgentRecord, 'registered_via' | 'client_id'>): RegistrationKind {
  if (agent.registered_via === 'admin') return 'admin';
  return isClientIdUrl(agent.client_id) ? 'metadata_document' : 'dynamic';
}
