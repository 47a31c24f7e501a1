import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../log.js';
import { adminAuthHook } from './admin-auth.js';
import { boundedServer, type Handler } from './bounded-server.js';
import { registerDashboard } from './dashboard.js';
import { installErrorHandlers } from './error-handler.js';
import { hostGuard, ownPagesOnly } from './guards.js';
import { listenControlSocket, listenLoopback } from './listen.js';
import { registerOpenApi } from './openapi.js';

type Plugin = (app: FastifyInstance) => Promise<void>;

export interface HttpServerOptions {
  version: string;
  adminToken: string;
  /** Plugins inside the admin scope: prefix /admin/api, admin token required. */
  admin: Plugin[];
  /** Plugins at the root: agent-facing endpoints with their own authentication, and the OAuth callback. */
  root: Plugin[];
  /** Built dashboard (dist/renderer); absent in a tree that was not built. */
  dashboardDir: string;
  logger: Logger;
}

/**
 * The broker's HTTP surface on loopback: the admin API, the root plugins (OAuth callback,
 * agent endpoints), the OpenAPI description and the dashboard. Built with a server factory
 * so the same handler can also serve [::1] on the same port and the control socket.
 */
export async function buildHttpServer(options: HttpServerOptions): Promise<LoopbackServer> {
  let handler: Handler | undefined;
  const secondary: Server[] = [];
  // Sockets of the local control socket (DATA_DIR/control.sock): the file's permissions admit only this user (admin-auth.ts says to what).
  const controlSockets = new WeakSet<Socket>();
  const isControl = (request: { raw: IncomingMessage }): boolean => controlSockets.has(request.raw.socket as Socket);
  const app = Fastify({
    // The broker's logger, request ids bound; requests themselves are not logged (the audit log records them).
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 256 },
    serverFactory: (h) => {
      handler = h;
      return boundedServer(h);
    },
    // No code optimisation pass (as for provider definitions): it slows every start, and these validators guard admin routes, not the proxy.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, code: { optimize: false } },
    },
    // Malformed URLs (bad percent-encoding) are refused by the router itself: answer in our error shape.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply)
        .code(400)
        .send({ error: 'invalid_request', error_description: `The request is malformed: ${error.message}` });
    },
  });

  let boundPort = 0;
  app.addHook(
    'onRequest',
    hostGuard(isControl, () => boundPort),
  );
  const ownPages = ownPagesOnly(isControl);
  installErrorHandlers(app);
  await registerOpenApi(app, options.version, ownPages);

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', ownPages);
      scope.addHook('onRequest', adminAuthHook(options.adminToken, isControl));
      for (const plugin of options.admin) await scope.register(plugin);
    },
    { prefix: '/admin/api' },
  );
  for (const plugin of options.root) await app.register(plugin);
  await registerDashboard(app, options.dashboardDir);

  app.addHook('onClose', async () => {
    await Promise.all(secondary.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });
  await app.ready();
  return {
    app,
    listen: async (port) => (boundPort = await listenLoopback(app, handler as Handler, port, secondary)),
    listenControl: (path) => listenControlSocket(handler as Handler, path, controlSockets, secondary),
  };
}

export interface LoopbackServer {
  app: FastifyInstance;
  /** Binds and returns the port (useful with 0). */
  listen(port: number): Promise<number>;
  /** Serves the same app on a Unix socket / named pipe that only this user can open (a few admin routes without a token, see admin-auth.ts). */
  listenControl(path: string): Promise<void>;
}
