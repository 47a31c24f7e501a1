/**
 * The React dashboard (dist/renderer) in headless Chromium, served by the REAL broker with real
 * connections: OAuth through oidc-provider's login and consent, one whose refresh token the provider
 * revoked (needs_reauth), pasted API keys. Run after building the renderer:
 *   npx vite build --config renderer/vite.config.ts && node --import tsx --test test/e2e/dashboard.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { DIST, launchBrowser, openedUrls, openPage as openBrowserPage, SCREENSHOTS } from './browser.js';
import { finishSignIn, startWorld, type World } from './world.js';

let browser: Browser;
let world: World;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  world = await startWorld();
  await world.connectAcme('acme-work');
  await world.brokenAcme('acme-old');
  await world.addKey('stripe', 'stripe', 'sk_test_e2e_51Hx');
  await world.addKey('openai', 'openai', 'sk-proj-e2e-test');
  // GitHub with the person's OAuth app (and its secret); Slack with a client ID only.
  for (const [id, client] of [
    ['github', { client_id: 'Iv1.e2e0github', client_secret: 'e2e-github-secret' }],
    ['slack', { client_id: '1234.5678' }],
  ] as const) {
    const set = await world.broker.admin(`/providers/${id}/client`, { method: 'PUT', body: client });
    assert.equal(set.status, 200, JSON.stringify(set.body));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await world?.close();
});

const openPage = (options: { colorScheme?: 'light' | 'dark' } = {}) => openBrowserPage(browser, options);
const connection = async (name: string) =>
  (
    (await world.broker.admin('/connections')).body.connections as {
      name: string;
      status: string;
      scopes: string[];
      last_error: string | null;
    }[]
  ).find((c) => c.name === name);

test('the built index.html has no inline script or style, and the broker serves it with a strict CSP', async () => {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script\b(?![^>]*\bsrc=)[^>]*>/i, 'inline <script>');
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i, 'inline style or handler');
  assert.match(html, /http-equiv="Content-Security-Policy"/);
  const served = await fetch(`${world.broker.url}/`);
  assert.equal(served.status, 200);
  assert.equal(await served.text(), html);
  const csp = served.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
});

// The broker always sends `requested_grants`; the fallbacks to other shapes were dead code.
test('the bundle reads approvals only as the broker sends them (requested_grants)', () => {
  const assets = join(DIST, 'assets');
  const code = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(assets, f), 'utf8'))
    .join('\n');
  assert.ok(/\brequested_grants\b/.test(code), 'reads requested_grants');
  assert.deepEqual(
    code.match(/\brequested_scopes?\b/g) ?? [],
    [],
    'no fallback to the scope strings of the removed fake API',
  );
});

test('dashboard: token from the fragment, real connections, refresh, reconnect, disconnect, providers, connect flows', async () => {
  const { broker, provider } = world;
  const { context, page, errors, api } = await openPage();
  try {
    await page.goto(broker.dashboardUrl);
    await page.locator('[data-connection="acme-work"]').waitFor();

    // The token left the address bar but stays in this tab's sessionStorage.
    assert.equal(page.url(), `${broker.url}/`);
    assert.equal(await page.evaluate('sessionStorage.getItem("latchkey.admin_token")'), broker.adminToken);

    // Header with the broker's status: its version and the encrypted-file vault this broker uses.
    const status = await page.locator('[data-testid="broker-status"]').innerText();
    assert.match(status, new RegExp(`v${(await broker.admin('/status')).body.version.replace(/\./g, '\\.')}`));
    assert.match(status, /Encrypted file/);

    // Connections with status badges, scopes and facts, as the broker lists them.
    const listed = (await broker.admin('/connections')).body.connections as { name: string; status: string }[];
    assert.equal(await page.locator('li.connection').count(), listed.length);
    for (const c of listed)
      assert.equal(
        await page.locator(`[data-connection="${c.name}"] .badge`).getAttribute('data-status'),
        c.status,
        c.name,
      );
    const work = page.locator('[data-connection="acme-work"]');
    assert.equal((await work.locator('.badge').innerText()).trim(), 'Connected');
    assert.deepEqual(await work.locator('.chip').allInnerTexts(), (await connection('acme-work'))?.scopes);
    assert.match(await work.innerText(), /alice@example\.test/);
    const old = page.locator('[data-connection="acme-old"]');
    assert.equal(await old.locator('.badge').getAttribute('data-status'), 'needs_reauth');
    assert.ok(await old.getByRole('button', { name: 'Reconnect' }).isVisible());
    assert.ok((await old.innerText()).includes(`Last error: ${(await connection('acme-old'))?.last_error}`));
    assert.deepEqual(await page.locator('[data-connection="stripe"] .chip').allInnerTexts(), ['read', 'write']);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png') });

    // Refresh now: a real refresh at the provider.
    const refreshes = provider.tokenRequests.refresh_token ?? 0;
    await work.getByRole('button', { name: 'Refresh now' }).click();
    await page.getByText('Refreshed acme-work.').waitFor();
    assert.equal(api.to('POST', '/admin/api/connections/acme-work/refresh').length, 1);
    assert.equal(provider.tokenRequests.refresh_token, refreshes + 1);

    // Reconnect the connection that needs it: a browser flow for the same name and scopes.
    await old.getByRole('button', { name: 'Reconnect' }).click();
    await old.locator('[data-flow="pending"]').waitFor();
    assert.deepEqual(api.to('POST', '/admin/api/connections').at(-1)?.body, {
      provider: 'acme',
      method: 'browser',
      scopes: (await connection('acme-old'))?.scopes,
      name: 'acme-old',
    });
    const [reauth] = await openedUrls(page);
    assert.ok(reauth, 'the sign-in page was opened');
    assert.ok(reauth.url.startsWith(`${provider.issuer}/auth?`), reauth.url);
    await finishSignIn(world, reauth.url);
    await page.locator('[data-connection="acme-old"][data-status="connected"]').waitFor({ timeout: 10_000 });
    await page.getByText('Reconnected acme-old.').waitFor();
    assert.equal((await connection('acme-old'))?.status, 'connected');
    assert.equal(await old.getByRole('button', { name: 'Reconnect' }).count(), 0);

    // Disconnect asks first.
    const openai = page.locator('[data-connection="openai"]');
    await openai.getByRole('button', { name: 'Disconnect' }).click();
    assert.equal(api.to('DELETE', '/admin/api/connections/openai').length, 0);
    await openai.locator('.button-danger').click();
    await openai.waitFor({ state: 'detached' });
    assert.equal(api.to('DELETE', '/admin/api/connections/openai').length, 1);
    assert.equal(await connection('openai'), undefined);
    await page.getByText(/^Disconnected openai\. OpenAI was not asked to revoke it/).waitFor();

    // Providers render: the whole catalog, in the broker's order.
    await page.getByRole('button', { name: /^Providers/ }).click();
    await page.locator('[data-provider="acme"]').waitFor();
    const providers = (await broker.admin('/providers')).body.providers as { id: string; name: string }[];
    assert.deepEqual(
      await page.locator('article.provider h2').allInnerTexts(),
      providers.map((p) => p.name),
    );

    // Connect Acme in the browser: POST /connections, window.open(authorize_url), sign in, the flow polls to connected.
    const acmeCard = page.locator('[data-provider="acme"]');
    await acmeCard.getByRole('button', { name: 'Connect…' }).click();
    assert.equal(await acmeCard.locator('[data-testid="redirect-uri"]').innerText(), `${broker.url}/oauth/callback`);
    assert.match(await acmeCard.innerText(), /accepts any local port/);
    await acmeCard.getByLabel(/Connection name/).fill('acme-ui');
    const opened = (await openedUrls(page)).length;
    await acmeCard.getByRole('button', { name: 'Connect', exact: true }).click();
    await acmeCard.locator('[data-flow="pending"]').waitFor();
    assert.deepEqual(api.to('POST', '/admin/api/connections').at(-1)?.body, {
      provider: 'acme',
      method: 'browser',
      scopes: ['openid', 'email', 'offline_access', 'items:read'],
      name: 'acme-ui',
    });
    const [authorize] = (await openedUrls(page)).slice(opened);
    assert.equal(authorize?.target, '_blank');
    assert.equal(authorize.features, 'noopener');
    const authorizeUrl = new URL(authorize.url);
    assert.equal(`${authorizeUrl.origin}${authorizeUrl.pathname}`, `${provider.issuer}/auth`);
    assert.equal(authorizeUrl.searchParams.get('redirect_uri'), `${broker.url}/oauth/callback`);
    assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
    await finishSignIn(world, authorize.url);
    await acmeCard.locator('[data-flow="connected"]').waitFor({ timeout: 10_000 });
    assert.ok(
      api.calls.some((c) => c.method === 'GET' && c.path.startsWith('/admin/api/connections/flows/')),
      'the flow was polled',
    );
    assert.match(await acmeCard.innerText(), /Connected to Acme \(test provider\) as alice@example\.test/);
    assert.equal((await connection('acme-ui'))?.status, 'connected');

    // Slack checks the port: register exactly this URI (localhost, this port).
    const slackCard = page.locator('[data-provider="slack"]');
    await slackCard.getByRole('button', { name: 'Connect…' }).click();
    assert.equal(
      await slackCard.locator('[data-testid="redirect-uri"]').innerText(),
      `http://localhost:${broker.port}/oauth/callback`,
    );
    assert.match(await slackCard.innerText(), /Register exactly this URI/);

    // GitHub: its stored secret, and the device code and personal token options (not used: they would call GitHub).
    // This broker keeps secrets in its encrypted file, and says so.
    const githubCard = page.locator('[data-provider="github"]');
    await githubCard.getByRole('button', { name: 'Connect…' }).click();
    await githubCard.getByText('Secret stored in an encrypted file', { exact: true }).waitFor({ timeout: 5000 });
    const deviceCode = githubCard.getByRole('button', { name: 'Connect with a device code' });
    assert.ok(await deviceCode.isEnabled());
    const personalToken = githubCard.getByLabel('Personal access token');
    assert.ok(await personalToken.isVisible());
    assert.equal(await personalToken.getAttribute('placeholder'), 'Stored in an encrypted file, never shown again');
    await githubCard.getByRole('button', { name: 'Change' }).click();
    assert.equal(
      await githubCard.locator('.hint', { hasText: 'Secret stored' }).innerText(),
      'Secret stored in an encrypted file.',
    );
    assert.doesNotMatch(await githubCard.innerText(), /keychain/i);
    await githubCard.getByRole('button', { name: 'Cancel' }).click();
    await deviceCode.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'providers.png'), fullPage: false });

    // An OAuth provider without the person's OAuth app: the API's error code and text are shown.
    const googleCard = page.locator('[data-provider="google"]');
    await googleCard.getByRole('button', { name: 'Set up…' }).click();
    assert.ok(await googleCard.getByLabel('Client ID').isVisible());
    assert.ok(await googleCard.getByLabel('Client secret').isVisible());
    await googleCard.getByRole('button', { name: 'Connect', exact: true }).click();
    await googleCard.getByText('client_not_configured').waitFor();
    assert.match(
      await googleCard.innerText(),
      /Set up your own Google \(Gmail, Calendar, Drive, Sheets, Docs\) OAuth app first/,
    );
    assert.match(await googleCard.innerText(), /Enter your OAuth app above \(client ID and secret\), then connect/);

    // Custom provider: precise validation problems inline.
    await page.getByRole('button', { name: 'Add…' }).click();
    await page.getByLabel('Provider definition (JSON)').fill('{"name": "Acme"');
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.getByText('invalid_json').waitFor();
    await page.getByLabel('Provider definition (JSON)').fill('{"name": "Acme"}');
    await page.getByRole('button', { name: 'Add provider' }).click();
    const problems = page.locator('[data-testid="provider-problems"]');
    await problems.waitFor();
    assert.match(await problems.innerText(), /\/id\s+is required/);
    assert.match(await problems.innerText(), /\/auth\s+is required/);

    // Every API call carried the admin token.
    assert.ok(api.calls.length > 0);
    for (const c of api.calls) assert.equal(c.authorization, `Bearer ${broker.adminToken}`, `${c.method} ${c.path}`);

    assert.deepEqual(await page.evaluate('window.__csp'), [], 'no CSP violations');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a rejected token (401) shows the "open the dashboard link" message', async () => {
  const { context, page, errors, api } = await openPage();
  try {
    await page.goto(`${world.broker.url}/#admin=not-the-token`);
    const gate = page.locator('[data-testid="needs-link"]');
    await gate.waitFor();
    assert.match(await gate.innerText(), /Open the dashboard link printed by latchkey serve \(or from the tray\)/);
    assert.match(await gate.innerText(), /did not accept/);
    assert.ok(!page.url().includes('not-the-token'));
    assert.ok(
      api.calls.some((c) => c.authorization === 'Bearer not-the-token'),
      'the broker was asked',
    );
    // The rejected token is forgotten.
    assert.equal(await page.evaluate('sessionStorage.getItem("latchkey.admin_token")'), null);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('without a token the page asks for the dashboard link and calls no API', async () => {
  const { context, page, api } = await openPage({ colorScheme: 'dark' });
  try {
    await page.goto(`${world.broker.url}/`);
    await page.locator('[data-testid="needs-link"]').waitFor();
    assert.deepEqual(api.calls, []);
    await page.screenshot({ path: join(SCREENSHOTS, 'needs-link-dark.png') });
  } finally {
    await context.close();
  }
});

test('a new fragment (how the desktop tray opens a provider) switches view in place; reload keeps the session', async () => {
  const { broker } = world;
  const { context, page, errors } = await openPage();
  try {
    await page.goto(broker.dashboardUrl);
    await page.locator('li.connection').first().waitFor();

    // Same document, new fragment: a hashchange, not a reload.
    await page.evaluate(
      `window.__sameDocument = true; location.hash = 'admin=${broker.adminToken}&view=providers&provider=google'`,
    );
    const google = page.locator('[data-provider="google"]');
    await google.locator('.provider-body').waitFor();
    assert.equal(await page.evaluate('window.__sameDocument'), true);
    assert.ok(await google.getByLabel('Client ID').isVisible());
    await page.waitForFunction('location.hash === ""');
    assert.equal(page.url(), `${broker.url}/`);

    // The token lives in sessionStorage for this tab: a reload stays signed in.
    await page.reload();
    await page.locator('li.connection').first().waitFor();
    assert.equal(await page.locator('[data-testid="needs-link"]').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a per-subdomain provider (Zendesk): the connect form asks for the subdomain, the broker refuses a URL, a label connects', async () => {
  const { broker } = world;
  const { context, page, errors } = await openPage();
  try {
    await page.goto(`${broker.url}/#admin=${broker.adminToken}&view=providers&provider=zendesk`);
    const card = page.locator('[data-provider="zendesk"]');
    await card.locator('.provider-body').waitFor();
    const subdomain = card.getByLabel(/Your Zendesk subdomain/);
    assert.match(await card.innerText(), /One DNS label: 1–63 lower-case letters/);
    await card.getByLabel('API key').fill('ZW1haWwvdG9rZW46ZTJl');
    assert.ok(await card.getByRole('button', { name: 'Save key' }).isDisabled(), 'no subdomain yet');
    await subdomain.fill('evil.com/');
    await card.getByRole('button', { name: 'Save key' }).click();
    await card.getByText('invalid_variable').waitFor({ timeout: 5000 });
    assert.equal(await connection('zendesk'), undefined);

    await subdomain.fill('acme');
    await card.getByLabel('API key').fill('ZW1haWwvdG9rZW46ZTJl');
    await card.getByRole('button', { name: 'Save key' }).click();
    await card.locator('[data-flow="connected"]').waitFor({ timeout: 10_000 });
    const made = (await broker.admin('/connections')).body.connections.find(
      (c: { name: string }) => c.name === 'zendesk',
    );
    assert.deepEqual(made?.variables, { subdomain: 'acme' });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// Last: it disconnects everything.
test('no connections: the empty state says where the secrets go (the encrypted file here)', async () => {
  const { broker } = world;
  for (const { name } of (await broker.admin('/connections')).body.connections as { name: string }[]) {
    assert.equal((await broker.admin(`/connections/${name}`, { method: 'DELETE' })).status, 200, name);
  }
  const { context, page, errors } = await openPage();
  try {
    await page.goto(broker.dashboardUrl);
    const empty = page.getByTestId('connections-empty');
    await empty.getByText(/The secrets are kept in an encrypted file\./).waitFor({ timeout: 5000 });
    assert.doesNotMatch(await empty.innerText(), /keychain/i);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
