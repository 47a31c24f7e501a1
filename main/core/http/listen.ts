import { chmodSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { LatchkeyError } from '../errors.js';
import { boundedServer, type Handler } from './bounded-server.js';

/**
 * Listens on 127.0.0.1 and, where the machine has it, on [::1] at the same port, so a
 * `http://localhost:PORT/...` redirect works whichever address the browser picks.
 */
export async function listenLoopback(
  app: FastifyInstance,
  handler: Handler,
  port: number,
  secondary: Server[],
): Promise<number> {
  try {
    await app.listen({ host: '127.0.0.1', port });
  } catch (error) {
    throw listenError(error, port);
  }
  const bound = (app.server.address() as { port: number }).port;
  const v6 = boundedServer(handler);
  const v6Error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    v6.once('error', resolve);
    v6.listen({ host: '::1', port: bound, ipv6Only: true }, () => resolve(undefined));
  });
  if (v6Error?.code === 'EADDRINUSE') {
    // Another program on [::1]:PORT would receive the browser's localhost redirects.
    await app.close();
    throw listenError(v6Error, bound);
  }
  if (!v6Error) secondary.push(v6); // else: no IPv6 loopback on this machine
  return bound;
}

/**
 * Serves the same handler on DATA_DIR's control socket (a named pipe on Windows) that only
 * this user can open; its sockets are added to `controlSockets` (admin-auth.ts says what they may do).
 */
export async function listenControlSocket(
  handler: Handler,
  path: string,
  controlSockets: WeakSet<Socket>,
  secondary: Server[],
): Promise<void> {
  const control = boundedServer(handler);
  control.on('connection', (socket: Socket) => controlSockets.add(socket));
  if (process.platform !== 'win32') rmSync(path, { force: true }); // a stale socket of a dead broker (the data-dir lock is ours)
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen({ path, readableAll: false, writableAll: false }, () => resolve());
  });
  if (process.platform !== 'win32') chmodSync(path, 0o600); // connecting needs write access: owner only
  secondary.push(control);
}

function listenError(error: unknown, port: number): LatchkeyError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new LatchkeyError(
      'port_in_use',
      `Port ${port} on the loopback interface is already in use (another Latchkey or another program). Use --port N, or --port 0 for any free port.`,
      500,
    );
  }
  if (code === 'EACCES')
    return new LatchkeyError('port_denied', `Not allowed to listen on port ${port}; use a port above 1023.`, 500);
  return new LatchkeyError('listen_failed', `Cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`, 500);
}
