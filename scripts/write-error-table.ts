// Regenerates the README's error table from main/core/error-codes.ts (test/unit/error-codes.test.ts checks they agree).
import { readFileSync, writeFileSync } from 'node:fs';
import { withErrorTable } from '../main/core/error-table.js';

const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withErrorTable(readFileSync(readme, 'utf8')));
