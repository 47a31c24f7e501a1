import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { LatchkeyError } from '../errors.js';
import type { Vault } from '../vault/vault.js';

export const SIGNING_ALG = 'ES256';
/** Vault entry holding the private signing keys (a JSON list of StoredKey). */
export const SIGNING_KEYS_VAULT_KEY = 'authz/signing-keys';

interface StoredKey {
  kid: string;
  private_jwk: JWK;
  created_at: number;
  retired_at?: number;
}

/** A key of the JWKS: public parameters only. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: typeof SIGNING_ALG;
  use: 'sig';
}

interface LoadedKey {
  stored: StoredKey;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: PublicJwk;
}

const corrupt = (): LatchkeyError =>
  new LatchkeyError(
    'signing_keys_corrupt',
    `The vault entry ${SIGNING_KEYS_VAULT_KEY} is not a list of signing keys; delete it to start over (every agent token becomes invalid).`,
    500,
  );

function parseStored(text: string): StoredKey[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt();
  }
  if (!Array.isArray(value)) throw corrupt();
  return value.map((item: unknown) => {
    const key = item as Partial<StoredKey> | null;
    if (
      !key ||
      typeof key.kid !== 'string' ||
      typeof key.created_at !== 'number' ||
      typeof key.private_jwk !== 'object' ||
      key.private_jwk === null ||
      (key.retired_at !== undefined && typeof key.retired_at !== 'number')
    ) {
      throw corrupt();
    }
    return key as StoredKey;
  });
}

async function load(stored: StoredKey): Promise<LoadedKey> {
  const { kty, crv, x, y } = stored.private_jwk;
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') throw corrupt();
  const publicJwk: PublicJwk = { kty, crv, x, y, kid: stored.kid, alg: SIGNING_ALG, use: 'sig' };
  return {
    stored,
    privateKey: (await importJWK(stored.private_jwk, SIGNING_ALG)) as CryptoKey,
    publicKey: (await importJWK({ kty, crv, x, y }, SIGNING_ALG)) as CryptoKey,
    publicJwk,
  };
}

async function generate(now: number): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const { kty, crv, x, y } = jwk;
  return { kid: await calculateJwkThumbprint({ kty, crv, x, y } as JWK), private_jwk: jwk, created_at: now };
}

/**
 * The access-token signing keys. The private keys are secrets, so they live in the vault
 * (read once, at open); the imported CryptoKeys are kept in memory for signing and for
 * verification by `kid`. One key signs; keys retired by a rotation stay published and
 * accepted for `retentionMs` (the longest access-token lifetime), then are dropped.
 */
export class SigningKeys {
  readonly #vault: Vault;
  readonly #retentionMs: number;
  readonly #now: () => number;
  #keys: LoadedKey[];
  #rotating: Promise<unknown> = Promise.resolve();

  private constructor(vault: Vault, retentionMs: number, now: () => number, keys: LoadedKey[]) {
    this.#vault = vault;
    this.#retentionMs = retentionMs;
    this.#now = now;
    this.#keys = keys;
  }

  static async open(vault: Vault, retentionMs: number, now: () => number): Promise<SigningKeys> {
    const text = await vault.get(SIGNING_KEYS_VAULT_KEY);
    const stored = text === undefined ? [] : parseStored(text);
    const live = stored.filter((key) => key.retired_at === undefined || key.retired_at + retentionMs > now());
    if (!live.some((key) => key.retired_at === undefined)) live.push(await generate(now()));
    if (live.length !== stored.length || live.some((key, i) => key !== stored[i]))
      await vault.set(SIGNING_KEYS_VAULT_KEY, JSON.stringify(live));
    return new SigningKeys(vault, retentionMs, now, await Promise.all(live.map(load)));
  }

  /** The key that signs new tokens. */
  get current(): { kid: string; privateKey: CryptoKey } {
    const key = this.#keys.find((k) => k.stored.retired_at === undefined) as LoadedKey;
    return { kid: key.stored.kid, privateKey: key.privateKey };
  }

  /** The public key for a `kid`, while its tokens may still be valid; undefined otherwise. */
  verificationKey(kid: string): CryptoKey | undefined {
    const key = this.#keys.find((k) => k.stored.kid === kid);
    return key && this.#published(key) ? key.publicKey : undefined;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: this.#keys.filter((k) => this.#published(k)).map((k) => k.publicJwk) };
  }

  /** A new key signs from now on; the previous one is retired, expired ones are dropped. Returns the new kid. */
  rotate(): Promise<string> {
    const run = this.#rotating.then(async () => {
      const now = this.#now();
      const fresh = await load(await generate(now));
      const kept = this.#keys
        .map((k) => (k.stored.retired_at === undefined ? { ...k, stored: { ...k.stored, retired_at: now } } : k))
        .filter((k) => this.#published(k));
      const next = [...kept, fresh];
      // The vault first: a key that signs must survive a restart.
      await this.#vault.set(SIGNING_KEYS_VAULT_KEY, JSON.stringify(next.map((k) => k.stored)));
      this.#keys = next;
      return fresh.stored.kid;
    });
    // Only the queue swallows it: the caller awaits `run` and gets the error; the next rotation must still run.
    this.#rotating = run.catch(() => undefined);
    return run;
  }

  #published(key: LoadedKey): boolean {
    return key.stored.retired_at === undefined || key.stored.retired_at + this.#retentionMs > this.#now();
  }
}
