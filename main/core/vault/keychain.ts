import { randomBytes } from 'node:crypto';
import { LatchkeyError } from '../errors.js';
import { keychainAdvice, type KeychainProblem } from './keychain-advice.js';
import type { SecretBackend } from './vault.js';

type Keytar = typeof import('keytar');

export interface KeychainOptions {
  /** The keychain "service" every entry is filed under. Default `Latchkey`. */
  service?: string;
  /** Separates data dirs that share one keychain (the install id): accounts are `<namespace>/<key>`. */
  namespace: string;
  /**
   * Upper bound for the probe run at open (default 15 s). keytar fails within
   * milliseconds when there is no D-Bus or no Secret Service, and when the
   * keyring is locked with no prompter. But it blocks forever on a bus that
   * accepts the connection and never answers (a wedged daemon), and a desktop
   * unlock prompt waits for a person: the bound turns the first into an error
   * and leaves time for the second. Callers expecting a prompt may raise it.
   *
   * A timed-out keytar call cannot be cancelled: it keeps one libuv thread-pool
   * thread blocked, and Node's exit joins that pool, so even process.exit()
   * then hangs. The error carries `details.timed_out = true` so a CLI can
   * terminate hard (e.g. SIGKILL itself) after reporting it.
   */
  probeTimeoutMs?: number;
  /**
   * A reader of another process's entries (the CLI reading the broker's admin token):
   * the probe only reads, so it never writes into the namespace the broker owns.
   */
  readOnly?: boolean;
}

const DEFAULT_SERVICE = 'Latchkey';
const DEFAULT_PROBE_TIMEOUT_MS = 15_000;
const PROBE_KEY = '.latchkey-probe';

/** A keytar error's message, first line only, bounded: it never contains a value we passed. */
function reasonOf(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const line = raw.split('\n', 1)[0]?.trim() || 'unknown error';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function unavailable(
  reason: string,
  cause?: unknown,
  details: Record<string, unknown> = {},
  problem: KeychainProblem = 'unreachable',
): LatchkeyError {
  return new LatchkeyError(
    'keychain_unavailable',
    `The OS keychain is not available (${reason}). ${keychainAdvice(problem, process.platform)}`,
    500,
    details,
    cause === undefined ? undefined : { cause },
  );
}

async function loadKeytar(): Promise<Keytar> {
  try {
    const mod = (await import('keytar')) as Keytar & { default?: Keytar };
    return mod.default ?? mod;
  } catch (error) {
    throw unavailable(`keytar failed to load: ${reasonOf(error)}`, error, {}, 'native_module');
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(unavailable(`${what} did not answer within ${Math.round(ms / 1000)} s`, undefined, { timed_out: true })),
      ms,
    );
    timer.unref?.();
  });
  // The native call cannot be cancelled; if it settles late its outcome is ignored.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Opens the OS keychain (Secret Service on Linux, Keychain on macOS, Credential
 * Manager on Windows) through keytar, after proving it works: a probe entry is
 * written, read back and deleted. A read-only probe is not enough: on Linux a
 * locked collection still answers searches (with nothing) but refuses writes.
 */
export async function openKeychainBackend(opts: KeychainOptions): Promise<SecretBackend> {
  const service = opts.service ?? DEFAULT_SERVICE;
  const namespace = opts.namespace;
  if (!namespace) throw new LatchkeyError('vault_error', 'The keychain namespace must not be empty', 500);
  const account = (key: string): string => `${namespace}/${key}`;
  const keytar = await loadKeytar();

  const probe = async (): Promise<void> => {
    const probeAccount = account(PROBE_KEY);
    const token = randomBytes(16).toString('hex');
    try {
      if (opts.readOnly) {
        await keytar.getPassword(service, probeAccount);
        return;
      }
      await keytar.setPassword(service, probeAccount, token);
      const readBack = await keytar.getPassword(service, probeAccount);
      await keytar.deletePassword(service, probeAccount);
      if (readBack !== token) throw unavailable('a probe entry did not read back');
    } catch (error) {
      if (error instanceof LatchkeyError) throw error;
      throw unavailable(reasonOf(error), error);
    }
  };
  await withTimeout(probe(), opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, 'the Secret Service');

  const failed = (action: string, key: string, error: unknown): LatchkeyError =>
    new LatchkeyError(
      'vault_error',
      `The OS keychain could not ${action} "${key}": ${reasonOf(error)}`,
      500,
      {},
      { cause: error },
    );

  return {
    kind: 'keychain',
    async get(key) {
      try {
        const value = await keytar.getPassword(service, account(key));
        return value ?? undefined;
      } catch (error) {
        throw failed('read', key, error);
      }
    },
    async set(key, value) {
      try {
        await keytar.setPassword(service, account(key), value);
      } catch (error) {
        throw failed('store', key, error);
      }
    },
    async delete(key) {
      try {
        return await keytar.deletePassword(service, account(key));
      } catch (error) {
        throw failed('delete', key, error);
      }
    },
  };
}
