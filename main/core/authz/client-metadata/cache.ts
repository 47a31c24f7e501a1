/** A document is kept at least this long (so one client cannot make Latchkey fetch on every request)… */
export const MIN_CACHE_MS = 60_000;
/** …and at most this long, whatever its server says (so a changed document is seen within a day). */
export const MAX_CACHE_MS = 24 * 3600_000;
const MAX_ENTRIES = 200;

/**
 * How long a response may be reused, from its Cache-Control header (RFC 9111 §5.2.2):
 * `no-store` and `no-cache` mean not at all (Latchkey does not revalidate); `max-age`
 * counts, clamped to [MIN_CACHE_MS, MAX_CACHE_MS]; without either, MIN_CACHE_MS.
 */
export function cacheLifetimeMs(cacheControl: string | undefined): number {
  const directives = (cacheControl ?? '')
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache' || d.startsWith('no-cache='))) return 0;
  const maxAge = directives.map((d) => /^max-age\s*=\s*"?(\d+)"?$/.exec(d)?.[1]).find((v) => v !== undefined);
  if (maxAge === undefined) return MIN_CACHE_MS;
  return Math.min(MAX_CACHE_MS, Math.max(MIN_CACHE_MS, Number(maxAge) * 1000));
}

/** Documents by URL, each until its lifetime ends; the oldest goes when full. */
export class DocumentCache<T> {
  readonly #entries = new Map<string, { value: T; expires_at: number }>();

  constructor(readonly now: () => number) {}

  get(url: string): T | undefined {
    const entry = this.#entries.get(url);
    if (entry === undefined) return undefined;
    if (entry.expires_at > this.now()) return entry.value;
    this.#entries.delete(url);
    return undefined;
  }

  set(url: string, value: T, lifetimeMs: number): void {
    this.#entries.delete(url);
    if (lifetimeMs <= 0) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(url, { value, expires_at: this.now() + lifetimeMs });
  }
}
