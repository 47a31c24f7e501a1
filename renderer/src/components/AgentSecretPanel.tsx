import { useEffect, useId, useRef } from 'react';
import type { CreatedAgent } from '../api';
import { CopyButton } from './common';

/** Quotes a shell word unless it is plainly safe. */
function shellWord(value: string): string {
  return /^[\w.:@%+=/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The one showing of a new agent's client secret, with snippets to use it. */
export function SecretPanel({
  agent,
  brokerUrl,
  onDone,
}: {
  agent: CreatedAgent;
  brokerUrl: string;
  onDone: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const tokenRequest = `curl -u ${shellWord(`${agent.client_id}:${agent.client_secret}`)} -d grant_type=client_credentials ${brokerUrl}/oauth/token`;
  const exec = `latchkey exec --agent ${shellWord(agent.name)} -- your-command`;

  return (
    <section className="card secret-panel" aria-labelledby="agent-secret-title" data-testid="agent-secret">
      <h2 id="agent-secret-title" ref={heading} tabIndex={-1}>
        Agent <span className="agent-name-inline">{agent.name}</span> created
      </h2>
      <div className="message message-warning" role="note">
        <div>
          <strong>Copy the client secret now — you will not see it again.</strong> Latchkey keeps only a hash of it. If
          you lose it, delete this agent and create a new one.
        </div>
      </div>
      <div className="field">
        <span className="label">Client ID</span>
        <div className="copy-row">
          <code className="uri" data-testid="client-id">
            {agent.client_id}
          </code>
          <CopyButton text={agent.client_id} label="Copy ID" />
        </div>
      </div>
      <div className="field">
        <span className="label">Client secret</span>
        <div className="copy-row">
          <code className="uri secret" data-testid="client-secret">
            {agent.client_secret}
          </code>
          <CopyButton text={agent.client_secret} label="Copy secret" />
        </div>
      </div>
      <Snippet label="Get a token (valid up to 15 minutes)" text={tokenRequest} testId="snippet-token" />
      <Snippet label="Or run a command with a fresh token in its environment" text={exec} testId="snippet-exec" />
      <div className="actions">
        <button type="button" className="button button-primary" onClick={onDone}>
          I have saved the secret
        </button>
      </div>
    </section>
  );
}

function Snippet({ label, text, testId }: { label: string; text: string; testId: string }) {
  const id = useId();
  return (
    <div className="field">
      <span className="label" id={id}>
        {label}
      </span>
      <div className="snippet">
        <pre aria-labelledby={id} data-testid={testId}>
          <code>{text}</code>
        </pre>
        <CopyButton text={text} />
      </div>
    </div>
  );
}
