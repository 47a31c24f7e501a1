import { request, type IncomingMessage } from 'node:http';
import { controlSocketPath } from '../core/control-socket.js';
import type { ErrorCode } from '../core/error-codes.js';
import { LatchkeyError } from '../core/errors.js';

/**
 * The CLI's way into a running broker: its admin API over the control socket in the data
 * dir, which only this user can open. Without an admin token the broker answers there only
 * what `exec` and `status` need; with one, everything the admin API offers.
 */
export class ControlClient {
  readonly #socketPath: string;

  constructor(
    readonly dataDir: string,
    readonly adminToken?: string,
  ) {
    this.#socketPath = controlSocketPath(dataDir);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.open(method, path, body);
    const text = await new Promise<string>((resolve, reject) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
      response.on('error', reject);
    });
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** The raw response of a 2xx answer, for streamed downloads; any other status becomes the broker's error. */
  async open(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.#socketPath,
          method,
          path: `/admin/api${path}`,
          headers: {
            host: 'latchkey',
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json' } : {}),
            ...(this.adminToken ? { authorization: `Bearer ${this.adminToken}` } : {}),
          },
          timeout: 30_000,
        },
        resolve,
      );
      req.on('timeout', () => req.destroy(new Error('the broker did not answer in 30 s')));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
          reject(
            new LatchkeyError(
              'broker_not_running',
              `No Latchkey is running for ${this.dataDir}. Start the app or \`latchkey serve\` first (or pass the --data-dir it uses).`,
              503,
            ),
          );
        } else {
          reject(error);
        }
      });
      req.end(payload);
    });
    const status = response.statusCode ?? 0;
    if (status < 400) return response;
    let text = '';
    response.setEncoding('utf8');
    for await (const chunk of response) text += chunk as string;
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not the broker's JSON error shape: report the status alone.
    }
    const { error, error_description, ...details } = json;
    // The broker's own code, passed on as it came (every code it answers with is in the registry).
    const code = (typeof error === 'string' ? error : 'request_failed') as ErrorCode;
    throw new LatchkeyError(code, String(error_description ?? `HTTP ${status}`), status, details);
  }
}
