/**
 * The dashboard's agents, approvals, kill switch and audit log in headless Chromium against the REAL
 * broker: agents created through the admin API, agents that registered themselves (RFC 7591) and wait
 * at /oauth/authorize for the person, token requests that fill the hash-chained audit log. The tests
 * share one broker and run in order. Run after building the renderer:
 *   npx vite build --config renderer/vite.config.ts && node --import tsx --test test/e2e/agents.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, SCREENSHOTS, sleep, type ApiLog } from './browser.js';
import { AGENT_REDIRECT_URI, startWorld, type CreatedAgent, type World } from './world.js';

interface Agent {
  id: string;
  name: string;
  client_id: string;
  status: string;
  grants: { connection: string; scopes: string[] }[];
  rate_limit_per_minute: number | null;
}

let browser: Browser;
let world: World;
let releaseBot: CreatedAgent;
let notesSync: CreatedAgent;
/** The request claude-desktop makes before the tests start. */
let claudeRequest: string;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  world = await startWorld();
  await world.connectAcme('acme-work');
  await world.addKey('stripe', 'stripe', 'sk_test_e2e_51Hx');
  releaseBot = await world.createAgent(
    'release-bot',
    [
      { connection: 'acme-work', scopes: ['items:read'] },
      { connection: 'stripe', scopes: ['*'] },
    ],
    60,
  );
  notesSync = await world.createAgent('notes-sync', [{ connection: 'acme-work', scopes: ['items:read'] }]);
  // Requests decided earlier, and one waiting.
  for (const [name, scope, decision] of [
    ['cursor', 'acme-work:items:read', 'approve'],
    ['unknown-tool', 'stripe:*', 'deny'],
  ] as const) {
    const decided = await world.broker.admin(`/approvals/${await world.requestAccess(name, scope)}`, {
      body: { decision },
    });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
  }
  claudeRequest = await world.requestAccess('claude-desktop', 'acme-work:items:read acme-work:email stripe:read');
  // Agents at work: tokens issued, and every fifth request with a wrong secret.
  for (let i = 0; i < 100; i++) {
    const denied = i % 5 === 4;
    const result = await world.token(
      denied ? { ...releaseBot, client_secret: 'not-the-secret' } : i % 2 ? notesSync : releaseBot,
    );
    assert.equal(result.status, denied ? 401 : 200);
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await world?.close();
});

const listAgents = async (): Promise<Agent[]> => (await world.broker.admin('/agents')).body.agents;
const agentNamed = async (name: string): Promise<Agent | undefined> =>
  (await listAgents()).find((a) => a.name === name);

async function consentStatus(approvalId: string): Promise<{ status: string; redirect_to?: string }> {
  return (await fetch(`${world.broker.url}/consent/${approvalId}/status`)).json() as Promise<{
    status: string;
    redirect_to?: string;
  }>;
}

/** A fresh page signed in on `view`; checks afterwards that it stayed clean and always sent the admin token. */
async function withDashboard(
  view: string,
  run: (page: Page, api: ApiLog) => Promise<void>,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<void> {
  const { context, page, errors, api } = await openPage(browser, options);
  try {
    await page.goto(`${world.broker.dashboardUrl}&view=${view}`);
    await run(page, api);
    for (const c of api.calls)
      assert.equal(c.authorization, `Bearer ${world.broker.adminToken}`, `${c.method} ${c.path}`);
    assert.deepEqual(await page.evaluate('window.__csp'), [], 'no CSP violations');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
}

/** `datetime-local` text for a time, in the local zone (the browser's, which is this process's). */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Waits until the audit table shows exactly `count` (> 0) rows. (The page's CSP forbids waitForFunction's eval.) */
async function waitForRows(page: Page, count: number): Promise<void> {
  assert.ok(count > 0);
  const rows = page.locator('.audit-table tbody tr');
  await rows.nth(count).waitFor({ state: 'detached' });
  await rows.nth(count - 1).waitFor();
  assert.equal(await rows.count(), count);
}

/** The broker's own count of audit entries matching `filters` (pages of 500). */
async function auditCount(filters: Record<string, string> = {}): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const query: URLSearchParams = new URLSearchParams({ ...filters, limit: '500', ...(cursor ? { cursor } : {}) });
    const { body } = await world.broker.admin(`/audit?${query}`);
    count += body.entries.length;
    cursor = body.next_cursor;
    if (!cursor) return count;
  }
  throw new Error('the audit log did not end within 100 pages');
}

test('agents: list, create shows the secret exactly once, errors, edit, one-click revoke, delete', async () => {
  const { broker } = world;
  await withDashboard('agents', async (page, api) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: broker.url });
    const release = page.locator('[data-agent="release-bot"]');
    await release.waitFor();

    // The list: status badges, grants as connection: scope chips, rate limit, how each was registered.
    // A pending agent awaits approval only while a request of it is pending.
    const pending = page.locator('[data-agent="claude-desktop"]');
    await pending.getByRole('button', { name: 'Review in Approvals' }).waitFor();
    const agents = await listAgents();
    const awaiting = new Set(
      ((await broker.admin('/approvals')).body.approvals as { agent_id: string; status: string }[])
        .filter((r) => r.status === 'pending')
        .map((r) => r.agent_id),
    );
    assert.equal(await page.locator('li.agent').count(), agents.length);
    for (const a of agents) {
      const shown = a.status !== 'pending' ? a.status : awaiting.has(a.id) ? 'pending' : 'not-approved';
      assert.equal(
        await page.locator(`[data-agent="${a.name}"] .badge`).getAttribute('data-status'),
        `agent-${shown}`,
        a.name,
      );
    }
    assert.deepEqual(await release.locator('.grant-list li').allInnerTexts(), [
      'acme-work:\nitems:read',
      'stripe:\neverything',
    ]);
    assert.equal(await release.getByTestId('rate-limit').innerText(), '60 / minute');
    assert.match(await release.innerText(), /Added by you/);
    assert.equal((await pending.locator('.badge').innerText()).trim(), 'Awaiting approval');
    assert.match(await pending.innerText(), /Registered itself \(DCR\)/);
    assert.match(await pending.innerText(), new RegExp(`Redirects to\\s+${new URL(AGENT_REDIRECT_URI).host}`));
    // Denied: the broker keeps the agent pending so that it may ask again, but nothing waits in Approvals.
    const deniedAgent = await agentNamed('unknown-tool');
    assert.equal(deniedAgent?.status, 'pending');
    assert.ok(!awaiting.has(deniedAgent.id));
    const deniedRow = page.locator('[data-agent="unknown-tool"]');
    assert.equal((await deniedRow.locator('.badge').innerText()).trim(), 'Not approved');
    assert.equal(await deniedRow.getByRole('button', { name: 'Review in Approvals' }).count(), 0);
    assert.equal(
      await deniedRow.getByTestId('not-approved-hint').innerText(),
      'It can ask again; you can also delete it.',
    );
    assert.equal(await page.locator('[data-agent="notes-sync"]').getByTestId('rate-limit').innerText(), 'none');
    await page.screenshot({ path: join(SCREENSHOTS, 'agents.png') });

    // New agent: a name taken already is refused with the API's error, the form stays.
    await page.getByRole('button', { name: 'New agent' }).click();
    const form = page.getByRole('form', { name: 'New agent' });
    const create = form.getByRole('button', { name: 'Create agent' });
    assert.equal(await create.isDisabled(), true, 'no name and no grant yet');
    await form.getByLabel('Name').fill('notes-sync');
    await form.locator('[data-grant="acme-work"]').getByLabel('Everything').check();
    await create.click();
    await form.getByText('agent_exists').waitFor();
    assert.equal(await form.getByLabel('Name').getAttribute('aria-invalid'), 'true');

    // Some scopes of one connection, everything of another, a rate limit.
    await form.getByLabel('Name').fill('deploy-bot');
    const acmeGrant = form.locator('[data-grant="acme-work"]');
    await acmeGrant.getByLabel('Some scopes').check();
    assert.equal(await create.isDisabled(), true, '"some scopes" with none ticked');
    await acmeGrant.getByLabel('items:read').check();
    await form.locator('[data-grant="stripe"]').getByLabel('Everything').check();
    // A new agent asks first before scopes that write: preselected, and the person sees it.
    assert.equal(await form.locator('[data-grant="stripe"] [data-ask="write"] input').isChecked(), true);
    assert.equal(await form.locator('[data-grant="stripe"] [data-ask="read"] input').isChecked(), false);
    await form.getByLabel(/Rate limit/).fill('30');
    await page.screenshot({ path: join(SCREENSHOTS, 'agent-new.png'), fullPage: true });
    await create.click();

    const panel = page.getByTestId('agent-secret');
    await panel.waitFor();
    const posts = api.to('POST', '/admin/api/agents');
    assert.equal(posts.length, 2);
    assert.deepEqual(posts[1]!.body, {
      name: 'deploy-bot',
      grants: [
        { connection: 'acme-work', scopes: ['items:read'] },
        { connection: 'stripe', scopes: ['*'], ask: ['write'] },
      ],
      rate_limit_per_minute: 30,
    });
    const deploy = await agentNamed('deploy-bot');
    assert.deepEqual(deploy?.grants, [
      { connection: 'acme-work', scopes: ['items:read'] },
      { connection: 'stripe', scopes: ['*'], ask: ['write'] },
    ]);
    assert.equal(deploy.rate_limit_per_minute, 30);
    const clientId = await panel.getByTestId('client-id').innerText();
    const secret = await panel.getByTestId('client-secret').innerText();
    assert.equal(clientId, deploy.client_id);
    // The secret shown is the real one: the token endpoint accepts it.
    const issued = await world.token({ client_id: clientId, client_secret: secret });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.body.scope, 'acme-work:items:read stripe:*');
    assert.match(await panel.innerText(), /you will not see it again/);
    assert.equal(
      await panel.getByTestId('snippet-token').innerText(),
      `curl -u ${clientId}:${secret} -d grant_type=client_credentials ${broker.url}/oauth/token`,
    );
    assert.equal(
      await panel.getByTestId('snippet-exec').innerText(),
      'latchkey exec --agent deploy-bot -- your-command',
    );
    assert.equal(await page.evaluate('document.activeElement?.id'), 'agent-secret-title', 'focus moves to the panel');
    await panel.getByRole('button', { name: 'Copy secret' }).click();
    await panel.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);
    await page.locator('[data-agent="deploy-bot"]').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'agent-secret.png') });

    // Away and back: the agent is listed, its secret is nowhere on the page.
    await page.locator('[data-view="connections"]').click();
    await page.locator('li.connection').first().waitFor();
    await page.locator('[data-view="agents"]').click();
    await page.locator('[data-agent="deploy-bot"]').waitFor();
    assert.equal(await page.getByTestId('agent-secret').count(), 0);
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone');

    // Edit inline: one more scope and a rate limit; only what changed is sent.
    const notes = page.locator('[data-agent="notes-sync"]');
    await notes.getByRole('button', { name: 'Edit' }).click();
    const edit = notes.getByRole('form', { name: 'Edit notes-sync' });
    assert.equal(await edit.locator('[data-grant="acme-work"]').getByLabel('items:read').isChecked(), true);
    await edit
      .locator('[data-grant="acme-work"]')
      .getByLabel(/^email/)
      .check();
    await edit.getByLabel(/Rate limit/).fill('120');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await notes.getByTestId('rate-limit').getByText('120 / minute').waitFor();
    const patches = api.to('PATCH', `/admin/api/agents/${notesSync.id}`);
    assert.equal(patches.length, 1);
    assert.deepEqual(patches[0]!.body, {
      grants: [{ connection: 'acme-work', scopes: ['email', 'items:read'] }],
      rate_limit_per_minute: 120,
    });
    const edited = await agentNamed('notes-sync');
    assert.deepEqual(edited?.grants, [{ connection: 'acme-work', scopes: ['email', 'items:read'] }]);
    assert.equal(edited.rate_limit_per_minute, 120);
    assert.equal(await notes.getByRole('form').count(), 0, 'the editor closed');

    // Revoke: one click, no dialog, one API call, the badge flips, a toast says so; the broker refuses the agent now.
    await release.getByRole('button', { name: 'Revoke' }).click();
    await release.locator('.badge[data-status="agent-revoked"]').waitFor();
    assert.equal(api.to('POST', `/admin/api/agents/${releaseBot.id}/revoke`).length, 1);
    await page.getByRole('status').getByText('Revoked release-bot. Its tokens stop working now.').waitFor();
    assert.equal(await release.getByRole('button', { name: 'Revoke' }).count(), 0);
    assert.equal((await broker.admin(`/agents/${releaseBot.id}`)).body.status, 'revoked');
    const afterRevoke = await world.token(releaseBot);
    assert.equal(afterRevoke.status, 401);
    assert.equal(afterRevoke.body.error, 'invalid_client');

    // Delete asks first.
    const deployRow = page.locator('[data-agent="deploy-bot"]');
    await deployRow.getByRole('button', { name: 'Delete' }).click();
    assert.equal(api.to('DELETE', `/admin/api/agents/${deploy.id}`).length, 0);
    await deployRow.locator('.button-danger', { hasText: 'Delete' }).click();
    await deployRow.waitFor({ state: 'detached' });
    assert.equal(api.to('DELETE', `/admin/api/agents/${deploy.id}`).length, 1);
    assert.equal((await broker.admin(`/agents/${deploy.id}`)).status, 404);
    assert.equal(await page.locator('li.agent').count(), agents.length);
  });
});

test('approvals: pending on top with a nav badge, approve with edited grants, plain approve, deny, live', async () => {
  await withDashboard('approvals', async (page, api) => {
    const badge = page.locator('[data-view="approvals"] .nav-count');
    const card = page.locator(`[data-approval="${claudeRequest}"]`);
    await card.waitFor();
    assert.match(await badge.innerText(), /^1\b/);

    assert.match(await card.locator('h2').innerText(), /claude-desktop asks for access/);
    assert.match(await card.innerText(), new RegExp((await agentNamed('claude-desktop'))!.client_id));
    assert.equal(await card.getByTestId('redirect-host').innerText(), new URL(AGENT_REDIRECT_URI).host);
    // Anyone on the machine could have registered it under that name: the card says so, and where its answers go.
    const registered = await card.getByTestId('registered-via').innerText();
    assert.match(registered, /Self-registered via dynamic client registration/);
    assert.ok(registered.includes(new URL(AGENT_REDIRECT_URI).host), registered);
    assert.deepEqual(await card.locator('.grant-list li').allInnerTexts(), [
      'acme-work:\nemail\nitems:read',
      'stripe:\nread',
    ]);

    // Decided requests are below, collapsed.
    const decided = page.getByTestId('decided');
    assert.equal(await decided.getAttribute('open'), null);
    assert.equal(await decided.locator('.decided-row').first().isVisible(), false);
    await decided.locator('summary').click();
    assert.deepEqual(await decided.locator('.decided-row .connection-name').allInnerTexts(), [
      'unknown-tool',
      'cursor',
    ]);
    assert.deepEqual(await decided.locator('.badge').allInnerTexts(), ['Denied', 'Approved']);
    await page.screenshot({ path: join(SCREENSHOTS, 'approvals.png') });

    // Edit the grants before approving: drop Stripe, keep only items:read.
    await card.getByRole('button', { name: 'Edit grants…' }).click();
    const acme = card.locator('[data-grant="acme-work"]');
    assert.equal(await acme.getByLabel('Some scopes').isChecked(), true);
    assert.equal(await acme.getByLabel(/^email/).isChecked(), true);
    await acme.getByLabel(/^email/).uncheck();
    await card.locator('[data-grant="stripe"]').getByLabel('No access').check();
    await page.screenshot({ path: join(SCREENSHOTS, 'approval-edit.png'), fullPage: true });
    await card.getByRole('button', { name: 'Approve with these grants' }).click();
    await card.waitFor({ state: 'detached' });
    const decisions = api.to('POST', `/admin/api/approvals/${claudeRequest}`);
    assert.equal(decisions.length, 1);
    assert.deepEqual(decisions[0]!.body, {
      decision: 'approve',
      grants: [{ connection: 'acme-work', scopes: ['items:read'] }],
    });
    // The agent got exactly these grants, and the waiting agent gets its code.
    const approved = await agentNamed('claude-desktop');
    assert.equal(approved?.status, 'active');
    assert.deepEqual(approved.grants, [{ connection: 'acme-work', scopes: ['items:read'] }]);
    const consent = await consentStatus(claudeRequest);
    assert.equal(consent.status, 'approved');
    assert.ok(consent.redirect_to?.startsWith(`${AGENT_REDIRECT_URI}?code=`), consent.redirect_to);
    await page.getByTestId('approvals-empty').waitFor();
    assert.equal(await badge.count(), 0, 'no pending request, no badge');
    assert.equal(await decided.locator('.decided-row').count(), 3);
    assert.equal(
      await decided.locator(`[data-decided="${claudeRequest}"] .decided-scopes`).innerText(),
      'acme-work:items:read',
      'what was granted',
    );

    // A new request shows up live: card, nav badge, toast.
    const aiderRequest = await world.requestAccess('aider', 'stripe:read');
    const aider = page.locator(`[data-approval="${aiderRequest}"]`);
    await aider.waitFor({ timeout: 5000 });
    await page.getByText('aider asks for access. Review it under Approvals.').waitFor();
    assert.match(await badge.innerText(), /^1\b/);
    // Without edits, Approve grants what was requested: no grants in the body.
    await aider.getByRole('button', { name: 'Approve', exact: true }).click();
    await aider.waitFor({ state: 'detached' });
    assert.deepEqual(api.to('POST', `/admin/api/approvals/${aiderRequest}`)[0]!.body, { decision: 'approve' });
    assert.deepEqual((await agentNamed('aider'))?.grants, [{ connection: 'stripe', scopes: ['read'] }]);
    assert.equal(await decided.locator(`[data-decided="${aiderRequest}"] .decided-scopes`).innerText(), 'stripe:read');

    // An agent that named no scope: the picker is open from the start and Approve needs a choice.
    const scopelessRequest = await world.requestAccess('scopeless', '');
    const scopeless = page.locator(`[data-approval="${scopelessRequest}"]`);
    await scopeless.waitFor({ timeout: 5000 });
    assert.match(await scopeless.innerText(), /No particular scope/);
    const approveChosen = scopeless.getByRole('button', { name: 'Approve with these grants' });
    assert.equal(await approveChosen.isDisabled(), true);
    await scopeless.locator('[data-grant="stripe"]').getByLabel('Everything').check();
    await approveChosen.click();
    await scopeless.waitFor({ state: 'detached' });
    assert.deepEqual(api.to('POST', `/admin/api/approvals/${scopelessRequest}`)[0]!.body, {
      decision: 'approve',
      grants: [{ connection: 'stripe', scopes: ['*'] }],
    });
    assert.deepEqual((await agentNamed('scopeless'))?.grants, [{ connection: 'stripe', scopes: ['*'] }]);

    const unknownRequest = await world.requestAccess('unknown-cli', 'acme-work:items:read');
    const unknown = page.locator(`[data-approval="${unknownRequest}"]`);
    await unknown.waitFor({ timeout: 5000 });
    await unknown.getByRole('button', { name: 'Deny' }).click();
    await unknown.waitFor({ state: 'detached' });
    assert.deepEqual(api.to('POST', `/admin/api/approvals/${unknownRequest}`)[0]!.body, { decision: 'deny' });
    const denied = await consentStatus(unknownRequest);
    assert.equal(denied.status, 'denied');
    assert.match(denied.redirect_to ?? '', /[?&]error=access_denied\b/);
    // In Agents it is "Not approved" now, not awaiting anything.
    await page.locator('[data-view="agents"]').click();
    const unknownAgent = page.locator('[data-agent="unknown-cli"]');
    await unknownAgent.waitFor();
    assert.equal((await agentNamed('unknown-cli'))?.status, 'pending');
    assert.equal((await unknownAgent.locator('.badge').innerText()).trim(), 'Not approved');
    assert.equal(await unknownAgent.locator('.badge').getAttribute('data-status'), 'agent-not-approved');
    assert.equal(await unknownAgent.getByRole('button', { name: 'Review in Approvals' }).count(), 0);
    assert.equal(await page.locator('[data-agent="aider"] .badge').getAttribute('data-status'), 'agent-active');

    // Nothing is polled: approvals are fetched again only when the broker's event stream says they changed.
    const fetches = () => api.to('GET', '/admin/api/approvals').length;
    const idle = fetches();
    await sleep(2500);
    assert.equal(fetches(), idle, 'no polling');
  });
});

test('kill switch: pause shows the banner, resume hides it; the state comes from the broker', async () => {
  const { broker } = world;
  try {
    await withDashboard('agents', async (page, api) => {
      const toggle = page.getByRole('switch', { name: 'Pause all agents' });
      await page.locator('li.agent').first().waitFor();
      await page.locator('[data-testid="kill-switch"]:not([disabled])').waitFor();
      assert.equal(await toggle.getAttribute('aria-checked'), 'false');
      assert.equal(await page.getByTestId('paused-banner').count(), 0);

      await toggle.click();
      const banner = page.getByTestId('paused-banner');
      await banner.waitFor();
      assert.match(await banner.innerText(), /All agent requests are refused/);
      assert.equal(await toggle.getAttribute('aria-checked'), 'true');
      assert.equal(api.to('POST', '/admin/api/pause').length, 1);
      assert.deepEqual((await broker.admin('/pause')).body, { paused: true });
      const refused = await world.token(notesSync);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'paused');
      await page.screenshot({ path: join(SCREENSHOTS, 'paused.png') });

      await banner.getByRole('button', { name: 'Resume agents' }).click();
      await banner.waitFor({ state: 'detached' });
      assert.equal(await toggle.getAttribute('aria-checked'), 'false');
      assert.equal(api.to('POST', '/admin/api/resume').length, 1);
      assert.deepEqual((await broker.admin('/pause')).body, { paused: false });
      assert.equal((await world.token(notesSync)).status, 200);

      // Paused elsewhere (the CLI, another window): it shows here at once, and after a reload.
      assert.equal((await broker.admin('/pause', { method: 'POST' })).status, 200);
      await page.getByTestId('paused-banner').waitFor({ timeout: 1000 });
      await page.reload();
      await page.getByTestId('paused-banner').waitFor();
      assert.equal(await page.getByRole('switch', { name: 'Pause all agents' }).getAttribute('aria-checked'), 'true');
    });
  } finally {
    await broker.admin('/resume', { method: 'POST' });
  }
});

test('audit: real entries, filters send the right query, "Load more" follows the cursor, verify, export', async () => {
  const { broker } = world;
  // Proxied calls: one relayed (the test provider has no such API: 404), one refused by the rules.
  // An agent revoked before the calls below: its token request comes last (see there).
  const retired = await world.createAgent('retired-bot', [{ connection: 'acme-work', scopes: ['items:read'] }]);
  assert.equal((await broker.admin(`/agents/${retired.id}/revoke`, { method: 'POST' })).status, 200);
  const access = (await world.token(notesSync)).body.access_token as string;
  assert.equal(await world.proxy(access, 'acme-work/items/42?page=2'), 404);
  assert.equal(await world.proxy(access, 'acme-work/admin/users'), 403);
  // A fresh refusal on top: the revoked agent asking for a token (its first refusal this minute:
  // repeated ones within the minute are counted into one entry, see unauthenticated-denials.ts).
  assert.equal((await world.token(retired)).status, 401);
  const total = await auditCount();
  type Entry = {
    id: number;
    kind: string;
    reason: string;
    latency_ms: number | null;
    bytes_in: number | null;
    bytes_out: number | null;
  };
  const firstPage = (await broker.admin('/audit?limit=50')).body as { entries: Entry[]; next_cursor: string };
  const newest = firstPage.entries[0]!;
  assert.ok(total > 100, `enough entries for three pages (${total})`);

  await withDashboard('audit', async (page, api) => {
    const rows = page.locator('.audit-table tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 50);
    await api.expectQuery('/admin/api/audit', { limit: '50' });

    // Newest first: the refused token request with all it records.
    assert.equal(await rows.first().getAttribute('data-entry'), String(newest.id));
    // It has no latency or sizes: its reason takes those columns.
    const cells = await rows.first().locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(1), ['retired-bot', '—', 'token', '401', 'Denied', newest.reason]);
    assert.match(newest.reason, /^client_credentials: invalid_client: /);
    // The refused proxied call below it: method and path, the rule's reason, latency and sizes.
    const proxied = await rows.nth(1).locator('td').allInnerTexts();
    assert.deepEqual(proxied.slice(1, 7), [
      'notes-sync',
      'acme-work',
      'GET/admin/users',
      '403',
      'Denied',
      'insufficient_scope',
    ]);
    assert.match(proxied[7]!, /^\d+ ms$/);
    assert.match(proxied[8]!, /^0 B \/ \d+ B$/);
    // Every reason reads in full, and spans the latency and size columns exactly where those are empty.
    const reasons = await rows
      .locator('td.reason')
      .evaluateAll((tds) =>
        tds.map((td) => ({ span: Number(td.getAttribute('colspan') ?? 1), clipped: td.scrollWidth > td.clientWidth })),
      );
    const unmeasured = (e: Entry) => e.latency_ms === null && e.bytes_in === null && e.bytes_out === null;
    assert.deepEqual(
      reasons.map((r) => r.span),
      firstPage.entries.map((e) => (unmeasured(e) ? 3 : 1)),
    );
    assert.ok(
      firstPage.entries.some(unmeasured) && firstPage.entries.some((e) => !unmeasured(e)),
      'both kinds of rows on the first page',
    );
    assert.deepEqual(
      reasons.flatMap((r, i) => (r.clipped ? [firstPage.entries[i]!.reason] : [])),
      [],
      'clipped reasons',
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'audit.png') });

    // Paging follows next_cursor until the end.
    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(99).waitFor();
    await api.expectQuery('/admin/api/audit', { cursor: firstPage.next_cursor, limit: '50' });
    const secondCursor = (await broker.admin(`/audit?limit=50&cursor=${firstPage.next_cursor}`)).body
      .next_cursor as string;
    await page.getByRole('button', { name: 'Load more' }).click();
    await waitForRows(page, Math.min(total, 150));
    await api.expectQuery('/admin/api/audit', { cursor: secondCursor, limit: '50' });
    for (let shown = 150; shown < total; shown += 50) {
      await page.getByRole('button', { name: 'Load more' }).click();
      await waitForRows(page, Math.min(total, shown + 50));
    }
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0);
    assert.match(await page.getByTestId('audit-count').innerText(), new RegExp(`^${total} entries, end of the log`));

    // Each filter goes into the query; the list restarts from the first page and matches the broker's.
    const filters = page.getByRole('form', { name: 'Filter the audit log' });
    await filters.getByLabel('Decision', { exact: true }).selectOption('deny');
    await page.locator('.audit-table tbody tr:not([data-decision="deny"])').first().waitFor({ state: 'detached' });
    await api.expectQuery('/admin/api/audit', { decision: 'deny', limit: '50' });
    await filters.getByLabel('Agent', { exact: true }).selectOption({ label: 'release-bot' });
    await filters.getByLabel('Kind', { exact: true }).selectOption('token');
    const since = new Date(localInput(Date.now() - 60 * 60_000)).toISOString();
    await filters.getByLabel('From', { exact: true }).fill(localInput(Date.parse(since)));
    const combined = { agent: releaseBot.id, decision: 'deny', kind: 'token', since };
    await api.expectQuery('/admin/api/audit', { ...combined, limit: '50' });
    await waitForRows(page, await auditCount(combined));
    await filters.getByLabel('From', { exact: true }).fill('');
    await filters.getByLabel('Agent', { exact: true }).selectOption('');
    await filters.getByLabel('Kind', { exact: true }).selectOption('');
    await api.expectQuery('/admin/api/audit', { decision: 'deny', limit: '50' });
    const deniedCount = await auditCount({ decision: 'deny' });
    await waitForRows(page, deniedCount);

    // Export: fetched with the admin token, saved through a download, same filters.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.equal(csv.suggestedFilename(), 'latchkey-audit.csv');
    const csvLines = (await readFile(await csv.path(), 'utf8')).trim().split('\r\n');
    assert.equal(csvLines.length, 1 + deniedCount);
    assert.match(csvLines[0]!, /^id,at,kind,decision/);
    await api.expectQuery('/admin/api/audit/export', { decision: 'deny', format: 'csv' });
    const [jsonl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSONL' }).click(),
    ]);
    assert.equal(jsonl.suggestedFilename(), 'latchkey-audit.jsonl');
    const exported = (await readFile(await jsonl.path(), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { decision: string });
    assert.equal(exported.length, deniedCount);
    assert.ok(exported.every((e) => e.decision === 'deny'));

    // A connection: its changes are on the record.
    await filters.getByRole('button', { name: 'Clear' }).click();
    await waitForRows(page, 50);
    await api.expectQuery('/admin/api/audit', { limit: '50' });
    await filters.getByLabel('Connection', { exact: true }).selectOption('acme-work');
    await api.expectQuery('/admin/api/audit', { connection: 'acme-work', limit: '50' });
    await waitForRows(page, await auditCount({ connection: 'acme-work' }));
    assert.deepEqual(
      [...new Set(await page.locator('.audit-table tbody tr td:nth-child(3)').allInnerTexts())],
      ['acme-work'],
    );
    await filters.getByRole('button', { name: 'Clear' }).click();
    await waitForRows(page, 50);

    // Verify the chain: intact, then broken where a row was edited behind the broker's back.
    await page.getByRole('button', { name: 'Verify chain' }).click();
    const result = page.getByTestId('verify-result');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-ok'), 'true');
    const { checked } = (await broker.admin('/audit/verify')).body as { checked: number };
    assert.match(await result.innerText(), new RegExp(`The chain is intact\\. ${checked} entries checked`));
    world.tamperAudit(57);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.locator('[data-testid="verify-result"][data-ok="false"]').waitFor();
    assert.match(
      await result.innerText(),
      /The chain is broken at entry #57\. Entry #57 or the one before it was edited/,
    );
    const { reason, ...verdict } = (await broker.admin('/audit/verify')).body as { reason: string };
    assert.deepEqual(verdict, { ok: false, checked: 56, first_bad: 57 });
    assert.match(reason, /^Entry #57 /);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-broken.png') });
  });
});

test('dark mode: the agents, approvals and audit screens', async () => {
  const { broker } = world;
  // Asked before the pause: a paused broker takes no registration.
  const request = await world.requestAccess('night-owl', 'acme-work:items:read stripe:read');
  assert.equal((await broker.admin('/pause', { method: 'POST' })).status, 200);
  try {
    await withDashboard(
      'approvals',
      async (page) => {
        await page.locator(`[data-approval="${request}"]`).waitFor();
        await page.getByTestId('paused-banner').waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, 'approvals-dark.png') });
        await page.locator('[data-view="agents"]').click();
        await page.locator('li.agent').first().waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, 'agents-dark.png') });
        await page.locator('[data-view="audit"]').click();
        await page.locator('.audit-table tbody tr').first().waitFor();
        await page.screenshot({ path: join(SCREENSHOTS, 'audit-dark.png') });
      },
      { colorScheme: 'dark' },
    );
  } finally {
    await broker.admin('/resume', { method: 'POST' });
  }
});
