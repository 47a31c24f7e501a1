/**
 * The admin API's TypeScript types, for every side that speaks it (core, CLI, shell, dashboard).
 * Types only: each is `Static<>` of its schema in ./api/, so a browser bundle that imports
 * from here carries no code. The schemas themselves are imported from ./api/ where they are used.
 */
export type * from './api/activity.js';
export type * from './api/agents.js';
export type * from './api/approvals.js';
export type * from './api/audit.js';
export type * from './api/connections.js';
export type * from './api/errors.js';
export type * from './api/events.js';
export type * from './api/oauth.js';
export type * from './api/providers.js';
export type * from './api/status.js';
