import { audit, type AuthzContext } from './context.js';
import type { PublicJwk } from './keys.js';

/** The access-token signing keys as the outside sees them: the published JWKS, and rotation. */
export class SigningKeyRotation {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  jwks(): { keys: PublicJwk[] } {
    return this.#ctx.keys.jwks();
  }

  /** A new key signs from now on; the previous one verifies its tokens until they expire. */
  async rotate(): Promise<{ kid: string }> {
    const kid = await this.#ctx.keys.rotate();
    await audit(this.#ctx, 'control', 'info', `signing key rotated, new kid ${kid}`);
    return { kid };
  }
}
