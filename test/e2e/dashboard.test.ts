/**
 * The React dashboard (dist/renderer) in headless Chromium against a FAKE admin API (./fake-admin-api.ts).
 * Run after `npm run build:renderer`:  node --import tsx --test test/e2e/dashboard.test.ts
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AUTHORIZE_URL, DIST, FakeBroker, TOKEN } from './fake-admin-api.js';

// The README's pictures are refreshed on purpose (UPDATE_SCREENSHOTS=1), not by every run.
const SCREENSHOTS = process.env['UPDATE_SCREENSHOTS'] === '1'
  ? fileURLToPath(new URL('./__screenshots__/', import.meta.url))
  : fileURLToPath(new URL('../../dist/e2e-screenshots/', import.meta.url));
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

// ---------------------------------------------------------------- browser helpers

const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Records window.open calls instead of opening anything, and CSP violations. */
const INIT_SCRIPT = `
  window.__opened = [];
  window.__csp = [];
  window.open = function (url, target, features) {
    window.__opened.push({ url: String(url), target: String(target), features: String(features) });
    return null;
  };
  document.addEventListener('securitypolicyviolation', function (e) {
    window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
  });
`;

let browser: Browser;
let fake: FakeBroker;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/renderer is missing: run `npm run build:renderer` first');
  fake = new FakeBroker();
  await fake.listen();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
});

after(async () => {
  await browser?.close();
  await fake?.close();
});

async function openPage(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1180, height: 860 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer as a failed resource load; the tests provoke some (401, 400) on purpose.
    if (msg.type() === 'error' && !/Failed to load resource: .*status of 4\d\d/.test(msg.text())) {
      errors.push(`console: ${msg.text()}`);
    }
  });
  await page.addInitScript(INIT_SCRIPT);
  return { context, page, errors };
}

// ---------------------------------------------------------------- tests

test('the built index.html has no inline script or style (strict CSP)', () => {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script\b(?![^>]*\bsrc=)[^>]*>/i, 'inline <script>');
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i, 'inline style or handler');
  assert.match(html, /http-equiv="Content-Security-Policy"/);
});

test('dashboard: token from the fragment, connections, providers, connect flows', async () => {
  const { context, page, errors } = await openPage();
  try {
    await page.goto(`${fake.url}/#admin=${TOKEN}`);
    await page.locator('[data-connection="slack-work"]').waitFor();

    // The token left the address bar but stays in this tab's sessionStorage.
    assert.equal(page.url(), `${fake.url}/`);
    assert.ok(!page.url().includes(TOKEN));
    assert.equal(await page.evaluate('sessionStorage.getItem("latchkey.admin_token")'), TOKEN);

    // Header with broker status.
    const status = await page.locator('[data-testid="broker-status"]').innerText();
    assert.match(status, /v0\.1\.0/);
    assert.match(status, /Keychain/);

    // Connections with status badges, scopes and facts.
    assert.equal(await page.locator('li.connection').count(), 3);
    const slack = page.locator('[data-connection="slack-work"]');
    assert.equal(await slack.locator('.badge').getAttribute('data-status'), 'connected');
    assert.equal((await slack.locator('.badge').innerText()).trim(), 'Connected');
    assert.deepEqual(await slack.locator('.chip').allInnerTexts(), ['channels:read', 'users:read']);
    assert.match(await slack.innerText(), /alice@example\.com/);
    const github = page.locator('[data-connection="github"]');
    assert.equal(await github.locator('.badge').getAttribute('data-status'), 'needs_reauth');
    assert.ok(await github.getByRole('button', { name: 'Reconnect' }).isVisible());
    assert.match(await github.innerText(), /refresh token was revoked/);

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png') });

    // Refresh now.
    await slack.getByRole('button', { name: 'Refresh now' }).click();
    await page.getByText('Refreshed slack-work.').waitFor();
    assert.equal(fake.apiCalls('POST', '/admin/api/connections/slack-work/refresh').length, 1);

    // Disconnect asks first.
    const openai = page.locator('[data-connection="openai"]');
    await openai.getByRole('button', { name: 'Disconnect' }).click();
    assert.equal(fake.apiCalls('DELETE', '/admin/api/connections/openai').length, 0);
    await openai.locator('.button-danger').click();
    await page.locator('[data-connection="openai"]').waitFor({ state: 'detached' });
    assert.equal(fake.apiCalls('DELETE', '/admin/api/connections/openai').length, 1);

    // Providers render.
    await page.getByRole('button', { name: /^Providers/ }).click();
    await page.locator('[data-provider="slack"]').waitFor();
    assert.equal(await page.locator('article.provider').count(), 4);
    assert.deepEqual(await page.locator('article.provider h2').allInnerTexts(), ['Slack', 'GitHub', 'Google', 'OpenAI']);

    // Connect Slack in the browser: POST /connections, window.open(authorize_url), poll the flow until connected.
    const slackCard = page.locator('[data-provider="slack"]');
    await slackCard.getByRole('button', { name: 'Connect…' }).click();
    assert.equal(await slackCard.locator('[data-testid="redirect-uri"]').innerText(), 'http://127.0.0.1:7317/oauth/callback');
    assert.match(await slackCard.innerText(), /Register exactly this URI/);
    assert.match(await slackCard.innerText(), /Secret stored in keychain/);
    await slackCard.getByRole('button', { name: 'Connect', exact: true }).click();
    await slackCard.locator('[data-flow="connected"]').waitFor({ timeout: 10_000 });

    const posts = fake.apiCalls('POST', '/admin/api/connections');
    assert.equal(posts.length, 1);
    assert.deepEqual(posts[0]!.body, { provider: 'slack', method: 'browser', scopes: ['channels:read', 'users:read'] });
    const opened = (await page.evaluate('window.__opened')) as { url: string; target: string; features: string }[];
    assert.deepEqual(opened, [{ url: AUTHORIZE_URL, target: '_blank', features: 'noopener' }]);
    assert.ok(fake.apiCalls('GET', '/admin/api/connections/flows/flow-1').length >= 2, 'the flow was polled');
    assert.match(await slackCard.innerText(), /Connected to Slack as alice@example\.com/);

    // Device code: the code is shown big, the flow stays pending until cancelled.
    const githubCard = page.locator('[data-provider="github"]');
    await githubCard.getByRole('button', { name: 'Connect…' }).click();
    await githubCard.getByRole('button', { name: 'Connect with a device code' }).click();
    assert.equal(await githubCard.locator('[data-testid="user-code"]').innerText(), 'WDJB-MJHT');
    assert.ok(await githubCard.getByRole('link', { name: 'https://github.com/login/device' }).isVisible());
    assert.ok(await githubCard.getByLabel('Personal access token').isVisible());
    await page.screenshot({ path: join(SCREENSHOTS, 'providers.png'), fullPage: false });
    await githubCard.getByRole('button', { name: 'Cancel' }).click();

    // An OAuth provider without the person's OAuth app: the API's error code and text are shown.
    const googleCard = page.locator('[data-provider="google"]');
    await googleCard.getByRole('button', { name: 'Set up…' }).click();
    assert.ok(await googleCard.getByLabel('Client ID').isVisible());
    assert.ok(await googleCard.getByLabel('Client secret').isVisible());
    await googleCard.getByRole('button', { name: 'Connect', exact: true }).click();
    await googleCard.getByText('client_not_configured').waitFor();
    assert.match(await googleCard.innerText(), /Enter your Google OAuth app/);

    // Custom provider: precise validation problems inline.
    await page.getByRole('button', { name: 'Add…' }).click();
    await page.getByLabel('Provider definition (JSON)').fill('{"name": "Acme"');
    await page.getByRole('button', { name: 'Add provider' }).click();
    await page.getByText('invalid_json').waitFor();
    await page.getByLabel('Provider definition (JSON)').fill('{"name": "Acme"}');
    await page.getByRole('button', { name: 'Add provider' }).click();
    const problems = page.locator('[data-testid="provider-problems"]');
    await problems.waitFor();
    assert.match(await problems.innerText(), /\/id\s+must be a string/);
    assert.match(await problems.innerText(), /\/auth\s+must have required property 'auth'/);

    // Every API call carried the admin token.
    assert.ok(fake.requests.length > 0);
    for (const r of fake.requests) assert.equal(r.authorization, `Bearer ${TOKEN}`, `${r.method} ${r.path}`);

    assert.deepEqual(await page.evaluate('window.__csp'), [], 'no CSP violations');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a rejected token (401) shows the "open the dashboard link" message', async () => {
  const { context, page, errors } = await openPage();
  try {
    await page.goto(`${fake.url}/#admin=not-the-token`);
    const gate = page.locator('[data-testid="needs-link"]');
    await gate.waitFor();
    assert.match(await gate.innerText(), /Open the dashboard link printed by latchkey serve \(or from the tray\)/);
    assert.match(await gate.innerText(), /did not accept/);
    assert.ok(!page.url().includes('not-the-token'));
    // The rejected token is forgotten.
    assert.equal(await page.evaluate('sessionStorage.getItem("latchkey.admin_token")'), null);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('without a token the page asks for the dashboard link and calls no API', async () => {
  const { context, page } = await openPage({ colorScheme: 'dark' });
  try {
    const before = fake.requests.length;
    await page.goto(`${fake.url}/`);
    await page.locator('[data-testid="needs-link"]').waitFor();
    assert.equal(fake.requests.length, before);
    await page.screenshot({ path: join(SCREENSHOTS, 'needs-link-dark.png') });
  } finally {
    await context.close();
  }
});

test('a new fragment (how the desktop tray opens a provider) switches view in place; reload keeps the session', async () => {
  const { context, page, errors } = await openPage();
  try {
    await page.goto(`${fake.url}/#admin=${TOKEN}`);
    await page.locator('li.connection').first().waitFor();

    // Same document, new fragment: a hashchange, not a reload.
    await page.evaluate(`window.__sameDocument = true; location.hash = 'admin=${TOKEN}&view=providers&provider=google'`);
    const google = page.locator('[data-provider="google"]');
    await google.locator('.provider-body').waitFor();
    assert.equal(await page.evaluate('window.__sameDocument'), true);
    assert.ok(await google.getByLabel('Client ID').isVisible());
    await page.waitForFunction('location.hash === ""');
    assert.equal(page.url(), `${fake.url}/`);

    // The token lives in sessionStorage for this tab: a reload stays signed in.
    await page.reload();
    await page.locator('li.connection').first().waitFor();
    assert.equal(await page.locator('[data-testid="needs-link"]').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
