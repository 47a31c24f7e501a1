import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import { LatchkeyError } from '../errors.js';
import { isFromForeignPage, isLoopbackHost } from '../net.js';
import { adminAuthHook } from './admin-auth.js';
import { connectionSchema, errorSchema, flowSchema, providerSummarySchema } from './schemas.js';
import { PAGE_CSP, resultPage } from './pages.js';
import type { ConnectionService } from '../connections/service.js';
import type { Logger } from '../log.js';

type Plugin = (app: FastifyInstance) => Promise<void>;

export interface HttpServerOptions {
  version: string;
  adminToken: string;
  service: Pick<ConnectionService, 'completeBrowser'>;
  /** Plugins inside the admin scope: prefix /admin/api, admin token required. */
  admin: Plugin[];
  /** Plugins at the root: agent-facing endpoints with their own authentication. */
  root: Plugin[];
  /** Built dashboard (dist/renderer); absent in a tree that was not built. */
  dashboardDir: string;
  logger: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Header fields a request may carry; the parser keeps one more, so going over it is seen (and refused), not silently cut. */
const MAX_HEADER_FIELDS = 100;

/**
 * The broker's HTTP surface on loopback: the admin API, the OAuth callback, the OpenAPI
 * description and the dashboard. Built with a server factory so the same handler can
 * also serve [::1] on the same port (see listenLoopback).
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
    disableRequestLogging: true,
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 256 },
    serverFactory: (h) => {
      handler = h;
      return boundedServer(h);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Malformed URLs (bad percent-encoding) are refused by the router itself: answer in our error shape.
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(400).send({ error: 'invalid_request', error_description: `The request is malformed: ${error.message}` });
    },
  });

  for (const schema of [errorSchema, connectionSchema, providerSummarySchema, flowSchema]) app.addSchema(schema);

  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
  let boundPort = 0;
  const allowedPort = (): number => boundPort;
  app.addHook('onRequest', async (request) => {
    // A field past the limit would be dropped by the parser: an Origin hidden behind 100 others would go unseen.
    if (request.raw.rawHeaders.length / 2 > MAX_HEADER_FIELDS) {
      throw new LatchkeyError('too_many_headers', `A request may carry at most ${MAX_HEADER_FIELDS} header fields.`, 431);
    }
    if (isControl(request)) return;
    const host = request.headers.host ?? '';
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!match || !isLoopbackHost(match[1] as string) || Number(match[2] ?? 80) !== allowedPort()) {
      throw new LatchkeyError('invalid_host', 'Latchkey answers only requests addressed to its loopback host and port.', 421);
    }
  });
  // Any web page can make the browser call 127.0.0.1: only the dashboard's own origin may use the admin
  // surface. Checked after routing (a scope's hook), so every spelling of its URLs is covered: %61dmin,
  // absolute-form targets. The proxy checks its own (and audits the refusal).
  const ownPagesOnly = async (request: FastifyRequest): Promise<void> => {
    if (!isControl(request) && isFromForeignPage(request.headers)) {
      throw new LatchkeyError('forbidden_origin', 'Requests from web pages of other origins are refused.', 403);
    }
  };

  app.setErrorHandler((error: FastifyError | LatchkeyError, request, reply) => {
    if (error instanceof LatchkeyError) return reply.code(error.status).send(error.toJSON());
    if (error.validation) {
      return reply.code(400).send({ error: 'invalid_request', error_description: `${error.validationContext ?? 'request'} ${error.validation[0]?.instancePath ?? ''} ${error.validation[0]?.message ?? error.message}`.replace(/\s+/g, ' ').trim() });
    }
    if (error.statusCode && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: error.code?.toLowerCase().replace(/^fst_err_/, '') ?? 'invalid_request', error_description: error.message });
    }
    request.log.error({ method: request.method, route: request.routeOptions.url, error: { name: error.name, code: error.code, message: error.message } }, 'internal error');
    return reply.code(500).send({ error: 'internal_error', error_description: 'Latchkey failed to handle this request; see its log.' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', error_description: `No route ${request.method} ${request.url.split('?')[0]}` }));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Latchkey admin API', version: options.version, description: 'Connect accounts and manage the broker. Every route needs `Authorization: Bearer <admin token>`.' },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ adminToken: [] }],
    },
  });
  app.get('/admin/openapi.json', { schema: { hide: true }, onRequest: ownPagesOnly }, async () => app.swagger());

  await app.register(async (scope) => {
    scope.addHook('onRequest', ownPagesOnly);
    scope.addHook('onRequest', adminAuthHook(options.adminToken, isControl));
    for (const plugin of options.admin) await scope.register(plugin);
  }, { prefix: '/admin/api' });
  for (const plugin of options.root) await app.register(plugin);
  registerCallback(app, options.service);

  if (existsSync(join(options.dashboardDir, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: options.dashboardDir,
      index: 'index.html',
      setHeaders: (reply) => {
        reply.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
      },
    });
  } else {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html').header('content-security-policy', PAGE_CSP).send(resultPage({ ok: false, title: 'Dashboard not built', lines: ['Run `npm run build` to build the dashboard; the admin API works without it.'] })));
  }

  app.addHook('onClose', async () => {
    await Promise.all(secondary.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });
  await app.ready();
  return {
    app,
    listen: async (port) => (boundPort = await listenLoopback(app, handler as Handler, port, secondary)),
    listenControl: async (path) => {
      const control = boundedServer(handler as Handler);
      control.on('connection', (socket: Socket) => controlSockets.add(socket));
      if (process.platform !== 'win32') rmSync(path, { force: true }); // a stale socket of a dead broker (the data-dir lock is ours)
      await new Promise<void>((resolve, reject) => {
        control.once('error', reject);
        control.listen({ path, readableAll: false, writableAll: false }, () => resolve());
      });
      if (process.platform !== 'win32') chmodSync(path, 0o600); // connecting needs write access: owner only
      secondary.push(control);
    },
  };
}

export interface LoopbackServer {
  app: FastifyInstance;
  /** Binds and returns the port (useful with 0). */
  listen(port: number): Promise<number>;
  /** Serves the same app on a Unix socket / named pipe that only this user can open (a few admin routes without a token, see admin-auth.ts). */
  listenControl(path: string): Promise<void>;
}

/** Header size and count bounded: a local process or page cannot make the parser hoard memory. */
function boundedServer(handler: Handler): Server {
  const server = createServer({ maxHeaderSize: 16 * 1024 }, handler);
  server.maxHeadersCount = MAX_HEADER_FIELDS + 1;
  return server;
}

function registerCallback(app: FastifyInstance, service: Pick<ConnectionService, 'completeBrowser'>): void {
  app.get('/oauth/callback', { schema: { hide: true } }, async (request, reply) => {
    const params = new URLSearchParams(request.url.split('?')[1] ?? '');
    reply.type('text/html; charset=utf-8').header('content-security-policy', PAGE_CSP).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    try {
      const connection = await service.completeBrowser(params);
      return reply.send(resultPage({
        ok: true,
        title: `Connected to ${connection.provider}`,
        lines: [`${connection.account ?? 'Your account'} is connected as "${connection.name}".`, 'You can close this tab.'],
      }));
    } catch (error) {
      const failure = error instanceof LatchkeyError ? error : new LatchkeyError('connect_failed', 'The connection could not be completed.', 500);
      const providerError = typeof failure.details.provider_error === 'string' ? `Provider error: ${failure.details.provider_error}` : undefined;
      return reply.code(failure.status >= 500 ? 502 : 400).send(resultPage({
        ok: false,
        title: 'Connection failed',
        lines: [failure.message, ...(providerError ? [providerError] : []), 'Close this tab and try again from Latchkey.'],
      }));
    }
  });
}

/**
 * Listens on 127.0.0.1 and, where the machine has it, on [::1] at the same port, so a
 * `http://localhost:PORT/...` redirect works whichever address the browser picks.
 */
async function listenLoopback(app: FastifyInstance, handler: Handler, port: number, secondary: Server[]): Promise<number> {
  try {
    await app.listen({ host: '127.0.0.1', port });
  } catch (error) {
    throw listenError(error, port);
  }
  const bound = (app.server.address() as { port: number }).port;
  const v6 = boundedServer(handler);
  const v6Error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    v6.once('error', resolve);
    v6.listen({ host: '::1', port: bound, ipv6Only: true }, () => resolve(undefined));
  });
  if (v6Error?.code === 'EADDRINUSE') {
    // Another program on [::1]:PORT would receive the browser's localhost redirects.
    await app.close();
    throw listenError(v6Error, bound);
  }
  if (!v6Error) secondary.push(v6); // else: no IPv6 loopback on this machine
  return bound;
}

function listenError(error: unknown, port: number): LatchkeyError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new LatchkeyError('port_in_use', `Port ${port} on the loopback interface is already in use (another Latchkey or another program). Use --port N, or --port 0 for any free port.`, 500);
  }
  if (code === 'EACCES') return new LatchkeyError('port_denied', `Not allowed to listen on port ${port}; use a port above 1023.`, 500);
  return new LatchkeyError('listen_failed', `Cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`, 500);
}
