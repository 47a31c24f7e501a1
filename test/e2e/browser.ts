/**
 * A headless Chromium-based browser (test/setup/find-browser.ts) for the dashboard e2e tests: one browser per
 * test file, a fresh context per test, window.open and CSP violations recorded, console errors collected, admin API calls recorded.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserLaunchOptions } from '../setup/find-browser.js';

export const DIST = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));

// The README's pictures are refreshed on purpose (UPDATE_SCREENSHOTS=1), not by every run.
export const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('./__screenshots__/', import.meta.url))
    : fileURLToPath(new URL('../../dist/e2e-screenshots/', import.meta.url));

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

/** One admin API request as the page sent it. */
export interface ApiCall {
  method: string;
  /** Path under the origin, e.g. /admin/api/agents. */
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

/** The admin API requests a page sent, in order. */
export class ApiLog {
  readonly calls: ApiCall[] = [];

  to(method: string, path: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method && c.path === path);
  }

  /** Waits (up to 5 s) until the latest GET of `path` carried exactly `expected` as its query. */
  async expectQuery(path: string, expected: Record<string, string>): Promise<void> {
    const latest = () => this.to('GET', path).at(-1)?.query;
    for (let i = 0; i < 50 && !isDeepStrictEqual(latest(), expected); i++) await sleep(100);
    assert.deepEqual(latest(), expected);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function launchBrowser(): Promise<Browser> {
  assert.ok(
    existsSync(join(DIST, 'index.html')),
    'dist/renderer is missing: run `npx vite build --config renderer/vite.config.ts` first',
  );
  return chromium.launch({ ...browserLaunchOptions(), args: LAUNCH_ARGS });
}

export async function openPage(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[]; api: ApiLog }> {
  const context = await browser.newContext({
    viewport: { width: 1180, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const api = new ApiLog();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer as a failed resource load; the tests provoke some (401, 400, 409, 412) on purpose.
    if (msg.type() === 'error' && !/Failed to load resource: .*status of 4\d\d/.test(msg.text())) {
      errors.push(`console: ${msg.text()}`);
    }
  });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith('/admin/api/')) return;
    const text = request.postData();
    api.calls.push({
      method: request.method(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers().authorization,
      body: text ? JSON.parse(text) : undefined,
    });
  });
  await page.addInitScript(INIT_SCRIPT);
  return { context, page, errors, api };
}

/** What the page passed to window.open (stubbed: nothing is opened). */
export async function openedUrls(page: Page): Promise<{ url: string; target: string; features: string }[]> {
  return (await page.evaluate('window.__opened')) as { url: string; target: string; features: string }[];
}
