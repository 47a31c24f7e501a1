import type { Catalog } from '../catalog/catalog.js';
import { DEFAULT_BASE } from '../catalog/bases.js';
import { grantableConnectionScopes, grantedScopes } from '../proxy/access.js';
import type { AdmittedCall } from '../proxy/handler.js';
import type { ProxyTarget } from '../proxy/path.js';
import type { AgentPrincipal } from '../proxy/types.js';
import { Allowances } from './allowances.js';
import { summarizeCall } from './call-summary.js';
import { HeldCalls, type CallVerdict, type HeldCallsDeps } from './held-calls.js';
import { scopesToAsk } from './scopes-to-ask.js';

export type AskFirstDeps = Omit<HeldCallsDeps, 'allowances'> & { catalog: Pick<Catalog, 'matcher'> };

/** An authorized call of an agent whose grants name ask scopes (`agent.ask`). */
export interface AskedCall {
  agent: AgentPrincipal;
  call: AdmittedCall;
  target: ProxyTarget;
  method: string;
  /** The body's declared size, null when not announced. */
  bodyBytes: number | null;
  /** Aborts when the agent goes away: its held call is dropped. */
  signal?: AbortSignal | undefined;
}

/**
 * Ask-first grants at the proxy (and the MCP tools, which share its runtime): decides
 * whether an authorized call needs the person's say and, if so, holds it until they answer.
 * The held calls and the "allow for 1 hour" answers live here, on one clock.
 */
export class AskFirst {
  readonly allowances: Allowances;
  readonly held: HeldCalls;
  readonly #catalog: AskFirstDeps['catalog'];

  constructor(deps: AskFirstDeps) {
    this.#catalog = deps.catalog;
    this.allowances = new Allowances(deps.now);
    this.held = new HeldCalls({ ...deps, allowances: this.allowances });
  }

  /** Undefined when the call needs no asking (now); the person's yes otherwise (a no or no answer throws, see HeldCalls.hold). */
  async admit(input: AskedCall): Promise<CallVerdict | undefined> {
    const { agent, call, target } = input;
    const { record, provider } = call;
    const grant = agent.grants.get(target.connection);
    const ask = agent.ask?.get(target.connection);
    // No ask on this connection; no grant was refused by admitCall already.
    if (ask === undefined || grant === undefined) return undefined;
    const path = target.path as string;
    const matches = this.#catalog.matcher(provider.id, target.base ?? DEFAULT_BASE)(input.method, path);
    const question = scopesToAsk({
      matches,
      granted: grantedScopes(grant, record, provider),
      ask,
      connectionScopes: grantableConnectionScopes(record, provider),
      allowedNow: (scope) => this.allowances.allows(agent.agent_id, record.id, scope),
    });
    if (question.scopes.length === 0) return undefined;
    return this.held.hold(
      {
        agent: { agent_id: agent.agent_id, agent_name: agent.agent_name },
        connection: { id: record.id, name: record.name },
        method: input.method,
        path: `${target.base === undefined ? '' : `:${target.base}`}${path}`,
        summary: summarizeCall(input.method, path, question.rule),
        scopes: question.scopes,
        body_bytes: input.bodyBytes,
      },
      input.signal,
    );
  }
}
