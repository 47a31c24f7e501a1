/**
 * The vault: secrets (tokens, client secrets, API keys) by key, e.g.
 * `connection/<id>` or `client/<provider>`. Values never leave this layer
 * except to the caller that asked for them: nothing here logs, and errors
 * never include a value.
 *
 * A backend read may be expensive (a keychain access can prompt the user or
 * cost a D-Bus round trip), so the Vault reads each key from its backend at
 * most once per process and then serves it from memory. Concurrent first
 * reads share a single backend call. Writes go to the backend first and are
 * cached only once the backend has accepted them.
 */
import type { SecretStore } from '../../common/admin-api.js';

export interface SecretBackend {
  readonly kind: SecretStore;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export class Vault {
  readonly #backend: SecretBackend;
  /** Known values; an entry whose value is `undefined` means "known to be absent". */
  readonly #cache = new Map<string, string | undefined>();
  /** First reads in progress, shared by every concurrent caller. */
  readonly #loading = new Map<string, Promise<string | undefined>>();
  /** Per-key write chains, so that backend and cache agree on which write was last. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(backend: SecretBackend) {
    this.#backend = backend;
  }

  get kind(): SecretBackend['kind'] {
    return this.#backend.kind;
  }

  get(key: string): Promise<string | undefined> {
    if (this.#cache.has(key)) return Promise.resolve(this.#cache.get(key));
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const load: Promise<string | undefined> = this.#backend.get(key).then(
      (value) => {
        // A write that ran meanwhile detached this load: its result may be older
        // than what the write cached, so it must not overwrite it.
        if (this.#loading.get(key) === load) {
          this.#loading.delete(key);
          this.#cache.set(key, value);
        }
        return value;
      },
      (error: unknown) => {
        if (this.#loading.get(key) === load) this.#loading.delete(key);
        throw error;
      },
    );
    this.#loading.set(key, load);
    return load;
  }

  set(key: string, value: string): Promise<void> {
    return this.#write(key, async () => {
      await this.#backend.set(key, value);
      return { cached: value, result: undefined };
    });
  }

  delete(key: string): Promise<boolean> {
    return this.#write(key, async () => {
      const existed = await this.#backend.delete(key);
      return { cached: undefined, result: existed };
    });
  }

  /**
   * Runs writes to one key one after another. A read that was loading while the
   * write ran is detached (its result is not cached). A failed write leaves the
   * key uncached, so the next read asks the backend again.
   */
  #write<T>(key: string, op: () => Promise<{ cached: string | undefined; result: T }>): Promise<T> {
    const previous = this.#writes.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      this.#loading.delete(key);
      try {
        const { cached, result } = await op();
        this.#loading.delete(key);
        this.#cache.set(key, cached);
        return result;
      } catch (error) {
        this.#loading.delete(key);
        this.#cache.delete(key);
        throw error;
      }
    });
    // Only orders the next write after this one: the caller of `run` gets its error.
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#writes.set(key, settled);
    void settled.then(() => {
      if (this.#writes.get(key) === settled) this.#writes.delete(key);
    });
    return run;
  }
}
