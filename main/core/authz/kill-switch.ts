import { audit, type AuthzContext } from './context.js';

/** The kill switch: no token is issued and the proxy refuses every agent request. Survives restarts. */
export class KillSwitch {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  get paused(): boolean {
    return this.#ctx.pause.paused;
  }

  async pause(): Promise<void> {
    await this.#set(true);
  }

  async resume(): Promise<void> {
    await this.#set(false);
  }

  async #set(paused: boolean): Promise<void> {
    this.#ctx.store.setPaused(paused);
    this.#ctx.pause.paused = paused;
    await audit(this.#ctx, 'control', 'info', paused ? 'paused: every agent request is refused' : 'resumed');
    this.#ctx.deps.events.emit('paused-changed', { paused });
  }
}
