import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { markIconBitmap } from '../../main/desktop/icon-marks.js';
import {
  buildTrayMenu,
  describeScope,
  MAX_LISTED_APPROVALS,
  type TrayMenuItem,
  type TrayState,
} from '../../main/desktop/tray-menu.js';

const EMPTY: TrayState = {
  oauthProviders: [],
  connections: [],
  pendingApprovals: [],
  agents: [],
  paused: false,
  startAtLogin: null,
};

const labels = (items: TrayMenuItem[]): string[] =>
  items.map((item) => (item.type === 'separator' ? '---' : item.label));
const find = (items: TrayMenuItem[], label: string): TrayMenuItem => {
  const found = items.find((item) => item.type !== 'separator' && item.label === label);
  assert.ok(found, `no menu item "${label}" in ${JSON.stringify(labels(items))}`);
  return found;
};
const submenu = (items: TrayMenuItem[], label: string): TrayMenuItem[] => {
  const found = find(items, label);
  assert.equal(found.type, 'submenu');
  return found.items;
};

describe('tray menu model', () => {
  test('with nothing going on: Open, Pause, Agents, Connect, connections placeholder, Quit; normal icon', () => {
    const menu = buildTrayMenu(EMPTY);
    assert.deepEqual(labels(menu.items), [
      'Open Latchkey',
      '---',
      'Pause all agents',
      'Agents',
      '---',
      'Connect',
      'Connections',
      'No connections yet',
      '---',
      'Quit Latchkey',
    ]);
    assert.equal(menu.icon, 'normal');
    assert.equal(menu.toolTip, 'Latchkey');
    assert.deepEqual(find(menu.items, 'Quit Latchkey'), {
      type: 'item',
      label: 'Quit Latchkey',
      enabled: true,
      action: { kind: 'quit' },
    });
  });

  test('pending approvals come first, oldest first, each opening the Approvals view; the icon asks for attention', () => {
    const menu = buildTrayMenu({
      ...EMPTY,
      pendingApprovals: [
        { id: 'a1', agent_name: 'cursor', requested_scope: 'github:repo' },
        { id: 'a2', agent_name: 'triage-bot', requested_scope: 'github:repo github:read:org linear:read' },
      ],
    });
    assert.deepEqual(labels(menu.items).slice(0, 4), [
      'cursor wants github: repo — Review…',
      'triage-bot wants github: repo, read:org; linear: read — Review…',
      '---',
      'Open Latchkey',
    ]);
    const first = menu.items[0];
    assert.ok(first?.type === 'item');
    assert.deepEqual(first.action, { kind: 'open', target: { view: 'approvals' } });
    assert.equal(menu.icon, 'attention');
    assert.equal(menu.toolTip, 'Latchkey — 2 requests waiting');
  });

  test(`more than ${MAX_LISTED_APPROVALS} pending requests are summed up in one entry`, () => {
    const pendingApprovals = Array.from({ length: MAX_LISTED_APPROVALS + 2 }, (_, i) => ({
      id: `a${i}`,
      agent_name: `agent-${i}`,
      requested_scope: '',
    }));
    const menu = buildTrayMenu({ ...EMPTY, pendingApprovals });
    const listed = labels(menu.items).slice(0, MAX_LISTED_APPROVALS + 1);
    assert.deepEqual(listed, [
      ...pendingApprovals.slice(0, MAX_LISTED_APPROVALS).map((a) => `${a.agent_name} wants access — Review…`),
      '2 more requests — Review…',
    ]);
  });

  test('paused: "Resume agents" instead of "Pause all agents", a paused icon, and the tooltip says so', () => {
    const running = buildTrayMenu(EMPTY);
    assert.deepEqual(find(running.items, 'Pause all agents'), {
      type: 'item',
      label: 'Pause all agents',
      enabled: true,
      action: { kind: 'pause' },
    });
    const paused = buildTrayMenu({ ...EMPTY, paused: true });
    assert.ok(!labels(paused.items).includes('Pause all agents'));
    assert.deepEqual(find(paused.items, 'Resume agents'), {
      type: 'item',
      label: 'Resume agents',
      enabled: true,
      action: { kind: 'resume' },
    });
    assert.equal(paused.icon, 'paused');
    assert.equal(paused.toolTip, 'Latchkey — agents paused');
    // Something waiting for the person wins over the paused look.
    assert.equal(
      buildTrayMenu({ ...EMPTY, paused: true, pendingApprovals: [{ id: 'a', agent_name: 'x', requested_scope: '' }] })
        .icon,
      'attention',
    );
  });

  test('Agents submenu: one-click Revoke for each active agent only, then Manage agents…', () => {
    const menu = buildTrayMenu({
      ...EMPTY,
      agents: [
        { id: 'id-1', name: 'cursor', status: 'active' },
        { id: 'id-2', name: 'old-bot', status: 'revoked' },
        { id: 'id-3', name: 'new-client', status: 'pending' },
        { id: 'id-4', name: 'triage-bot', status: 'active' },
      ],
    });
    const agents = submenu(menu.items, 'Agents');
    assert.deepEqual(labels(agents), ['Revoke cursor', 'Revoke triage-bot', '---', 'Manage agents…']);
    assert.deepEqual(find(agents, 'Revoke triage-bot'), {
      type: 'item',
      label: 'Revoke triage-bot',
      enabled: true,
      action: { kind: 'revoke-agent', agentId: 'id-4', agentName: 'triage-bot' },
    });
    assert.deepEqual(labels(submenu(buildTrayMenu(EMPTY).items, 'Agents')), [
      'No active agents',
      '---',
      'Manage agents…',
    ]);
  });

  test('Connect ▸ per OAuth provider, then All providers…', () => {
    const menu = buildTrayMenu({
      ...EMPTY,
      oauthProviders: [
        { id: 'github', name: 'GitHub' },
        { id: 'linear', name: 'Linear' },
      ],
    });
    const connect = submenu(menu.items, 'Connect');
    assert.deepEqual(labels(connect), ['Connect GitHub', 'Connect Linear', '---', 'All providers…']);
    assert.deepEqual(find(connect, 'Connect Linear'), {
      type: 'item',
      label: 'Connect Linear',
      enabled: true,
      action: { kind: 'connect', provider: 'linear', providerName: 'Linear' },
    });
    assert.deepEqual(labels(submenu(buildTrayMenu(EMPTY).items, 'Connect'))[0], 'No OAuth providers');
  });

  test('connections show status and account; one needing re-auth makes the icon ask for attention', () => {
    const state: TrayState = {
      ...EMPTY,
      connections: [
        { name: 'github', providerName: 'GitHub', status: 'connected', account: 'octocat' },
        { name: 'stripe', providerName: 'Stripe', status: 'connected', account: null },
      ],
    };
    const menu = buildTrayMenu(state);
    assert.deepEqual(labels(menu.items).slice(labels(menu.items).indexOf('Connections') + 1, -2), [
      'github (octocat) — connected',
      'stripe — connected',
    ]);
    assert.deepEqual(find(menu.items, 'github (octocat) — connected'), {
      type: 'item',
      label: 'github (octocat) — connected',
      enabled: true,
      action: { kind: 'open', target: { view: 'connections' } },
      toolTip: 'GitHub: connected',
    });
    assert.equal(menu.icon, 'normal');

    const reauth = buildTrayMenu({
      ...state,
      connections: [{ name: 'github', providerName: 'GitHub', status: 'needs_reauth', account: 'octocat' }],
    });
    assert.ok(labels(reauth.items).includes('github (octocat) — needs re-auth'));
    assert.equal(reauth.icon, 'attention');
    assert.equal(reauth.toolTip, 'Latchkey — 1 connection needs re-auth');
  });

  test('Start at login where the platform has login items, as a checkbox that toggles', () => {
    assert.ok(!labels(buildTrayMenu(EMPTY).items).includes('Start at login'));
    assert.deepEqual(find(buildTrayMenu({ ...EMPTY, startAtLogin: false }).items, 'Start at login'), {
      type: 'checkbox',
      label: 'Start at login',
      checked: false,
      action: { kind: 'set-start-at-login', enabled: true },
    });
    assert.deepEqual(find(buildTrayMenu({ ...EMPTY, startAtLogin: true }).items, 'Start at login'), {
      type: 'checkbox',
      label: 'Start at login',
      checked: true,
      action: { kind: 'set-start-at-login', enabled: false },
    });
  });

  test('describeScope groups scopes by connection and keeps labels short', () => {
    assert.equal(describeScope(''), 'access');
    assert.equal(describeScope('github'), 'github');
    assert.equal(describeScope('github:repo github:read:org'), 'github: repo, read:org');
    const long = describeScope(Array.from({ length: 20 }, (_, i) => `github:scope-${i}`).join(' '));
    assert.equal(long.length, 60);
    assert.ok(long.endsWith('…'));
  });
});

describe('tray icon marks', () => {
  const opaque = (width: number, height: number): Buffer => Buffer.alloc(width * height * 4, 0xff);
  const pixel = (bitmap: Buffer, width: number, x: number, y: number): number[] => [
    ...bitmap.subarray((y * width + x) * 4, (y * width + x) * 4 + 4),
  ];

  test('attention puts an orange dot in the lower right corner and leaves the rest', () => {
    const source = opaque(16, 16);
    const marked = markIconBitmap(source, 16, 16, 'attention');
    assert.deepEqual(pixel(marked, 16, 14, 14), [0x00, 0x95, 0xff, 0xff]);
    assert.deepEqual(pixel(marked, 16, 2, 2), [0xff, 0xff, 0xff, 0xff]);
    assert.deepEqual(pixel(source, 16, 14, 14), [0xff, 0xff, 0xff, 0xff], 'the source bitmap is not changed');
  });

  test('paused fades every pixel; normal changes nothing', () => {
    const marked = markIconBitmap(opaque(4, 4), 4, 4, 'paused');
    for (let i = 0; i < 16; i++) assert.deepEqual(pixel(marked, 4, i % 4, Math.floor(i / 4)), [0xff, 0xff, 0xff, 102]);
    assert.deepEqual(markIconBitmap(opaque(4, 4), 4, 4, 'normal'), opaque(4, 4));
  });

  test('a bitmap of the wrong size is refused', () => {
    assert.throws(() => markIconBitmap(Buffer.alloc(10), 4, 4, 'paused'), /4×4 bitmap has 64 bytes/);
  });
});
