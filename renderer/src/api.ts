/**
 * Typed client for the broker's admin API (`/admin/api`, same origin, bearer admin token).
 * Every failure becomes an {@link ApiError} carrying the API's `error` code and `error_description`.
 */

import type {
  AgentChanges,
  AgentList,
  AgentView,
  ApprovalDecision,
  ApprovalList,
  ApprovalView,
  AnyApproval,
  CallApprovalView,
  AuditExportFormat,
  AuditFilters,
  AuditPage,
  AuditVerification,
  BrokerStatus,
  ProviderClientInput,
  ProviderList,
  ProviderSummary,
  Connection,
  ConnectionList,
  ConnectRequest,
  ConnectResult,
  Flow,
  DeleteResult,
  CreatedAgent,
  NewAgent,
  Paused,
  ActivityRange,
  ActivityReport,
} from '../../main/common/admin-api';
import type { ExecSessionView } from '../../main/common/exec-session';
import { ApiError } from './api-error';

// The admin API's shapes, defined once in main/common, for the views to import from here.
export type * from '../../main/common/admin-api';
// The admin API's errors as the dashboard sees them (their own file: every view imports them).
export { ApiError, describeError } from './api-error';

export const isCallApproval = (approval: AnyApproval): approval is CallApprovalView => approval.kind === 'call';
export const isRegistration = (approval: AnyApproval): approval is ApprovalView => approval.kind === 'registration';

/** A file the broker sent for saving. */
export interface Download {
  blob: Blob;
  filename: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const seg = (value: string): string => encodeURIComponent(value);

export class LatchkeyApi {
  /**
   * @param token the admin token
   * @param onUnauthorized called on every 401 answer (token missing, wrong or rotated)
   * @param base origin + prefix of the admin API; same origin by default
   */
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: (error: ApiError) => void = () => {},
    private readonly base = '/admin/api',
  ) {}

  status(): Promise<BrokerStatus> {
    return this.request('GET', '/status');
  }

  async providers(): Promise<ProviderSummary[]> {
    const body = await this.request<ProviderList>('GET', '/providers');
    return body.providers;
  }

  /** Adds a custom provider from its JSON definition (400 `invalid_provider` with `problems`, 409 `provider_exists`). */
  addProvider(definition: unknown): Promise<ProviderSummary> {
    return this.request('POST', '/providers', definition);
  }

  /** Stores the person's own OAuth app for a provider. Omit `client_secret` to send none. */
  setClient(providerId: string, client: ProviderClientInput): Promise<ProviderSummary> {
    return this.request('PUT', `/providers/${seg(providerId)}/client`, client);
  }

  connect(request: ConnectRequest): Promise<ConnectResult> {
    return this.request('POST', '/connections', request);
  }

  flow(flowId: string): Promise<Flow> {
    return this.request('GET', `/connections/flows/${seg(flowId)}`);
  }

  async connections(): Promise<Connection[]> {
    const body = await this.request<ConnectionList>('GET', '/connections');
    return body.connections;
  }

  refresh(name: string): Promise<Connection> {
    return this.request('POST', `/connections/${seg(name)}/refresh`);
  }

  disconnect(name: string): Promise<DeleteResult> {
    return this.request('DELETE', `/connections/${seg(name)}`);
  }

  async agents(): Promise<AgentView[]> {
    const body = await this.request<AgentList>('GET', '/agents');
    return body.agents;
  }

  /** 400 `invalid_grant_scope` (with `connection`, `unknown_scopes`, `available_scopes`), 404 `unknown_connection`, 409 when the name is taken. */
  createAgent(agent: NewAgent): Promise<CreatedAgent> {
    return this.request('POST', '/agents', agent);
  }

  /** The agent's live `latchkey exec` sessions. */
  async agentSessions(id: string): Promise<ExecSessionView[]> {
    const body = await this.request<{ sessions: ExecSessionView[] }>('GET', `/agents/${seg(id)}/sessions`);
    return body.sessions;
  }

  updateAgent(id: string, changes: AgentChanges): Promise<AgentView> {
    return this.request('PATCH', `/agents/${seg(id)}`, changes);
  }

  revokeAgent(id: string): Promise<AgentView> {
    return this.request('POST', `/agents/${seg(id)}/revoke`);
  }

  async deleteAgent(id: string): Promise<void> {
    await this.request('DELETE', `/agents/${seg(id)}`);
  }

  async approvals(): Promise<AnyApproval[]> {
    const body = await this.request<ApprovalList>('GET', '/approvals');
    return body.approvals;
  }

  /** A held call: let it through (once, for an hour, always) or refuse it. */
  decideCall(id: string, decision: Pick<ApprovalDecision, 'decision' | 'for'>): Promise<CallApprovalView> {
    return this.request('POST', `/approvals/${seg(id)}`, decision);
  }

  /** Without `grants`, approving grants what was requested (400 `grants_required` when nothing was). */
  decide(id: string, decision: ApprovalDecision): Promise<ApprovalView> {
    return this.request('POST', `/approvals/${seg(id)}`, decision);
  }

  async paused(): Promise<boolean> {
    return (await this.request<Paused>('GET', '/pause')).paused;
  }

  /** The kill switch: `true` refuses every agent request until set back to `false`. */
  async setPaused(paused: boolean): Promise<boolean> {
    return (await this.request<Paused>('POST', paused ? '/pause' : '/resume')).paused;
  }

  audit(filters: AuditFilters, cursor?: string, limit?: number): Promise<AuditPage> {
    const query = auditQuery(filters);
    if (cursor) query.set('cursor', cursor);
    if (limit !== undefined) query.set('limit', String(limit));
    return this.request('GET', `/audit${queryString(query)}`);
  }

  activity(range: ActivityRange): Promise<ActivityReport> {
    return this.request('GET', `/activity?range=${range}`);
  }

  /**
   * Opens the broker's live event stream (server-sent events); resolves to its body once the
   * broker answered. `lastEventId` resumes after the last event received.
   */
  async events(lastEventId: string | null, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: 'text/event-stream' };
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    const response = await this.send('GET', '/events', undefined, 'text/event-stream', { headers, signal });
    if (!response.body) throw new ApiError(response.status, 'invalid_response', 'The broker sent no event stream.');
    return response.body;
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.request('GET', '/audit/verify');
  }

  /** The filtered log as a file. Fetched here because a plain link cannot carry the admin token. */
  async exportAudit(format: AuditExportFormat, filters: AuditFilters): Promise<Download> {
    const query = auditQuery(filters);
    query.set('format', format);
    const response = await this.send('GET', `/audit/export${queryString(query)}`, undefined, '*/*');
    const fallback = `latchkey-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.${format}`;
    return {
      blob: await response.blob(),
      filename: attachmentName(response.headers.get('Content-Disposition')) ?? fallback,
    };
  }

  /** JSON answer of a route; `undefined` for an empty one (204, or a DELETE answered 200 without a body). */
  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body, 'application/json');
    const text = await response.text();
    if (!text && (response.status === 204 || method === 'DELETE')) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, 'invalid_response', 'The broker sent an answer that is not JSON.');
    }
  }

  /** A successful response, or an {@link ApiError} from the API's error body. */
  private async send(
    method: string,
    path: string,
    body: unknown,
    accept: string,
    stream?: { headers: Record<string, string>; signal: AbortSignal },
  ): Promise<Response> {
    const headers: Record<string, string> = stream?.headers ?? {
      Authorization: `Bearer ${this.token}`,
      Accept: accept,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        signal: stream?.signal ?? null,
        body: body === undefined ? null : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
      });
    } catch {
      throw new ApiError(0, 'network_error', 'Could not reach the Latchkey broker. Is it still running?');
    }
    if (response.ok) return response;

    let parsed: unknown;
    try {
      parsed = JSON.parse(await response.text());
    } catch {
      // not the broker's JSON error shape: the status alone names the error below
      parsed = undefined;
    }
    const fields = isRecord(parsed) ? parsed : {};
    const code = typeof fields.error === 'string' ? fields.error : `http_${response.status}`;
    const description =
      typeof fields.error_description === 'string'
        ? fields.error_description
        : response.statusText || `The broker answered HTTP ${response.status}.`;
    const error = new ApiError(response.status, code, description, fields);
    if (error.unauthorized) this.onUnauthorized(error);
    throw error;
  }
}

function auditQuery(filters: AuditFilters): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['agent', 'connection', 'decision', 'kind', 'since', 'until'] as const) {
    const value = filters[key];
    if (value) query.set(key, value);
  }
  return query;
}

const queryString = (query: URLSearchParams): string => (query.size > 0 ? `?${query.toString()}` : '');

/** The file name of `Content-Disposition: attachment; filename="…"`, reduced to a safe base name. */
function attachmentName(header: string | null): string | null {
  const raw = header ? /filename="?([^";]+)"?/i.exec(header)?.[1] : undefined;
  const name = raw?.split(/[\\/]/).pop()?.trim();
  return name ? name : null;
}
