import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LatchkeyError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { withDefinitionDefaults } from './defaults.js';
import { declaredSchemes } from './agent-auth-schemes.js';
import { DEFAULT_BASE } from './bases.js';
import { compileRules, type RuleMatcher } from './rules.js';
import { providerDefinitionProblems, validateProviderDefinition } from './schema.js';
import type { AgentAuthScheme, ProviderDefinition } from './types.js';

/** A definition file that was skipped, or part of it that is wrong. `path` is a JSON pointer ("" = the whole file). */
export interface CatalogProblem {
  file: string;
  path: string;
  message: string;
}

/** Definition files larger than this are not read. */
const MAX_DEFINITION_BYTES = 1024 * 1024;

/** The folder of the built-in definitions, `main/core/catalog/providers` under the package root. */
export function builtinProvidersDir(): string {
  return join(packageRoot(), 'main', 'core', 'catalog', 'providers');
}

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
    return [...this.#providers.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || a.id.localeCompare(b.id));
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
      await writeFileAtomic(join(dataDir, 'providers'), `${frozen.id}.json`, `${JSON.stringify(frozen, null, 2)}\n`);
      this.#providers.set(frozen.id, frozen);
      for (const key of this.#matchers.keys()) if (key.startsWith(`${frozen.id}\u0000`)) this.#matchers.delete(key);
      this.#agentAuthSchemes = undefined;
    });
    this.#writes = write.catch(() => undefined);
    await write;
    return frozen;
  }
}

function shadowError(id: string): LatchkeyError {
  return new LatchkeyError('provider_exists', `"${id}" is a built-in provider and cannot be replaced; give your definition another id`, 409, { provider: id });
}

/**
 * Reads the built-in definitions, then every `*.json` of each extra folder in order (a
 * missing folder is skipped). Bad files become problems and the rest still load; a later
 * custom file replaces an earlier custom one with the same id, but never a built-in.
 */
export function loadCatalog(options: { builtinDir?: string; extraDirs: readonly string[] }): { catalog: Catalog; problems: CatalogProblem[] } {
  const problems: CatalogProblem[] = [];
  const builtinDir = options.builtinDir ?? builtinProvidersDir();
  const builtins = new Map<string, ProviderDefinition>();
  const custom = new Map<string, ProviderDefinition>();

  const builtinFiles = listJsonFiles(builtinDir, problems);
  if (builtinFiles === undefined && !problems.some((p) => p.file === builtinDir)) {
    problems.push({ file: builtinDir, path: '', message: 'the built-in provider folder is missing' });
  }
  for (const file of builtinFiles ?? []) {
    const definition = readDefinition(file, problems);
    if (!definition) continue;
    if (builtins.has(definition.id)) {
      problems.push({ file, path: '/id', message: `built-in provider "${definition.id}" is defined twice` });
      continue;
    }
    builtins.set(definition.id, definition);
  }

  for (const dir of options.extraDirs) {
    for (const file of listJsonFiles(dir, problems) ?? []) {
      const definition = readDefinition(file, problems);
      if (!definition) continue;
      if (builtins.has(definition.id)) {
        problems.push({ file, path: '/id', message: `"${definition.id}" is a built-in provider; a custom definition cannot replace it (choose another id)` });
        continue;
      }
      custom.delete(definition.id); // a later file replaces an earlier one (and moves to the end)
      custom.set(definition.id, definition);
    }
  }
  return { catalog: new Catalog([...builtins.values()], [...custom.values()]), problems };
}

/** One line: `file: path: message` (the path is left out when the whole file is concerned). */
export function formatCatalogProblem(problem: CatalogProblem): string {
  return problem.path ? `${problem.file}: ${problem.path}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}

/** The `*.json` files of a folder, sorted by name; undefined when the folder does not exist. */
function listJsonFiles(dir: string, problems: CatalogProblem[]): string[] | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      problems.push({ file: dir, path: '', message: `cannot read the folder: ${(error as Error).message}` });
    }
    return undefined;
  }
  return names
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .sort()
    .map((name) => join(dir, name))
    .filter((file) => {
      try {
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
}

function readDefinition(file: string, problems: CatalogProblem[]): ProviderDefinition | undefined {
  let source: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_DEFINITION_BYTES) {
      problems.push({ file, path: '', message: `file is too large (${size} bytes; at most ${MAX_DEFINITION_BYTES})` });
      return undefined;
    }
    source = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push({ file, path: '', message: `cannot read: ${(error as Error).message}` });
    return undefined;
  }
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);

  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    problems.push({ file, path: '', message: jsonErrorMessage(source, error as Error) });
    return undefined;
  }
  const found = providerDefinitionProblems(value);
  if (found.length > 0) {
    for (const problem of found) problems.push({ file, path: problem.path, message: problem.message });
    return undefined;
  }
  return withDefinitionDefaults(value as ProviderDefinition);
}

/** "invalid JSON at line L, column C: …"; V8's own message does not always carry the position. */
function jsonErrorMessage(source: string, error: Error): string {
  const located = locateJsonError(source);
  if (!located) return `invalid JSON: ${error.message}`;
  const before = source.slice(0, located.offset);
  const line = before.split('\n').length;
  const column = located.offset - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${column}: ${located.message}`;
}

/** A strict RFC 8259 scan that finds where a document stops being JSON (undefined if it is JSON). */
export function locateJsonError(source: string): { offset: number; message: string } | undefined {
  let i = 0;
  class Stop {
    constructor(readonly offset: number, readonly message: string) {}
  }
  const fail = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const found = () => (i < source.length ? JSON.stringify(source[i]) : 'the end of the file');
  const space = () => {
    while (i < source.length && ' \t\n\r'.includes(source[i]!)) i++;
  };
  const expect = (char: string, what: string) => {
    if (source[i] !== char) fail(`expected ${what}, found ${found()}`);
    i++;
  };
  const string = () => {
    expect('"', 'a string');
    for (;;) {
      if (i >= source.length) fail('unterminated string');
      const c = source.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character in a string (escape it)');
      if (c === 0x5c) {
        const next = source[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) fail('invalid \\u escape');
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else fail('invalid escape in a string');
      } else i++;
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i, i + 400));
    if (!match || match[0] === '' || match[0] === '-') fail(`expected a value, found ${found()}`);
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail('nested too deeply');
    space();
    const c = source[i];
    if (c === '{') {
      i++;
      space();
      if (source[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (source[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
        string();
        space();
        expect(':', '":" after the property name');
        value(depth + 1);
        space();
        if (source[i] === ',') {
          i++;
          continue;
        }
        expect('}', '"," or "}"');
        return;
      }
    }
    if (c === '[') {
      i++;
      space();
      if (source[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        space();
        if (source[i] === ',') {
          i++;
          continue;
        }
        expect(']', '"," or "]"');
        return;
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (source.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    number();
  };
  try {
    value(0);
    space();
    if (i < source.length) fail(`unexpected ${found()} after the JSON value`);
    return undefined;
  } catch (stop) {
    if (stop instanceof Stop) return { offset: stop.offset, message: stop.message };
    throw stop;
  }
}

/** Writes `dir/name` through a temp file in the same folder and a rename; the file ends up mode 0600. */
async function writeFileAtomic(dir: string, name: string, content: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, name);
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await chmod(temp, 0o600); // the umask may have narrowed it already; never widen
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function freeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) freeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
