import { useId, useState } from 'react';
import { MCP_CLIENT_IDS, MCP_SNIPPETS, mcpUrlOf, type McpClientId } from '../../../main/common/mcp-snippets';
import { CopyButton } from './common';

/**
 * How to add Latchkey to an MCP client: the same snippets `latchkey mcp-config` prints, for
 * this broker's /mcp. The client registers itself on first use; its request then waits
 * under Approvals.
 */
export function McpSetup({ brokerUrl }: { brokerUrl: string }) {
  const id = useId();
  const [client, setClient] = useState<McpClientId>('claude-code');
  const url = mcpUrlOf(brokerUrl);
  const chosen = MCP_SNIPPETS[client];
  const snippet = chosen.snippet(url);
  return (
    <details className="card mcp-setup" data-testid="mcp-setup">
      <summary>
        <strong>Connect an MCP client</strong>{' '}
        <span className="muted small">Claude, Cursor, VS Code, Codex — at {url}</span>
      </summary>
      <p className="muted small">
        Add this to the client. On first use it registers itself and asks for access; you approve it under{' '}
        <strong>Approvals</strong> and choose what it may use.
      </p>
      <div className="segmented" role="radiogroup" aria-label="MCP client">
        {MCP_CLIENT_IDS.map((clientId) => (
          <label key={clientId} className={clientId === client ? 'segmented-on' : undefined}>
            <input
              type="radio"
              name={`${id}-client`}
              value={clientId}
              checked={clientId === client}
              onChange={() => setClient(clientId)}
            />
            {MCP_SNIPPETS[clientId].label}
          </label>
        ))}
      </div>
      <div className="field">
        <span className="label" id={`${id}-where`}>
          {chosen.where}
        </span>
        <div className="snippet">
          <pre aria-labelledby={`${id}-where`} data-testid="mcp-snippet" data-client={client}>
            <code>{snippet}</code>
          </pre>
          <CopyButton text={snippet} />
        </div>
      </div>
    </details>
  );
}
