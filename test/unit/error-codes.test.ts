import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../main/core/error-codes.js';
import { ERROR_TABLE_END, ERROR_TABLE_START } from '../../main/core/error-table.js';
import { LatchkeyError } from '../../main/core/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README's table rows as [code, status, meaning]. */
function readmeRows(): string[][] {
  const start = readme.indexOf(ERROR_TABLE_START);
  const end = readme.indexOf(ERROR_TABLE_END);
  assert.ok(start >= 0 && end > start, 'the README has the generated error table section');
  return readme
    .slice(start + ERROR_TABLE_START.length, end)
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.slice(2, -2).split(' | '));
}

describe('error code registry', () => {
  test("the README's error table lists exactly the registry, each code with its status and meaning (run scripts/write-error-table.ts)", () => {
    const expected = Object.entries(ERROR_CODES).map(([code, { status, meaning }]) => [
      `\`${code}\``,
      String(status),
      meaning,
    ]);
    assert.deepEqual(readmeRows(), expected);
  });

  test("a LatchkeyError answers with its code's registered status unless the call site says otherwise", () => {
    assert.equal(new LatchkeyError('unknown_agent', 'No agent x').status, 404);
    assert.equal(new LatchkeyError('rate_limit_exceeded', 'slow down').status, 429);
    assert.equal(new LatchkeyError('flow_expired', 'too slow', 408).status, 408);
    assert.deepEqual(new LatchkeyError('paused', 'Paused.').toJSON(), {
      error: 'paused',
      error_description: 'Paused.',
    });
  });

  test('every status is an HTTP status, or the exit code of a command that was not found', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      assert.ok(
        (status >= 400 && status <= 599) || (code === 'command_not_found' && status === 127),
        `${code}: ${status}`,
      );
    }
  });
});
