import type { AuditEntry } from '../../common/admin-api.js';

export type { AuditExportFormat } from '../../common/api/audit.js';

export const EXPORT_COLUMNS = [
  'id',
  'at',
  'kind',
  'decision',
  'reason',
  'agent_id',
  'agent_name',
  'connection',
  'method',
  'path',
  'status',
  'latency_ms',
  'bytes_in',
  'bytes_out',
  'session_id',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditEntry)[];

/**
 * One CSV cell (RFC 4180). A text cell a spreadsheet would read as a formula (= + - @,
 * or a leading tab/CR) gets a leading apostrophe (OWASP "CSV injection"); then any cell
 * with a quote, comma or line break is quoted, inner quotes doubled.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 lines end with CRLF. */
export const csvHeader = (): string => `${EXPORT_COLUMNS.join(',')}\r\n`;

export const csvLine = (entry: AuditEntry): string =>
  `${EXPORT_COLUMNS.map((column) => csvCell(entry[column])).join(',')}\r\n`;

export const jsonLine = (entry: AuditEntry): string => `${JSON.stringify(entry)}\n`;
