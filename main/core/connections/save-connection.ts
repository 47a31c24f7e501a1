import { LatchkeyError } from '../errors.js';
import type { BrowserFlow, DeviceFlow, Flow } from '../oauth/flows.js';
import type { ProviderClient, TokenSet } from '../oauth/provider-client.js';
import type { AuthMethod, ConnectionRecord } from '../store/connections.js';
import { recordConnectionChange } from './changes.js';
import type { ConnectDeps } from './connect-deps.js';
import { TokenManager, type StoredCredential } from './tokens.js';

type SaveDeps = Pick<ConnectDeps, 'connections' | 'tokens' | 'events' | 'audit'>;
type ConnectionFields = Pick<ConnectionRecord, 'account' | 'scopes' | 'expires_at' | 'refreshable' | 'variables'>;

/**
 * Stores a connection and its credential, then records the change: a new one is inserted,
 * one of the same name and provider is re-authorized in place.
 */
export async function saveConnection(
  deps: SaveDeps,
  input: { name: string; provider: string; method: AuthMethod; fields: ConnectionFields; credential: StoredCredential },
): Promise<ConnectionRecord> {
  const existing = deps.connections.getByName(input.name);
  const record =
    existing && existing.provider === input.provider
      ? deps.connections.update(existing.id, { ...input.fields, status: 'connected', last_error: null })
      : deps.connections.insert({
          id: crypto.randomUUID(),
          name: input.name,
          provider: input.provider,
          auth_method: input.method,
          status: 'connected',
          last_error: null,
          ...input.fields,
        });
  await deps.tokens.save(record, input.credential);
  await recordConnectionChange(deps, {
    id: record.id,
    name: record.name,
    provider: record.provider,
    status: record.status,
  });
  return record;
}

/** A browser or device flow got its tokens: the connection is saved, then the flow reports success. */
export async function finishFlow(
  deps: SaveDeps & Pick<ConnectDeps, 'flows'>,
  flow: BrowserFlow | DeviceFlow,
  client: ProviderClient,
  method: AuthMethod,
  tokens: TokenSet,
): Promise<ConnectionRecord> {
  const account = await client.identity(tokens);
  const credential = TokenManager.fromTokenSet(tokens);
  // On record before the flow reports success: a browser or poller waiting on it may act at once.
  const record = await saveConnection(deps, {
    name: flow.name,
    provider: flow.provider,
    method,
    fields: {
      account,
      scopes: tokens.scopes ?? flow.scopes,
      expires_at: credential.expires_at,
      refreshable: credential.refresh_token !== undefined,
      variables: flow.variables ?? {},
    },
    credential,
  });
  deps.flows.succeed(flow, record.name);
  deps.events.emit('flow-finished', {
    flow_id: flow.id,
    status: 'connected',
    provider: flow.provider,
    connection: record.name,
  });
  return record;
}

/** Marks the flow failed (what its poller or page reads) and returns the error to report. */
export function failFlow(deps: Pick<ConnectDeps, 'flows' | 'events'>, flow: Flow, error: unknown): LatchkeyError {
  const failure =
    error instanceof LatchkeyError
      ? error
      : new LatchkeyError('connect_failed', error instanceof Error ? error.message : String(error), 500);
  deps.flows.fail(flow, failure);
  deps.events.emit('flow-finished', {
    flow_id: flow.id,
    status: 'failed',
    provider: flow.provider,
    error: failure.message,
  });
  return failure;
}
