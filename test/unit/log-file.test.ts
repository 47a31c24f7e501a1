import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../main/core/log.js';
import { rotatingLogFile } from '../../main/core/log-file.js';

test('the desktop log file rotates by size, keeps N generations, and is private to the user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-log-'));
  const path = join(dir, 'logs', 'latchkey.log');
  const destination = rotatingLogFile(path, { maxBytes: 2_000, keep: 2 });
  const logger = createLogger({ destination });
  for (let n = 0; n < 100; n++) logger.info({ n }, 'a line of about eighty bytes once pino has added its fields');
  destination.end();
  assert.deepEqual(readdirSync(join(dir, 'logs')).sort(), ['latchkey.log', 'latchkey.log.1', 'latchkey.log.2']);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const lines = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.equal(lines.at(-1).n, 99, 'the newest lines are in the current file');
  assert.ok(statSync(`${path}.1`).size >= 2_000);
});

test('fields that hold secrets are redacted if they ever reach the logger', () => {
  const lines: string[] = [];
  const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
  logger.warn(
    {
      req: { headers: { authorization: 'Bearer s3cret-a' } },
      grant: { access_token: 's3cret-b', refresh_token: 's3cret-c' },
    },
    'x',
  );
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0] as string, /s3cret/);
  assert.match(lines[0] as string, /\[redacted\]/);
});
