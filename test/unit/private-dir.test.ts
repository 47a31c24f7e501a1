import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPrivateDir } from '../../main/core/store/private-dir.js';
import { LatchkeyError } from '../../main/core/errors.js';

const DIR = '/home/me/.config/Latchkey';
const refusal = (code: string, message: RegExp) => (error: unknown) =>
  error instanceof LatchkeyError && error.code === code && message.test(error.message) && !error.message.includes('\n');

test('a folder only its owner may write is accepted, readable by others or not', () => {
  assert.doesNotThrow(() => assertPrivateDir(DIR, { mode: 0o40700, uid: 1000 }, 1000));
  assert.doesNotThrow(() => assertPrivateDir(DIR, { mode: 0o40755, uid: 1000 }, 1000));
});

test('a group- or world-writable folder is refused with the chmod that fixes it', () => {
  assert.throws(
    () => assertPrivateDir(DIR, { mode: 0o40777, uid: 1000 }, 1000),
    refusal('data_dir_insecure', /mode 777\); fix it with: chmod 700 \/home\/me\/\.config\/Latchkey$/),
  );
  assert.throws(
    () => assertPrivateDir(DIR, { mode: 0o40770, uid: 1000 }, 1000),
    refusal('data_dir_insecure', /chmod 700 /),
  );
  assert.throws(
    () => assertPrivateDir(DIR, { mode: 0o41777, uid: 1000 }, 1000),
    refusal('data_dir_insecure', /mode 1777/),
  );
});

test('a folder of another user is refused, saying how to use one of your own', () => {
  assert.throws(
    () => assertPrivateDir(DIR, { mode: 0o40700, uid: 1001 }, 1000),
    refusal(
      'data_dir_not_owned',
      /uid 1001, you are uid 1000.*--data-dir.*chown 1000 \/home\/me\/\.config\/Latchkey && chmod 700 /,
    ),
  );
});

test('the fix quotes a path with a space for the shell', () => {
  assert.throws(
    () => assertPrivateDir('/Users/me/Library/Application Support/Latchkey', { mode: 0o40777, uid: 501 }, 501),
    refusal('data_dir_insecure', /chmod 700 '\/Users\/me\/Library\/Application Support\/Latchkey'$/),
  );
});

test("reads the folder's real mode by default", () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-private-'));
  try {
    assert.doesNotThrow(() => assertPrivateDir(dir));
    chmodSync(dir, 0o777);
    assert.throws(() => assertPrivateDir(dir), refusal('data_dir_insecure', /chmod 700/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
