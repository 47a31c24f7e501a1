// Regenerates main/core/catalog/provider.schema.json from the validator's schema (test/unit/provider-schema.test.ts checks they agree).
import { writeFileSync } from 'node:fs';
import { providerSchemaFile, providerSchemaText } from '../main/core/catalog/schema-file.js';

writeFileSync(providerSchemaFile(), providerSchemaText());
