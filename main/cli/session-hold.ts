import { request, type ClientRequest } from 'node:http';
import { createInterface } from 'node:readline';
import type { HoldMessage } from '../common/exec-session.js';
import { controlSocketPath } from '../core/control-socket.js';

/** Between two attempts to hold the session again while the broker is away. */
const RETRY_MS = 1_000;

export interface HoldOptions {
  dataDir: string;
  sessionId: string;
  token: string;
  pid: number | undefined;
  /** epoch ms: no point holding past it. */
  expiresAt: number;
  /** The broker ended the session (or it is gone): the command keeps running, without access. */
  onEnded(reason: string, description: string): void;
  /** The broker went away; `back` once the session is held again. */
  onBroker(state: 'away' | 'back'): void;
}

/**
 * Keeps an exec session held: one open request over the control socket, whose closing is
 * how the broker learns that exec is gone (exit, kill, crash). When the stream ends without
 * an `ended` line the broker stopped: this holds the session again (with its token as
 * proof) once the broker is back, every second until the session's expiry or `stop()`.
 */
export function holdSession(options: HoldOptions): { stop(): void } {
  let current: ClientRequest | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  let away = false;

  const attempt = (): void => {
    if (stopped) return;
    if (Date.now() >= options.expiresAt) {
      options.onEnded('expired', 'its time to live ran out');
      return;
    }
    const body = JSON.stringify({ token: options.token, ...(options.pid === undefined ? {} : { pid: options.pid }) });
    let ended = false;
    const req = request(
      {
        socketPath: controlSocketPath(options.dataDir),
        method: 'POST',
        path: `/admin/api/sessions/${encodeURIComponent(options.sessionId)}/hold`,
        headers: { host: 'latchkey', 'content-type': 'application/json', accept: 'application/x-ndjson' },
      },
      (response) => {
        if (response.statusCode === 503) {
          response.resume(); // the broker is stopping: the request's 'close' retries once it is back
          return;
        }
        if (response.statusCode !== 200) {
          // The broker is back but no longer knows the session (it ended while exec was away, or the token is refused).
          ended = true;
          options.onEnded('lost', `the broker refused to hold it (HTTP ${response.statusCode})`);
          response.resume();
          return;
        }
        if (away) {
          away = false;
          options.onBroker('back');
        }
        const lines = createInterface({ input: response });
        // A broker killed mid-stream resets the response ('aborted'): the request's 'close' below holds the session again.
        lines.on('error', () => {});
        lines.on('line', (line) => {
          const message = JSON.parse(line) as HoldMessage;
          if (message.type === 'ended') {
            ended = true;
            options.onEnded(message.reason, message.description);
          }
        });
      },
    );
    current = req;
    req.on('close', () => {
      if (stopped || ended) return;
      if (!away) {
        away = true;
        options.onBroker('away');
      }
      retry = setTimeout(attempt, RETRY_MS);
    });
    // A refused or reset connection is what a stopped broker looks like: 'close' follows and retries.
    req.on('error', () => {});
    req.end(body);
  };

  attempt();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(retry);
      current?.destroy();
    },
  };
}
