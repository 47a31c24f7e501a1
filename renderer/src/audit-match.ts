import type { AuditEntry, AuditFilters } from './api';

/** Whether a new entry belongs in a list filtered with `filters` (the broker's own rules: AND of each, times inclusive). */
export function matchesAuditFilters(filters: AuditFilters, entry: AuditEntry): boolean {
  if (filters.agent && entry.agent_id !== filters.agent) return false;
  if (filters.connection && entry.connection !== filters.connection) return false;
  if (filters.decision && entry.decision !== filters.decision) return false;
  if (filters.kind && entry.kind !== filters.kind) return false;
  const at = Date.parse(entry.at);
  if (filters.since && at < Date.parse(filters.since)) return false;
  if (filters.until && at > Date.parse(filters.until)) return false;
  return true;
}

/** New entries (newest last, as they arrive) put on top of a newest-first list, each id once. */
export function prependEntries(list: readonly AuditEntry[], arrived: readonly AuditEntry[]): AuditEntry[] {
  const known = new Set(list.map((e) => e.id));
  const fresh = arrived.filter((e) => {
    if (known.has(e.id)) return false;
    known.add(e.id);
    return true;
  });
  return [...fresh.sort((a, b) => b.id - a.id), ...list];
}
