import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../main/core/error-codes.js';
import { ERROR_TABLE_END, ERROR_TABLE_START } from '../../main/core/error-table.js';

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
    const expected = Object.entries(ERROR_CODES).map(([code, { status, meaning }]) => [`\`${code}\``, String(status), meaning]);
    assert.deepEqual(readmeRows(), expected);
  });
});
