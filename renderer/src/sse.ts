/**
 * A parser of server-sent events (the `text/event-stream` format) for streams read with
 * fetch(): EventSource cannot send the admin token's Authorization header.
 */

export interface ServerEvent {
  /** `message` when the block named none. */
  type: string;
  data: string;
  id: string | null;
}

/** Feeds text as it arrives; returns the events completed by it (comments and `retry:` are skipped). */
export class EventStreamParser {
  private buffer = '';

  push(text: string): ServerEvent[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: ServerEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event = parseBlock(block);
      if (event) events.push(event);
    }
    return events;
  }
}

function parseBlock(block: string): ServerEvent | null {
  let type = 'message';
  let id: string | null = null;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return data.length === 0 ? null : { type, data: data.join('\n'), id };
}
