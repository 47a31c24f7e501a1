/** The broker as the benchmarks set it up: a provider pointing at the upstream, a key connection, one agent. */
import type { ServeProcess } from '../../fixtures/serve-process.js';

export interface BenchAgent {
  client_id: string;
  client_secret: string;
}

export async function setUpBroker(broker: Pick<ServeProcess, 'admin'>, upstream: string): Promise<BenchAgent> {
  await broker.admin('/providers', {
    id: 'bench',
    name: 'Bench upstream',
    auth: {
      type: 'api_key',
      header: 'Authorization',
      format: 'Bearer {key}',
      scopes: { read: 'Read', write: 'Write' },
    },
    api: {
      base_url: upstream,
      rules: [
        { method: 'GET', path: '/**', scopes: ['read'] },
        { method: 'POST', path: '/upload', scopes: ['write'] },
      ],
    },
  });
  await broker.admin('/connections', { provider: 'bench', secret: 'upstream-key-for-bench' });
  // The highest per-agent limit the API takes, so the run measures the proxy, not the limiter.
  return broker.admin('/agents', {
    name: 'bench',
    grants: [{ connection: 'bench', scopes: ['read', 'write'] }],
    rate_limit_per_minute: 1_000_000,
  });
}
