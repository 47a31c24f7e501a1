/**
 * Which scopes the dashboard preselects as "ask first" when the person creates an agent:
 * those whose names say they write, delete or send (`items:write`, `repo:delete`,
 * `chat:write`, `gmail.send`). A default only: the person sees and changes every box, and
 * the API's default stays no ask at all.
 */
const WRITES = /(^|[^a-z])(write|delete|send|admin|manage)([^a-z]|$)/i;

export function preselectedAsk(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => WRITES.test(scope));
}
