/**
 * Puts the tables of test/bench/results/latest.md into README.md, between the
 * `<!-- bench:start -->` and `<!-- bench:end -->` markers, so the README shows the committed
 * run and nothing typed by hand. Run after `npm run bench`: node --import tsx test/bench/readme.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const LATEST = fileURLToPath(new URL('./results/latest.md', import.meta.url));
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

const latest = readFileSync(LATEST, 'utf8');
// Everything after the title line: the conditions of the run and both tables.
const body = latest.slice(latest.indexOf('\n') + 1).trim();
const readme = readFileSync(README, 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from === -1 || to < from) throw new Error(`README.md has no ${START} … ${END} block`);
writeFileSync(README, `${readme.slice(0, from + START.length)}\n${body}\n${readme.slice(to)}`);
console.log('README.md: benchmark tables replaced from results/latest.md');
