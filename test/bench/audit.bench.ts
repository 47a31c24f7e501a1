/**
 * What the audit guarantee costs: appends/s and append latency (call → committed) for
 * sequential appends vs 64 concurrent ones (group commit), with synchronous NORMAL (the
 * broker's: survives kill -9) vs FULL (also survives power loss: fsync per commit).
 * Prints, never asserts. Run: node --import tsx test/bench/audit.bench.ts [dir]
 * (dir: where the temp databases go; default the OS temp dir, which may be a tmpfs
 * where fsync is free: pass a folder on a real disk to see FULL's cost).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../main/core/audit/audit-log.js';
import { openDatabase } from '../fixtures/database.js';

const APPENDS = 2000;
const CONCURRENCY = 64;

const root = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'latchkey-audit-bench-'));
let runs = 0;

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

async function run(synchronous: 'NORMAL' | 'FULL', concurrency: number): Promise<string> {
  const db = openDatabase(join(root, `run${runs++}`, 'latchkey.db'), { synchronous });
  const audit = new AuditLog(db);
  const latencies: number[] = [];
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < APPENDS) {
      issued++;
      const started = performance.now();
      await audit.append({
        kind: 'proxy',
        decision: 'allow',
        agent_id: 'ag_bench',
        agent_name: 'bench',
        connection: 'github',
        method: 'GET',
        path: `/repos/o/r/issues?page=${issued}`,
        status: 200,
        latency_ms: 42,
        bytes_in: 0,
        bytes_out: 2048,
      });
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const { commits } = audit.stats();
  const { ok } = await audit.verify();
  await audit.close();
  db.close();
  latencies.sort((a, b) => a - b);
  return [
    synchronous.padEnd(6),
    (concurrency === 1 ? 'sequential' : `${concurrency}-way`).padEnd(11),
    `${Math.round(APPENDS / seconds)}`.padStart(9),
    percentile(latencies, 0.5).toFixed(3).padStart(9),
    percentile(latencies, 0.99).toFixed(3).padStart(9),
    `${commits}`.padStart(8),
    (APPENDS / commits).toFixed(1).padStart(10),
    ok ? '   ok' : '   BROKEN',
  ].join('  ');
}

try {
  console.log(`audit append cost: ${APPENDS} appends per run, databases in ${root}`);
  console.log('sync    mode         appends/s  p50 (ms)  p99 (ms)   commits  per commit  chain');
  for (const synchronous of ['NORMAL', 'FULL'] as const) {
    for (const concurrency of [1, CONCURRENCY]) console.log(await run(synchronous, concurrency));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
