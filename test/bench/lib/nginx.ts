/** nginx as the benchmark's upstream and as the reference reverse proxy, each its own instance with one worker. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './process.js';

export const SMALL_BODY = '{"items":[1,2,3]}';
export const BIG_FILE_BYTES = 10 * 1024 * 1024;

export interface Nginx {
  url: string;
  stop(): Promise<void>;
}

export const nginxInstalled = (): boolean => !spawnSync('nginx', ['-v']).error;

async function start(dir: string, locations: string, httpBlocks = ''): Promise<Nginx> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => `${name}_temp_path ${dir};`)
    .join(' ');
  // Workers run as the benchmark's own user (as root, nginx would switch them to nobody, who cannot read the temp dir).
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; user ${userInfo().username}; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http { access_log off; ${temp} ${httpBlocks}
  server { listen 127.0.0.1:${port}; keepalive_requests 1000000; ${locations} } }
`,
  );
  const child: ChildProcess = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/items`).catch(() => undefined)) !== undefined);
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The API stand-in: a small JSON answer, a 10 MiB static file, and an upload sink. */
export async function startUpstream(dir: string): Promise<Nginx> {
  mkdirSync(join(dir, 'static'), { recursive: true });
  writeFileSync(join(dir, 'static', 'big'), Buffer.alloc(BIG_FILE_BYTES, 7));
  return start(
    dir,
    `
    location / { default_type application/json; return 200 '${SMALL_BODY}'; }
    location = /big { root ${dir}/static; default_type application/octet-stream; }
    location = /upload { client_max_body_size 64m; client_body_buffer_size 64m; default_type application/json; return 200 '{"ok":true}'; }`,
  );
}

/** nginx as a reverse proxy to `upstream`, with a keep-alive pool as a tuned deployment would have. */
export async function startReverseProxy(dir: string, upstream: string): Promise<Nginx> {
  return start(
    dir,
    'location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; client_max_body_size 64m; }',
    `upstream backend { server ${new URL(upstream).host}; keepalive 64; }`,
  );
}
