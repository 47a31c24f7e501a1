import { formatHead, parseHead, type AuditHead } from './chain.js';

/** The secret store the copy lives in (the vault, beside the keys). */
export interface HeadCopyStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface HeadCopyOptions {
  /** How long a new head may wait before it is written to the store (default 2 s). */
  delayMs?: number;
  /** Told of a failed write to the store (the next commit or close tries again). */
  onError: (error: unknown) => void;
}

/** What the copy says: a head, nothing yet, or a value that is not a head. */
export type HeadCopyState = { head: AuditHead } | { head: undefined; malformed: boolean };

const KEY = 'audit/head';
const DEFAULT_DELAY_MS = 2000;

/**
 * A copy of the audit chain's head kept outside the database, in the vault: someone who
 * can write the database alone could rewrite every row and the head in `meta`
 * consistently, but not this copy, so verify() catches the rewrite.
 *
 * Cost: the head changes with every group commit, and a keychain write is a D-Bus round
 * trip (the file store rewrites a file), so the copy is updated in memory at once and
 * written behind, at most once per `delayMs`, and on close. Tradeoff: a crash (kill -9,
 * power loss) can leave the stored copy a few seconds behind the database; verify then
 * accepts a copy that is an ancestor of the database's head (found in the chain with its
 * hash) and reports tampering only when the copy's entry is missing or different.
 *
 * A copy the database contradicts is frozen: when the log opens, or when a commit finds
 * the database's head moved behind the log's back. It is then never overwritten by the
 * heads that follow, so the evidence survives for every later verify and restart.
 * A missing copy (first start with this version, or another secret store) adopts the
 * database's head: trust on first use.
 */
export class AuditHeadCopy {
  readonly #store: HeadCopyStore;
  readonly #delayMs: number;
  readonly #onError: (error: unknown) => void;
  /** The newest value: memory is always current; the store lags by up to delayMs. */
  #value: string | undefined;
  #stored: string | undefined;
  #frozen = false;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(store: HeadCopyStore, value: string | undefined, options: HeadCopyOptions) {
    this.#store = store;
    this.#value = value;
    this.#stored = value;
    this.#delayMs = options.delayMs ?? DEFAULT_DELAY_MS;
    this.#onError = options.onError;
  }

  static async load(store: HeadCopyStore, options: HeadCopyOptions): Promise<AuditHeadCopy> {
    return new AuditHeadCopy(store, await store.get(KEY), options);
  }

  state(): HeadCopyState {
    if (this.#value === undefined) return { head: undefined, malformed: false };
    const head = parseHead(this.#value);
    return head ? { head } : { head: undefined, malformed: true };
  }

  /**
   * Checks the copy against the database once, when the log opens: `hashAt(id)` is the
   * hash of the database's entry `id`, if it has one.
   */
  adopt(databaseHead: AuditHead | undefined, hashAt: (id: number) => string | undefined): void {
    const state = this.state();
    if (state.head) this.#frozen = hashAt(state.head.id) !== state.head.hash;
    else if (state.malformed) this.#frozen = true;
    // A copy left behind by a crash catches up: from now on it equals the database's head.
    if (!this.#frozen && databaseHead) this.#follow(databaseHead);
  }

  /** A commit chained entries onto `chainedOnto`, up to `head`: the copy follows in memory now, in the store soon. */
  committed(chainedOnto: AuditHead, head: AuditHead): void {
    if (this.#frozen) return;
    const current = this.state().head;
    if (current && (current.id !== chainedOnto.id || current.hash !== chainedOnto.hash)) {
      this.#frozen = true;
      return;
    }
    this.#follow(head);
  }

  #follow(head: AuditHead): void {
    this.#value = formatHead(head);
    if (this.#timer) return;
    this.#timer = setTimeout(() => void this.flush(), this.#delayMs);
    this.#timer.unref();
  }

  /** Writes the newest head to the store if it is not there yet. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#writing = this.#writing.then(async () => {
      const value = this.#value;
      if (value === undefined || value === this.#stored) return;
      try {
        await this.#store.set(KEY, value);
        this.#stored = value;
      } catch (error) {
        this.#onError(error);
      }
    });
    return this.#writing;
  }
}
