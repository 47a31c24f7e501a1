import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEncryptedFileBackend } from '../../main/core/vault/encrypted-file.js';
import { Vault, type SecretBackend } from '../../main/core/vault/vault.js';
import { LatchkeyError } from '../../main/core/errors.js';

const PASS = 'correct horse battery staple';
const SECRET = 'ghp_SuperSecretTokenValue_1234567890abcdef';

const hasCode =
  (code: string) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof LatchkeyError, `expected a LatchkeyError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };

describe('encrypted file backend', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-vault-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('round trip across reopen', async () => {
    const file = join(dir, 'roundtrip.enc');
    const a = await openEncryptedFileBackend({ file, passphrase: PASS });
    assert.equal(a.kind, 'file');
    assert.equal(await a.get('connection/1'), undefined);
    await a.set('connection/1', SECRET);
    await a.set('client/github', 'client-secret-ü-✓');
    await a.set('gone', 'x');
    assert.equal(await a.delete('gone'), true);
    assert.equal(await a.delete('gone'), false);
    assert.equal(await a.get('connection/1'), SECRET);

    const b = await openEncryptedFileBackend({ file, passphrase: PASS });
    assert.equal(await b.get('connection/1'), SECRET);
    assert.equal(await b.get('client/github'), 'client-secret-ü-✓');
    assert.equal(await b.get('gone'), undefined);
  });

  test('the file header has the documented format', async () => {
    const file = join(dir, 'format.enc');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    await backend.set('k', 'v');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(data.version, 1);
    assert.deepEqual(Object.keys(data.kdf).sort(), ['N', 'name', 'p', 'r', 'salt']);
    assert.equal(data.kdf.name, 'scrypt');
    assert.equal(data.kdf.N, 2 ** 17);
    assert.equal(data.kdf.r, 8);
    assert.equal(data.kdf.p, 1);
    assert.equal(Buffer.from(data.iv, 'base64').length, 12);
    assert.equal(Buffer.from(data.tag, 'base64').length, 16);
    // A fresh IV per write; the salt stays.
    await backend.set('k', 'v2');
    const again = JSON.parse(readFileSync(file, 'utf8'));
    assert.notEqual(again.iv, data.iv);
    assert.equal(again.kdf.salt, data.kdf.salt);
  });

  test('wrong passphrase is rejected with wrong_passphrase', async () => {
    const file = join(dir, 'wrong.enc');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    await backend.set('k', SECRET);
    await assert.rejects(openEncryptedFileBackend({ file, passphrase: 'not the passphrase' }), (error: unknown) => {
      hasCode('wrong_passphrase')(error);
      assert.equal((error as LatchkeyError).status, 401);
      assert.match((error as Error).message, /does not decrypt/);
      assert.ok(!(error as Error).message.includes('not the passphrase'));
      return true;
    });
  });

  test('a missing or empty passphrase is refused', async () => {
    const file = join(dir, 'nopass.enc');
    await assert.rejects(openEncryptedFileBackend({ file, passphrase: undefined }), hasCode('passphrase_required'));
    await assert.rejects(openEncryptedFileBackend({ file, passphrase: '' }), hasCode('passphrase_required'));
    assert.equal(existsSync(file), false);
  });

  test('tampered ciphertext is vault_corrupt', async () => {
    const file = join(dir, 'tamper.enc');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    await backend.set('k', SECRET);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    const ct = Buffer.from(data.ciphertext, 'base64');
    ct[0] = ct[0]! ^ 0x01;
    writeFileSync(file, JSON.stringify({ ...data, ciphertext: ct.toString('base64') }));
    await assert.rejects(openEncryptedFileBackend({ file, passphrase: PASS }), hasCode('vault_corrupt'));

    // A swapped tag and a non-JSON file are also corruption.
    writeFileSync(file, JSON.stringify({ ...data, tag: Buffer.alloc(16).toString('base64') }));
    await assert.rejects(openEncryptedFileBackend({ file, passphrase: PASS }), hasCode('vault_corrupt'));
    writeFileSync(file, 'garbage');
    await assert.rejects(openEncryptedFileBackend({ file, passphrase: PASS }), hasCode('vault_corrupt'));
  });

  test('the header is authenticated: editing the KDF params is detected', async () => {
    const file = join(dir, 'header.enc');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    await backend.set('k', SECRET);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...data, kdf: { ...data.kdf, N: 2 ** 16 } }));
    await assert.rejects(openEncryptedFileBackend({ file, passphrase: PASS }), (error: unknown) => {
      assert.ok(error instanceof LatchkeyError);
      assert.ok(['wrong_passphrase', 'vault_corrupt'].includes(error.code), error.code);
      return true;
    });
    // Hostile params are refused before any key derivation.
    writeFileSync(file, JSON.stringify({ ...data, kdf: { ...data.kdf, N: 2 ** 30 } }));
    await assert.rejects(openEncryptedFileBackend({ file, passphrase: PASS }), hasCode('vault_corrupt'));
  });

  test('the file on disk contains neither the secret nor its base64', async () => {
    const file = join(dir, 'plain.enc');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    await backend.set('connection/abc', SECRET);
    const raw = readFileSync(file);
    const text = raw.toString('utf8');
    assert.ok(!text.includes(SECRET));
    assert.ok(!text.includes(Buffer.from(SECRET).toString('base64')));
    assert.ok(!text.includes(Buffer.from(SECRET).toString('base64url')));
    assert.ok(!text.includes(Buffer.from(SECRET).toString('hex')));
    assert.ok(!text.includes(PASS));
    assert.ok(!raw.includes(Buffer.from(SECRET)));
  });

  test('50 concurrent sets all survive a reopen', async () => {
    const file = join(dir, 'concurrent.enc');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    await Promise.all(Array.from({ length: 50 }, (_, i) => backend.set(`key/${i}`, `value-${i}`)));
    const reopened = await openEncryptedFileBackend({ file, passphrase: PASS });
    for (let i = 0; i < 50; i++) assert.equal(await reopened.get(`key/${i}`), `value-${i}`);
    // No temp files left behind.
    const leftovers = (await import('node:fs'))
      .readdirSync(dir)
      .filter((f) => f.includes('concurrent') && f.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });

  test('the file mode is 0600', { skip: process.platform === 'win32' }, async () => {
    const file = join(dir, 'mode.enc');
    const backend = await openEncryptedFileBackend({ file, passphrase: PASS });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await backend.set('k', 'v');
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});

class CountingBackend implements SecretBackend {
  readonly kind = 'keychain' as const;
  readonly data = new Map<string, string>();
  gets = 0;
  sets = 0;
  deletes = 0;
  async get(key: string): Promise<string | undefined> {
    this.gets++;
    // Read now, answer later: like a real backend, a slow answer can be stale.
    const value = this.data.get(key);
    await new Promise((resolve) => setTimeout(resolve, 10));
    return value;
  }
  async set(key: string, value: string): Promise<void> {
    this.sets++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.data.set(key, value);
  }
  async delete(key: string): Promise<boolean> {
    this.deletes++;
    return this.data.delete(key);
  }
}

describe('Vault cache', () => {
  test('100 concurrent gets of one key make exactly one backend call', async () => {
    const backend = new CountingBackend();
    backend.data.set('connection/1', SECRET);
    const vault = new Vault(backend);
    assert.equal(vault.kind, 'keychain');
    const values = await Promise.all(Array.from({ length: 100 }, () => vault.get('connection/1')));
    assert.equal(backend.gets, 1);
    assert.ok(values.every((v) => v === SECRET));
    // And later reads are served from memory, including of absent keys.
    assert.equal(await vault.get('connection/1'), SECRET);
    assert.equal(await vault.get('missing'), undefined);
    assert.equal(await vault.get('missing'), undefined);
    assert.equal(backend.gets, 2);
  });

  test('set writes through and caches; delete removes from both', async () => {
    const backend = new CountingBackend();
    const vault = new Vault(backend);
    await vault.set('client/github', 'one');
    assert.equal(backend.data.get('client/github'), 'one');
    assert.equal(await vault.get('client/github'), 'one');
    assert.equal(backend.gets, 0);
    assert.equal(await vault.delete('client/github'), true);
    assert.equal(backend.data.has('client/github'), false);
    assert.equal(await vault.get('client/github'), undefined);
    assert.equal(backend.gets, 0);
  });

  test('a read in flight during a write does not overwrite the written value', async () => {
    const backend = new CountingBackend();
    backend.data.set('k', 'old');
    const vault = new Vault(backend);
    const read = vault.get('k');
    await vault.set('k', 'new');
    await read;
    assert.equal(await vault.get('k'), 'new');
  });

  test('concurrent sets of one key end with the last one in backend and cache', async () => {
    const backend = new CountingBackend();
    const vault = new Vault(backend);
    await Promise.all(Array.from({ length: 20 }, (_, i) => vault.set('k', `v${i}`)));
    assert.equal(backend.data.get('k'), 'v19');
    assert.equal(await vault.get('k'), 'v19');
  });

  test('a failed read is not cached', async () => {
    let fail = true;
    const backend: SecretBackend = {
      kind: 'keychain',
      async get() {
        if (fail) throw new LatchkeyError('vault_error', 'boom', 500);
        return 'ok';
      },
      async set() {},
      async delete() {
        return false;
      },
    };
    const vault = new Vault(backend);
    await assert.rejects(vault.get('k'), hasCode('vault_error'));
    fail = false;
    assert.equal(await vault.get('k'), 'ok');
  });
});
