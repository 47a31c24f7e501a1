/**
 * Ask-first grants in the dashboard, in headless Chromium against the REAL broker: a new
 * agent's form ticks "ask first" on the scopes that write, and a call held under such a
 * scope shows up in Approvals without a reload and goes through when the person allows it.
 * Run after building the renderer:
 *   npx vite build --config renderer/vite.config.ts && node --import tsx --test test/e2e/ask-first.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startApiStandIn, type ApiStandIn } from '../fixtures/api-stand-in.js';
import { launchBrowser, openPage } from './browser.js';
import { startWorld, type World } from './world.js';

/** What "live" promises: a change shows within a second, without a reload. */
const LIVE_MS = 1000;

let browser: Browser;
let world: World;
let tracker: ApiStandIn;

before(async () => {
  world = await startWorld();
  tracker = await startApiStandIn({
    tracker: (request) => ({ status: request.method === 'POST' ? 201 : 200, body: { ok: true } }),
  });
  const added = await world.broker.admin('/providers', {
    body: {
      id: 'tracker',
      name: 'Tracker',
      auth: {
        type: 'api_key',
        header: 'Authorization',
        format: 'Bearer {key}',
        scopes: { 'tickets:read': 'Read tickets', 'tickets:write': 'Open and edit tickets' },
      },
      api: {
        base_url: `${tracker.url}/tracker`,
        rules: [
          { method: 'GET', path: '/projects/*/tickets', scopes: ['tickets:read'] },
          { method: 'POST', path: '/projects/*/tickets', scopes: ['tickets:write'] },
        ],
      },
    },
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await world.addKey('tracker', 'tracker', 'tracker-key');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await world?.close();
  await tracker?.close();
});

async function withDashboard(route: string, run: (page: Page) => Promise<void>): Promise<void> {
  const { context, page, errors } = await openPage(browser);
  try {
    await page.goto(world.broker.dashboardUrl);
    await page.locator('[data-live="live"]').waitFor();
    await page.evaluate(`location.hash = ${JSON.stringify(route)}`);
    await run(page);
    assert.deepEqual(await page.evaluate('window.__csp'), [], 'no CSP violations');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
}

test('a new agent asks first before the scopes that write; the person can see and change it', async () => {
  await withDashboard('#/agents', async (page) => {
    await page.getByRole('button', { name: 'New agent' }).click();
    const form = page.getByRole('form', { name: 'New agent' });
    await form.getByLabel('Name').fill('ticket-bot');
    const grant = form.locator('[data-grant="tracker"]');
    await grant.getByLabel('Some scopes').check();
    await grant.getByLabel('tickets:read').check();
    await grant.getByLabel('tickets:write').check();
    assert.equal(await grant.locator('[data-ask="tickets:write"] input').isChecked(), true, 'preselected: it writes');
    assert.equal(await grant.locator('[data-ask="tickets:read"] input').isChecked(), false);
    await form.getByRole('button', { name: 'Create agent' }).click();
    await page.getByTestId('agent-secret').waitFor();
    const agents = (await world.broker.admin('/agents')).body.agents as { name: string; grants: unknown }[];
    assert.deepEqual(agents.find((a) => a.name === 'ticket-bot')?.grants, [
      { connection: 'tracker', scopes: ['tickets:read', 'tickets:write'], ask: ['tickets:write'] },
    ]);
    await page.locator('[data-agent="ticket-bot"]').getByText('asks first: tickets:write').waitFor();
  });
});

test('approvals: a held call appears within a second and goes through when the person allows it once', async () => {
  const agent = await world.createAgent('filer', [
    { connection: 'tracker', scopes: ['tickets:read', 'tickets:write'] },
  ]);
  const patched = await world.broker.admin(`/agents/${agent.id}`, {
    method: 'PATCH',
    body: { grants: [{ connection: 'tracker', scopes: ['tickets:read', 'tickets:write'], ask: ['tickets:write'] }] },
  });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const token = (await world.token(agent)).body.access_token as string;

  await withDashboard('#/approvals', async (page) => {
    await page.getByTestId('approvals-empty').waitFor();
    const held = fetch(`${world.broker.url}/proxy/tracker/projects/apollo/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Launch checklist' }),
    });
    const card = page.locator('[data-call]');
    await card.waitFor({ timeout: LIVE_MS });
    assert.match(await card.innerText(), /filer wants to create tickets in apollo/);
    assert.match(await card.innerText(), /POST \/projects\/apollo\/tickets/);
    await page.locator('[data-view="approvals"] .nav-count').getByText('1').waitFor({ timeout: LIVE_MS });
    assert.equal(tracker.requests.filter((r) => r.method === 'POST').length, 0, 'the provider waits with the call');

    await card.getByRole('button', { name: 'Allow once' }).click();
    const response = await held;
    assert.equal(response.status, 201);
    await response.arrayBuffer();
    await card.waitFor({ state: 'detached', timeout: LIVE_MS });
    assert.equal(tracker.requests.filter((r) => r.method === 'POST').length, 1);
  });
});
