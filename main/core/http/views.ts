import { declaredBases, variableRule } from '../catalog/bases.js';
import type { ProviderDefinition } from '../catalog/types.js';
import type { ConnectionService } from '../connections/service.js';
import type { Flow } from '../oauth/flows.js';
import type { ConnectionRecord } from '../store/connections.js';
import type { ProviderClientStore } from '../store/provider-clients.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A connection as the admin API shows it: metadata only, never a secret. */
export function connectionView(record: ConnectionRecord, now = Date.now()) {
  const lapsed =
    record.status === 'connected' && !record.refreshable && record.expires_at !== null && record.expires_at <= now;
  return {
    name: record.name,
    provider: record.provider,
    auth_method: record.auth_method,
    account: record.account,
    scopes: record.scopes,
    status: lapsed ? ('expired' as const) : record.status,
    expires_at: iso(record.expires_at),
    last_used_at: iso(record.last_used_at),
    created_at: iso(record.created_at) as string,
    last_error: record.last_error,
    variables: record.variables,
  };
}

export function providerView(
  provider: ProviderDefinition,
  builtin: boolean,
  service: ConnectionService,
  clients: ProviderClientStore,
) {
  const auth = provider.auth;
  const app = auth.type === 'oauth2' ? clients.get(provider.id) : undefined;
  return {
    id: provider.id,
    name: provider.name,
    ...(provider.description ? { description: provider.description } : {}),
    ...(provider.docs_url ? { docs_url: provider.docs_url } : {}),
    auth_type: auth.type,
    builtin,
    scopes: Object.entries(auth.scopes ?? {}).map(([name, description]) => ({ name, description })),
    default_scopes: auth.type === 'oauth2' ? auth.default_scopes : Object.keys(auth.scopes ?? {}),
    connect_methods: service.connectMethods(provider),
    client_secret: auth.type === 'oauth2' ? auth.client_secret : ('none' as const),
    client: app ? { client_id: app.client_id, has_secret: app.has_secret } : null,
    redirect_uri: service.redirectUri(provider),
    redirect_any_port: auth.type === 'oauth2' ? auth.redirect.any_port : false,
    unenforced_subsets: auth.unenforced_subsets ?? {},
    variables: Object.entries(provider.api.variables ?? {}).map(([name, variable]) => ({
      name,
      ...variable,
      allowed: variableRule(variable.kind),
    })),
    bases: declaredBases(provider.api),
  };
}

export function flowView(flow: Flow, service: ConnectionService) {
  const connection =
    flow.status === 'connected' && flow.connection_name
      ? service.list().find((c) => c.name === flow.connection_name)
      : undefined;
  return {
    flow_id: flow.id,
    status: flow.status,
    ...(connection ? { connection: connectionView(connection) } : {}),
    ...(flow.error ? { error: flow.error } : {}),
    ...(flow.error_description ? { error_description: flow.error_description } : {}),
    ...(flow.provider_error ? { provider_error: flow.provider_error } : {}),
  };
}
