/**
 * One load generator for every target of a run: wrk (Debian's, one thread) when installed —
 * it costs the 2-core machine far less than a Node generator — else autocannon.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';

export interface LoadOptions {
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Socket errors and non-2xx answers: a run with any is not a clean measurement. */
  errors: number;
}

export interface LoadGenerator {
  name: string;
  run(url: string, options: LoadOptions): Promise<LoadResult>;
}

// wrk's own summary is text meant for people; a `done` hook prints the figures as JSON instead.
const WRK_REPORT = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function wrk(workDir: string, version: string): LoadGenerator {
  const script = join(workDir, 'wrk-report.lua');
  writeFileSync(script, WRK_REPORT);
  return {
    name: version,
    run: (url, { connections, seconds, headers = {} }) =>
      new Promise((resolve, reject) => {
        const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script];
        for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
        const child = spawn('wrk', [...args, url], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('error', reject);
        child.on('exit', (code) => {
          const json = /WRK_JSON (\{.*\})/.exec(out)?.[1];
          if (code !== 0 || json === undefined) return reject(new Error(`wrk exited ${code}: ${out}`));
          const r = JSON.parse(json) as {
            requests: number;
            duration_us: number;
            errors: number;
            p50_us: number;
            p99_us: number;
            max_us: number;
          };
          resolve({
            requests: r.requests,
            rps: Math.round(r.requests / (r.duration_us / 1e6)),
            p50_ms: round(r.p50_us / 1000),
            p99_ms: round(r.p99_us / 1000),
            max_ms: round(r.max_us / 1000),
            errors: r.errors,
          });
        });
      }),
  };
}

const autocannonGenerator: LoadGenerator = {
  name: 'autocannon (wrk not installed)',
  run: (url, { connections, seconds, headers = {} }) =>
    new Promise((resolve, reject) => {
      autocannon({ url, connections, duration: seconds, headers }, (error, r) => {
        if (error) return reject(error);
        resolve({
          requests: r.requests.total,
          rps: Math.round(r.requests.average),
          p50_ms: r.latency.p50,
          p99_ms: r.latency.p99,
          max_ms: r.latency.max,
          errors: r.errors + r.non2xx,
        });
      });
    }),
};

export function loadGenerator(workDir: string): LoadGenerator {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (probe.error) return autocannonGenerator;
  // `wrk --version` prints "wrk debian/4.1.0-3 [epoll] …" and exits 1.
  const version = /^wrk \S*?(\d+\.\d+\.\d+)/.exec(`${probe.stdout}${probe.stderr}`)?.[1];
  return wrk(workDir, `wrk ${version ?? 'unknown version'}`);
}
