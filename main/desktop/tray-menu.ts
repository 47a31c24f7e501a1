/**
 * The tray menu as data: a pure function of the broker's state. `tray.ts` turns it into an
 * Electron Menu and runs the actions; nothing here touches Electron, so it is tested as is.
 */
import type { DashboardTarget } from './window.js';

export interface TrayState {
  /** Providers that can be connected from the tray (OAuth, in the system browser). */
  oauthProviders: readonly { id: string; name: string }[];
  /** `providerName` is the provider's display name. */
  connections: readonly { name: string; providerName: string; status: string; account: string | null }[];
  /** Authorization requests waiting for the person, oldest first. */
  pendingApprovals: readonly { id: string; agent_name: string; requested_scope: string }[];
  agents: readonly { id: string; name: string; status: string }[];
  paused: boolean;
  /** null where the platform has no login items (Linux). */
  startAtLogin: boolean | null;
}

export type TrayAction =
  | { kind: 'open'; target?: DashboardTarget }
  | { kind: 'connect'; provider: string; providerName: string }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'revoke-agent'; agentId: string; agentName: string }
  | { kind: 'set-start-at-login'; enabled: boolean }
  | { kind: 'quit' };

export type TrayMenuItem =
  | { type: 'separator' }
  | { type: 'item'; label: string; enabled: boolean; action?: TrayAction; toolTip?: string }
  | { type: 'checkbox'; label: string; checked: boolean; action: TrayAction }
  | { type: 'submenu'; label: string; items: TrayMenuItem[] };

/** normal; paused (the kill switch is on); attention (someone waits for a decision, or a connection needs re-auth). */
export type TrayIconState = 'normal' | 'paused' | 'attention';

export interface TrayMenu {
  icon: TrayIconState;
  toolTip: string;
  items: TrayMenuItem[];
}

/** More pending requests than this are summed up in one "N more…" entry. */
export const MAX_LISTED_APPROVALS = 5;
const MAX_SCOPE_LABEL = 60;

const STATUS_LABEL: Record<string, string> = {
  connected: 'connected',
  expired: 'expired',
  needs_reauth: 'needs re-auth',
};

const item = (label: string, action?: TrayAction, enabled = true): TrayMenuItem => ({
  type: 'item',
  label,
  enabled,
  ...(action ? { action } : {}),
});
const disabled = (label: string): TrayMenuItem => ({ type: 'item', label, enabled: false });
const separator: TrayMenuItem = { type: 'separator' };

/** "github:repo github:read:org linear:read" → "github: repo, read:org; linear: read". */
export function describeScope(scope: string): string {
  const byConnection = new Map<string, string[]>();
  for (const token of scope.split(' ').filter(Boolean)) {
    const colon = token.indexOf(':');
    const connection = colon < 0 ? token : token.slice(0, colon);
    const rest = colon < 0 ? '' : token.slice(colon + 1);
    const scopes = byConnection.get(connection) ?? [];
    if (rest) scopes.push(rest);
    byConnection.set(connection, scopes);
  }
  if (byConnection.size === 0) return 'access';
  const text = [...byConnection]
    .map(([connection, scopes]) => (scopes.length > 0 ? `${connection}: ${scopes.join(', ')}` : connection))
    .join('; ');
  return text.length > MAX_SCOPE_LABEL ? `${text.slice(0, MAX_SCOPE_LABEL - 1)}…` : text;
}

export function trayIconState(state: Pick<TrayState, 'paused' | 'pendingApprovals' | 'connections'>): TrayIconState {
  if (state.pendingApprovals.length > 0 || state.connections.some((c) => c.status === 'needs_reauth'))
    return 'attention';
  return state.paused ? 'paused' : 'normal';
}

function toolTip(state: TrayState): string {
  const notes: string[] = [];
  const waiting = state.pendingApprovals.length;
  if (waiting > 0) notes.push(waiting === 1 ? '1 request waiting' : `${waiting} requests waiting`);
  const reauth = state.connections.filter((c) => c.status === 'needs_reauth').length;
  if (reauth > 0) notes.push(reauth === 1 ? '1 connection needs re-auth' : `${reauth} connections need re-auth`);
  if (state.paused) notes.push('agents paused');
  return notes.length > 0 ? `Latchkey — ${notes.join(', ')}` : 'Latchkey';
}

function approvalItems(state: TrayState): TrayMenuItem[] {
  const review: TrayAction = { kind: 'open', target: { view: 'approvals' } };
  const items = state.pendingApprovals
    .slice(0, MAX_LISTED_APPROVALS)
    .map((approval) =>
      item(`${approval.agent_name} wants ${describeScope(approval.requested_scope)} — Review…`, review),
    );
  const more = state.pendingApprovals.length - MAX_LISTED_APPROVALS;
  if (more > 0) items.push(item(more === 1 ? '1 more request — Review…' : `${more} more requests — Review…`, review));
  return items.length > 0 ? [...items, separator] : [];
}

function connectionLabel(connection: TrayState['connections'][number]): string {
  const who = connection.account ? ` (${connection.account})` : '';
  return `${connection.name}${who} — ${STATUS_LABEL[connection.status] ?? connection.status}`;
}

function agentsSubmenu(state: TrayState): TrayMenuItem {
  const active = state.agents.filter((agent) => agent.status === 'active');
  const items: TrayMenuItem[] =
    active.length > 0
      ? active.map((agent) =>
          item(`Revoke ${agent.name}`, { kind: 'revoke-agent', agentId: agent.id, agentName: agent.name }),
        )
      : [disabled('No active agents')];
  items.push(separator, item('Manage agents…', { kind: 'open', target: { view: 'agents' } }));
  return { type: 'submenu', label: 'Agents', items };
}

function connectSubmenu(state: TrayState): TrayMenuItem {
  const items: TrayMenuItem[] =
    state.oauthProviders.length > 0
      ? state.oauthProviders.map((p) =>
          item(`Connect ${p.name}`, { kind: 'connect', provider: p.id, providerName: p.name }),
        )
      : [disabled('No OAuth providers')];
  items.push(separator, item('All providers…', { kind: 'open', target: { view: 'providers' } }));
  return { type: 'submenu', label: 'Connect', items };
}

export function buildTrayMenu(state: TrayState): TrayMenu {
  const connections: TrayMenuItem[] =
    state.connections.length > 0
      ? state.connections.map((c) => ({
          type: 'item',
          label: connectionLabel(c),
          enabled: true,
          action: { kind: 'open', target: { view: 'connections' } },
          toolTip: `${c.providerName}: ${STATUS_LABEL[c.status] ?? c.status}`,
        }))
      : [disabled('No connections yet')];

  const items: TrayMenuItem[] = [
    ...approvalItems(state),
    item('Open Latchkey', { kind: 'open' }),
    separator,
    state.paused ? item('Resume agents', { kind: 'resume' }) : item('Pause all agents', { kind: 'pause' }),
    agentsSubmenu(state),
    separator,
    connectSubmenu(state),
    disabled('Connections'),
    ...connections,
    separator,
  ];
  if (state.startAtLogin !== null) {
    items.push(
      {
        type: 'checkbox',
        label: 'Start at login',
        checked: state.startAtLogin,
        action: { kind: 'set-start-at-login', enabled: !state.startAtLogin },
      },
      separator,
    );
  }
  items.push(item('Quit Latchkey', { kind: 'quit' }));
  return { icon: trayIconState(state), toolTip: toolTip(state), items };
}
