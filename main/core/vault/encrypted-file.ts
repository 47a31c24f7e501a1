import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
  type KeyObject,
  createSecretKey,
} from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LatchkeyError } from '../errors.js';
import { writeFileAtomic } from '../files/write-file-atomic.js';
import type { SecretBackend } from './vault.js';

/**
 * The file secret store, for machines without a usable OS keychain (headless
 * servers, containers). One JSON file:
 *
 *   { "version": 1,
 *     "kdf": { "name": "scrypt", "salt": b64, "N": 131072, "r": 8, "p": 1 },
 *     "check": b64, "iv": b64, "tag": b64, "ciphertext": b64 }
 *
 * The ciphertext is AES-256-GCM over the JSON object of all secrets, with the
 * header (`version` + `kdf`, canonically serialized) as additional authenticated
 * data, so the header cannot be swapped or edited without detection.
 *
 * scrypt(passphrase, salt) yields 64 bytes, derived once at open: the first 32
 * are the AES key, the last 32 key an HMAC over the header stored as `check`.
 * GCM alone cannot tell "wrong passphrase" from "tampered file" (both are just
 * an authentication failure); `check` can, so each gets its own error code. It
 * gives an attacker nothing the ciphertext does not already give (a way to test
 * a passphrase guess, at the same scrypt cost).
 *
 * scrypt parameters: N = 2^17, r = 8, p = 1 — the OWASP password-storage
 * recommendation for scrypt. That costs 128 * N * r = 128 MiB of memory and
 * roughly a few hundred ms of CPU, once per process start (the derived key is
 * cached; the passphrase is not kept). That is affordable even on a small VPS
 * or in a container, and 2^15 (32 MiB) would make offline guessing of a stolen
 * file four times cheaper for no benefit to a long-running broker. Existing
 * files keep the parameters written in their header (within sane bounds).
 *
 * A fresh random 12-byte IV is used for every write; the salt stays for the
 * file's life. Writes are atomic (temp file in the same directory, mode 0600,
 * fsync, rename, fsync of the directory) and serialized, so concurrent sets
 * all land.
 */

const VERSION = 1;
const KDF_N = 2 ** 17;
const KDF_R = 8;
const KDF_P = 1;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_LABEL = 'latchkey-vault-key-check-v1';

interface KdfParams {
  name: 'scrypt';
  salt: string;
  N: number;
  r: number;
  p: number;
}

interface VaultFile {
  version: number;
  kdf: KdfParams;
  check: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

interface Keys {
  encryption: KeyObject;
  check: Buffer;
}

export interface EncryptedFileOptions {
  file: string;
  passphrase: string | undefined;
}

const corrupt = (file: string, why: string): LatchkeyError =>
  new LatchkeyError(
    'vault_corrupt',
    `The secret store ${file} is damaged or was modified (${why}); restore it from a backup or remove it and reconnect`,
    500,
  );

/** The authenticated header: built from validated fields in a fixed order, never from the parsed object's order. */
function headerBytes(kdf: KdfParams): Buffer {
  return Buffer.from(
    JSON.stringify({ version: VERSION, kdf: { name: kdf.name, salt: kdf.salt, N: kdf.N, r: kdf.r, p: kdf.p } }),
    'utf8',
  );
}

function deriveKeys(passphrase: string, kdf: KdfParams): Promise<Keys> {
  const salt = Buffer.from(kdf.salt, 'base64');
  // Node's default scrypt memory cap is 32 MiB; allow what these parameters need.
  const maxmem = 128 * kdf.N * kdf.r + 128 * kdf.r * kdf.p + 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 64, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem }, (error, derived) => {
      if (error) {
        reject(new LatchkeyError('vault_error', `Cannot derive the secret store key: ${error.message}`, 500));
        return;
      }
      const encryption = createSecretKey(derived.subarray(0, 32));
      const check = createHmac('sha256', derived.subarray(32, 64))
        .update(CHECK_LABEL)
        .update(headerBytes(kdf))
        .digest();
      derived.fill(0);
      resolve({ encryption, check });
    });
  });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function b64(value: unknown, bytes: number | [number, number], file: string, field: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw corrupt(file, `${field} is not base64`);
  const length = Buffer.from(value, 'base64').length;
  const [min, max] = typeof bytes === 'number' ? [bytes, bytes] : bytes;
  if (length < min || length > max) throw corrupt(file, `${field} has the wrong length`);
  return value;
}

function parseVaultFile(text: string, file: string): VaultFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corrupt(file, 'not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw corrupt(file, 'not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.version !== VERSION) {
    if (typeof o.version === 'number' && o.version > VERSION) {
      throw new LatchkeyError(
        'vault_too_new',
        `The secret store ${file} was written by a newer Latchkey (format ${o.version}); upgrade Latchkey`,
        500,
      );
    }
    throw corrupt(file, 'unknown format version');
  }
  const kdf = o.kdf as Record<string, unknown> | null | undefined;
  if (typeof kdf !== 'object' || kdf === null || kdf.name !== 'scrypt') throw corrupt(file, 'unknown key derivation');
  const { N, r, p } = kdf;
  // Bounds keep a hostile header from making us allocate gigabytes (or derive a weak key).
  if (typeof N !== 'number' || !isPowerOfTwo(N) || N < 2 ** 14 || N > 2 ** 20) throw corrupt(file, 'bad scrypt N');
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > 32) throw corrupt(file, 'bad scrypt r');
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 16) throw corrupt(file, 'bad scrypt p');
  return {
    version: VERSION,
    kdf: { name: 'scrypt', salt: b64(kdf.salt, [SALT_BYTES, 64], file, 'salt'), N, r, p },
    check: b64(o.check, 32, file, 'check'),
    iv: b64(o.iv, IV_BYTES, file, 'iv'),
    tag: b64(o.tag, TAG_BYTES, file, 'tag'),
    ciphertext: b64(o.ciphertext, [0, Number.MAX_SAFE_INTEGER], file, 'ciphertext'),
  };
}

function encrypt(secrets: Map<string, string>, kdf: KdfParams, keys: Keys): VaultFile {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keys.encryption, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(headerBytes(kdf));
  const plaintext = Buffer.from(JSON.stringify(Object.fromEntries(secrets)), 'utf8');
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  plaintext.fill(0);
  return {
    version: VERSION,
    kdf,
    check: keys.check.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

function decrypt(data: VaultFile, keys: Keys, file: string): Map<string, string> {
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.encryption, Buffer.from(data.iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(headerBytes(data.kdf));
    decipher.setAuthTag(Buffer.from(data.tag, 'base64'));
    plaintext = Buffer.concat([decipher.update(Buffer.from(data.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw corrupt(file, 'authentication failed');
  }
  try {
    const parsed: unknown = JSON.parse(plaintext.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    const secrets = new Map<string, string>();
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== 'string') throw new Error('not a string');
      secrets.set(key, value);
    }
    return secrets;
  } catch {
    // Authenticated but unreadable: written by a broken writer. Say nothing about the content.
    throw corrupt(file, 'unreadable content');
  } finally {
    plaintext.fill(0);
  }
}

async function writeAtomically(file: string, contents: string): Promise<void> {
  try {
    await writeFileAtomic(file, contents, 0o600, { dirMode: 0o700 });
  } catch (error) {
    // Only the code: the message of a file system error may carry a path, never a secret, but the code is what helps.
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new LatchkeyError('vault_error', `Cannot write the secret store ${file}: ${code}`, 500);
  }
}

/**
 * Key derivations begun before their store is opened, by file: `latchkey serve` begins one
 * before it loads the broker's modules, so scrypt's deliberate ~0.5 s runs on the thread
 * pool beside the loading instead of after it. Opening takes the one for its file when the
 * passphrase and the header still match, and derives anew otherwise.
 */
const begun = new Map<string, { passphrase: string; kdf: KdfParams; keys: Promise<Keys> }>();

/** Starts deriving the key of an existing store; resolves once it has started (never rejects). */
export async function beginKeyDerivation(file: string, passphrase: string): Promise<void> {
  let kdf: KdfParams;
  try {
    kdf = parseVaultFile(await readFile(file, 'utf8'), file).kdf;
  } catch {
    return; // a new, unreadable or damaged store: opening reads it again and reports what is wrong
  }
  const keys = deriveKeys(passphrase, kdf);
  keys.catch(() => {}); // opening awaits this promise and reports its failure
  begun.set(file, { passphrase, kdf, keys });
}

function begunKeys(file: string, passphrase: string, kdf: KdfParams): Promise<Keys> | undefined {
  const early = begun.get(file);
  begun.delete(file);
  const same =
    early !== undefined &&
    early.passphrase === passphrase &&
    early.kdf.salt === kdf.salt &&
    early.kdf.N === kdf.N &&
    early.kdf.r === kdf.r &&
    early.kdf.p === kdf.p;
  return same ? early.keys : undefined;
}

export async function openEncryptedFileBackend(opts: EncryptedFileOptions): Promise<SecretBackend> {
  const { file, passphrase } = opts;
  if (typeof passphrase !== 'string' || passphrase === '') {
    throw new LatchkeyError(
      'passphrase_required',
      'The file secret store needs a passphrase (set LATCHKEY_PASSPHRASE); Latchkey never stores secrets in plaintext',
      400,
    );
  }

  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LatchkeyError(
        'vault_error',
        `Cannot read the secret store ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`,
        500,
      );
    }
  }

  let kdf: KdfParams;
  let keys: Keys;
  let secrets: Map<string, string>;
  if (text === undefined) {
    // A new store: fix the salt and the passphrase now by writing an empty store,
    // so a later start with a different passphrase is refused instead of forking.
    kdf = { name: 'scrypt', salt: randomBytes(SALT_BYTES).toString('base64'), N: KDF_N, r: KDF_R, p: KDF_P };
    keys = await deriveKeys(passphrase, kdf);
    secrets = new Map();
    try {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new LatchkeyError(
        'vault_error',
        `Cannot create the folder of ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}`,
        500,
      );
    }
    await writeAtomically(file, JSON.stringify(encrypt(secrets, kdf, keys)));
  } else {
    const data = parseVaultFile(text, file);
    kdf = data.kdf;
    keys = await (begunKeys(file, passphrase, kdf) ?? deriveKeys(passphrase, kdf));
    const stored = Buffer.from(data.check, 'base64');
    if (stored.length !== keys.check.length || !timingSafeEqual(stored, keys.check)) {
      throw new LatchkeyError('wrong_passphrase', `The passphrase does not decrypt ${file}`, 401);
    }
    secrets = decrypt(data, keys, file);
    // Tighten permissions of a store that was copied around with a lax mode.
    if (process.platform !== 'win32') {
      const mode = (await stat(file)).mode;
      // Best effort: a store we may read but not chmod (another owner) still opens; its mode is the owner's choice.
      if ((mode & 0o077) !== 0) await chmod(file, 0o600).catch(() => {});
    }
  }

  // Writes run one at a time, each from the state the previous one committed.
  let chain: Promise<unknown> = Promise.resolve();
  const serialized = <T>(op: () => Promise<T>): Promise<T> => {
    const run = chain.then(op);
    chain = run.catch(() => {}); // the caller of `run` gets its error; the next write starts regardless
    return run;
  };
  const commit = async (next: Map<string, string>): Promise<void> => {
    await writeAtomically(file, JSON.stringify(encrypt(next, kdf, keys)));
    secrets = next;
  };

  return {
    kind: 'file',
    async get(key) {
      return secrets.get(key);
    },
    set(key, value) {
      if (typeof value !== 'string')
        return Promise.reject(new LatchkeyError('vault_error', `The secret for "${key}" must be a string`, 500));
      return serialized(async () => {
        if (secrets.get(key) === value) return;
        await commit(new Map(secrets).set(key, value));
      });
    },
    delete(key) {
      return serialized(async () => {
        if (!secrets.has(key)) return false;
        const next = new Map(secrets);
        next.delete(key);
        await commit(next);
        return true;
      });
    },
  };
}
