import { auditDeniedIndexMigration, auditMigration } from './audit/migration.js';
import { agentsMigration, grantsByConnectionIdMigration } from './authz/migration.js';
import { latestVersion, type Migration } from './store/migrate.js';
import { connectionVariablesMigration, initialSchemaMigration } from './store/migration.js';
import { execSessionsMigration } from './sessions/migration.js';

/**
 * Every module's schema migrations, in version order: collected here, by the composition root,
 * so the store (a lower layer) imports no module above it. The versions are what databases on
 * disk record: never renumber, only add.
 */
export const MIGRATIONS: readonly Migration[] = [
  initialSchemaMigration,
  auditMigration,
  agentsMigration,
  grantsByConnectionIdMigration,
  connectionVariablesMigration,
  execSessionsMigration,
  auditDeniedIndexMigration,
];

export const LATEST_VERSION = latestVersion(MIGRATIONS);
