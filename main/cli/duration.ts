import { LatchkeyError } from '../core/errors.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `90s`, `30m`, `12h` or `7d`, in ms; undefined when `value` is not one. */
export function durationMs(value: string): number | undefined {
  const match = /^(\d{1,6})([smhd])$/.exec(value);
  return match ? Number(match[1]) * (UNITS[match[2] as string] as number) : undefined;
}

/** A duration in ms; a usage error naming `option` when `value` is not one. */
export function parseDuration(value: string, option: string): number {
  const ms = durationMs(value);
  if (ms === undefined)
    throw new LatchkeyError('invalid_option', `${option} is a duration such as 30m, 12h or 7d, not "${value}"`);
  return ms;
}
