import { styleText } from 'node:util';
import type { RegistrationKind } from '../common/admin-api.js';

type Style = Parameters<typeof styleText>[0];

/** Colour only for a person at a terminal, and never when NO_COLOR is set (https://no-color.org). */
function colourful(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

export function styled(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return colourful(stream) ? styleText(style, text) : text;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Aligned columns, header first; `empty` is printed instead when there are no rows. */
export function printTable(headers: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) {
    printLine(empty);
    return;
  }
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  printLine(styled('bold', line(headers)));
  for (const row of rows) printLine(line(row));
}

/** A time as "2026-11-30 15:47:14" in the person's local zone, or "-". */
/** How an agent came to be, in the REGISTERED column of `agents` and `approvals`. */
export const formatRegistration = (registration: RegistrationKind): string =>
  ({ admin: 'by you', dynamic: 'self-registered', metadata_document: 'metadata document' })[registration];

export function formatTime(iso: string | null): string {
  if (!iso) return '-';
  const date = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/**
 * A spinner on stderr while `work` runs; nothing at all when stderr is not a terminal
 * (pipes, CI, tests), so output stays clean.
 */
export async function withSpinner<T>(label: string, work: Promise<T>): Promise<T> {
  const stream = process.stderr;
  if (stream.isTTY !== true) return work;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  const draw = (): void => {
    stream.write(`\r${styled('cyan', frames[frame % frames.length] as string, stream)} ${label}`);
    frame += 1;
  };
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    stream.write('\r\x1b[K');
  }
}
