import type { AuditInput } from './entry-fields.js';

/** The log the entries go to: `append` resolves once the entry is committed. */
export interface AuditAppender {
  append(input: AuditInput): Promise<unknown>;
}

export interface UnauthenticatedDenialsOptions {
  /** Length of a window (default one minute). */
  windowMs?: number;
  /** Sources (path prefix and reason) written individually per window; the rest are only counted (default 32). */
  maxSources?: number;
  /** Told of an aggregate entry that could not be written. */
  onError: (error: unknown) => void;
}

const DEFAULT_WINDOW_MS = 60_000;
const DEFAULT_MAX_SOURCES = 32;
/** Longest source key kept: a connection name or a path is capped well below this by the proxy. */
const MAX_SOURCE = 256;

interface Window {
  timer: NodeJS.Timeout;
  /** Sources already written in full this window. */
  written: Set<string>;
  /** Every refusal of the window, by reason. */
  counted: Map<string, number>;
  /** Refusals not written in full: the window ends with an aggregate entry when there are any. */
  unwritten: number;
  /** The connection they all named (null: none or several). */
  connection: string | null | undefined;
}

type Kind = AuditInput['kind'];

/** What the refused requests of a kind lacked, in the aggregate entry's words. */
const lacking = (kind: Kind): string => (kind === 'proxy' ? 'a valid token' : 'valid credentials');

/**
 * A refusal before any agent was authenticated: no token, or one that is invalid, expired
 * or revoked (401, attributed to its agent when known), or a check that runs before the
 * token's (a foreign Origin): nothing there costs the sender a valid token.
 */
const isUnauthenticated = (input: AuditInput): boolean =>
  input.decision === 'deny' && (input.status === 401 || !input.agent_id);

/** Where refusals come from: the agent when known (a revoked one, say), and the connection named, else the path. */
const sourceOf = (input: AuditInput): string =>
  `${input.agent_id ?? ''}\n${input.connection ?? (input.path ?? '').split('?', 1)[0] ?? ''}`.slice(0, MAX_SOURCE);

function describeWindow(ms: number): string {
  if (ms === 60_000) return 'the last minute';
  return ms % 1000 === 0 ? `the last ${ms / 1000} s` : `the last ${ms} ms`;
}

/**
 * The audit log as the proxy and the token and registration endpoints write to it, guarded
 * against flooding: any local process can send requests without a valid token (or client
 * secret) as fast as it likes, and each would otherwise add a
 * row forever. Per window (a minute), the first refusal of each source (the agent when
 * known, the connection named in the path, else the path, and the reason) is written as usual; the others are
 * only counted, and when the window closes one entry says "N refused requests without a
 * valid token in the last minute", with the counts by reason. Sources are capped per window, so
 * a flood adds at most `maxSources + 1` rows a minute whatever it sends.
 *
 * Tradeoff: a counted refusal is answered before it is on record (the count is in
 * memory until the window closes, or the broker closes: close() writes it), so a kill -9
 * loses up to a minute of counts; the first refusal of each source is always committed
 * before its answer. Everything else (any entry of an authenticated agent) passes straight through.
 */
export class UnauthenticatedDenials implements AuditAppender {
  readonly #audit: AuditAppender;
  readonly #windowMs: number;
  readonly #maxSources: number;
  readonly #onError: (error: unknown) => void;
  /** One window per kind of entry (proxy calls, token requests, registrations): each aggregate keeps its kind. */
  readonly #windows = new Map<Kind, Window>();

  constructor(audit: AuditAppender, options: UnauthenticatedDenialsOptions) {
    this.#audit = audit;
    this.#windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#maxSources = options.maxSources ?? DEFAULT_MAX_SOURCES;
    this.#onError = options.onError;
  }

  append(input: AuditInput): Promise<unknown> {
    if (!isUnauthenticated(input)) return this.#audit.append(input);
    let window = this.#windows.get(input.kind);
    if (!window) {
      window = this.#open(input.kind);
      this.#windows.set(input.kind, window);
    }
    const reason = input.reason ?? 'unknown';
    const source = `${sourceOf(input)}\n${reason}`;
    window.counted.set(reason, (window.counted.get(reason) ?? 0) + 1);
    const connection = input.connection ?? null;
    window.connection = window.connection === undefined || window.connection === connection ? connection : null;
    if (!window.written.has(source) && window.written.size < this.#maxSources) {
      window.written.add(source);
      return this.#audit.append(input);
    }
    window.unwritten++;
    return Promise.resolve();
  }

  /** Writes the current windows' counts now (the broker is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.#windows.keys()].map((kind) => this.#closeWindow(kind)));
  }

  #open(kind: Kind): Window {
    const timer = setTimeout(() => void this.#closeWindow(kind), this.#windowMs);
    timer.unref();
    return { timer, written: new Set(), counted: new Map(), unwritten: 0, connection: undefined };
  }

  async #closeWindow(kind: Kind): Promise<void> {
    const window = this.#windows.get(kind);
    if (!window) return;
    this.#windows.delete(kind);
    clearTimeout(window.timer);
    if (window.unwritten === 0) return;
    const byReason = [...window.counted].sort(([a], [b]) => a.localeCompare(b));
    const total = byReason.reduce((sum, [, n]) => sum + n, 0);
    try {
      await this.#audit.append({
        kind,
        decision: 'deny',
        status: 401,
        connection: window.connection ?? null,
        reason: `${total} refused requests without ${lacking(kind)} in ${describeWindow(this.#windowMs)} (${byReason.map(([reason, n]) => `${reason}: ${n}`).join(', ')}); the first from each source is also recorded on its own`,
      });
    } catch (error) {
      this.#onError(error);
    }
  }
}
