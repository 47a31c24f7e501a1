import { request } from 'node:http';
import { controlSocketPath } from '../core/broker.js';
import { LatchkeyError } from '../core/errors.js';

/**
 * The CLI's way into a running broker: its admin API over the control socket in the data
 * dir, which only this user can open. Without the admin token (none is written to disk)
 * the socket answers only what `latchkey exec` needs; see admin-auth.ts.
 */
export class ControlClient {
  readonly #socketPath: string;

  constructor(readonly dataDir: string) {
    this.#socketPath = controlSocketPath(dataDir);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({
        socketPath: this.#socketPath,
        method,
        path: `/admin/api${path}`,
        headers: { host: 'latchkey', accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
        timeout: 30_000,
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('timeout', () => req.destroy(new Error('the broker did not answer in 30 s')));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
          reject(new LatchkeyError('broker_not_running', `No Latchkey is running for ${this.dataDir}. Start the app or \`latchkey serve\` first (or pass the --data-dir it uses).`, 503));
        } else {
          reject(error);
        }
      });
      req.end(payload);
    });
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (status >= 400) {
      const { error, error_description, ...details } = json;
      throw new LatchkeyError(String(error ?? 'request_failed'), String(error_description ?? `HTTP ${status}`), status, details);
    }
    return json as T;
  }
}
