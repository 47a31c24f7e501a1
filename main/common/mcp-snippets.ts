/**
 * What adds Latchkey's /mcp to each MCP client, computed once for the CLI (`latchkey
 * mcp-config`, which also merges it into the client's file) and the dashboard (which shows
 * it with a copy button). No imports, so both Node and the browser may use it.
 */

export const MCP_CLIENT_IDS = ['claude-desktop', 'claude-code', 'cursor', 'vscode', 'codex'] as const;
export type McpClientId = (typeof MCP_CLIENT_IDS)[number];

export interface McpClientSnippet {
  label: string;
  /** Where the snippet goes, in a sentence, without the file's path on this machine. */
  where: string;
  /** What the person pastes (or runs) to add Latchkey at `url`. */
  snippet(url: string): string;
  /** For a client configured by a JSON file: the object that holds its servers, and Latchkey's entry in it. */
  json?: { key: string; entry(url: string): Record<string, unknown> };
}

export type JsonClientSnippet = McpClientSnippet & Required<Pick<McpClientSnippet, 'json'>>;

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function jsonSnippet(
  label: string,
  where: string,
  key: string,
  entry: (url: string) => Record<string, unknown>,
): JsonClientSnippet {
  return { label, where, snippet: (url) => json({ [key]: { latchkey: entry(url) } }), json: { key, entry } };
}

export const MCP_SNIPPETS = {
  'claude-desktop': jsonSnippet(
    'Claude Desktop',
    'Merge into claude_desktop_config.json, then restart Claude Desktop. Its config file starts only local servers, so this goes through the mcp-remote bridge (needs npx); a remote connector in Settings → Connectors takes the URL directly.',
    'mcpServers',
    // Claude Desktop's config file starts only local (stdio) servers: mcp-remote bridges to /mcp.
    (url) => ({ command: 'npx', args: ['-y', 'mcp-remote', url] }),
  ),
  'claude-code': {
    ...jsonSnippet('Claude Code', 'Run in a terminal.', 'mcpServers', (url) => ({ type: 'http', url })),
    snippet: (url) => `claude mcp add --transport http latchkey ${url}\n`,
  },
  cursor: jsonSnippet('Cursor', 'Merge into ~/.cursor/mcp.json.', 'mcpServers', (url) => ({ url })),
  vscode: jsonSnippet(
    'VS Code',
    'Merge into the workspace\'s .vscode/mcp.json, or your user mcp.json (Command Palette: "MCP: Open User Configuration").',
    'servers',
    (url) => ({ type: 'http', url }),
  ),
  // A JSON string is a valid TOML basic string (same escapes).
  codex: {
    label: 'Codex',
    where: 'Add to ~/.codex/config.toml.',
    snippet: (url: string) => `[mcp_servers.latchkey]\nurl = ${JSON.stringify(url)}\n`,
  },
} satisfies Record<McpClientId, McpClientSnippet>;

/** The /mcp URL of a broker at `brokerUrl`. */
export const mcpUrlOf = (brokerUrl: string): string => `${brokerUrl.replace(/\/+$/, '')}/mcp`;
