/**
 * The real desktop shell (dist/main/desktop/main.js, built by `npm run build`) on the Electron
 * stand-in (test/desktop/electron-stand-in): the broker it starts, the window it opens, the
 * guards on navigation and new windows, the tray menu following the broker, the single
 * instance, and quitting. What only a real Electron adds is listed in the report/README.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearTestKeychain, TEST_KEYCHAIN_SERVICE, testKeychainEntries } from '../fixtures/broker.js';
import { startApiStandIn } from '../fixtures/api-stand-in.js';
import { authorize, ScriptedBrowser } from '../fixtures/browser.js';
import { PUBLIC_CLIENT_ID, startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import { labels, REPO, ShellProcess, submenuOf, type ShellRecord } from '../desktop/shell-process.js';

const QUIT_DEADLINE_MS = 5000;

interface TrayImage {
  representations: { source: string; digest: string }[];
}

describe('desktop shell on the Electron stand-in', () => {
  let configHome: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let shell: ShellProcess;
  let origin: string;
  let adminToken: string;
  let normalIcon: TrayImage;
  let provider: TestProvider;

  const admin = async (
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: any }> => {
    const response = await fetch(`${origin}/admin/api${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    configHome = mkdtempSync(join(tmpdir(), 'latchkey-shell-'));
    dataDir = join(configHome, 'Latchkey');
    // A real OAuth provider (oidc-provider) for Connect ▸, defined where the broker reads custom providers.
    provider = await startTestProvider();
    mkdirSync(join(dataDir, 'providers'), { recursive: true });
    writeFileSync(join(dataDir, 'providers', 'acme.json'), JSON.stringify(provider.definition()));
    env = {
      ...process.env,
      XDG_CONFIG_HOME: configHome,
      LATCHKEY_PORT: '0',
      LATCHKEY_KEYCHAIN_SERVICE: TEST_KEYCHAIN_SERVICE,
    };
    shell = ShellProcess.start(env);
    const load = await shell.waitFor('the dashboard load', (r) => r.api === 'BrowserWindow.loadURL');
    const url = new URL(load.url as string);
    origin = url.origin;
    adminToken = new URLSearchParams(url.hash.slice(1)).get('admin') ?? '';
  });

  after(async () => {
    shell.kill();
    await shell.exited;
    await provider.close();
    await clearTestKeychain();
    rmSync(configHome, { recursive: true, force: true });
  });

  test('the broker starts on the data dir, holding its lock', async () => {
    assert.equal(JSON.parse(readFileSync(join(dataDir, 'latchkey.lock'), 'utf8')).pid, shell.child.pid);
    const status = await admin('/status');
    assert.equal(status.status, 200);
    assert.equal(status.body.data_dir, dataDir);
    assert.equal(status.body.secret_store, 'keychain');
    // userData is already $XDG_CONFIG_HOME/Latchkey once the app is named; Chromium's profile goes beside the broker's files.
    assert.deepEqual(
      shell.since(0, 'app.setPath').map((r) => [r.name, r.path]),
      [['sessionData', join(dataDir, 'electron-session')]],
    );
  });

  test('the window is sandboxed, isolated, without Node, with the built preload, on the dashboard URL', async () => {
    assert.equal(shell.since(0, 'app.enableSandbox').length, 1);
    const created = shell.since(0, 'BrowserWindow.new');
    assert.equal(created.length, 1);
    const prefs = (created[0]!.options as { webPreferences: Record<string, unknown> }).webPreferences;
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.preload, join(REPO, 'dist', 'preload', 'index.cjs'));
    assert.ok(existsSync(prefs.preload as string), `the preload ${prefs.preload} is built`);

    assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(adminToken, /^[A-Za-z0-9_-]{43}$/);
    const loaded = await shell.waitFor('the dashboard page', (r) => r.api === 'BrowserWindow.loaded');
    assert.deepEqual([loaded.status, loaded.html], [200, true], 'the broker serves the dashboard at that URL');
    await shell.waitFor('the window shown', (r) => r.api === 'BrowserWindow.show');
  });

  test('navigation away from the broker is refused; only https or loopback leaves for the system browser', async () => {
    const cases: { url: string; external: boolean }[] = [
      { url: 'https://evil.example/phish', external: true },
      { url: 'http://evil.example/', external: false },
      { url: 'file:///etc/passwd', external: false },
    ];
    for (const { url, external } of cases) {
      const from = shell.records.length;
      assert.deepEqual(await shell.command('navigate', { url }), { prevented: true }, url);
      assert.deepEqual(
        shell.since(from, 'shell.openExternal').map((r) => r.url),
        external ? [url] : [],
        url,
      );
    }
    const from = shell.records.length;
    assert.deepEqual(await shell.command('navigate', { url: `${origin}/#view=audit` }), { prevented: false });
    assert.deepEqual(shell.since(from, 'shell.openExternal'), []);
  });

  test('window.open never opens a window: https and loopback go to shell.openExternal, the rest nowhere', async () => {
    const cases: { url: string; external: boolean }[] = [
      { url: 'https://github.com/settings/applications/new', external: true },
      { url: 'http://127.0.0.1:9/oauth/callback', external: true },
      { url: 'http://evil.example/', external: false },
      { url: 'https://user:pass@evil.example/', external: false },
      { url: 'javascript:alert(1)', external: false },
      { url: 'file:///etc/passwd', external: false },
    ];
    for (const { url, external } of cases) {
      const from = shell.records.length;
      assert.deepEqual(await shell.command('window-open', { url }), { action: 'deny' }, url);
      assert.deepEqual(
        shell.since(from, 'shell.openExternal').map((r) => r.url),
        external ? [url] : [],
        url,
      );
    }
  });

  test('the session lets the page reach its broker only', async () => {
    assert.deepEqual(await shell.command('session-request', { url: `${origin}/assets/index.js` }), { cancel: false });
    assert.deepEqual(await shell.command('session-request', { url: 'https://cdn.example/x.js' }), { cancel: true });
  });

  test('the tray menu follows the broker: a connection made through the admin API appears', async () => {
    const initial = shell.lastMenu();
    assert.ok(labels(initial).includes('No connections yet'), JSON.stringify(labels(initial)));
    normalIcon = shell.since(0, 'Tray.new')[0]?.image as TrayImage;
    assert.equal(normalIcon.representations[0]?.source, 'png');

    const from = shell.records.length;
    const made = await admin('/connections', { body: { provider: 'stripe', secret: 'rk_test_stand_in' } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await shell.waitForMenu('stripe is connected', (menu) => labels(menu).includes('stripe — connected'), from);
  });

  test('an approval request puts "Review…" on top, marks the icon, and notifies; the notification opens Approvals', async () => {
    const registered = await fetch(`${origin}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'cursor',
        redirect_uris: ['http://127.0.0.1:9/callback'],
        token_endpoint_auth_method: 'none',
      }),
    });
    assert.equal(registered.status, 201);
    const { client_id } = (await registered.json()) as { client_id: string };

    const from = shell.records.length;
    const authorize = new URL(`${origin}/oauth/authorize`);
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id,
      redirect_uri: 'http://127.0.0.1:9/callback',
      scope: 'stripe:read',
      state: 'xyz',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(key, value);
    const response = await fetch(authorize, { redirect: 'manual' });
    assert.equal(response.status, 302);
    assert.match(response.headers.get('location') ?? '', /^\/consent\//);

    const menu = await shell.waitForMenu(
      'the request is on top',
      (m) => m[0]?.label === 'cursor wants stripe: read — Review…',
      from,
    );
    assert.equal(menu[1]?.type, 'separator');
    const notification = await shell.waitFor(
      'the approval notification',
      (r) => r.api === 'Notification.show' && r.title === 'cursor asks for access',
      { from },
    );
    assert.match(notification.body as string, /Review the request/);
    const icon = (await shell.waitFor('the attention icon', (r) => r.api === 'Tray.setImage', { from }))
      .image as TrayImage;
    assert.equal(icon.representations[0]?.source, 'bitmap');
    assert.notEqual(icon.representations[0]?.digest, normalIcon.representations[0]?.digest);
    assert.ok(shell.since(from, 'Tray.setToolTip').some((r) => r.toolTip === 'Latchkey — 1 request waiting'));

    const clicked = shell.records.length;
    await shell.command('click-notification', { title: 'cursor asks for access' });
    const load = await shell.waitFor('the Approvals view', (r) => r.api === 'BrowserWindow.loadURL', { from: clicked });
    assert.equal(new URLSearchParams(new URL(load.url as string).hash.slice(1)).get('view'), 'approvals');

    // The menu's own entry opens the same view.
    const reviewed = shell.records.length;
    await shell.command('click-tray-item', { path: ['cursor wants stripe: read — Review…'] });
    const again = await shell.waitFor('the Approvals view from the menu', (r) => r.api === 'BrowserWindow.loadURL', {
      from: reviewed,
    });
    assert.equal(new URLSearchParams(new URL(again.url as string).hash.slice(1)).get('view'), 'approvals');
  });

  test('a call held under an ask-first grant is a notification saying what it does; the notification opens Approvals', async () => {
    const upstream = await startApiStandIn({ tracker: () => ({ status: 201, body: { ok: true } }) });
    try {
      const added = await admin('/providers', {
        body: {
          id: 'tracker',
          name: 'Tracker',
          auth: {
            type: 'api_key',
            header: 'Authorization',
            format: 'Bearer {key}',
            scopes: { 'tickets:write': 'Open tickets' },
          },
          api: {
            base_url: `${upstream.url}/tracker`,
            rules: [{ method: 'POST', path: '/projects/*/tickets', scopes: ['tickets:write'] }],
          },
        },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal((await admin('/connections', { body: { provider: 'tracker', secret: 'tracker-key' } })).status, 201);
      const agent = await admin('/agents', {
        body: { name: 'filer', grants: [{ connection: 'tracker', scopes: ['tickets:write'], ask: ['tickets:write'] }] },
      });
      assert.equal(agent.status, 201, JSON.stringify(agent.body));
      const token = (await admin(`/agents/${agent.body.id}/token`, { method: 'POST' })).body.access_token as string;

      const from = shell.records.length;
      const held = fetch(`${origin}/proxy/tracker/projects/apollo/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      const notification = await shell.waitFor(
        'the held call notification',
        (r) => r.api === 'Notification.show' && r.title === 'filer wants to create tickets in apollo',
        { from },
      );
      assert.match(notification.body as string, /waits for your answer/);
      const clicked = shell.records.length;
      await shell.command('click-notification', { title: 'filer wants to create tickets in apollo' });
      const load = await shell.waitFor('the Approvals view', (r) => r.api === 'BrowserWindow.loadURL', {
        from: clicked,
      });
      assert.equal(new URLSearchParams(new URL(load.url as string).hash.slice(1)).get('view'), 'approvals');

      const [call] = ((await admin('/approvals')).body.approvals as { kind: string; id: string }[]).filter(
        (a) => a.kind === 'call',
      );
      assert.ok(call);
      assert.equal((await admin(`/approvals/${call.id}`, { body: { decision: 'deny' } })).status, 200);
      assert.equal((await held).status, 403);
      assert.equal(upstream.requests.length, 0);
      // The tests after this one count the agents and connections the person made.
      assert.equal((await admin(`/agents/${agent.body.id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await admin('/connections/tracker', { method: 'DELETE' })).status, 200);
    } finally {
      await upstream.close();
    }
  });

  test('Pause all agents, one-click Revoke and Resume act on the broker, and the menu and icon follow', async () => {
    let from = shell.records.length;
    await shell.command('click-tray-item', { path: ['Pause all agents'] });
    await shell.waitForMenu(
      'agents are paused',
      (m) => labels(m).includes('Resume agents') && !labels(m).includes('Pause all agents'),
      from,
    );
    assert.deepEqual((await admin('/pause')).body, { paused: true });

    // Approving the request (in the dashboard, here through its API) makes cursor an active agent.
    const approvals = (await admin('/approvals')).body.approvals as { id: string; status: string }[];
    const approval = approvals.find((a) => a.status === 'pending');
    assert.ok(approval, 'the request is pending');
    from = shell.records.length;
    assert.equal((await admin(`/approvals/${approval.id}`, { body: { decision: 'approve' } })).status, 200);
    const decided = await shell.waitForMenu(
      'cursor can be revoked',
      (m) => labels(submenuOf(m, 'Agents')).includes('Revoke cursor'),
      from,
    );
    assert.ok(!labels(decided).some((label) => label.includes('Review…')), 'nothing waits any more');
    const pausedIcon = (await shell.waitFor('the paused icon', (r) => r.api === 'Tray.setImage', { from }))
      .image as TrayImage;
    assert.equal(pausedIcon.representations[0]?.source, 'bitmap');

    from = shell.records.length;
    await shell.command('click-tray-item', { path: ['Agents', 'Revoke cursor'] });
    await shell.waitForMenu(
      'cursor is gone from Agents',
      (m) => labels(submenuOf(m, 'Agents'))[0] === 'No active agents',
      from,
    );
    const agents = (await admin('/agents')).body.agents as { name: string; status: string }[];
    const cursor = agents.find((a) => a.name === 'cursor');
    assert.equal(cursor?.status, 'revoked');

    from = shell.records.length;
    await shell.command('click-tray-item', { path: ['Resume agents'] });
    await shell.waitForMenu('agents run again', (m) => labels(m).includes('Pause all agents'), from);
    assert.deepEqual((await admin('/pause')).body, { paused: false });
    const normal = (await shell.waitFor('the normal icon', (r) => r.api === 'Tray.setImage', { from }))
      .image as TrayImage;
    assert.deepEqual(normal.representations, normalIcon.representations);
  });

  test('Connect ▸ opens the sign-in in the system browser; failed, connected and needs-re-auth notify and open the right view', async () => {
    assert.equal(
      (await admin('/providers/acme/client', { method: 'PUT', body: { client_id: PUBLIC_CLIENT_ID } })).status,
      200,
    );

    // The person says no at the provider: the flow fails, and the notification leads to the provider's card.
    let from = shell.records.length;
    await shell.command('click-tray-item', { path: ['Connect', 'Connect Acme (test provider)'] });
    const refused = await shell.waitFor(
      'the sign-in page in the system browser',
      (r) => r.api === 'shell.openExternal',
      { from },
    );
    const state = new URL(refused.url as string).searchParams.get('state') ?? '';
    const answer = await fetch(
      `${origin}/oauth/callback?${new URLSearchParams({ error: 'access_denied', error_description: 'The person said no', state, iss: provider.issuer })}`,
    );
    assert.equal(answer.status, 400);
    const failed = await shell.waitFor(
      'the failure notification',
      (r) => r.api === 'Notification.show' && r.title === "Couldn't connect to Acme (test provider)",
      { from },
    );
    assert.equal(failed.body, 'The person said no', "the provider's own description");
    let clicked = shell.records.length;
    await shell.command('click-notification', { title: "Couldn't connect to Acme (test provider)" });
    let load = await shell.waitFor('the provider card', (r) => r.api === 'BrowserWindow.loadURL', { from: clicked });
    assert.equal(new URLSearchParams(new URL(load.url as string).hash.slice(1)).get('provider'), 'acme');

    from = shell.records.length;
    await shell.command('click-tray-item', { path: ['Connect', 'Connect Acme (test provider)'] });
    const opened = await shell.waitFor(
      'the sign-in page in the system browser',
      (r) => r.api === 'shell.openExternal',
      { from },
    );
    assert.ok((opened.url as string).startsWith(`${provider.issuer}/`), opened.url as string);

    const browser = new ScriptedBrowser();
    const callback = await authorize(browser, opened.url as string, `${origin}/oauth/callback`);
    assert.equal((await browser.get(callback)).status, 200);
    await shell.waitForMenu(
      'acme is connected with its account',
      (m) => labels(m).includes('acme (alice@example.test) — connected'),
      from,
    );
    await shell.waitFor(
      'the connected notification',
      (r) => r.api === 'Notification.show' && r.title === 'Connected to Acme (test provider)',
      { from },
    );
    clicked = shell.records.length;
    await shell.command('click-notification', { title: 'Connected to Acme (test provider)' });
    load = await shell.waitFor('the Connections view', (r) => r.api === 'BrowserWindow.loadURL', { from: clicked });
    assert.equal(new URLSearchParams(new URL(load.url as string).hash.slice(1)).get('view'), 'connections');

    // The person revokes Latchkey's access at the provider; the next refresh finds out.
    // The connection's credential (the vault also holds signing keys, the admin token and the audit head).
    const entry = (await testKeychainEntries())
      .filter((e) => e.account.includes('/connection/'))
      .map((e) => JSON.parse(e.password) as { refresh_token?: string })
      .find((c) => c.refresh_token);
    assert.ok(entry?.refresh_token, 'the connection holds a refresh token');
    const revoked = await fetch(`${provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: entry.refresh_token, client_id: PUBLIC_CLIENT_ID }),
    });
    assert.equal(revoked.status, 200);
    from = shell.records.length;
    assert.equal((await admin('/connections/acme/refresh', { method: 'POST' })).status, 412);
    await shell.waitForMenu(
      'acme needs re-auth',
      (m) => labels(m).includes('acme (alice@example.test) — needs re-auth'),
      from,
    );
    const notification = await shell.waitFor(
      'the re-auth notification',
      (r) => r.api === 'Notification.show' && r.title === 'Reconnect acme',
      { from },
    );
    assert.match(notification.body as string, /Acme \(test provider\) no longer accepts/);
    assert.equal(
      ((await shell.waitFor('the attention icon', (r) => r.api === 'Tray.setImage', { from })).image as TrayImage)
        .representations[0]?.source,
      'bitmap',
    );
    clicked = shell.records.length;
    await shell.command('click-notification', { title: 'Reconnect acme' });
    load = await shell.waitFor('the Connections view', (r) => r.api === 'BrowserWindow.loadURL', { from: clicked });
    assert.equal(new URLSearchParams(new URL(load.url as string).hash.slice(1)).get('view'), 'connections');
  });

  test('a second instance hands over to the first, which shows its window, and exits', async () => {
    const from = shell.records.length;
    const second = ShellProcess.start(env);
    try {
      assert.equal(await second.exited, 0);
      assert.deepEqual(
        second.since(0, 'app.requestSingleInstanceLock').map((r) => r.acquired),
        [false],
      );
      assert.deepEqual(second.since(0, 'BrowserWindow.new'), [], 'the second instance opens no window');
      assert.deepEqual(second.since(0, 'Tray.new'), [], 'and no tray');
    } finally {
      second.kill();
    }
    const handedOver = await shell.waitFor('second-instance', (r) => r.api === 'app.second-instance', { from });
    await shell.waitFor('the window shown again', (r) => r.api === 'BrowserWindow.show', {
      from: shell.records.indexOf(handedOver),
    });
    assert.equal(
      JSON.parse(readFileSync(join(dataDir, 'latchkey.lock'), 'utf8')).pid,
      shell.child.pid,
      'the first instance keeps the data dir',
    );
  });

  test(`Quit closes the broker and releases the data-dir lock within ${QUIT_DEADLINE_MS / 1000} s`, async () => {
    const from = shell.records.length;
    await shell.command('click-tray-item', { path: ['Quit Latchkey'] });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      shell.exited,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the shell did not exit within ${QUIT_DEADLINE_MS} ms`)),
          QUIT_DEADLINE_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    assert.equal(code, 0);
    assert.ok(!existsSync(join(dataDir, 'latchkey.lock')), 'the data-dir lock is released');
    await assert.rejects(fetch(`${origin}/admin/api/status`), 'the broker no longer listens');
    const quits = shell.since(from, 'app.quit').map((r: ShellRecord) => r.prevented);
    assert.deepEqual(quits, [true, false], 'the first quit waits for the broker, the second one ends the app');
    assert.equal(shell.since(from, 'Tray.destroy').length, 1);
  });
});
