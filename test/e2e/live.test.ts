/**
 * The live dashboard in headless Chromium against the REAL broker (oidc-provider upstream for the
 * OAuth connection): views that update from the broker's event stream without a reload, the
 * Activity chart drawn from real proxied calls, and a URL per view. Run after building the renderer:
 *   npx vite build --config renderer/vite.config.ts && node --import tsx --test test/e2e/live.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, SCREENSHOTS, sleep, type ApiLog } from './browser.js';
import { startWorld, type CreatedAgent, type World } from './world.js';

/** What "live" promises: a change shows within a second, without a reload. */
const LIVE_MS = 1000;

let browser: Browser;
let world: World;
let reader: CreatedAgent;
let readerToken: string;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  world = await startWorld();
  await world.connectAcme('acme-work');
  reader = await world.createAgent('report-bot', [{ connection: 'acme-work', scopes: ['items:read'] }]);
  const other = await world.createAgent('triage-bot', [{ connection: 'acme-work', scopes: ['items:read'] }]);
  readerToken = (await world.token(reader)).body.access_token;
  const otherToken = (await world.token(other)).body.access_token as string;
  // Real proxied calls: relayed to the provider (404: it has no such API) and refused by the rules (403).
  for (let i = 0; i < 40; i++) assert.equal(await world.proxy(readerToken, `acme-work/items/${i}`), 404);
  for (let i = 0; i < 6; i++) assert.equal(await world.proxy(otherToken, 'acme-work/admin/users'), 403);
  for (let i = 0; i < 12; i++) assert.equal(await world.proxy(otherToken, `acme-work/items/${i}`), 404);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await world?.close();
});

async function withDashboard(
  route: string,
  run: (page: Page, api: ApiLog) => Promise<void>,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<void> {
  const { context, page, errors, api } = await openPage(browser, options);
  try {
    await page.goto(world.broker.dashboardUrl);
    await page.locator('[data-live="live"]').waitFor();
    if (route) await page.evaluate(`location.hash = ${JSON.stringify(route)}`);
    await run(page, api);
    for (const c of api.calls)
      assert.equal(c.authorization, `Bearer ${world.broker.adminToken}`, `${c.method} ${c.path}`);
    assert.deepEqual(await page.evaluate('window.__csp'), [], 'no CSP violations');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
}

/** Waits (bounded) until `check` holds; fails after `ms`. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await sleep(25);
  }
}

/** GET requests of the admin API other than the event stream: what a polling loop would make. */
const reads = (api: ApiLog) => api.calls.filter((c) => c.method === 'GET' && c.path !== '/admin/api/events').length;

test('audit: a proxied call appears within a second, on top, keeping the filters and what the reader looks at', async () => {
  await withDashboard('#/audit', async (page, api) => {
    const rows = page.locator('.audit-table tbody tr');
    await rows.first().waitFor();
    // Filter to one agent: the filter goes into the view's address (never the token).
    await page.getByLabel('Agent').selectOption({ label: 'report-bot' });
    await api.expectQuery('/admin/api/audit', { agent: reader.id, limit: '50' });
    await within(
      5000,
      'the filter in the address',
      async () => new URL(page.url()).hash === `#/audit?agent=${reader.id}`,
    );
    const listed = ((await world.broker.admin(`/audit?agent=${reader.id}&limit=50`)).body.entries as unknown[]).length;
    assert.ok(listed > 40, 'its 40 calls and more');
    await within(5000, 'its entries listed', async () => (await rows.count()) === listed);

    // Scrolled down to read older rows: they must stay put when new ones arrive.
    const content = page.locator('main.content');
    await content.evaluate((el) => (el.scrollTop = 600));
    const watched = rows.nth(20);
    const watchedId = await watched.getAttribute('data-entry');
    const before = (await watched.boundingBox())?.y;

    const auditReads = () => api.to('GET', '/admin/api/audit').length;
    const idle = auditReads();
    const status = await world.proxy(readerToken, 'acme-work/items/live?q=secret');
    const fresh = page.locator('.audit-table tbody tr.audit-row-new');
    await fresh.first().waitFor({ timeout: LIVE_MS });
    assert.equal(await rows.first().getAttribute('class'), 'audit-row-new', 'the new row is on top');
    assert.match(
      await rows.first().innerText(),
      new RegExp(`/items/live\\?q=…|/items/live\\?q=\\S+[\\s\\S]*${status}`),
    );
    assert.equal(await rows.count(), listed + 1);
    assert.equal(auditReads(), idle, 'the list was not reloaded: the row came from the event stream');
    assert.equal(await page.locator(`[data-entry="${watchedId}"]`).count(), 1);
    const after = (await page.locator(`[data-entry="${watchedId}"]`).boundingBox())?.y;
    assert.ok(
      before !== undefined && after !== undefined && Math.abs(after - before) <= 1,
      `the row being read stayed put (${before} → ${after})`,
    );
    assert.equal(await page.getByLabel('Agent').inputValue(), reader.id, 'the filter is kept');

    // Another agent's call does not match the filter: nothing is added.
    const other = await world.createAgent('quiet-bot', [{ connection: 'acme-work', scopes: ['items:read'] }]);
    await world.proxy((await world.token(other)).body.access_token, 'acme-work/items/1');
    await sleep(LIVE_MS);
    assert.equal(await rows.count(), listed + 1);

    // Reload keeps the view and its filter; back returns to the previous view.
    // The filter's options come with the agents list, which may land after the rows.
    const agentOption = page.getByLabel('Agent').locator(`option[value="${reader.id}"]`);
    await page.reload();
    await page.locator('.audit-table tbody tr').first().waitFor();
    await agentOption.waitFor({ state: 'attached' });
    assert.equal(await page.getByLabel('Agent').inputValue(), reader.id);
    await page.locator('[data-view="activity"]').click();
    await page.getByTestId('activity-chart').waitFor();
    await page.goBack();
    await page.locator('.audit-table tbody tr').first().waitFor();
    await agentOption.waitFor({ state: 'attached' });
    assert.equal(await page.getByLabel('Agent').inputValue(), reader.id);
    assert.doesNotMatch(page.url(), new RegExp(world.broker.adminToken));

    await content.evaluate((el) => (el.scrollTop = 0));
    await world.proxy(readerToken, 'acme-work/items/43');
    await page.locator('.audit-table tbody tr.audit-row-new').first().waitFor({ timeout: LIVE_MS });
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-live.png') });
  });
});

test('connections: one made through the admin API appears within a second, and goes when disconnected', async () => {
  await withDashboard('', async (page, api) => {
    await page.locator('[data-connection="acme-work"]').waitFor();
    const count = page.locator('[data-view="connections"] .nav-count');
    const before = Number.parseInt(await count.innerText(), 10);
    await world.addKey('stripe', 'stripe-live', 'sk_test_live_51Hx');
    await page.locator('[data-connection="stripe-live"]').waitFor({ timeout: LIVE_MS });
    await within(LIVE_MS, 'the sidebar count', async () => Number.parseInt(await count.innerText(), 10) === before + 1);
    assert.equal((await world.broker.admin('/connections/stripe-live', { method: 'DELETE' })).status, 200);
    await page.locator('[data-connection="stripe-live"]').waitFor({ state: 'detached', timeout: LIVE_MS });
    // Nothing asked twice on a timer.
    const idle = reads(api);
    await sleep(2500);
    assert.equal(reads(api), idle, 'no polling');
  });
});

test('approvals: a new request appears in Approvals and in the sidebar count within a second', async () => {
  await withDashboard('#/approvals', async (page) => {
    await page.getByTestId('approvals-empty').waitFor();
    const requestId = await world.requestAccess('cursor', 'acme-work:items:read');
    await page.locator(`[data-approval="${requestId}"]`).waitFor({ timeout: LIVE_MS });
    const badge = page.locator('[data-view="approvals"] .nav-count');
    await badge.waitFor({ timeout: LIVE_MS });
    assert.match(await badge.innerText(), /^1\b/);
    await page.getByText('cursor asks for access. Review it under Approvals.').waitFor();
    // Decided elsewhere (the CLI, another window): it leaves this one too.
    assert.equal((await world.broker.admin(`/approvals/${requestId}`, { body: { decision: 'deny' } })).status, 200);
    await page.locator(`[data-approval="${requestId}"]`).waitFor({ state: 'detached', timeout: LIVE_MS });
    await badge.waitFor({ state: 'detached', timeout: LIVE_MS });
  });
});

test('activity: the chart draws the real calls per agent, marks denials, lists the busiest connections and last calls, and follows new calls', async () => {
  const report = (await world.broker.admin('/activity?range=day')).body as {
    agents: { agent_id: string; agent_name: string; calls: number; denied: number }[];
  };
  const total = report.agents.reduce((sum, a) => sum + a.calls, 0);
  const triage = report.agents.find((a) => a.agent_name === 'triage-bot');
  assert.equal(triage?.calls, 18);
  assert.equal(triage?.denied, 6);
  for (const colorScheme of ['light', 'dark'] as const) {
    await withDashboard(
      '#/activity',
      async (page) => {
        const chart = page.getByTestId('activity-chart');
        await chart.waitFor();
        const calls = Number(await chart.getAttribute('data-calls'));
        assert.ok(calls >= total, `${calls} calls shown, ${total} made`);
        assert.ok((await chart.locator('.recharts-bar-rectangle').count()) > 0, 'bars drawn');
        assert.equal(await chart.locator('.recharts-legend-item').filter({ hasText: 'report-bot' }).count(), 1);
        assert.equal(await chart.locator('.recharts-legend-item').filter({ hasText: 'Denied' }).count(), 1);
        assert.match(await page.getByTestId('busiest-connections').innerText(), /acme-work/);
        assert.match(await page.getByTestId('last-calls').innerText(), /triage-bot[\s\S]*GET acme-work\/items\/11/);

        await world.proxy(readerToken, 'acme-work/items/activity');
        await within(
          LIVE_MS,
          'the chart counts the new call',
          async () => Number(await chart.getAttribute('data-calls')) === calls + 1,
        );
        await page.getByRole('button', { name: 'Last hour' }).click();
        await page.locator('[data-testid="activity-chart"] .recharts-bar-rectangle').first().waitFor();
        await page.getByRole('button', { name: 'Last day' }).click();
        await page.screenshot({
          path: join(SCREENSHOTS, colorScheme === 'light' ? 'activity.png' : 'activity-dark.png'),
        });
      },
      { colorScheme },
    );
  }
});

test('agents: each agent shows its calls and denials of the last 24 h, last seen, and a sparkline', async () => {
  await withDashboard('#/agents', async (page) => {
    const triage = page.locator('[data-agent="triage-bot"] [data-testid="agent-usage"]');
    await triage.waitFor();
    assert.equal(await triage.getAttribute('data-calls'), '18');
    assert.match(await triage.innerText(), /18 calls in 24 h[\s\S]*6 denied[\s\S]*last seen/);
    assert.ok((await triage.locator('.recharts-area').count()) > 0, 'sparkline drawn');
    const report = page.locator('[data-agent="report-bot"] [data-testid="agent-usage"]');
    const before = Number(await report.getAttribute('data-calls'));
    await world.proxy(readerToken, 'acme-work/items/sparkline');
    await within(
      LIVE_MS,
      'the agent counts the new call',
      async () => Number(await report.getAttribute('data-calls')) === before + 1,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'agents-usage.png') });
  });
});
