import type { ProxyRuntime } from './handler.js';
import { RateLimiter } from './rate-limit.js';
import type { ProxyDeps } from './types.js';
import { UpstreamAgents } from './upstream.js';

const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;

/**
 * The proxy's working state: rate limits and upstream connection pools. One per broker,
 * shared by every surface that calls providers for agents (the /proxy route and the MCP
 * tools), so an agent has one rate limit whichever way it calls. Close its `agents` when done.
 */
export function createProxyRuntime(deps: ProxyDeps): ProxyRuntime {
  return {
    deps,
    limiter: new RateLimiter(),
    agents: new UpstreamAgents(),
    timeoutMs: deps.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
    defaultRateLimit: deps.defaultRateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
  };
}
