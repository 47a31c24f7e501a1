import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { activitySeries, agentSparkline } from '../activity';
import type { AgentView, ApprovalView, Connection, CreatedAgent, LatchkeyApi, ProviderSummary } from '../api';
import { queryKeys } from '../queries';
import { ErrorMessage, Spinner } from './common';
import type { Notify } from './Notices';
import { AgentForm, type AgentValues } from './AgentForm';
import { AgentRow, shownStatus } from './AgentRow';
import { SecretPanel } from './AgentSecretPanel';
import { McpSetup } from './McpSetup';

export function AgentsView({
  api,
  agents,
  approvals,
  loadError,
  connections,
  providers,
  brokerUrl,
  onChanged,
  onAgentChanged,
  onOpenApprovals,
  notify,
}: {
  api: LatchkeyApi;
  agents: AgentView[] | null;
  /** To tell an agent awaiting a decision from one whose request was denied or expired; null until loaded. */
  approvals: ApprovalView[] | null;
  loadError: { code: string; description: string } | null;
  connections: Connection[];
  providers: ProviderSummary[];
  /** Where agents reach the broker, for the snippets. */
  brokerUrl: string;
  onChanged: () => void;
  onAgentChanged: (agent: AgentView) => void;
  onOpenApprovals: () => void;
  notify: Notify;
}) {
  const [creating, setCreating] = useState(false);
  // The one answer that carries the client secret. It lives in this component only: leaving the
  // view unmounts it, so the secret is never shown twice.
  const [created, setCreated] = useState<CreatedAgent | null>(null);
  const awaitingIds = approvals && new Set(approvals.filter((r) => r.status === 'pending').map((r) => r.agent_id));
  const day = useQuery({ queryKey: queryKeys.activity('day'), queryFn: () => api.activity('day') }).data;
  const daySeries = day ? activitySeries(day) : null;

  async function create(values: AgentValues) {
    const agent = await api.createAgent({
      name: values.name,
      grants: values.grants,
      ...(values.rateLimit !== null ? { rate_limit_per_minute: values.rateLimit } : {}),
    });
    setCreating(false);
    setCreated(agent);
    onChanged();
  }

  return (
    <section aria-labelledby="agents-title">
      <div className="page-head">
        <div>
          <h1 id="agents-title">Agents</h1>
          <p className="muted">
            Programs that act for you. Each gets short-lived tokens limited to the scopes you grant here, and calls your
            connections through Latchkey's proxy — it never sees a provider secret.
          </p>
        </div>
        <button
          type="button"
          className="button button-primary"
          aria-expanded={creating}
          onClick={() => {
            setCreated(null);
            setCreating(true);
          }}
          disabled={creating}
        >
          New agent
        </button>
      </div>

      <McpSetup brokerUrl={brokerUrl} />

      {created ? <SecretPanel agent={created} brokerUrl={brokerUrl} onDone={() => setCreated(null)} /> : null}

      {creating ? (
        <section className="card agent-new" aria-labelledby="agent-new-title">
          <h2 id="agent-new-title">New agent</h2>
          <AgentForm
            connections={connections}
            providers={providers}
            submitLabel="Create agent"
            onSubmit={create}
            onCancel={() => setCreating(false)}
          />
        </section>
      ) : null}

      {loadError ? <ErrorMessage code={loadError.code} description={loadError.description} /> : null}

      {agents === null && !loadError ? (
        <div className="empty">
          <Spinner /> Loading agents…
        </div>
      ) : null}

      {agents !== null && agents.length === 0 && !creating ? (
        <div className="empty" data-testid="agents-empty">
          <h2>No agents yet</h2>
          <p className="muted">
            Create one for each tool or script that should use your connections, and grant it only what it needs.
            Interactive agents can also register themselves; you approve them under <strong>Approvals</strong>.
          </p>
        </div>
      ) : null}

      {agents !== null && agents.length > 0 ? (
        <ul className="agent-list" aria-label="Agents">
          {agents.map((a) => (
            <AgentRow
              key={a.id}
              api={api}
              agent={a}
              shown={shownStatus(a.status, awaitingIds ? awaitingIds.has(a.id) : null)}
              usage={
                daySeries
                  ? { report: day?.agents.find((u) => u.agent_id === a.id), spark: agentSparkline(daySeries, a.id) }
                  : null
              }
              connections={connections}
              providers={providers}
              onChanged={onChanged}
              onAgentChanged={onAgentChanged}
              onOpenApprovals={onOpenApprovals}
              notify={notify}
            />
          ))}
        </ul>
      ) : null}
    </section>
  );
}
