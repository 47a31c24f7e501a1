/**
 * A refresh storm: `callers` concurrent proxied calls on an OAuth connection whose access
 * token the provider has just dropped. Every caller sees the upstream's 401; Latchkey must
 * refresh once for all of them (single flight) and retry each. The provider is oidc-provider,
 * the API its resource server, as in the integration tests.
 */
import { connectFully, setUp } from '../../fixtures/connect.js';
import { startTestProvider } from '../../fixtures/oidc-provider.js';
import { startResourceServer } from '../../fixtures/resource-server.js';
import type { TestBroker } from '../../fixtures/broker.js';
import type { ServeProcess } from '../../fixtures/serve-process.js';
import { percentile } from './process.js';

export interface RefreshStorm {
  callers: number;
  provider_refreshes: number;
  ok: number;
  p99_ms: number;
}

export async function refreshStorm(broker: ServeProcess, callers: number): Promise<RefreshStorm> {
  const provider = await startTestProvider();
  let lastToken = '';
  const resources = await startResourceServer({
    validate: (token) => {
      lastToken = token;
      return provider.introspect(token);
    },
  });
  // The connect fixtures speak the in-process broker's admin helper; the serve process's differs only in shape.
  const asTestBroker = {
    url: broker.url,
    admin: async (path: string, init: { method?: string; body?: unknown } = {}) => {
      const response = await fetch(`${broker.url}/admin/api${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { authorization: `Bearer ${broker.adminToken}`, 'content-type': 'application/json' },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
  } as unknown as TestBroker;
  try {
    await setUp(provider, asTestBroker, {
      api: { base_url: resources.url, rules: [{ method: 'GET', path: '/api/**', scopes: ['items:read'] }] },
    });
    await connectFully(asTestBroker);
    const token = await broker.agentToken('storm', [{ connection: 'acme', scopes: ['items:read'] }], 1_000_000);
    const call = (): Promise<Response> =>
      fetch(`${broker.url}/proxy/acme/api/items`, { headers: { authorization: `Bearer ${token}` } });
    const first = await call();
    if (first.status !== 200) throw new Error(`warm-up call: ${first.status} ${await first.text()}`);
    resources.reject(lastToken);
    const before = provider.tokenRequests.refresh_token ?? 0;
    const latencies = await Promise.all(
      Array.from({ length: callers }, async () => {
        const started = performance.now();
        const response = await call();
        await response.arrayBuffer();
        return { ms: performance.now() - started, ok: response.status === 200 };
      }),
    );
    const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
    return {
      callers,
      provider_refreshes: (provider.tokenRequests.refresh_token ?? 0) - before,
      ok: latencies.filter((l) => l.ok).length,
      p99_ms: Number(percentile(sorted, 0.99).toFixed(1)),
    };
  } finally {
    await resources.close();
    await provider.close();
  }
}
