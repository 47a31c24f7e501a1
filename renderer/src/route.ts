import { VIEW_IDS, type ViewId } from './session';

/**
 * Each view has its own address, `#/agents` or `#/audit?agent=…`, so reload and back work.
 * The admin token never goes here: it arrives as `#admin=…` and session.ts strips it.
 */
export interface Route {
  view: ViewId;
  params: Record<string, string>;
}

const isViewId = (value: string): value is ViewId => (VIEW_IDS as readonly string[]).includes(value);

/** The route of a `#/view?key=value` fragment; null for anything else (such as the `#admin=` link). */
export function parseRoute(hash: string): Route | null {
  const match = /^#\/([a-z]+)(?:\?(.*))?$/.exec(hash);
  if (!match || !isViewId(match[1] as string)) return null;
  const params: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(match[2] ?? '')) if (key !== 'admin' && value) params[key] = value;
  return { view: match[1] as ViewId, params };
}

/** The fragment of a route; empty params are left out. */
export function routeHash(view: ViewId, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return `#/${view}${text ? `?${text}` : ''}`;
}
