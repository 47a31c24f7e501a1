import { randomBytes } from 'node:crypto';
import { LatchkeyError } from '../errors.js';

export type FlowStatus = 'pending' | 'connected' | 'failed';

interface FlowCommon {
  id: string;
  provider: string;
  /** Connection name the flow will create or re-authorize. */
  name: string;
  scopes: string[];
  /** The provider's template variables (checked host parts), stored with the connection. */
  variables?: Record<string, string>;
  created_at: number;
  expires_at: number;
  status: FlowStatus;
  connection_name?: string;
  error?: string;
  error_description?: string;
  /** The provider's own error code (access_denied, expired_token…), when it gave one. */
  provider_error?: string;
}

export interface BrowserFlow extends FlowCommon {
  kind: 'browser';
  state: string;
  code_verifier: string | undefined;
  redirect_uri: string;
  /** Set when the callback arrived: a state is redeemed once. */
  claimed: boolean;
}

export interface DeviceFlow extends FlowCommon {
  kind: 'device';
}

export type Flow = BrowserFlow | DeviceFlow;

export interface FlowRegistryOptions {
  /** How long a person has to finish a flow. */
  ttlMs?: number;
  /** Pending flows at once: each holds a PKCE verifier in memory. */
  maxPending?: number;
  now?: () => number;
}

const randomId = (): string => randomBytes(24).toString('base64url');

/**
 * Connect flows in progress, in memory only (they hold PKCE verifiers). A flow expires
 * after its TTL; a browser flow's `state` can be redeemed once. Finished flows stay
 * readable for one more TTL so the UI can show how they ended.
 */
/** How long an ended flow stays to be reported, at least. */
const MIN_RETENTION_MS = 60_000;

export class FlowRegistry {
  readonly #flows = new Map<string, Flow>();
  readonly #byState = new Map<string, string>();
  readonly #ttlMs: number;
  readonly #maxPending: number;
  readonly #now: () => number;

  constructor(options: FlowRegistryOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 10 * 60_000;
    this.#maxPending = options.maxPending ?? 50;
    this.#now = options.now ?? Date.now;
  }

  createBrowser(
    input: Pick<BrowserFlow, 'provider' | 'name' | 'scopes' | 'variables' | 'code_verifier' | 'redirect_uri'>,
  ): BrowserFlow {
    const flow: BrowserFlow = {
      ...this.#common(input),
      kind: 'browser',
      state: randomId(),
      code_verifier: input.code_verifier,
      redirect_uri: input.redirect_uri,
      claimed: false,
    };
    this.#flows.set(flow.id, flow);
    this.#byState.set(flow.state, flow.id);
    return flow;
  }

  createDevice(input: Pick<DeviceFlow, 'provider' | 'name' | 'scopes' | 'variables'>, expiresInMs: number): DeviceFlow {
    const flow: DeviceFlow = { ...this.#common(input), kind: 'device' };
    flow.expires_at = Math.min(flow.expires_at, flow.created_at + expiresInMs);
    this.#flows.set(flow.id, flow);
    return flow;
  }

  get(id: string): Flow | undefined {
    this.#sweep();
    const flow = this.#flows.get(id);
    if (flow) this.#expireIfDue(flow);
    return flow;
  }

  /** The pending browser flow a callback's `state` belongs to; each state works once. */
  claimByState(state: string | null): BrowserFlow {
    this.#sweep();
    const id = state ? this.#byState.get(state) : undefined;
    const flow = id ? this.#flows.get(id) : undefined;
    if (flow?.kind !== 'browser') {
      throw new LatchkeyError(
        'unknown_state',
        'This authorization response does not belong to any connect flow started here. Start connecting again from Latchkey.',
        400,
      );
    }
    if (flow.claimed) {
      throw new LatchkeyError(
        'flow_already_used',
        'This authorization response was already used. Start connecting again from Latchkey.',
        400,
      );
    }
    this.#expireIfDue(flow);
    if (flow.status !== 'pending') {
      throw new LatchkeyError(
        'flow_expired',
        'This connect flow expired (flows last 10 minutes). Start connecting again from Latchkey.',
        400,
      );
    }
    flow.claimed = true;
    return flow;
  }

  succeed(flow: Flow, connectionName: string): void {
    flow.status = 'connected';
    flow.connection_name = connectionName;
    this.#forgetSecrets(flow);
  }

  fail(flow: Flow, error: LatchkeyError): void {
    if (flow.status !== 'pending') return;
    flow.status = 'failed';
    flow.error = error.code;
    flow.error_description = error.message;
    if (typeof error.details.provider_error === 'string') flow.provider_error = error.details.provider_error;
    this.#forgetSecrets(flow);
  }

  isPending(flow: Flow): boolean {
    this.#expireIfDue(flow);
    return flow.status === 'pending';
  }

  #common(input: Pick<FlowCommon, 'provider' | 'name' | 'scopes' | 'variables'>): FlowCommon {
    this.#sweep();
    let pending = 0;
    for (const flow of this.#flows.values()) if (flow.status === 'pending') pending += 1;
    if (pending >= this.#maxPending) {
      throw new LatchkeyError(
        'too_many_flows',
        `${pending} connect flows are already waiting; finish or let them expire first.`,
        429,
      );
    }
    const now = this.#now();
    return {
      id: randomId(),
      provider: input.provider,
      name: input.name,
      scopes: input.scopes,
      ...(input.variables ? { variables: input.variables } : {}),
      created_at: now,
      expires_at: now + this.#ttlMs,
      status: 'pending',
    };
  }

  #expireIfDue(flow: Flow): void {
    if (flow.status === 'pending' && this.#now() >= flow.expires_at) {
      this.fail(flow, new LatchkeyError('flow_expired', 'The connect flow expired before it was completed.', 400));
    }
  }

  #forgetSecrets(flow: Flow): void {
    if (flow.kind === 'browser') flow.code_verifier = undefined;
  }

  /**
   * Drops flows that ended more than a TTL ago, and never sooner than a minute: a person who
   * finishes signing in just after a short flow expired is told it expired, not that the
   * answer belongs to no flow.
   */
  #sweep(): void {
    const horizon = this.#now() - Math.max(this.#ttlMs, MIN_RETENTION_MS);
    for (const [id, flow] of this.#flows) {
      if (flow.expires_at < horizon) {
        this.#flows.delete(id);
        if (flow.kind === 'browser') this.#byState.delete(flow.state);
      }
    }
  }
}
