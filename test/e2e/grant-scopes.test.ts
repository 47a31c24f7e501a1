/**
 * The dashboard's grant picker in headless Chromium against the REAL broker: a scope the
 * provider does not enforce next to a broader one the connection holds (GitHub's public_repo
 * next to repo) is not offered. Run after building the renderer:
 *   npx vite build --config renderer/vite.config.ts && node --import tsx --test test/e2e/grant-scopes.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { addForgeConnections } from '../fixtures/forge.js';
import { launchBrowser, openPage } from './browser.js';

let browser: Browser;
let broker: TestBroker;

before(async () => {
  broker = await startTestBroker({ secretStore: 'file', passphrase: 'e2e grant scopes passphrase' });
  await addForgeConnections(broker);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await broker?.dispose();
});

test('new agent: public_repo is offered only where the connection does not hold repo', async () => {
  const { context, page, errors } = await openPage(browser);
  try {
    await page.goto(`${broker.dashboardUrl}&view=agents`);
    await page.getByRole('button', { name: 'New agent' }).click();
    const form = page.getByRole('form', { name: 'New agent' });
    const offered = async (connection: string): Promise<(string | null)[]> => {
      const grant = form.locator(`[data-grant="${connection}"]`);
      await grant.getByLabel('Some scopes').check();
      return grant
        .locator('.grant-scopes input[type="checkbox"]')
        .evaluateAll((inputs) => inputs.map((input) => input.getAttribute('value')));
    };
    assert.deepEqual(await offered('forge-all'), ['repo']);
    assert.deepEqual(await offered('forge-public'), ['public_repo']);

    // What the picker offers, the broker accepts.
    await form.getByLabel('Name').fill('forge-reader');
    await form.locator('[data-grant="forge-all"]').getByLabel('repo').check();
    await form.locator('[data-grant="forge-public"]').getByLabel('public_repo').check();
    await form.getByRole('button', { name: 'Create agent' }).click();
    await page.locator('[data-agent="forge-reader"]').waitFor();
    const agents = (await broker.admin('/agents')).body.agents as { name: string; grants: unknown }[];
    assert.deepEqual(agents.find((a) => a.name === 'forge-reader')?.grants, [
      { connection: 'forge-all', scopes: ['repo'] },
      { connection: 'forge-public', scopes: ['public_repo'] },
    ]);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
