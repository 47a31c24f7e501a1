/**
 * The Agents view's MCP setup: the snippets `latchkey mcp-config` prints, for the running
 * broker's /mcp, with a copy button that puts the snippet on the clipboard. Headless
 * Chromium against the real broker. Run after building the renderer:
 *   npx vite build --config renderer/vite.config.ts && node --import tsx --test test/e2e/mcp-setup.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, SCREENSHOTS } from './browser.js';
import { startWorld, type World } from './world.js';

let browser: Browser;
let world: World;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  world = await startWorld();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await world?.close();
});

test("the Agents view shows each MCP client's snippet for this broker's /mcp, and copies it", async () => {
  const { context, page, errors } = await openPage(browser);
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(world.broker.url).origin });
    await page.goto(`${world.broker.dashboardUrl}&view=agents`);
    const setup = page.getByTestId('mcp-setup');
    await setup.locator('summary').click();
    const mcpUrl = `${world.broker.url}/mcp`;
    const snippet = setup.getByTestId('mcp-snippet');
    assert.equal(await snippet.getAttribute('data-client'), 'claude-code');
    assert.equal((await snippet.innerText()).trim(), `claude mcp add --transport http latchkey ${mcpUrl}`);

    await setup.getByRole('radio', { name: 'Cursor' }).check();
    assert.equal(await snippet.getAttribute('data-client'), 'cursor');
    const shown = await snippet.innerText();
    assert.deepEqual(JSON.parse(shown), { mcpServers: { latchkey: { url: mcpUrl } } });
    await page.screenshot({ path: join(SCREENSHOTS, 'mcp-setup.png') });
    await setup.getByRole('button', { name: 'Copy' }).click();
    await setup.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
    assert.deepEqual(JSON.parse(copied), { mcpServers: { latchkey: { url: mcpUrl } } });

    await setup.getByRole('radio', { name: 'Codex' }).check();
    assert.equal((await snippet.innerText()).trim(), `[mcp_servers.latchkey]\nurl = "${mcpUrl}"`);
    assert.deepEqual(await page.evaluate('window.__csp'), [], 'no CSP violations');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
