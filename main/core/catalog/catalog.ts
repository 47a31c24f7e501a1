import { join } from 'node:path';
import { LatchkeyError } from '../errors.js';
import { writeFileAtomic } from '../files/write-file-atomic.js';
import { declaredSchemes } from './agent-auth-schemes.js';
import { DEFAULT_BASE } from './bases.js';
import { compileRules, type RuleMatcher } from './rules.js';
import { validateProviderDefinition } from './validate-definition.js';
import type { AgentAuthScheme, ProviderDefinition } from './types.js';

/**
 * The provider catalog: built-in definitions plus the person's own (custom) ones.
 * Definitions are deep-frozen once added; the compiled endpoint rules are cached per id.
 */
export class Catalog {
  readonly #providers = new Map<string, ProviderDefinition>();
  readonly #builtin = new Set<string>();
  readonly #matchers = new Map<string, RuleMatcher>();
  /** Computed on first use and after a change: the proxy reads it on every request. */
  #agentAuthSchemes: readonly AgentAuthScheme[] | undefined;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(builtins: readonly ProviderDefinition[] = [], custom: readonly ProviderDefinition[] = []) {
    for (const definition of builtins) {
      this.#providers.set(definition.id, freeze(structuredClone(definition)));
      this.#builtin.add(definition.id);
    }
    for (const definition of custom) {
      if (this.#builtin.has(definition.id)) throw shadowError(definition.id);
      this.#providers.set(definition.id, freeze(structuredClone(definition)));
    }
  }

  get(id: string): ProviderDefinition | undefined {
    return this.#providers.get(id);
  }

  /** The definition, or LatchkeyError `unknown_provider` (404) listing the available ids. */
  require(id: string): ProviderDefinition {
    const definition = this.#providers.get(id);
    if (definition) return definition;
    throw new LatchkeyError('unknown_provider', `No provider "${id}" in the catalog`, 404, {
      provider: id,
      available: [...this.#providers.keys()].sort(),
    });
  }

  has(id: string): boolean {
    return this.#providers.has(id);
  }

  /** Every definition, sorted by display name. */
  list(): ProviderDefinition[] {
    return [...this.#providers.values()].sort(
      (a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || a.id.localeCompare(b.id),
    );
  }

  /** Every token scheme some definition declares (`api.agent_auth`), where the proxy also looks for an agent's token. */
  agentAuthSchemes(): readonly AgentAuthScheme[] {
    return (this.#agentAuthSchemes ??= declaredSchemes(this.#providers.values()));
  }

  isBuiltin(id: string): boolean {
    return this.#builtin.has(id);
  }

  /** The provider's compiled endpoint rules for one of its bases (see rules.ts for the decision contract). */
  matcher(id: string, base: string = DEFAULT_BASE): RuleMatcher {
    const key = `${id}\u0000${base}`;
    let matcher = this.#matchers.get(key);
    if (!matcher) {
      matcher = compileRules(this.require(id).api.rules.filter((rule) => (rule.base ?? DEFAULT_BASE) === base));
      this.#matchers.set(key, matcher);
    }
    return matcher;
  }

  /**
   * Validates a custom definition, persists it as `DATA_DIR/providers/<id>.json`
   * (temp file + rename, mode 0600) and adds it, replacing an earlier custom one
   * with the same id. A built-in id is refused with `provider_exists` (409).
   */
  async addCustom(definition: unknown, dataDir: string): Promise<ProviderDefinition> {
    const valid = validateProviderDefinition(definition);
    if (this.#builtin.has(valid.id)) throw shadowError(valid.id);
    const frozen = freeze(structuredClone(valid));
    const write = this.#writes.then(async () => {
      await writeFileAtomic(
        join(dataDir, 'providers', `${frozen.id}.json`),
        `${JSON.stringify(frozen, null, 2)}\n`,
        0o600,
        { dirMode: 0o700 },
      );
      this.#providers.set(frozen.id, frozen);
      for (const key of this.#matchers.keys()) if (key.startsWith(`${frozen.id}\u0000`)) this.#matchers.delete(key);
      this.#agentAuthSchemes = undefined;
    });
    this.#writes = write.catch(() => undefined); // the caller gets the error from `await write`; the next write still runs
    await write;
    return frozen;
  }
}

function shadowError(id: string): LatchkeyError {
  return new LatchkeyError(
    'provider_exists',
    `"${id}" is a built-in provider and cannot be replaced; give your definition another id`,
    409,
    { provider: id },
  );
}

function freeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) freeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
