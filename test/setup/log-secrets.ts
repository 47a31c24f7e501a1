import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A log line that holds what must never be logged. */
export interface LogLeak {
  file: string;
  line: number;
  what: string;
}

/** Shapes no log line may hold whatever secrets were recorded: a JWT, a bearer credential. */
const SHAPES: [string, RegExp][] = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/],
  ['"Bearer "', /Bearer /],
];

/**
 * Every line of the `.log` files in `dir` holding one of the recorded secrets (the
 * `secretsFile`, one JSON string a line) or a secret's shape. The leak is named, never printed.
 */
export function findLogLeaks(dir: string, secretsFile: string): LogLeak[] {
  const secretsPath = join(dir, secretsFile);
  const secrets = existsSync(secretsPath)
    ? [
        ...new Set(
          readFileSync(secretsPath, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as string),
        ),
      ]
    : [];
  const leaks: LogLeak[] = [];
  for (const name of readdirSync(dir)
    .filter((entry) => entry.endsWith('.log'))
    .sort()) {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n');
    lines.forEach((text, index) => {
      const secret = secrets.findIndex((value) => text.includes(value));
      const shape = SHAPES.find(([, pattern]) => pattern.test(text));
      if (secret >= 0)
        leaks.push({
          file: join(dir, name),
          line: index + 1,
          what: `recorded secret #${secret + 1} (${secrets[secret]!.length} characters)`,
        });
      else if (shape) leaks.push({ file: join(dir, name), line: index + 1, what: shape[0] });
    });
  }
  return leaks;
}
