/**
 * What Latchkey costs on an agent's API call, measured side by side in one run with one load
 * generator: the upstream alone (nginx `return 200`), nginx as a reverse proxy to it, a bare
 * fastify + undici pass-through (the Node floor: no auth, no audit), and Latchkey's `/proxy`
 * (agent JWT, scope rule, credential injection, audit committed before the response ends);
 * then streaming, a refresh storm, scale (agents, connections, audit rows), cold start and
 * idle memory. Latchkey runs as installed: built into dist/ first, started with plain node.
 * Loopback only, every phase bounded. Prints a table and writes
 * test/bench/results/latest.json and latest.md; asserts nothing.
 * Run: npm run bench (BENCH_SECONDS=N per load point, default 5; BENCH_ROUNDS of the side-by-side
 * table, default 3, each point its median round; BENCH_AUDIT_ROWS, default 1,000,000).
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog } from '../../main/core/audit/audit-log.js';
import { openDatabase } from '../fixtures/database.js';
import { clientCredentialsToken, listeningUrl, spawnServe, startServeProcess } from '../fixtures/serve-process.js';
import { loadGenerator, type LoadResult } from './lib/load.js';
import { BIG_FILE_BYTES, nginxInstalled, startReverseProxy, startUpstream } from './lib/nginx.js';
import { startNodeFloor } from './lib/node-floor.js';
import { setUpBroker, type BenchAgent as Agent } from './lib/bench-broker.js';
import { medianMs, memoryMiB, resetPeakMemory } from './lib/process.js';
import { refreshStorm } from './lib/refresh-storm.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const AUDIT_ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const CONNECTION_COUNTS = [1, 32] as const;
const WARM_UP_SECONDS = 2;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

if (!nginxInstalled()) {
  console.error('npm run bench needs nginx as the upstream and the reference proxy: sudo apt-get install nginx wrk');
  process.exit(1);
}
// The broker is measured as installed (dist/, plain node), not through the tests' TypeScript loader.
const build = spawnSync('npm', ['run', 'build:main'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const loadAtStart = loadavg()[0]!;
const root = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
const generator = loadGenerator(root);
const runs: ({ target: string; connections: number } & LoadResult)[] = [];
const MIB = 1024 * 1024;

async function measure(
  target: string,
  url: string,
  connections: number,
  headers?: Record<string, string>,
): Promise<LoadResult> {
  const result = await generator.run(url, { connections, seconds: SECONDS, ...(headers ? { headers } : {}) });
  console.log(
    `${target.padEnd(26)} c=${String(connections).padEnd(3)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50_ms.toFixed(2).padStart(6)} ms  p99 ${result.p99_ms.toFixed(2).padStart(6)} ms  max ${result.max_ms.toFixed(1).padStart(6)} ms${result.errors ? `  ERRORS ${result.errors}` : ''}`,
  );
  return result;
}

/** The round with the median throughput (latencies as that round measured them). */
function medianRun(results: LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)] as LoadResult;
}

async function streaming(
  brokerUrl: string,
  token: string,
  pid: number,
): Promise<{ download_mib_s: number; upload_mib_s: number; peak_rss_mib: number; rss_before_mib: number }> {
  // The peak since start would count the start itself (module loading): measure from here.
  resetPeakMemory(pid);
  const rssBefore = memoryMiB(pid).rss;
  const rounds = 5;
  let started = performance.now();
  for (let i = 0; i < rounds; i++) {
    const response = await fetch(`${brokerUrl}/proxy/bench/big`, { headers: { authorization: `Bearer ${token}` } });
    const body = Buffer.from(await response.arrayBuffer());
    if (body.byteLength !== BIG_FILE_BYTES)
      throw new Error(`download: ${response.status} ${body.subarray(0, 300).toString()}`);
  }
  const download = (rounds * BIG_FILE_BYTES) / MIB / ((performance.now() - started) / 1000);
  const body = Buffer.alloc(BIG_FILE_BYTES, 3);
  started = performance.now();
  for (let i = 0; i < rounds; i++) {
    const response = await fetch(`${brokerUrl}/proxy/bench/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body,
    });
    if (response.status !== 200) throw new Error(`upload: ${response.status} ${await response.text()}`);
  }
  const upload = (rounds * BIG_FILE_BYTES) / MIB / ((performance.now() - started) / 1000);
  return {
    download_mib_s: Math.round(download),
    upload_mib_s: Math.round(upload),
    peak_rss_mib: memoryMiB(pid).peak,
    rss_before_mib: rssBefore,
  };
}

/**
 * From spawning `latchkey serve` to the first proxied 200, on an existing data dir. The agent
 * gets its token after the start (the issuer names the port, and this start picks a new one).
 */
async function coldStart(dataDir: string, agent: Agent): Promise<number> {
  const started = performance.now();
  const child = spawnServe(dataDir, { entry: 'built' });
  try {
    const url = await listeningUrl(child);
    const token = await clientCredentialsToken(url, agent.client_id, agent.client_secret);
    const response = await fetch(`${url}/proxy/bench/items`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`first proxied call after start: ${response.status}`);
    return Math.round(performance.now() - started);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

/** Appends `rows` audit entries offline, through the real AuditLog (hash chain, group commit). */
async function fillAudit(dataDir: string, rows: number): Promise<void> {
  const db = openDatabase(join(dataDir, 'latchkey.db'));
  const audit = new AuditLog(db);
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < rows) {
      issued++;
      await audit.append({
        kind: 'proxy',
        decision: 'allow',
        agent_id: issued % 2 ? 'ag_filler_a' : 'ag_filler_b',
        agent_name: 'filler',
        connection: 'bench',
        method: 'GET',
        path: `/items?page=${issued}`,
        status: 200,
        latency_ms: 1,
        bytes_in: 0,
        bytes_out: 17,
      });
    }
  };
  await Promise.all(Array.from({ length: 256 }, worker));
  await audit.close();
  db.close();
}

const upstream = await startUpstream(join(root, 'upstream'));
const nginxProxy = await startReverseProxy(join(root, 'nginx-proxy'), upstream.url);
const floor = await startNodeFloor(upstream.url);
const dataDir = join(root, 'data');
let broker = await startServeProcess(dataDir, { entry: 'built' });
try {
  const agent = await setUpBroker(broker, upstream.url);
  let token = await clientCredentialsToken(broker.url, agent.client_id, agent.client_secret);
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const idleRss = memoryMiB(broker.child.pid as number).rss;
  console.log(
    `${generator.name}, 1 thread; ${SECONDS} s per point; ${cpus().length} cores shared by the generator, nginx and the proxy under test`,
  );

  const stream = await streaming(broker.url, token, broker.child.pid as number);
  console.log(
    `streaming 10 MiB: download ${stream.download_mib_s} MiB/s, upload ${stream.upload_mib_s} MiB/s, broker RSS ${stream.rss_before_mib} → peak ${stream.peak_rss_mib} MiB`,
  );

  const targets: [string, string, Record<string, string> | undefined][] = [
    ['upstream', `${upstream.url}/items`, undefined],
    ['nginx', `${nginxProxy.url}/items`, undefined],
    ['node-floor', `${floor.url}/items`, undefined],
    ['latchkey', `${broker.url}/proxy/bench/items`, auth()],
  ];
  // Unmeasured first: every target's connection pools filled and the JIT warm, as in steady use.
  for (const [, url, headers] of targets)
    await generator.run(url, { connections: 32, seconds: WARM_UP_SECONDS, ...(headers ? { headers } : {}) });
  // Rounds of every target in turn, each point reported by its median round: on shared cores a
  // single 5-second point can swing by a third, and the ratios compare points of one round.
  for (const connections of CONNECTION_COUNTS) {
    const rounds = new Map<string, LoadResult[]>(targets.map(([target]) => [target, []]));
    for (let round = 0; round < ROUNDS; round++)
      for (const [target, url, headers] of targets)
        rounds.get(target)?.push(await measure(target, url, connections, headers));
    for (const [target, results] of rounds) runs.push({ target, connections, ...medianRun(results) });
  }
  const at = (target: string, connections: number): LoadResult =>
    runs.find((r) => r.target === target && r.connections === connections) as LoadResult;
  const latchkey32 = at('latchkey', 32).rps;

  const storm = await refreshStorm(broker, 200);
  console.log(
    `refresh storm: ${storm.callers} callers, ${storm.ok} answered 200, ${storm.provider_refreshes} refresh(es) at the provider, p99 ${storm.p99_ms} ms`,
  );

  // Scale: many agents, many connections, many audit rows — the same agent's calls should not
  // slow down. Each point is compared with the point measured just before it, in the state
  // before its change: throughput drifts over minutes on a shared machine, more than these ratios.
  await generator.run(`${broker.url}/proxy/bench/items`, {
    connections: 32,
    seconds: WARM_UP_SECONDS,
    headers: auth(),
  }); // after the storm
  const oneAgent = await measure('latchkey, 1 agent (again)', `${broker.url}/proxy/bench/items`, 32, auth());
  for (let i = 1; i < 1000; i++)
    await broker.admin('/agents', { name: `idle-agent-${i}`, grants: [{ connection: 'bench', scopes: ['read'] }] });
  const agents1000 = await measure('latchkey, 1,000 agents', `${broker.url}/proxy/bench/items`, 32, auth());
  for (let i = 1; i < 100; i++)
    await broker.admin('/connections', { provider: 'bench', name: `bench-${i}`, secret: `upstream-key-${i}` });
  const connections100 = await measure('latchkey, 100 connections', `${broker.url}/proxy/bench/items`, 32, auth());

  // Cold start on this data dir, then the audit log grown to AUDIT_ROWS offline.
  await broker.stop();
  const coldMs = await coldStart(dataDir, agent);
  console.log(`cold start to first proxied response (token request included): ${coldMs} ms; idle RSS ${idleRss} MiB`);
  const filling = performance.now();
  await fillAudit(dataDir, AUDIT_ROWS);
  console.log(`audit filled with ${AUDIT_ROWS} rows in ${Math.round((performance.now() - filling) / 1000)} s`);
  broker = await startServeProcess(dataDir, { entry: 'built' });
  token = await clientCredentialsToken(broker.url, agent.client_id, agent.client_secret);
  // A new process: warmed up as the first one was before it was measured.
  await generator.run(`${broker.url}/proxy/bench/items`, {
    connections: 32,
    seconds: WARM_UP_SECONDS,
    headers: auth(),
  });
  const audit1m = await measure(`latchkey, ${AUDIT_ROWS} audit rows`, `${broker.url}/proxy/bench/items`, 32, auth());
  const firstPage = await medianMs(20, () => broker.admin('/audit?limit=50'));
  const byAgent = await medianMs(20, () => broker.admin('/audit?limit=50&agent=ag_filler_b'));
  let verifyOk = false;
  const verifyMs = await medianMs(1, async () => (verifyOk = (await broker.admin('/audit/verify')).ok === true));
  console.log(
    `audit at ${AUDIT_ROWS} rows: first page ${firstPage} ms, by agent ${byAgent} ms, verify ${verifyMs} ms (${verifyOk ? 'chain ok' : 'CHAIN BROKEN'})`,
  );

  const ratio = (a: number, b: number): number => Number((a / b).toFixed(2));
  const results = {
    date: new Date().toISOString(),
    cores: cpus().length,
    load_generator: generator.name,
    broker: 'dist/ (npm run build:main), plain node',
    /** The 1-minute load average when the run started and ended: the 2 cores may be shared with more than this benchmark. */
    load_average: { start: Number(loadAtStart.toFixed(2)), end: Number(loadavg()[0]!.toFixed(2)) },
    seconds_per_point: SECONDS,
    rounds_per_point: ROUNDS,
    runs,
    ratios: {
      latchkey_vs_nginx_rps_32: ratio(latchkey32, at('nginx', 32).rps),
      latchkey_vs_node_floor_rps_32: ratio(latchkey32, at('node-floor', 32).rps),
      added_p50_ms_1: Number((at('latchkey', 1).p50_ms - at('upstream', 1).p50_ms).toFixed(3)),
      added_p99_ms_1: Number((at('latchkey', 1).p99_ms - at('upstream', 1).p99_ms).toFixed(3)),
    },
    refresh_storm: {
      callers: storm.callers,
      provider_refreshes: storm.provider_refreshes,
      ok: storm.ok,
      p99_ms: storm.p99_ms,
    },
    scale: {
      agents_1000_vs_1: ratio(agents1000.rps, oneAgent.rps),
      connections_100_vs_1: ratio(connections100.rps, agents1000.rps),
      audit_rows: AUDIT_ROWS,
      audit_1m_vs_0: ratio(audit1m.rps, connections100.rps),
      audit_first_page_ms_1m: firstPage,
      audit_by_agent_ms_1m: byAgent,
      verify_ms_1m: verifyMs,
      verify_ok: verifyOk,
    },
    streaming: {
      download_mib_s: stream.download_mib_s,
      upload_mib_s: stream.upload_mib_s,
      peak_rss_mib: stream.peak_rss_mib,
      rss_growth_mib: stream.peak_rss_mib - stream.rss_before_mib,
    },
    cold_start_ms: coldMs,
    idle_rss_mib: idleRss,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'latest.md'), markdown({ ...results, rounds: ROUNDS }));
  console.log(`\nwritten: ${join(RESULTS, 'latest.json')} and latest.md`);
} finally {
  await broker.stop();
  await floor.stop();
  await nginxProxy.stop();
  await upstream.stop();
  rmSync(root, { recursive: true, force: true });
}

function markdown(r: {
  date: string;
  cores: number;
  load_generator: string;
  broker: string;
  load_average: { start: number; end: number };
  rounds: number;
  runs: typeof runs;
  ratios: Record<string, number>;
  refresh_storm: { callers: number; provider_refreshes: number; p99_ms: number };
  scale: Record<string, number | boolean>;
  streaming: Record<string, number>;
  cold_start_ms: number;
  idle_rss_mib: number;
}): string {
  const rows = r.runs
    .map(
      (x) =>
        `| ${x.target} | ${x.connections} | ${x.rps.toLocaleString('en')} | ${x.p50_ms} | ${x.p99_ms} | ${x.max_ms} |`,
    )
    .join('\n');
  return `# Benchmark — ${r.date.slice(0, 10)}

${r.load_generator}, one thread, loopback, ${r.cores} cores shared by the generator, nginx and the proxy under test
(1-minute load average ${r.load_average.start} at the start and ${r.load_average.end} at the end: a load well above what the benchmark itself makes
means other work competed for the cores, so compare the ratios within one run rather than absolute figures across runs).
Latchkey runs from ${r.broker}. Each point of the first table is the median of ${r.rounds} rounds of the four targets in turn.

| target | connections | req/s | p50 ms | p99 ms | max ms |
|---|---|---|---|---|---|
${rows}

| measure | figure |
|---|---|
| Latchkey vs nginx, req/s at 32 connections | ${r.ratios.latchkey_vs_nginx_rps_32}× |
| Latchkey vs the Node floor, req/s at 32 connections | ${r.ratios.latchkey_vs_node_floor_rps_32}× |
| added latency at 1 connection, p50 / p99 | ${r.ratios.added_p50_ms_1} ms / ${r.ratios.added_p99_ms_1} ms |
| refresh storm: ${r.refresh_storm.callers} callers on a dropped token | ${r.refresh_storm.provider_refreshes} refresh at the provider, p99 ${r.refresh_storm.p99_ms} ms |
| 1,000 agents vs 1 (measured just before), req/s | ${r.scale.agents_1000_vs_1}× |
| 100 connections vs 1 (the point before), req/s | ${r.scale.connections_100_vs_1}× |
| ${Number(r.scale.audit_rows).toLocaleString('en')} more audit rows vs the point before (after a restart and warm-up), req/s | ${r.scale.audit_1m_vs_0}× |
| audit first page / filtered by agent at that size | ${r.scale.audit_first_page_ms_1m} ms / ${r.scale.audit_by_agent_ms_1m} ms |
| audit verify at that size | ${r.scale.verify_ms_1m} ms |
| streaming 10 MiB: download / upload | ${r.streaming.download_mib_s} / ${r.streaming.upload_mib_s} MiB/s |
| broker RSS growth while streaming | ${r.streaming.rss_growth_mib} MiB |
| cold start to first proxied response | ${r.cold_start_ms} ms |
| idle RSS | ${r.idle_rss_mib} MiB |
`;
}
