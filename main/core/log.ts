import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Field paths that may hold a secret if someone ever logs an object carrying them. Redaction
 * is the second line of defence: the first is never passing headers, bodies or credentials
 * to the logger at all (a test greps the whole suite's log output for known secrets).
 */
const REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-latchkey-admin"]',
  '*.authorization',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.id_token',
  '*.token',
  '*.secret',
  '*.password',
  '*.passphrase',
];

/**
 * The broker's one structured logger (pino, which fastify speaks natively): JSON lines with a
 * level, a time and the module that wrote them. Headless mode writes to stderr, the desktop
 * app to a rotating file in the data dir, tests to a stream they read.
 */
export function createLogger(
  options: { level?: LogLevel | undefined; destination?: DestinationStream | undefined } = {},
): Logger {
  return pino(
    { level: options.level ?? 'info', base: null, redact: { paths: REDACTED, censor: '[redacted]' } },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that writes nothing: for in-process uses (tests, tools) that did not ask for one. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

export const isLogLevel = (value: string): value is LogLevel => (LOG_LEVELS as readonly string[]).includes(value);
