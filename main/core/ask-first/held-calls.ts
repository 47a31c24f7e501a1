import { randomId } from '../authz/secrets.js';
import type { CallApprovalView, CallApprovalWindow } from '../../common/admin-api.js';
import type { AuditInput } from '../audit/audit-log.js';
import type { BrokerEvents } from '../events.js';
import type { Logger } from '../log.js';
import { clientClosed } from '../proxy/errors.js';
import type { Allowances } from './allowances.js';
import { approvalTimeout, callApprovalDecided, callApprovalNotFound, callDenied, stopping } from './errors.js';

export const DEFAULT_HOLD_TIMEOUT_MS = 60_000;
export const ALLOW_FOR_MS = 3_600_000;

/** A call that needs the person's say, as the proxy (or an MCP tool) describes it. */
export interface HeldCallRequest {
  agent: { agent_id: string; agent_name: string };
  /** Grants, and so allowances, bind to the connection's id; people read its name. */
  connection: { id: string; name: string };
  method: string;
  path: string;
  summary: string;
  scopes: string[];
  body_bytes: number | null;
}

/** The person's yes: which approval it was and for how long. */
export interface CallVerdict {
  approval_id: string;
  for: CallApprovalWindow;
}

export interface HeldCallsDeps {
  events: BrokerEvents;
  audit: { append(input: AuditInput): Promise<unknown> };
  allowances: Allowances;
  /** "Always": the scopes leave the grant's `ask` (the agent authority owns grants). */
  stopAsking(agentId: string, connectionId: string, scopes: readonly string[]): Promise<void>;
  logger: Logger;
  now?: () => number;
  /** How long a call waits for an answer (default 60 s). */
  timeoutMs?: number;
}

interface Waiting {
  request: HeldCallRequest;
  view: CallApprovalView;
  deciding: boolean;
  /** Why it ended while a decision was in flight (timeout, agent gone): applied if that decision fails. */
  ended?: Error;
  settle(outcome: { verdict: CallVerdict } | { error: Error }): void;
}

const WINDOW_WORDS: Record<CallApprovalWindow, string> = { once: 'once', '1h': 'for 1 hour', always: 'always' };

/**
 * Calls held for the person's decision (ask-first grants). Each waits on its own promise,
 * so a held call never blocks another; it ends with the decision, the timeout (403
 * approval_timeout) or its agent going away (dropped from the list). Only the admin API
 * decides (`decide`), and every decision is an audit entry naming the approval, the agent,
 * the connection and the call.
 */
export class HeldCalls {
  readonly #deps: HeldCallsDeps;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<string, Waiting>();

  constructor(deps: HeldCallsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#timeoutMs = deps.timeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS;
  }

  /** Waits for the person: resolves with the verdict of a yes; throws call_denied, approval_timeout, or client_closed_request when `signal` aborts. */
  hold(request: HeldCallRequest, signal?: AbortSignal): Promise<CallVerdict> {
    if (signal?.aborted) return Promise.reject(clientClosed());
    const id = randomId(12);
    const created = this.#now();
    const view: CallApprovalView = {
      kind: 'call',
      id,
      agent_id: request.agent.agent_id,
      agent_name: request.agent.agent_name,
      connection: request.connection.name,
      method: request.method,
      path: request.path,
      summary: request.summary,
      scopes: request.scopes,
      body_bytes: request.body_bytes,
      status: 'pending',
      created_at: new Date(created).toISOString(),
      expires_at: new Date(created + this.#timeoutMs).toISOString(),
    };
    return new Promise<CallVerdict>((resolve, reject) => {
      const gone = (): void => this.#drop(id, clientClosed());
      const timer = setTimeout(() => {
        const retryAfter = Math.max(1, Math.ceil(this.#timeoutMs / 1000));
        this.#drop(id, approvalTimeout(id, Math.round(this.#timeoutMs / 1000), retryAfter));
      }, this.#timeoutMs);
      signal?.addEventListener('abort', gone, { once: true });
      this.#waiting.set(id, {
        request,
        view,
        deciding: false,
        settle: (outcome) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', gone);
          this.#waiting.delete(id);
          if ('verdict' in outcome) resolve(outcome.verdict);
          else reject(outcome.error);
        },
      });
      this.#deps.events.emit('approval-requested', {
        id,
        agent_id: request.agent.agent_id,
        agent_name: request.agent.agent_name,
        kind: 'call',
        summary: request.summary,
      });
    });
  }

  /** The calls waiting now, oldest first. */
  list(): CallApprovalView[] {
    return [...this.#waiting.values()].map((waiting) => waiting.view);
  }

  has(id: string): boolean {
    return this.#waiting.has(id);
  }

  /**
   * The person's answer. A yes for an hour or always also lets through the other calls of
   * this agent on this connection that wait on the same scopes (each audited as decided by it).
   */
  async decide(
    id: string,
    decision: 'approve' | 'deny',
    window: CallApprovalWindow = 'once',
  ): Promise<CallApprovalView> {
    const waiting = this.#waiting.get(id);
    if (!waiting) throw callApprovalNotFound(id);
    if (waiting.deciding) throw callApprovalDecided(id);
    waiting.deciding = true;
    const { request } = waiting;
    try {
      if (decision === 'approve' && window === 'always')
        await this.#deps.stopAsking(request.agent.agent_id, request.connection.id, request.scopes);
      const verdict = decision === 'approve' ? `approved ${WINDOW_WORDS[window]}` : 'denied';
      await this.#audit(request, decision, `call approval ${id} ${verdict}: ${request.summary}`);
    } catch (error) {
      waiting.deciding = false;
      if (waiting.ended) this.#drop(id, waiting.ended);
      throw error;
    }
    if (decision === 'deny') {
      waiting.settle({ error: callDenied(id, request.summary) });
      this.#deps.events.emit('approval-decided', { id, agent_id: request.agent.agent_id, status: 'denied' });
      return { ...waiting.view, status: 'denied' };
    }
    if (window === '1h')
      this.#deps.allowances.allow(request.agent.agent_id, request.connection.id, request.scopes, ALLOW_FOR_MS);
    waiting.settle({ verdict: { approval_id: id, for: window } });
    this.#deps.events.emit('approval-decided', { id, agent_id: request.agent.agent_id, status: 'approved' });
    if (window !== 'once') await this.#releaseAlike(id, request, window);
    return { ...waiting.view, status: 'approved' };
  }

  /** Drops every call of an agent (revoked or deleted): they end as their agent went away. */
  dropAgent(agentId: string): void {
    for (const [id, waiting] of this.#waiting)
      if (waiting.request.agent.agent_id === agentId) this.#drop(id, clientClosed());
  }

  /** Latchkey stops: every held call ends now (503), so that the server's close does not wait out their timeouts. */
  close(): void {
    this.endAll(stopping());
  }

  /** Every held call ends with `error` (the kill switch: no answer can let one through any more). */
  endAll(error: Error): void {
    for (const id of [...this.#waiting.keys()]) this.#drop(id, error);
  }

  async #releaseAlike(decidedId: string, decided: HeldCallRequest, window: CallApprovalWindow): Promise<void> {
    const allowed = new Set(decided.scopes);
    for (const [id, waiting] of this.#waiting) {
      const { request } = waiting;
      if (
        waiting.deciding ||
        request.agent.agent_id !== decided.agent.agent_id ||
        request.connection.id !== decided.connection.id
      )
        continue;
      if (!request.scopes.some((scope) => allowed.has(scope))) continue;
      waiting.deciding = true;
      try {
        await this.#audit(
          request,
          'approve',
          `call approval ${id} approved ${WINDOW_WORDS[window]} by the answer to ${decidedId}: ${request.summary}`,
        );
      } catch (error) {
        // Left waiting for its own answer: the person can still decide it.
        waiting.deciding = false;
        this.#deps.logger.error(
          { err: error, connection: request.connection.name },
          'call approval released by another answer not audited',
        );
        continue;
      }
      waiting.settle({ verdict: { approval_id: id, for: window } });
      this.#deps.events.emit('approval-decided', { id, agent_id: request.agent.agent_id, status: 'approved' });
    }
  }

  #drop(id: string, error: Error): void {
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    if (waiting.deciding) {
      waiting.ended = error;
      return;
    }
    waiting.settle({ error });
    this.#deps.events.emit('approval-decided', { id, agent_id: waiting.request.agent.agent_id, status: 'expired' });
  }

  async #audit(request: HeldCallRequest, decision: 'approve' | 'deny', reason: string): Promise<void> {
    await this.#deps.audit.append({
      kind: 'approval',
      decision: decision === 'approve' ? 'allow' : 'deny',
      reason,
      agent_id: request.agent.agent_id,
      agent_name: request.agent.agent_name,
      connection: request.connection.name,
      method: request.method,
      path: request.path,
    });
  }
}
