/**
 * Where `latchkey serve` spends its CPU under load: the broker runs with `--cpu-prof`, wrk
 * drives `/proxy` for a while, then SIGTERM writes the profile, summarised here as self and
 * total time per function. Not a benchmark (no other target runs beside it): a lead for the
 * next optimisation. Run: node --import tsx test/bench/profile.ts [connections=32] [seconds=10]
 * (PROFILE_KEEP=1 keeps the .cpuprofile for Chrome DevTools; PROFILE=0 measures without the
 * profiler, beside the Node floor, for a quick ratio on a busy machine; PROFILE_CONNECTIONS=N
 * and PROFILE_AGENTS=N add idle connections and agents first, as the benchmark's scale points do).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, clientCredentialsToken, listeningUrl } from '../fixtures/serve-process.js';
import { setUpBroker } from './lib/bench-broker.js';
import { loadGenerator } from './lib/load.js';
import { startUpstream } from './lib/nginx.js';
import { startNodeFloor } from './lib/node-floor.js';

const connections = Number(process.argv[2] ?? 32);
const seconds = Number(process.argv[3] ?? 10);
const TOP = 40;
const profiling = process.env.PROFILE !== '0';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self and total (inclusive, each function counted once per stack) time per function, in % of
 * the samples taken during the load (`from`–`to`, µs of the monotonic clock V8 stamps them with).
 */
function summarise(profile: Profile, from: number, to: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode): string => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.replace(/^.*\/(node_modules\/|main\/|test\/)/, '$1').replace(/^node:/, '');
    return `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
  };
  const fileOf = (n: ProfileNode): string => {
    const url = n.callFrame.url;
    if (url === '') return `(native) ${n.callFrame.functionName}`;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    return pkg
      ? `node_modules/${pkg}`
      : url.startsWith('node:')
        ? 'node internals'
        : url.replace(/^.*\/(main|test)\//, '$1/');
  };
  const byFile = new Map<string, number>();
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let at = profile.startTime;
  const samples = profile.samples.filter((_, i) => {
    at += profile.timeDeltas[i] ?? 0;
    return at >= from && at <= to;
  });
  for (const id of samples) {
    const leaf = byId.get(id) as ProfileNode;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + 1);
    byFile.set(fileOf(leaf), (byFile.get(fileOf(leaf)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const l = label(n);
      if (!seen.has(l)) total.set(l, (total.get(l) ?? 0) + 1);
      seen.add(l);
    }
  }
  const all = samples.length;
  const table = (m: Map<string, number>): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([l, v]) => `${((100 * v) / all).toFixed(1).padStart(5)}%  ${l}`)
      .join('\n');
  return `${all} samples\n\n## self by file\n${table(byFile)}\n\n## self\n${table(self)}\n\n## total\n${table(total)}\n`;
}

/** User and system CPU time a process has used, in µs (Linux /proc; clock ticks are 10 ms). */
function cpuMicros(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return { user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000 };
}

/** CPU µs per request between two readings, as "total (user + system)". */
function perRequest(
  before: { user: number; system: number },
  after: { user: number; system: number },
  requests: number,
): { total: number; text: string } {
  const user = (after.user - before.user) / requests;
  const system = (after.system - before.system) / requests;
  return {
    total: user + system,
    text: `${(user + system).toFixed(0)} µs (user ${user.toFixed(0)} + system ${system.toFixed(0)})`,
  };
}

const root = mkdtempSync(join(tmpdir(), 'latchkey-profile-'));
const profDir = join(root, 'prof');
const upstream = await startUpstream(join(root, 'upstream'));
const child = spawn(
  process.execPath,
  [
    ...(profiling ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
    'dist/main/cli/latchkey.js',
    'serve',
    '--port',
    '0',
    '--data-dir',
    join(root, 'data'),
    '--secret-store',
    'file',
  ],
  {
    env: { ...process.env, LATCHKEY_PASSPHRASE: 'profile passphrase', LATCHKEY_ADMIN_TOKEN: ADMIN_TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
try {
  const url = await listeningUrl(child);
  const admin = async (path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${url}/admin/api${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const agent = await setUpBroker({ admin }, upstream.url);
  for (let i = 1; i < Number(process.env.PROFILE_AGENTS ?? 1); i++)
    await admin('/agents', { name: `idle-agent-${i}`, grants: [{ connection: 'bench', scopes: ['read'] }] });
  for (let i = 1; i < Number(process.env.PROFILE_CONNECTIONS ?? 1); i++)
    await admin('/connections', { provider: 'bench', name: `bench-${i}`, secret: `upstream-key-${i}` });
  const token = await clientCredentialsToken(url, agent.client_id, agent.client_secret);
  const generator = loadGenerator(root);
  const report = (name: string, r: Awaited<ReturnType<typeof generator.run>>): void =>
    console.log(
      `${name} c=${connections} ${seconds}s: ${r.rps} req/s p50 ${r.p50_ms} ms p99 ${r.p99_ms} ms errors ${r.errors}`,
    );
  const target = `${url}/proxy/bench/items`;
  const headers = { authorization: `Bearer ${token}` };
  await generator.run(target, { connections, seconds: 2, headers }); // warm-up: the JIT, the pools
  const from = Number(process.hrtime.bigint() / 1000n);
  const cpuBefore = cpuMicros(child.pid as number);
  const result = await generator.run(target, { connections, seconds, headers });
  const cpu = perRequest(cpuBefore, cpuMicros(child.pid as number), result.requests);
  const to = Number(process.hrtime.bigint() / 1000n);
  report('latchkey', result);
  console.log(`latchkey CPU per request: ${cpu.text}`);
  if (!profiling) {
    const floor = await startNodeFloor(upstream.url);
    await generator.run(`${floor.url}/items`, { connections, seconds: 2 });
    const floorBefore = cpuMicros(process.pid);
    const floorResult = await generator.run(`${floor.url}/items`, { connections, seconds });
    const floorCpu = perRequest(floorBefore, cpuMicros(process.pid), floorResult.requests);
    await floor.stop();
    report('node-floor', floorResult);
    console.log(`node-floor CPU per request: ${floorCpu.text}`);
    console.log(
      `ratio: req/s ${(result.rps / floorResult.rps).toFixed(2)}, CPU per request ${(cpu.total / floorCpu.total).toFixed(2)}`,
    );
  }
  child.kill('SIGTERM');
  await once(child, 'exit');
  if (profiling) {
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')) as string;
    console.log(summarise(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as Profile, from, to));
    if (process.env.PROFILE_KEEP) console.log(`profile kept: ${join(profDir, file)}`);
  }
} finally {
  if (child.exitCode === null) child.kill('SIGTERM');
  await upstream.stop();
  if (!process.env.PROFILE_KEEP) rmSync(root, { recursive: true, force: true });
}
