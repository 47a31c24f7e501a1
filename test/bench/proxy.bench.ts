/**
 * What the proxy costs: requests/s and latency of GETs straight to an upstream vs the same
 * GETs through `latchkey serve` (agent JWT check, scope rule, credential injection, audit
 * entry committed before the response ends), and the broker's memory after the load.
 * Upstream: nginx when installed (apt-get install nginx), else a node:http server.
 * Loopback only, bounded: DURATION seconds per run. Prints, never asserts.
 * Run: node --import tsx test/bench/proxy.bench.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startServeProcess } from '../fixtures/serve-process.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;
const root = mkdtempSync(join(tmpdir(), 'latchkey-proxy-bench-'));

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startUpstream(): Promise<{ url: string; kind: string; stop: () => void }> {
  const port = await freePort();
  if (spawnSync('nginx', ['-v']).status === 0) {
    const conf = join(root, 'nginx.conf');
    writeFileSync(conf, `daemon off; worker_processes 1; pid ${root}/nginx.pid; error_log ${root}/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${root}; proxy_temp_path ${root}; fastcgi_temp_path ${root}; uwsgi_temp_path ${root}; scgi_temp_path ${root};
  server { listen 127.0.0.1:${port}; location / { default_type application/json; return 200 '{"items":[1,2,3]}'; } } }`);
    const nginx = spawn('nginx', ['-c', conf, '-p', root], { stdio: 'ignore' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined))?.ok === true);
    return { url: `http://127.0.0.1:${port}`, kind: 'nginx', stop: () => nginx.kill('SIGTERM') };
  }
  const server: Server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"items":[1,2,3]}');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, kind: 'node:http (nginx not installed)', stop: () => server.close() };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out waiting');
}

function load(url: string, headers: Record<string, string> = {}): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const line = (label: string, r: autocannon.Result): string =>
  `${label.padEnd(22)} ${String(Math.round(r.requests.average)).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   errors ${r.errors + r.non2xx}`;

const upstream = await startUpstream();
const broker = await startServeProcess(join(root, 'data'));
try {
  await broker.admin('/providers', {
    id: 'bench', name: 'Bench upstream',
    auth: { type: 'api_key', header: 'Authorization', format: 'Bearer {key}', scopes: { read: 'Read' } },
    api: { base_url: upstream.url, rules: [{ method: 'GET', path: '/**', scopes: ['read'] }] },
  });
  await broker.admin('/connections', { provider: 'bench', secret: 'upstream-key-for-bench' });
  // The highest per-agent limit the API takes, so the run measures the proxy, not the limiter.
  const access_token = await broker.agentToken('bench', [{ connection: 'bench', scopes: ['*'] }], 1_000_000);
  const pid = broker.child.pid as number;
  const idleRss = rssMiB(pid);

  console.log(`upstream: ${upstream.kind}; ${CONNECTIONS} connections, ${DURATION} s per run, 2 cores shared by load generator, broker and upstream`);
  console.log(line('direct to upstream', await load(`${upstream.url}/items`)));
  const proxied = await load(`${broker.url}/proxy/bench/items`, { authorization: `Bearer ${access_token}` });
  console.log(line('through the proxy', proxied));
  const audited = await broker.admin('/audit?kind=proxy&limit=1');
  console.log(`broker RSS: ${idleRss.toFixed(0)} MiB idle, ${rssMiB(pid).toFixed(0)} MiB after load; last audit id ${audited.entries[0]?.id ?? 0} (one entry per proxied request)`);
} finally {
  await broker.stop();
  upstream.stop();
  rmSync(root, { recursive: true, force: true });
}
