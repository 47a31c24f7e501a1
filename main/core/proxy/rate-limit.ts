/** Where an agent stands after one request: what the X-RateLimit-* headers say. */
export interface RateLimitState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the agent's full allowance is back. */
  reset: number;
  /** Seconds until the next request would be allowed (0 when this one was). */
  retryAfter: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimiterOptions {
  /** Agents tracked at once; beyond it the longest idle are forgotten (default 10 000). */
  maxAgents?: number;
  now?: () => number;
}

const MINUTE_MS = 60_000;

/**
 * Per-agent token buckets: `limit` requests a minute, refilled continuously, bursts up to
 * `limit`. In memory, bounded: buckets are kept in least-recently-used order, an agent
 * idle for a minute (whose bucket is full again, so forgetting it changes nothing) is
 * dropped as others come by, and past `maxAgents` the longest idle go first.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #maxAgents: number;
  readonly #now: () => number;

  constructor(options: RateLimiterOptions = {}) {
    this.#maxAgents = options.maxAgents ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Counts one request of `agentId` against `limit` per minute. */
  take(agentId: string, limit: number): RateLimitState {
    const now = this.#now();
    this.#prune(now);
    if (!(limit >= 1)) return { allowed: false, limit: 0, remaining: 0, reset: 60, retryAfter: 60 };
    const perMs = limit / MINUTE_MS;
    const previous = this.#buckets.get(agentId);
    // A lowered limit applies at once; a raised one fills up at the new rate.
    let tokens = previous ? Math.min(limit, previous.tokens + (now - previous.at) * perMs) : limit;
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    this.#buckets.delete(agentId); // re-inserted last: Map order is the LRU order
    this.#buckets.set(agentId, { tokens, at: now });
    return {
      allowed,
      limit,
      remaining: Math.floor(tokens),
      reset: Math.ceil((limit - tokens) / perMs / 1000),
      retryAfter: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
    };
  }

  #prune(now: number): void {
    for (const [agentId, bucket] of this.#buckets) {
      if (now - bucket.at < MINUTE_MS && this.#buckets.size < this.#maxAgents) break;
      this.#buckets.delete(agentId);
    }
  }
}

export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-reset': String(state.reset),
    ...(state.allowed ? {} : { 'retry-after': String(state.retryAfter) }),
  };
}
