/** "invalid JSON at line L, column C: …"; V8's own message does not always carry the position. */
export function jsonErrorMessage(source: string, error: Error): string {
  const located = locateJsonError(source);
  if (!located) return `invalid JSON: ${error.message}`;
  const before = source.slice(0, located.offset);
  const line = before.split('\n').length;
  const column = located.offset - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${column}: ${located.message}`;
}

/** A strict RFC 8259 scan that finds where a document stops being JSON (undefined if it is JSON). */
export function locateJsonError(source: string): { offset: number; message: string } | undefined {
  let i = 0;
  class Stop {
    constructor(
      readonly offset: number,
      readonly message: string,
    ) {}
  }
  const fail = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const found = () => (i < source.length ? JSON.stringify(source[i]) : 'the end of the file');
  const space = () => {
    while (i < source.length && ' \t\n\r'.includes(source[i]!)) i++;
  };
  const expect = (char: string, what: string) => {
    if (source[i] !== char) fail(`expected ${what}, found ${found()}`);
    i++;
  };
  const string = () => {
    expect('"', 'a string');
    for (;;) {
      if (i >= source.length) fail('unterminated string');
      const c = source.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character in a string (escape it)');
      if (c === 0x5c) {
        const next = source[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) fail('invalid \\u escape');
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else fail('invalid escape in a string');
      } else i++;
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i, i + 400));
    if (!match || match[0] === '' || match[0] === '-') fail(`expected a value, found ${found()}`);
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail('nested too deeply');
    space();
    const c = source[i];
    if (c === '{') {
      i++;
      space();
      if (source[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (source[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
        string();
        space();
        expect(':', '":" after the property name');
        value(depth + 1);
        space();
        if (source[i] === ',') {
          i++;
          continue;
        }
        expect('}', '"," or "}"');
        return;
      }
    }
    if (c === '[') {
      i++;
      space();
      if (source[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        space();
        if (source[i] === ',') {
          i++;
          continue;
        }
        expect(']', '"," or "]"');
        return;
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (source.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    number();
  };
  try {
    value(0);
    space();
    if (i < source.length) fail(`unexpected ${found()} after the JSON value`);
    return undefined;
  } catch (stop) {
    if (stop instanceof Stop) return { offset: stop.offset, message: stop.message };
    throw stop;
  }
}
