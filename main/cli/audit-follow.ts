import { createInterface } from 'node:readline';
import type { AuditDecision, AuditEntry } from '../common/admin-api.js';
import type { ControlClient } from './control-client.js';
import { formatTime, printLine, styled } from './output.js';

export interface FollowFilter {
  agentId?: string | undefined;
  connection?: string | undefined;
  decision?: AuditDecision | undefined;
}

const COLUMNS = [19, 16, 14, 8, 40, 6];

/** One entry as a line of the table `latchkey audit` prints. */
export function auditRow(e: AuditEntry): string[] {
  return [
    formatTime(e.at),
    e.agent_name ?? '-',
    e.connection ?? '-',
    e.decision,
    e.method ? `${e.method} ${e.path ?? ''}` : e.kind,
    e.status === null ? '-' : String(e.status),
    e.reason ?? '',
  ];
}

const matches = (entry: AuditEntry, filter: FollowFilter): boolean =>
  (filter.agentId === undefined || entry.agent_id === filter.agentId) &&
  (filter.connection === undefined || entry.connection === filter.connection) &&
  (filter.decision === undefined || entry.decision === filter.decision);

/**
 * `latchkey audit --follow`: prints entries as they commit, read from the broker's live
 * events (`GET /admin/api/events`), until Ctrl-C or the broker stops (both end it with
 * exit code 0). `json` prints one JSON object a line.
 */
export async function followAudit(client: ControlClient, filter: FollowFilter, json: boolean): Promise<void> {
  const response = await client.open('GET', '/events');
  let interrupted = false;
  const stop = (): void => {
    interrupted = true;
    response.destroy();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i < COLUMNS.length ? cell.padEnd(COLUMNS[i] as number) : cell))
      .join('  ')
      .trimEnd();
  process.stderr.write('Following new audit entries; Ctrl-C stops.\n');
  if (!json)
    printLine(styled('bold', line(['TIME', 'AGENT', 'CONNECTION', 'DECISION', 'REQUEST', 'STATUS', 'REASON'])));
  let event = '';
  try {
    for await (const text of createInterface({ input: response, crlfDelay: Infinity })) {
      if (text.startsWith('event: ')) event = text.slice(7);
      else if (text.startsWith('data: ') && event === 'audit-appended') {
        const entry = JSON.parse(text.slice(6)) as AuditEntry;
        if (!matches(entry, filter)) continue;
        if (json) process.stdout.write(`${JSON.stringify(entry)}\n`);
        else printLine(line(auditRow(entry)));
      } else if (text === '') event = '';
    }
  } catch (error) {
    // Ctrl-C destroys the stream on purpose, and a broker killed mid-stream resets it; anything else is the caller's to report.
    if (!interrupted && (error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (!interrupted) process.stderr.write('latchkey: the broker stopped; no more entries.\n');
}
