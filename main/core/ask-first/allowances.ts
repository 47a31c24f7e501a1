/**
 * "Allow for 1 hour" answers: per agent, connection (by id: grants bind to ids) and ask
 * scope, until when calls under that scope go through without asking. In memory: a
 * restart asks again, which errs on the person's side. The clock is injected so the
 * window can be tested without waiting.
 */
export class Allowances {
  readonly #until = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  allow(agentId: string, connectionId: string, scopes: readonly string[], forMs: number): void {
    const until = this.#now() + forMs;
    for (const scope of scopes) this.#until.set(key(agentId, connectionId, scope), until);
  }

  allows(agentId: string, connectionId: string, scope: string): boolean {
    const k = key(agentId, connectionId, scope);
    const until = this.#until.get(k);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#until.delete(k);
    return false;
  }

  /** Whatever this agent was allowed goes (it was revoked or deleted). */
  forgetAgent(agentId: string): void {
    for (const k of this.#until.keys()) if (k.startsWith(`${agentId}\n`)) this.#until.delete(k);
  }
}

const key = (agentId: string, connectionId: string, scope: string): string => `${agentId}\n${connectionId}\n${scope}`;
