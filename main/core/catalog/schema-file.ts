import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { providerDefinitionSchema } from './definition-schema.js';

/** The committed copy of the provider definition schema, for editors working in the repository. */
export function providerSchemaFile(): string {
  return join(packageRoot(), 'main', 'core', 'catalog', 'provider.schema.json');
}

/** The committed file's exact content: generated from the validator's schema object, never edited by hand. */
export function providerSchemaText(): string {
  return `${JSON.stringify(providerDefinitionSchema, null, 2)}\n`;
}
