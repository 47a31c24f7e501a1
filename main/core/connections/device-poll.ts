import type { Logger } from '../log.js';
import type { DeviceFlow, FlowRegistry } from '../oauth/flows.js';
import type { ProviderClient, TokenSet } from '../oauth/provider-client.js';

export interface DevicePollDeps {
  flows: Pick<FlowRegistry, 'isPending'>;
  logger: Logger;
}

export interface DevicePoll {
  flow: DeviceFlow;
  client: ProviderClient;
  deviceCode: string;
  /** Seconds between polls, as the provider asked. */
  interval: number;
  /** The person approved: save the connection. */
  onGranted(tokens: TokenSet): Promise<unknown>;
  /** The provider refused, or saving failed: fail the flow. */
  onFailed(error: unknown): void;
}

/**
 * Polls the token endpoint of each pending device flow (RFC 8628 §3.4) until the person
 * approves, the provider refuses or the flow lapses; `slow_down` adds five seconds.
 */
export class DevicePoller {
  readonly #deps: DevicePollDeps;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(deps: DevicePollDeps) {
    this.#deps = deps;
  }

  start(poll: DevicePoll): void {
    let interval = poll.interval * 1000;
    const fail = (error: unknown): void => {
      // Background work: nobody awaits it, so the log is where the failure is seen (never the tokens).
      this.#deps.logger.error(
        { err: error, connection: poll.flow.name, provider: poll.flow.provider },
        'device flow failed',
      );
      poll.onFailed(error);
    };
    const next = (): void => {
      // A poll answered after close() must not schedule another: the store and vault are gone.
      if (this.#closed) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#deps.flows.isPending(poll.flow)) return;
        poll.client
          .pollDevice(poll.deviceCode)
          .then(async (result) => {
            if (result.status === 'granted') return void (await poll.onGranted(result.tokens));
            if (result.status === 'slow_down') interval += 5000;
            next();
          }, fail)
          .catch(fail);
      }, interval);
      timer.unref();
      this.#timers.add(timer);
    };
    next();
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
