import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AuthType, SecretStore } from '../common/admin-api.js';
import type { Catalog } from './catalog/catalog.js';
import { formatCatalogProblem } from './catalog/catalog-problem.js';
import { loadCatalog } from './catalog/load-catalog.js';
import { ungrantableScopes } from '../common/grantable-scopes.js';
import { ConnectionService } from './connections/service.js';
import { TokenManager } from './connections/tokens.js';
import { ProviderApps } from './connections/provider-apps.js';
import { connectionRoutes } from './connections/routes.js';
import { oauthCallbackRoute } from './connections/callback-route.js';
import { AuditLog } from './audit/audit-log.js';
import { AuditHeadCopy } from './audit/head-copy.js';
import { UnauthenticatedDenials } from './audit/unauthenticated-denials.js';
import { auditAdminRoutes } from './audit/routes.js';
import { activityRoute } from './audit/activity-route.js';
import { authzAdminRoutes } from './authz/admin-routes.js';
import { AskFirst } from './ask-first/gate.js';
import { paused as pausedError } from './proxy/errors.js';
import { oauthRoutes } from './authz/oauth-routes.js';
import { openAuthz, type Authz } from './authz/open-authz.js';
import type { ClientMetadataTestOptions } from './authz/client-metadata/documents.js';
import { mcpRoutes } from './mcp/routes.js';
import { proxyRoutes } from './proxy/routes.js';
import { createProxyRuntime } from './proxy/runtime.js';
import { schemaRoutes } from './http/schema-routes.js';
import { adminRoutes } from './http/admin-routes.js';
import { createBrokerEvents, type BrokerEvents } from './events.js';
import { controlSocketPath } from './control-socket.js';
import { buildHttpServer } from './http/server.js';
import { EventStream } from './live/event-stream.js';
import { openExecSessions } from './sessions/open-sessions.js';
import { sessionRoutes } from './sessions/routes.js';
import { eventsRoute } from './live/events-route.js';
import { FlowRegistry } from './oauth/flows.js';
import { packageRoot } from './paths.js';
import { ConnectionStore, type ConnectionRecord, type ConnectionStatus } from './store/connections.js';
import { openDatabase } from './store/database.js';
import { startWalCheckpointer } from './store/wal-checkpointer.js';
import { MIGRATIONS } from './migrations.js';
import { acquireDataDirLock } from './store/lock.js';
import { installId } from './store/meta.js';
import { ProviderClientStore } from './store/provider-clients.js';
import { ADMIN_TOKEN_KEY, openBrokerVaultBackend } from './vault/broker-vault.js';
import { Vault } from './vault/vault.js';
import { silentLogger, type Logger } from './log.js';

export interface BrokerOptions {
  dataDir: string;
  /** 0 = any free port. */
  port: number;
  secretStore: SecretStore;
  /** For the file store: the passphrase its key is derived from. */
  passphrase?: string | undefined;
  /** Extra folders of provider definitions; DATA_DIR/providers is always read. */
  providerDirs?: string[] | undefined;
  /** Fixed admin token (automation); random per start otherwise. */
  adminToken?: string | undefined;
  /** Keychain service name (tests use their own). */
  keychainService?: string | undefined;
  /** How long a connect flow may take (default 10 minutes). */
  flowTtlMs?: number | undefined;
  /** Where the broker says what went wrong (default: nothing is written). */
  logger?: Logger | undefined;
  /** Tests only: exceptions to the client metadata document fetch guard (never set from env, CLI or HTTP). */
  clientMetadata?: ClientMetadataTestOptions | undefined;
  /** Ask-first grants: how long a held call waits for the person (default 60 s), and the clock of "allow for 1 hour" (tests). */
  askFirst?: { timeoutMs?: number | undefined; now?: (() => number) | undefined } | undefined;
  /** Lifetime of agents' access tokens, 1–900 s (default 900); exec sessions' tokens live as long as their session. */
  accessTokenTtlSeconds?: number | undefined;
}

export interface RunningBroker {
  url: string;
  dashboardUrl: string;
  adminToken: string;
  port: number;
  dataDir: string;
  /** What changed in the broker (connections, flows, agents, approvals, the kill switch). */
  events: BrokerEvents;
  catalog: Catalog;
  providers(): { id: string; name: string; auth_type: AuthType }[];
  connections(): { name: string; provider: string; status: ConnectionStatus; account: string | null }[];
  startBrowserConnection(provider: string): Promise<{ authorize_url: string; flow_id: string }>;
  /** In-process services for the shell and the proxy: never exposed over HTTP as such. */
  core: { service: ConnectionService; tokens: TokenManager; audit: AuditLog; authz: Authz };
  close(): Promise<void>;
}

export const VERSION: string = (
  JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
).version;

/** The composition root: builds the broker from its parts and binds it to loopback. */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const dataDir = resolve(options.dataDir);
  const logger = options.logger ?? silentLogger();
  const lock = acquireDataDirLock(dataDir);
  const cleanup: (() => void | Promise<void>)[] = [() => lock.release()];
  const unwind = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const db = openDatabase(join(dataDir, 'latchkey.db'), MIGRATIONS);
    cleanup.push(() => void db.close());
    const checkpointer = startWalCheckpointer(db, { logger });
    cleanup.push(() => checkpointer.close()); // before db.close(), which then checkpoints what is left
    const events = createBrokerEvents();

    const install = installId(db);
    // The file store's key derivation (scrypt, ~0.5 s by design) runs on libuv's thread pool
    // while this thread validates the catalog: started first, awaited after.
    const openingBackend = openBrokerVaultBackend({
      dataDir,
      secretStore: options.secretStore,
      passphrase: options.passphrase,
      namespace: install,
      keychainService: options.keychainService,
    });
    // Awaited below; until then a rejection must not count as unhandled.
    openingBackend.catch(() => {});
    const { catalog, problems } = loadCatalog({
      extraDirs: [join(dataDir, 'providers'), ...(options.providerDirs ?? [])],
    });
    for (const problem of problems)
      logger.warn({ problem: formatCatalogProblem(problem) }, 'provider definition skipped');
    const backend = await openingBackend;
    const vault = new Vault(backend);

    const headCopy = await AuditHeadCopy.load(vault, {
      onError: (error) => logger.error({ err: error }, 'audit head not copied to the secret store'),
    });
    const audit = new AuditLog(db, {
      headCopy,
      onCommitted: (entries) => {
        // The log keeps committing whatever a listener does; a failing one is logged, not rethrown into the commit loop.
        try {
          for (const entry of entries) events.emit('audit-appended', entry);
        } catch (error) {
          logger.error({ err: error }, 'a listener of new audit entries failed');
        }
      },
    });
    cleanup.push(() => audit.close()); // runs before db.close(): flushes pending entries and the head copy
    // What any local process can trigger without a valid token or client secret (the proxy, the token and
    // registration endpoints) goes through one guard, so nobody can grow the log without bound.
    const guardedAudit = new UnauthenticatedDenials(audit, {
      onError: (error) => logger.error({ err: error }, 'audit entry for refused requests not written'),
    });
    cleanup.push(() => guardedAudit.close()); // runs after the server closed, before the audit log closes

    const connections = new ConnectionStore(db);
    cleanup.push(() => connections.flush());
    const clients = new ProviderClientStore(db);
    const flows = new FlowRegistry(options.flowTtlMs ? { ttlMs: options.flowTtlMs } : {});
    let port = 0;
    // The person's OAuth apps: connecting and refreshing both build their provider clients here.
    const apps = new ProviderApps({ catalog, vault, clients, port: () => port });
    const tokens = new TokenManager({ vault, connections, apps, events, audit, logger });
    const service = new ConnectionService({ catalog, connections, apps, flows, tokens, events, audit, logger });
    cleanup.push(
      () => tokens.close(),
      () => service.close(),
    );

    // Grants are checked against what each connection may grant (catalog `unenforced_subsets`), not only what it holds.
    const grantableOf = (record: ConnectionRecord | undefined) =>
      record && {
        id: record.id,
        name: record.name,
        scopes: record.scopes,
        ungrantable: ungrantableScopes(catalog.get(record.provider)?.auth.unenforced_subsets, record.scopes),
      };
    const grantable = {
      getByName: (name: string) => grantableOf(connections.getByName(name)),
      getById: (id: string) => grantableOf(connections.getById(id)),
    };
    const authz = await openAuthz({
      db,
      vault,
      events,
      audit: guardedAudit,
      connections: grantable,
      issuer: () => `http://127.0.0.1:${port}`,
      clientMetadata: options.clientMetadata,
      ...(options.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
    });
    // A disconnected connection takes the grants bound to it along (the event is emitted right after the row is deleted).
    events.on('connection-changed', (change: { id?: string; name: string; status: string }) => {
      if (change.status !== 'removed' || change.id === undefined) return;
      authz.agents.forgetConnection({ id: change.id, name: change.name }).catch((error: unknown) => {
        logger.error({ err: error, connection: change.name }, 'grants on the disconnected connection not dropped');
      });
    });

    // Calls under ask-first scopes wait here for the person; "always" answers change the grant through authz.
    const askFirst = new AskFirst({
      catalog,
      events,
      audit: guardedAudit,
      logger,
      stopAsking: async (agentId, connectionId, scopes) =>
        void (await authz.agents.stopAsking(agentId, connectionId, scopes)),
      ...(options.askFirst?.timeoutMs === undefined ? {} : { timeoutMs: options.askFirst.timeoutMs }),
      ...(options.askFirst?.now === undefined ? {} : { now: options.askFirst.now }),
    });
    // A revoked or deleted agent's held calls end, and what it was allowed for an hour is forgotten.
    events.on('agent-changed', (change) => {
      if (change.status !== 'revoked' && change.status !== 'deleted') return;
      askFirst.held.dropAgent(change.id);
      askFirst.allowances.forgetAgent(change.id);
    });
    // Paused means every agent request is refused: the held ones too, whatever the person answers later.
    events.on('paused-changed', (change) => {
      if (change.paused) askFirst.held.endAll(pausedError());
    });

    const adminToken = options.adminToken ?? randomBytes(32).toString('base64url');
    // The person's CLI reads it from here (main/cli/admin-token.ts); each start replaces the last one.
    await vault.set(ADMIN_TOKEN_KEY, adminToken);
    const startedAt = new Date().toISOString();
    const status = () => ({
      version: VERSION,
      data_dir: dataDir,
      secret_store: backend.kind,
      install_id: install,
      started_at: startedAt,
      url,
      paused: authz.killSwitch.paused,
      counts: {
        connections: connections.list().length,
        agents: authz.agents.list().length,
        pending_approvals:
          authz.approvals.list().filter((a) => a.status === 'pending').length + askFirst.held.list().length,
      },
    });
    // One proxy runtime for /proxy and the MCP tools: an agent has one rate limit whichever way it calls.
    const proxy = createProxyRuntime({
      verifier: authz.verification,
      audit: guardedAudit,
      catalog,
      connections: service,
      tokens,
      store: connections,
      baseUrl: () => url,
      askFirst,
    });
    cleanup.push(() => proxy.agents.close());
    const stream = new EventStream(events);
    const sessions = await openExecSessions({ db, authz, audit, events, logger });
    const server = await buildHttpServer({
      adminToken,
      version: VERSION,
      logger,
      dashboardDir: join(packageRoot(), 'dist', 'renderer'),
      admin: [
        (app) => adminRoutes(app, { catalog, service, clients, dataDir, status }),
        (app) => connectionRoutes(app, { service }),
        (app) => auditAdminRoutes(app, { audit }),
        (app) => activityRoute(app, { db }),
        (app) => eventsRoute(app, { stream }),
        (app) => authzAdminRoutes(app, { ...authz, heldCalls: askFirst.held }),
        (app) => sessionRoutes(app, { sessions, logger }),
      ],
      root: [
        (app) => oauthRoutes(app, authz),
        (app) => proxyRoutes(app, { ...proxy.deps, runtime: proxy }),
        (app) => mcpRoutes(app, { authz, runtime: proxy, version: VERSION }),
        schemaRoutes,
        (app) => oauthCallbackRoute(app, { service }),
      ],
    });
    cleanup.push(() => server.app.close());
    cleanup.push(() => stream.close()); // runs first: open event streams would hold the server's close
    cleanup.push(() => askFirst.held.close()); // so do held calls, until their timeout
    cleanup.push(() => sessions.close()); // so do the holds of exec sessions; the sessions themselves go on, for the next start
    port = await server.listen(options.port);
    await server.listenControl(controlSocketPath(dataDir));
    const url = `http://127.0.0.1:${port}`;

    // Resume proactive refresh of what was connected before this start (one vault read each).
    for (const record of connections.list()) {
      if (!record.refreshable || record.status === 'needs_reauth') continue;
      const credential = await tokens.load(record.id);
      if (credential) tokens.schedule(record, credential);
    }

    let closing: Promise<void> | undefined;
    return {
      url,
      dashboardUrl: `${url}/#admin=${adminToken}`,
      adminToken,
      port,
      dataDir,
      events,
      catalog,
      providers: () => catalog.list().map((p) => ({ id: p.id, name: p.name, auth_type: p.auth.type })),
      connections: () =>
        connections.list().map((c) => ({ name: c.name, provider: c.provider, status: c.status, account: c.account })),
      startBrowserConnection: async (provider) => {
        const started = await service.connect({ provider, method: 'browser' });
        if (started.kind !== 'browser') throw new Error('unreachable: a browser connect starts a browser flow');
        return { authorize_url: started.authorize_url, flow_id: started.flow_id };
      },
      core: { service, tokens, audit, authz },
      close: () => (closing ??= unwind()),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
