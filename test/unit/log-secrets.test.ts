import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findLogLeaks } from '../setup/log-secrets.js';

function logFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-log-secrets-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('a recorded secret in a log line is found, with its file and line, and never printed', (t) => {
  const secret = 'planted-client-secret-0123456789';
  const dir = logFolder({
    'secrets.list': `${JSON.stringify('another-secret-value')}\n${JSON.stringify(secret)}\n`,
    'broker-1.log': `{"level":30,"msg":"listening"}\n{"level":50,"msg":"token exchange failed","detail":"${secret}"}\n`,
    'broker-2.log': '{"level":30,"msg":"clean"}\n',
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const leaks = findLogLeaks(dir, 'secrets.list');
  assert.deepEqual(leaks, [
    { file: join(dir, 'broker-1.log'), line: 2, what: `recorded secret #2 (${secret.length} characters)` },
  ]);
  assert.ok(!JSON.stringify(leaks).includes(secret));
});

test('a JWT or a bearer credential is found even when nobody recorded it', (t) => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl';
  const dir = logFolder({
    'serve-1.log': `{"msg":"a","token":"${jwt}"}\n{"msg":"b","header":"Bearer abc"}\n{"msg":"c"}\n`,
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(
    findLogLeaks(dir, 'secrets.list').map(({ line, what }) => [line, what]),
    [
      [1, 'a JWT'],
      [2, '"Bearer "'],
    ],
  );
});

test('logs holding no secret and no secret shape pass', (t) => {
  const dir = logFolder({
    'secrets.list': `${JSON.stringify('planted-client-secret-0123456789')}\n`,
    'broker-1.log': '{"level":30,"msg":"request completed","connection":"github"}\n',
  });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.deepEqual(findLogLeaks(dir, 'secrets.list'), []);
});
