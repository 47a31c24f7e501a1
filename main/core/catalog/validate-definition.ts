import { Ajv } from 'ajv';
import { LatchkeyError } from '../errors.js';
import { withDefinitionDefaults } from './defaults.js';
import type { DefinitionProblem } from './definition-problem.js';
import { providerDefinitionSchema } from './definition-schema.js';
import { schemaProblems } from './schema-problems.js';
import { semanticProblems } from './semantic-problems.js';
import type { ProviderDefinition } from './types.js';

// No code optimisation pass: it costs a third of every start (~0.1 s) and speeds up only
// the few dozen validations a start makes.
const ajv = new Ajv({ allErrors: true, discriminator: true, verbose: true, strict: true, code: { optimize: false } });
const validateShape = ajv.compile(providerDefinitionSchema);

/**
 * Checks a provider definition (built in, custom file or API body) and returns it typed,
 * with the defaults of its optional fields filled in (defaults.ts).
 * Throws LatchkeyError `invalid_provider` (400) with `details.problems: [{ path, message }]`
 * listing everything found, schema and semantic problems together.
 */
export function validateProviderDefinition(value: unknown): ProviderDefinition {
  const problems = providerDefinitionProblems(value);
  if (problems.length === 0) return withDefinitionDefaults(value as ProviderDefinition);
  const id =
    value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string'
      ? (value as { id: string }).id
      : undefined;
  const shown = problems.slice(0, 5).map((p) => `${p.path || '(root)'}: ${p.message}`);
  if (problems.length > shown.length) shown.push(`and ${problems.length - shown.length} more`);
  throw new LatchkeyError(
    'invalid_provider',
    `Invalid provider definition${id ? ` "${id}"` : ''}: ${shown.join('; ')}`,
    400,
    { problems },
  );
}

/** Every problem of a candidate definition; empty when it is valid. */
export function providerDefinitionProblems(value: unknown): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (!validateShape(value)) problems.push(...schemaProblems(validateShape.errors ?? []));
  problems.push(...semanticProblems(value));
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
