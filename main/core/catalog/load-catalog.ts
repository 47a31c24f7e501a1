import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { Catalog } from './catalog.js';
import type { CatalogProblem } from './catalog-problem.js';
import { withDefinitionDefaults } from './defaults.js';
import { jsonErrorMessage } from './json-error.js';
import { providerDefinitionProblems } from './validate-definition.js';
import type { ProviderDefinition } from './types.js';

/** Definition files larger than this are not read. */
const MAX_DEFINITION_BYTES = 1024 * 1024;

/** The folder of the built-in definitions, `main/core/catalog/providers` under the package root. */
export function builtinProvidersDir(): string {
  return join(packageRoot(), 'main', 'core', 'catalog', 'providers');
}

/**
 * Reads the built-in definitions, then every `*.json` of each extra folder in order (a
 * missing folder is skipped). Bad files become problems and the rest still load; a later
 * custom file replaces an earlier custom one with the same id, but never a built-in.
 */
export function loadCatalog(options: { builtinDir?: string; extraDirs: readonly string[] }): {
  catalog: Catalog;
  problems: CatalogProblem[];
} {
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
        problems.push({
          file,
          path: '/id',
          message: `"${definition.id}" is a built-in provider; a custom definition cannot replace it (choose another id)`,
        });
        continue;
      }
      custom.delete(definition.id); // a later file replaces an earlier one (and moves to the end)
      custom.set(definition.id, definition);
    }
  }
  return { catalog: new Catalog([...builtins.values()], [...custom.values()]), problems };
}

/** The `*.json` files of a folder, sorted by name; undefined when the folder does not exist. */
function listJsonFiles(dir: string, problems: CatalogProblem[]): string[] | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    // Reported as a problem of the folder (a missing one is simply skipped): the other folders still load.
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
        // Gone or unreadable since the listing (or a dangling link): not a definition to load.
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
    // Reported as a problem of this file: the other definitions still load.
    problems.push({ file, path: '', message: `cannot read: ${(error as Error).message}` });
    return undefined;
  }
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);

  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    // Reported as a problem of this file, with the position of the error.
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
