import type { DeleteResult, SecretStore } from './api';

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600_000],
  ['month', 30 * 24 * 3600_000],
  ['week', 7 * 24 * 3600_000],
  ['day', 24 * 3600_000],
  ['hour', 3600_000],
  ['minute', 60_000],
];

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "in 42 minutes", "3 hours ago", "now". */
export function fromNow(iso: string | null | undefined, now = Date.now()): string | null {
  const date = parse(iso);
  if (!date) return null;
  const diff = date.getTime() - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return Math.abs(diff) < 30_000 ? 'just now' : relative.format(Math.round(diff / 1000), 'second');
}

/** Full local date and time, for tooltips. */
export function fullDate(iso: string | null | undefined): string | undefined {
  const date = parse(iso);
  return date ? absolute.format(date) : undefined;
}

export function isPast(iso: string | null | undefined, now = Date.now()): boolean {
  const date = parse(iso);
  return date !== null && date.getTime() <= now;
}

/** "4:59" countdown to an ISO time. */
export function countdown(iso: string, now = Date.now()): string {
  const date = parse(iso);
  if (!date) return '';
  const left = Math.max(0, Math.round((date.getTime() - now) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
}

/** The host (and port) of a URL, or the text itself when it is not one. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** "14:03:22" today, "Mar 3, 14:03" on another day. */
export function clockTime(iso: string, now = Date.now()): string {
  const date = parse(iso);
  if (!date) return iso;
  return date.toDateString() === new Date(now).toDateString() ? timeOfDay.format(date) : dayAndTime.format(date);
}

/** "812 B", "4.2 kB", "1.3 MB". */
export function byteSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

const SECRET_PLACE: Record<SecretStore, string> = { keychain: 'your keychain', file: 'an encrypted file' };

/** Where the broker keeps secrets, for "stored in …" sentences; null while its status is not known. */
export function secretPlace(store: SecretStore | null): string | null {
  return store ? SECRET_PLACE[store] : null;
}

/** What the window says after a disconnect: revoked at the provider, revocation failed there, or the provider offers none. */
export function disconnectedMessage(name: string, providerName: string, result: DeleteResult): string {
  if (result.revoked_at_provider) return `Disconnected ${name} and revoked its access at ${providerName}.`;
  if (result.revocation_error !== undefined) {
    return `Disconnected ${name}, but ${providerName} did not revoke its access (${result.revocation_error}): remove the app's access there to be sure it is gone.`;
  }
  return `Disconnected ${name}. ${providerName} was not asked to revoke it (it offers no revocation): remove the app's access there if you want to be thorough.`;
}
