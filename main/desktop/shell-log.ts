import { createLogger, type Logger } from '../core/log.js';

/**
 * Where the shell tells what failed: the broker's logger (its rotating file) once main.ts
 * made it, stderr before that (only startup runs then). Never a URL's path or query, a
 * header or a body: an origin and an error at most.
 */
let current: Logger = createLogger();

export const shellLog = (): Logger => current;

export function setShellLog(logger: Logger): void {
  current = logger;
}
