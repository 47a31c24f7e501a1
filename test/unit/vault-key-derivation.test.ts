/**
 * The file store's key derivation begun ahead of opening (`latchkey serve` starts it before
 * loading the broker's modules): opening uses it only when passphrase and header match, so a
 * wrong guess or a store replaced in between can neither open the store nor keep it shut.
 * Derivations are counted through node:crypto's scrypt, the one place a key comes from.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginKeyDerivation, openEncryptedFileBackend } from '../../main/core/vault/encrypted-file.js';

const require = createRequire(import.meta.url);
const crypto = require('node:crypto') as typeof import('node:crypto');
const PASS = 'correct horse battery staple';

describe('key derivation begun before opening the file store', () => {
  let dir: string;
  let file: string;
  let derivations = 0;
  const scrypt = crypto.scrypt;

  before(async () => {
    // Counts every scrypt of encrypted-file.ts: its ESM import of node:crypto follows this after the sync.
    crypto.scrypt = ((...args: Parameters<typeof scrypt>) => {
      derivations++;
      return (scrypt as (...a: unknown[]) => void)(...args);
    }) as typeof scrypt;
    syncBuiltinESMExports();
    dir = mkdtempSync(join(tmpdir(), 'latchkey-kdf-'));
    file = join(dir, 'secrets.enc');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    await backend.set('k', 'v');
  });
  after(() => {
    crypto.scrypt = scrypt;
    syncBuiltinESMExports();
    rmSync(dir, { recursive: true, force: true });
  });

  test('opening with the same passphrase takes the begun derivation instead of deriving again', async () => {
    derivations = 0;
    await beginKeyDerivation(file, PASS);
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    assert.equal(await backend.get('k'), 'v');
    assert.equal(derivations, 1);
  });

  test('a derivation begun with another passphrase is not used: the right one opens, the wrong one is refused', async () => {
    derivations = 0;
    await beginKeyDerivation(file, 'a wrong guess');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    assert.equal(await backend.get('k'), 'v');
    assert.equal(derivations, 2);

    await beginKeyDerivation(file, PASS);
    await assert.rejects(
      openEncryptedFileBackend({ file, passphrase: 'a wrong guess' }),
      (error: { code?: string }) => error.code === 'wrong_passphrase',
    );
  });

  test('a store replaced after the derivation began (another salt) is opened with its own key', async () => {
    await beginKeyDerivation(file, PASS);
    rmSync(file);
    const fresh = await openEncryptedFileBackend({ file, passphrase: PASS }); // a new store, a new salt
    await fresh.set('k', 'w');
    derivations = 0;
    const reopened = await openEncryptedFileBackend({ file, passphrase: PASS });
    assert.equal(await reopened.get('k'), 'w');
    assert.equal(derivations, 1);
  });

  test('a missing or damaged store begins nothing, and opening reports it as before', async () => {
    derivations = 0;
    await beginKeyDerivation(join(dir, 'absent.enc'), PASS);
    assert.equal(derivations, 0);
  });
});
