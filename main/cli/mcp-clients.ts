import { homedir } from 'node:os';
import { join } from 'node:path';
import { MCP_SNIPPETS, type McpClientId } from '../common/mcp-snippets.js';
import { LatchkeyError } from '../core/errors.js';

/** Where a client keeps its config, from the home dir and the environment (HOME, APPDATA, XDG_CONFIG_HOME). */
export interface ClientEnvironment {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
}

export const currentEnvironment = (): ClientEnvironment => ({
  home: homedir(),
  cwd: process.cwd(),
  platform: process.platform,
  env: process.env,
});

export interface McpClient {
  label: string;
  /** The file `--write` merges into. */
  file(where: ClientEnvironment): string;
  /** What the person pastes (or runs) to add Latchkey at `url`. */
  snippet(url: string): string;
  /** How to use the snippet, for the printed text. */
  instructions(file: string): string;
  /** `existing` (undefined: no file yet) with the latchkey entry set to `url`; everything else kept. */
  merge(existing: string | undefined, file: string, url: string): string;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** A client configured by a JSON file whose servers sit under `key`: `--write` changes only `key.latchkey`. */
function jsonClient(
  id: Exclude<McpClientId, 'codex'>,
  file: McpClient['file'],
  instructions: McpClient['instructions'],
): McpClient {
  const {
    label,
    snippet,
    json: { key, entry },
  } = MCP_SNIPPETS[id];
  return {
    label,
    file,
    instructions,
    snippet,
    merge(existing, path, url) {
      let config: unknown = {};
      if (existing !== undefined && existing.trim() !== '') {
        try {
          config = JSON.parse(existing);
        } catch {
          throw new LatchkeyError(
            'invalid_config_file',
            `${path} is not valid JSON (comments are not supported); nothing was written: fix it, or add the snippet by hand (run without --write to print it).`,
            400,
            { file: path },
          );
        }
      }
      const isObject = (value: unknown): value is Record<string, unknown> =>
        typeof value === 'object' && value !== null && !Array.isArray(value);
      if (!isObject(config) || (config[key] !== undefined && !isObject(config[key]))) {
        throw new LatchkeyError(
          'invalid_config_file',
          `${path} does not hold a JSON object with an object "${key}"; nothing was written: add the snippet by hand (run without --write to print it).`,
          400,
          { file: path },
        );
      }
      const servers = (config[key] ?? {}) as Record<string, unknown>;
      return json({ ...config, [key]: { ...servers, latchkey: entry(url) } });
    },
  };
}

const TOML_TABLE = /^\s*\[\s*mcp_servers\s*\.\s*(?:latchkey|"latchkey"|'latchkey')\s*\]\s*(?:#.*)?$/;
const TOML_HEADER = /^\s*\[/;

/**
 * Codex's config.toml without a TOML parser: the `[mcp_servers.latchkey]` table's lines (up
 * to the next table header) are replaced, or the table is appended; other lines stay as they are.
 */
function mergeCodexToml(existing: string | undefined, url: string): string {
  const table = MCP_SNIPPETS.codex.snippet(url);
  const text = existing ?? '';
  const lines = text.split('\n');
  const start = lines.findIndex((line) => TOML_TABLE.test(line));
  if (start === -1) {
    if (text.trim() === '') return table;
    return `${text.replace(/\n*$/, '\n')}\n${table}`;
  }
  let end = start + 1;
  while (end < lines.length && !TOML_HEADER.test(lines[end] as string)) end += 1;
  // Keep the blank lines that separated the old table from the next one.
  while (end > start + 1 && (lines[end - 1] as string).trim() === '') end -= 1;
  const replaced = [...lines.slice(0, start), ...table.replace(/\n$/, '').split('\n'), ...lines.slice(end)];
  return replaced.join('\n');
}

function claudeDesktopFile({ home, platform, env }: ClientEnvironment): string {
  if (platform === 'darwin')
    return join(home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
  if (platform === 'win32')
    return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Claude', 'claude_desktop_config.json');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'Claude', 'claude_desktop_config.json');
}

export const MCP_CLIENTS: Record<McpClientId, McpClient> = {
  'claude-desktop': jsonClient(
    'claude-desktop',
    claudeDesktopFile,
    (file) =>
      `Merge this into ${file} (or run with --write), then restart Claude Desktop. Its config file starts only local servers, so this goes through the mcp-remote bridge (needs npx). Remote connectors can also be added in Claude Desktop's Settings → Connectors, with the URL above.`,
  ),
  'claude-code': jsonClient(
    'claude-code',
    ({ home }) => join(home, '.claude.json'),
    (file) => `Run this command (or run this with --write to merge it into ${file}):`,
  ),
  cursor: jsonClient(
    'cursor',
    ({ home }) => join(home, '.cursor', 'mcp.json'),
    (file) => `Merge this into ${file} (or run with --write):`,
  ),
  vscode: jsonClient(
    'vscode',
    ({ cwd }) => join(cwd, '.vscode', 'mcp.json'),
    (file) =>
      `Merge this into the workspace's ${file} (or run with --write), or into your user mcp.json (Command Palette: "MCP: Open User Configuration"):`,
  ),
  codex: {
    label: MCP_SNIPPETS.codex.label,
    file: ({ home, env }) => join(env.CODEX_HOME || join(home, '.codex'), 'config.toml'),
    snippet: MCP_SNIPPETS.codex.snippet,
    instructions: (file) => `Add this table to ${file} (or run with --write):`,
    merge: (existing, _file, url) => mergeCodexToml(existing, url),
  },
};
