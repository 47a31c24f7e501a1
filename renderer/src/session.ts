/**
 * The admin token arrives once in the URL fragment (`/#admin=TOKEN`, never sent to a server),
 * is kept in sessionStorage (this tab only, gone when it closes) and removed from the address bar.
 *
 * The fragment may also carry where to open: `#admin=TOKEN&view=providers&provider=slack`
 * (the desktop tray uses it to land on a provider that still needs its OAuth app, or `view=approvals`).
 */

const STORAGE_KEY = 'latchkey.admin_token';

export const VIEW_IDS = ['connections', 'providers', 'agents', 'approvals', 'activity', 'audit'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

const isViewId = (value: string | null): value is ViewId => (VIEW_IDS as readonly (string | null)[]).includes(value);

export interface LaunchParams {
  view?: ViewId;
  provider?: string;
}

let memoryToken: string | null = null;

function readStored(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage disabled: the in-memory copy is the session.
    return memoryToken;
  }
}

function store(token: string | null): void {
  memoryToken = token;
  try {
    if (token === null) window.sessionStorage.removeItem(STORAGE_KEY);
    else window.sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage disabled: the in-memory copy lasts until reload.
  }
}

/**
 * Reads `admin=`, `view=` and `provider=` from the fragment, stores the token and strips the
 * fragment from the URL (history.replaceState: no new history entry, nothing left to copy).
 */
export function consumeFragment(): { token: string | null; launch: LaunchParams } {
  const launch: LaunchParams = {};
  const hash = window.location.hash.replace(/^#/, '');
  // `#/view…` is a route (route.ts), never a token.
  if (hash && !hash.startsWith('/')) {
    const params = new URLSearchParams(hash);
    const token = params.get('admin');
    if (token) store(token);
    const view = params.get('view');
    if (isViewId(view)) launch.view = view;
    const provider = params.get('provider');
    if (provider) launch.provider = provider;
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }
  return { token: readStored(), launch };
}

/** Forgets a token the broker rejected. */
export function forgetToken(): void {
  store(null);
}
