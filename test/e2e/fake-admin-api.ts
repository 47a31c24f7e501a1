/**
 * A FAKE of the broker's admin API for the dashboard e2e test: canned JSON for the documented
 * /admin/api routes, honouring the bearer token, plus static serving of dist/renderer with the
 * production CSP header. Meant to be replaced by the real broker (startBroker) once it exists.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

export const DIST = resolve(fileURLToPath(new URL('../../', import.meta.url)), 'dist/renderer');
export const TOKEN = 'adm_test_4f9c2b7e1d';
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
export const AUTHORIZE_URL = 'https://slack.com/oauth/v2/authorize?client_id=1234.5678&state=st_abc&code_challenge=xyz';

export interface Recorded {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();

function provider(p: Record<string, unknown>): Record<string, unknown> {
  return {
    builtin: true,
    scopes: [],
    default_scopes: [],
    client_secret: 'none',
    client: null,
    redirect_uri: null,
    redirect_any_port: true,
    ...p,
  };
}

function initialProviders(): Record<string, unknown>[] {
  return [
    provider({
      id: 'slack',
      name: 'Slack',
      description: 'Read channels and post messages as you.',
      docs_url: 'https://api.slack.com/authentication/oauth-v2',
      auth_type: 'oauth2',
      scopes: [
        { name: 'channels:read', description: 'View basic information about public channels' },
        { name: 'chat:write', description: 'Send messages as you' },
        { name: 'users:read', description: 'View people in the workspace' },
      ],
      default_scopes: ['channels:read', 'users:read'],
      connect_methods: ['browser'],
      client_secret: 'required',
      client: { client_id: '1234.5678', has_secret: true },
      redirect_uri: 'http://127.0.0.1:7317/oauth/callback',
      redirect_any_port: false,
    }),
    provider({
      id: 'github',
      name: 'GitHub',
      description: 'Repositories, issues and pull requests.',
      auth_type: 'oauth2',
      scopes: [
        { name: 'repo', description: 'Full control of private repositories' },
        { name: 'read:user', description: 'Read your profile data' },
      ],
      default_scopes: ['read:user'],
      connect_methods: ['browser', 'device', 'personal_token'],
      client_secret: 'optional',
      client: { client_id: 'Iv1.8a61f9b3a7aba766', has_secret: false },
      redirect_uri: 'http://127.0.0.1/oauth/callback',
      redirect_any_port: true,
    }),
    provider({
      id: 'google',
      name: 'Google',
      description: 'Gmail, Calendar and Drive.',
      auth_type: 'oauth2',
      scopes: [{ name: 'https://www.googleapis.com/auth/calendar.readonly', description: 'See your calendars' }],
      default_scopes: ['https://www.googleapis.com/auth/calendar.readonly'],
      connect_methods: ['browser'],
      client_secret: 'required',
      client: null,
      redirect_uri: 'http://127.0.0.1/oauth/callback',
      redirect_any_port: true,
    }),
    provider({
      id: 'openai',
      name: 'OpenAI',
      description: 'Model APIs with your API key.',
      auth_type: 'api_key',
      connect_methods: ['api_key'],
    }),
  ];
}

function initialConnections(): Record<string, unknown>[] {
  return [
    {
      name: 'slack-work',
      provider: 'slack',
      auth_method: 'oauth',
      account: 'alice@example.com',
      scopes: ['channels:read', 'users:read'],
      status: 'connected',
      expires_at: minutes(42),
      last_used_at: minutes(-5),
      created_at: minutes(-60 * 24 * 9),
      last_error: null,
    },
    {
      name: 'github',
      provider: 'github',
      auth_method: 'device',
      account: 'alice',
      scopes: ['repo', 'read:user'],
      status: 'needs_reauth',
      expires_at: minutes(-180),
      last_used_at: minutes(-60 * 26),
      created_at: minutes(-60 * 24 * 40),
      last_error: 'invalid_grant: the refresh token was revoked',
    },
    {
      name: 'openai',
      provider: 'openai',
      auth_method: 'api_key',
      account: null,
      scopes: [],
      status: 'connected',
      expires_at: null,
      last_used_at: null,
      created_at: minutes(-60 * 3),
      last_error: null,
    },
  ];
}

export class FakeBroker {
  readonly requests: Recorded[] = [];
  providers = initialProviders();
  connections = initialConnections();
  flows = new Map<string, { polls: number; provider: string; kind: 'browser' | 'device' }>();
  server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.json(res, 500, { error: 'server_error', error_description: String(error) });
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  apiCalls(method: string, path: string): Recorded[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  private async body(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith('/admin/api/')) return this.serveStatic(url.pathname, res);

    const body = await this.body(req);
    this.requests.push({ method, path: url.pathname, authorization: req.headers.authorization, body });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      return this.json(res, 401, { error: 'unauthorized', error_description: 'Missing or invalid admin token.' });
    }
    const route = `${method} ${url.pathname.slice('/admin/api'.length)}`;
    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpExecArray | null;

    if (route === 'GET /status') {
      return this.json(res, 200, {
        version: '0.1.0',
        data_dir: '/home/alice/.config/Latchkey',
        secret_store: 'keychain',
        started_at: minutes(-75),
        url: this.url,
      });
    }
    if (route === 'GET /providers') return this.json(res, 200, { providers: this.providers });
    if (route === 'POST /providers') {
      const problems: { path: string; message: string }[] = [];
      if (typeof b['id'] !== 'string') problems.push({ path: '/id', message: 'must be a string of a-z, 0-9 and -' });
      if (typeof b['auth'] !== 'object') problems.push({ path: '/auth', message: "must have required property 'auth'" });
      if (problems.length) {
        return this.json(res, 400, { error: 'invalid_provider', error_description: 'The provider definition is not valid.', problems });
      }
      const added = provider({ id: b['id'], name: b['name'] ?? b['id'], builtin: false, auth_type: 'api_key', connect_methods: ['api_key'] });
      this.providers.push(added);
      return this.json(res, 201, added);
    }
    if ((m = /^PUT \/providers\/([^/]+)\/client$/.exec(route))) {
      const p = this.providers.find((x) => x['id'] === decodeURIComponent(m![1]!));
      if (!p) return this.json(res, 404, { error: 'unknown_provider', error_description: 'No such provider.' });
      p['client'] = { client_id: b['client_id'], has_secret: typeof b['client_secret'] === 'string' };
      return this.json(res, 200, p);
    }
    if (route === 'GET /connections') return this.json(res, 200, { connections: this.connections });
    if (route === 'POST /connections') {
      const p = this.providers.find((x) => x['id'] === b['provider']);
      if (!p) return this.json(res, 400, { error: 'unknown_provider', error_description: 'No such provider.' });
      const methodName = (b['method'] as string | undefined) ?? 'browser';
      if ((methodName === 'browser' || methodName === 'device') && p['client'] === null) {
        return this.json(res, 400, {
          error: 'client_not_configured',
          error_description: `Enter your ${String(p['name'])} OAuth app (client ID and secret) before connecting.`,
          provider: p['id'],
        });
      }
      const flowId = `flow-${this.flows.size + 1}`;
      if (methodName === 'browser') {
        this.flows.set(flowId, { polls: 0, provider: String(p['id']), kind: 'browser' });
        return this.json(res, 201, {
          kind: 'browser',
          flow_id: flowId,
          authorize_url: AUTHORIZE_URL,
          redirect_uri: p['redirect_uri'],
          expires_at: minutes(10),
        });
      }
      if (methodName === 'device') {
        this.flows.set(flowId, { polls: 0, provider: String(p['id']), kind: 'device' });
        return this.json(res, 201, {
          kind: 'device',
          flow_id: flowId,
          user_code: 'WDJB-MJHT',
          verification_uri: 'https://github.com/login/device',
          expires_at: minutes(10),
        });
      }
      const connection = { ...initialConnections()[2], name: String(b['name'] ?? p['id']), provider: p['id'], auth_method: methodName };
      return this.json(res, 201, { kind: 'connected', connection });
    }
    if ((m = /^GET \/connections\/flows\/([^/]+)$/.exec(route))) {
      const flowId = decodeURIComponent(m[1]!);
      const flow = this.flows.get(flowId);
      if (!flow) return this.json(res, 404, { error: 'unknown_flow', error_description: 'No such flow.' });
      flow.polls++;
      // Browser flows finish on the second poll; device flows stay pending.
      if (flow.kind === 'browser' && flow.polls >= 2) {
        const connection = { ...initialConnections()[0], name: `${flow.provider}-2`, account: 'alice@example.com' };
        if (!this.connections.some((c) => c['name'] === connection.name)) this.connections.push(connection);
        return this.json(res, 200, { flow_id: flowId, status: 'connected', connection });
      }
      return this.json(res, 200, { flow_id: flowId, status: 'pending' });
    }
    if ((m = /^POST \/connections\/([^/]+)\/refresh$/.exec(route))) {
      const c = this.connections.find((x) => x['name'] === decodeURIComponent(m![1]!));
      if (!c) return this.json(res, 404, { error: 'unknown_connection', error_description: 'No such connection.' });
      c['expires_at'] = minutes(60);
      c['status'] = 'connected';
      return this.json(res, 200, c);
    }
    if ((m = /^DELETE \/connections\/([^/]+)$/.exec(route))) {
      const name = decodeURIComponent(m[1]!);
      this.connections = this.connections.filter((x) => x['name'] !== name);
      return this.json(res, 200, { deleted: true, revoked_at_provider: true });
    }
    return this.json(res, 404, { error: 'not_found', error_description: `No route ${route}` });
  }

  private async serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    const rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    const file = normalize(join(DIST, rel));
    if (!file.startsWith(DIST + sep) || !existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    const types: Record<string, string> = {
      '.html': 'text/html; charset=utf-8',
      '.js': 'text/javascript; charset=utf-8',
      '.css': 'text/css; charset=utf-8',
      '.svg': 'image/svg+xml',
      '.png': 'image/png',
    };
    res.writeHead(200, {
      'Content-Type': types[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(await readFile(file));
  }
}
