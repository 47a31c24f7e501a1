import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Header fields a request may carry; the parser keeps one more, so going over it is seen (and refused), not silently cut. */
export const MAX_HEADER_FIELDS = 100;

/** Header size and count bounded: a local process or page cannot make the parser hoard memory. */
export function boundedServer(handler: Handler): Server {
  const server = createServer({ maxHeaderSize: 16 * 1024 }, handler);
  server.maxHeadersCount = MAX_HEADER_FIELDS + 1;
  return server;
}
