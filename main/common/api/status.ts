import { StringEnum, Type, type Static } from './schema.js';

/** Where the broker keeps secrets: the OS keychain, or its encrypted file. */
export const SECRET_STORES = ['keychain', 'file'] as const;
export type SecretStore = (typeof SECRET_STORES)[number];

/** GET /admin/api/status. */
export const BrokerStatus = Type.Object({
  version: Type.String(),
  data_dir: Type.String(),
  secret_store: StringEnum(SECRET_STORES),
  install_id: Type.String({ description: "This data dir's random id: it namespaces the broker's keychain entries" }),
  started_at: Type.String(),
  url: Type.String(),
  paused: Type.Boolean({ description: 'The kill switch: true while every agent request is refused' }),
  counts: Type.Object({ connections: Type.Integer(), agents: Type.Integer(), pending_approvals: Type.Integer() }),
});
export type BrokerStatus = Static<typeof BrokerStatus>;

/** GET/POST /pause and POST /resume: the kill switch's state. */
export const Paused = Type.Object({ paused: Type.Boolean() });
export type Paused = Static<typeof Paused>;

/** POST /keys/rotate: the new signing key's id. */
export const RotatedKey = Type.Object({ kid: Type.String() });
export type RotatedKey = Static<typeof RotatedKey>;
