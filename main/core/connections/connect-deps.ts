import type { Catalog } from '../catalog/catalog.js';
import type { BrokerEvents } from '../events.js';
import type { Logger } from '../log.js';
import type { FlowRegistry } from '../oauth/flows.js';
import type { ConnectionStore } from '../store/connections.js';
import type { ConnectionChangeDeps } from './changes.js';
import type { ProviderApps } from './provider-apps.js';
import type { TokenManager } from './tokens.js';

/** What the connect methods, disconnect and the service share. */
export interface ConnectDeps {
  catalog: Catalog;
  connections: ConnectionStore;
  apps: ProviderApps;
  flows: FlowRegistry;
  tokens: TokenManager;
  events: BrokerEvents;
  /** Connection changes are committed here before the caller is answered. */
  audit: ConnectionChangeDeps['audit'];
  /** Where background failures (device polling) are reported. */
  logger: Logger;
}
